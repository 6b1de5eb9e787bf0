"""@team mentions: a comment naming a team puts one outbox row per channel of that team (the channels its
alert rules send to) in the comment's own transaction, and the alert sender delivers it to a real HTTP
receiver like an alert."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.alerts.conftest import Receiver
from tests.collab.conftest import bearer
from warroom.access import recent_audit
from warroom.alerts.notify import WebhookChannel
from warroom.alerts.rules import builtin_rules
from warroom.alerts.scheduler import send_outbox
from warroom.collab.mentions import RULE_ID, mentioned_teams
from warroom.meta.alerts import DeliveryRow, OutboxRow

RULES = builtin_rules()


def channels_of(team: str) -> list[str]:
    """Independently of the code under test: every channel the rule pack's rules of `team` name."""
    return sorted({c for r in RULES if r.team == team for c in r.channels})


@pytest.mark.parametrize(
    ("text", "teams"),
    [
        ("@ops 看一下零点退款", ["ops"]),
        ("请@运营看一下，@财务 也看看", ["ops", "finance"]),
        ("@Tech p99 is up; cc @tech", ["tech"]),
        ("mail me at x@ops.example.com", []),
        ("@opsteam is not a team, nor is @", []),
    ],
)
def test_mentions_are_found_in_what_people_write(text, teams):
    assert mentioned_teams(text) == teams


def test_a_mention_notifies_the_team_on_its_channels(app):
    assert channels_of("ops") and channels_of("finance")  # else the test could not see a row
    body = {"panel": "traffic", "text": "@ops @财务 直播渠道零点后转化掉了一半"}
    r = app.client.post("/api/v1/boards/ops/comments", json=body, headers=bearer(app, "fin"))
    assert r.status_code == 201, r.text
    comment_id = r.json()["comment"]["id"]
    with app.meta() as s:
        rows = list(s.scalars(select(OutboxRow).where(OutboxRow.rule_id == RULE_ID)))
        got = sorted((row.team, row.channel, row.status) for row in rows)
        want = sorted([(t, c, "pending") for t in ("ops", "finance") for c in channels_of(t)])
        assert got == want
        payload = rows[0].payload
        assert payload["link"] == "/ops" and payload["labels"] == [["comment_id", str(comment_id)]]
        assert "fin" in payload["summary_zh"] and "直播渠道零点后转化掉了一半" in payload["summary_zh"]
        (entry,) = recent_audit(s, action="comment_posted")  # type: ignore[arg-type]
        assert entry.detail["notified"] == sorted(f"{t}:{c}" for t, c, _ in want)
    # No mention, no row.
    plain = {"panel": "traffic", "text": "no one is named here"}
    assert (
        app.client.post("/api/v1/boards/ops/comments", json=plain, headers=bearer(app, "fin")).status_code
        == 201
    )
    with app.meta() as s:
        assert len(list(s.scalars(select(OutboxRow).where(OutboxRow.rule_id == RULE_ID)))) == len(want)


def test_the_alert_sender_delivers_a_mention_to_a_real_receiver(app):
    receiver = Receiver()
    try:
        body = {"panel": "traffic", "text": "@ops 请检查库存告急的SKU"}
        assert (
            app.client.post("/api/v1/boards/ops/comments", json=body, headers=bearer(app, "op")).status_code
            == 201
        )
        channels = {c: WebhookChannel(c, receiver.url("/webhook")) for c in channels_of("ops")}
        report = send_outbox(app.meta, channels, datetime.now(UTC))
        assert report.sent == len(channels)
        sent = [a for got in receiver.recorded for a in got.json()["alerts"]]
        assert {a["rule_id"] for a in sent} == {RULE_ID} and {a["team"] for a in sent} == {"ops"}
        assert all("请检查库存告急的SKU" in a["summary"] for a in sent)
        with app.meta() as s:
            assert {r.status for r in s.scalars(select(OutboxRow).where(OutboxRow.rule_id == RULE_ID))} == {
                "sent"
            }
            assert all(d.ok for d in s.scalars(select(DeliveryRow)))
    finally:
        receiver.close()
