"""Ack / claim / resolve from the notification itself, end to end: an alert evaluated and written to the
outbox, delivered to a real HTTP receiver and a real SMTP server, the link taken out of what they received
and followed through the app in-process (GET shows a page and changes nothing, POST acts once), on the
room's fake clock; tampered, expired and used links are refused with a page, a status and an audit entry."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.helpers import make_rule
from warroom.access.audit import Action
from warroom.alerts.evaluate import evaluate
from warroom.alerts.links import LinkClaims, LinkError, LinkSigner, link_secret, sign, verify
from warroom.alerts.notify import EmailChannel, WebhookChannel
from warroom.alerts.scheduler import link_signer, save_states, send_outbox, write_outbox
from warroom.config import Settings
from warroom.meta import AuditEntry, open_metadata
from warroom.meta.alerts import AckRow, AlertStateRow, LinkUseRow
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

T0 = datetime(2026, 11, 10, 16, 5, tzinfo=UTC)
SECRET = b"k" * 32


# ---- the token on its own ------------------------------------------------------------------------------


def test_a_signed_link_verifies_until_it_expires():
    token = sign(SECRET, LinkClaims(42, "claim", T0 + timedelta(hours=24)))
    assert verify(SECRET, token, T0) == LinkClaims(42, "claim", T0 + timedelta(hours=24))
    with pytest.raises(LinkError) as late:
        verify(SECRET, token, T0 + timedelta(hours=24))
    assert (late.value.reason, late.value.status_code) == ("expired", 410)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace(".claim.", ".resolve."),  # another action
        lambda t: "43" + t[2:],  # another alert message
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: t.rsplit(".", 2)[0] + f".{int(t.split('.')[2]) + 3600}." + t.rsplit(".", 1)[1],  # later
    ],
)
def test_a_changed_link_is_refused(change):
    token = sign(SECRET, LinkClaims(42, "claim", T0 + timedelta(hours=24)))
    with pytest.raises(LinkError) as bad:
        verify(SECRET, change(token), T0)
    assert (bad.value.reason, bad.value.status_code) == ("tampered", 400)
    with pytest.raises(LinkError):
        verify(b"another server's key" * 2, token, T0)


def test_the_secret_is_made_once_in_home_and_kept_private(tmp_path):
    first = link_secret(tmp_path, "")
    assert len(first) >= 43 and link_secret(tmp_path, "") == first
    assert (tmp_path / "alert_link_secret").stat().st_mode & 0o777 == 0o600
    assert link_secret(tmp_path, "configured") == b"configured"
    settings = Settings(home=tmp_path, alert_link_secret="s3cret-value")
    assert "s3cret-value" not in repr(settings) and link_signer(settings).secret == b"s3cret-value"


# ---- through the receivers and the app -----------------------------------------------------------------


@pytest.fixture
def room(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    settings = Settings(home=tmp_path, metadata_url=url, alert_interval_seconds=3600)
    meta = open_metadata(url)
    clock = {"now": T0}
    warehouse = Warehouse(tmp_path / "w.duckdb")
    runtime = Runtime(settings, warehouse, meta, _now=lambda: clock["now"])
    with TestClient(create_app(runtime), follow_redirects=False) as client:
        yield SimpleNamespace(client=client, meta=meta, clock=clock, runtime=runtime)
    warehouse.close()


def fire(room):
    """A critical tech alert evaluated at T0 (value 40 > 10) and written to the outbox for two channels."""
    rule = make_rule(
        id="pay_fail", team="tech", severity="critical", channels=("tech_chat", "tech_email"), by=("service",)
    )
    labels = (("service", "payment"),)
    states, notes = evaluate(rule, {labels: [(T0 - timedelta(minutes=1), 40.0)]}, {}, T0)
    with room.meta() as s:
        save_states(s, [(rule, states, notes)], T0)
        write_outbox(s, notes, T0)
        s.commit()


def deliver(room, receiver, smtp_server) -> tuple[dict, str]:
    box, port = smtp_server
    channels = {
        "tech_chat": WebhookChannel("tech_chat", receiver.url("/webhook"), lang="en", base_url="http://room"),
        "tech_email": EmailChannel(
            "tech_email", "127.0.0.1", port, "warroom@shop.example", ("oncall@shop.example",), lang="en",
            base_url="http://room",
        ),
    }  # fmt: skip
    signer = LinkSigner(room.runtime.link_secret(), timedelta(hours=24))
    assert send_outbox(room.meta, channels, T0, links=signer).sent == 2
    (posted,) = receiver.recorded
    (mail,) = box.envelopes
    return posted.json(), message_from_bytes(mail.content, policy=policy.default).get_content()


def path_of(url: str) -> str:
    assert url.startswith("http://room/alerts/link/"), url
    return url.removeprefix("http://room")


def acks(room):
    with room.meta() as s:
        return [(a.kind, a.by) for a in s.scalars(select(AckRow).order_by(AckRow.id))]


def audited(room, action: Action):
    with room.meta() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_delivered_links_ack_claim_and_resolve_the_alert_once(room, receiver, smtp_server):
    fire(room)
    posted, mail_text = deliver(room, receiver, smtp_server)
    (alert,) = posted["alerts"]
    assert set(alert["actions"]) == {"ack", "claim", "resolve"}
    assert any(alert["actions"]["ack"] in line for line in posted["text"].splitlines())  # and in its text
    mailed = dict(re.findall(r"^\s+(ack|claim|resolve): (\S+)\s*$", mail_text, re.M))
    assert set(mailed) == {"ack", "claim", "resolve"}, mail_text

    ack = path_of(alert["actions"]["ack"])
    page = room.client.get(ack)  # what a link preview or a mail scanner does
    assert page.status_code == 200 and f'action="{ack}"' in page.text and 'method="post"' in page.text
    assert acks(room) == []  # a GET does nothing

    done = room.client.post(ack)
    assert done.status_code == 200 and ("Acknowledged" in done.text or "已确认" in done.text)
    assert acks(room) == [("ack", "link:tech_chat")]
    (entry,) = audited(room, Action.ALERT_ACKED)
    assert (entry.actor, entry.target) == ("link:tech_chat", "pay_fail service=payment")

    again = room.client.post(ack)
    assert again.status_code == 409 and acks(room) == [("ack", "link:tech_chat")]
    assert room.client.get(ack).status_code == 409

    claim = path_of(mailed["claim"])  # the mail's own links work the same, naming the mail channel
    assert room.client.post(claim).status_code == 200
    assert acks(room) == [("ack", "link:tech_chat"), ("claim", "link:tech_email")]
    assert len(audited(room, Action.ALERT_CLAIMED)) == 1

    resolve = path_of(alert["actions"]["resolve"])
    assert room.client.post(resolve).status_code == 200
    with room.meta() as s:
        state = s.scalars(select(AlertStateRow)).one()
        assert (state.status, state.resolved_at) == ("resolved", T0)
        assert s.scalars(select(LinkUseRow)).all().__len__() == 3
    assert len(audited(room, Action.ALERT_RESOLVED)) == 1
    assert audited(room, Action.ALERT_LINK_REFUSED) and all(
        e.detail["reason"] == "used" for e in audited(room, Action.ALERT_LINK_REFUSED)
    )


def test_a_tampered_or_expired_link_is_refused_and_does_nothing(room, receiver, smtp_server):
    fire(room)
    posted, _ = deliver(room, receiver, smtp_server)
    ack = path_of(posted["alerts"][0]["actions"]["ack"])
    outbox_id = ack.rsplit("/", 1)[1].split(".")[0]
    forged = ack.replace(f"/{outbox_id}.ack.", f"/{int(outbox_id) + 1}.ack.")  # another message's alert
    for method in ("GET", "POST"):
        r = room.client.request(method, forged)
        assert r.status_code == 400 and "altered" in r.text
    assert room.client.post(ack[:-2] + "xx").status_code == 400
    room.clock["now"] = T0 + timedelta(hours=24)  # the room's clock: 24 h later, the links' expiry
    expired = room.client.post(ack)
    assert expired.status_code == 410 and "expired" in expired.text
    assert acks(room) == []
    reasons = sorted(e.detail["reason"] for e in audited(room, Action.ALERT_LINK_REFUSED))
    assert reasons == ["expired", "tampered", "tampered", "tampered"]


def test_a_link_for_an_episode_that_is_over_acts_on_nothing(room, receiver, smtp_server):
    fire(room)
    posted, _ = deliver(room, receiver, smtp_server)
    with room.meta() as s:  # the alert resolved and fired again: a new episode the old link must not ack
        state = s.scalars(select(AlertStateRow)).one()
        state.fired_at = T0 + timedelta(minutes=30)
        s.commit()
    r = room.client.post(path_of(posted["alerts"][0]["actions"]["ack"]))
    assert r.status_code == 410 and "over" in r.text and acks(room) == []


def test_every_channel_carries_the_links():
    from dataclasses import replace

    from warroom.alerts.notification import Batch
    from warroom.alerts.notify import build_channel

    rule = make_rule(id="pay_fail", team="tech", by=("service",))
    (note,) = evaluate(rule, {(("service", "payment"),): [(T0 - timedelta(minutes=1), 40.0)]}, {}, T0)[1]
    note = replace(note, actions=LinkSigner(SECRET, timedelta(hours=1)).links(7, T0))
    batch = Batch("tech", "c", (note,))
    specs = {
        "dingtalk": {"url": "http://x/d", "secret": "s"}, "wecom": {"url": "http://x/w"},
        "feishu": {"url": "http://x/f", "secret": "s"}, "slack": {"url": "http://x/s"},
        "webhook": {"url": "http://x/h"},
        "email": {"host": "x", "port": 25, "sender": "a@b.c", "recipients": ["d@e.f"]},
    }  # fmt: skip
    for kind, spec in specs.items():
        channel = build_channel("c", {"type": kind, **spec}, base_url="http://room")
        payload = channel.payload(batch, now=T0)
        body = payload.get_content() if kind == "email" else str(payload)  # the mail's text is base64
        for action, path in note.actions:
            assert f"http://room{path}" in body, (kind, action)
