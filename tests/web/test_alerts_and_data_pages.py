"""The alerts page and the data page, in-process: who sees what, acks and silences on the room's clock,
every form guarded by CSRF and team membership, and quarantined raw rows masked under the viewer's policy."""

import functools
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from warroom.access import create_user, hash_password
from warroom.access import users as users_module
from warroom.config import Settings
from warroom.ingest import ingest_batch
from warroom.meta import AuditEntry, open_metadata
from warroom.meta.alerts import AckRow, AlertStateRow, OutboxRow, SilenceRow
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

NOW = datetime(2026, 11, 11, 0, 20, tzinfo=UTC)  # the room's clock: a fixed "simulated" time
FIRED = NOW - timedelta(minutes=5)
USERS = {"tech": "tech", "ops": "ops", "boss": "admin", "guest": "viewer"}


_cached_hash = functools.cache(hash_password)  # one real argon2 hash per password, not one per test


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setattr(users_module, "hash_password", _cached_hash)
    settings = Settings(home=tmp_path)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as s:
        for name, role in USERS.items():
            create_user(s, username=name, password=f"{name}-pass-1", role=role, actor="test")
        s.add(
            AlertStateRow(
                rule_id="p99_latency", labels_key="service=payment", labels={"service": "payment"}, team="tech",
                severity="critical", status="firing", active_since=FIRED, value=2400.0, fired_at=FIRED,
                summary_zh="支付 p99 2.4 秒", summary_en="payment p99 2.4 s", link="/tech", updated_at=NOW,
            )
        )  # fmt: skip
        s.add(
            OutboxRow(
                key="k1", rule_id="p99_latency", labels_key="service=payment", team="tech", channel="tech_chat",
                kind="firing", payload={"severity": "critical", "summary_en": "payment p99 2.4 s",
                                        "summary_zh": "支付 p99 2.4 秒"},
                created_at=FIRED, attempts=5, next_attempt_at=FIRED, status="undelivered",
                last_error="HTTP 500",
            )
        )  # fmt: skip
        s.commit()
    warehouse = Warehouse(settings.warehouse_path)
    runtime = Runtime(settings, warehouse, meta, _now=lambda: NOW)
    with TestClient(create_app(runtime)) as client:
        client.meta = meta
        client.warehouse = warehouse
        yield client


def login(client: TestClient, user: str) -> None:
    client.cookies.clear()
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": user, "password": f"{user}-pass-1", "csrf": client.cookies["warroom_csrf"]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def csrf(client: TestClient) -> str:
    return client.cookies["warroom_csrf"]


def nav_links(html: str) -> list[str]:
    nav = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return [part.split('"', 1)[0] for part in nav.split('href="')[1:]]


def test_the_navigation_lists_what_each_role_may_open(room):
    expected = {
        "tech": ["/", "/ops", "/tech", "/screen", "/dashboards", "/alerts", "/data"],
        "ops": ["/", "/ops", "/tech", "/screen", "/dashboards", "/alerts"],
        "boss": ["/", "/ops", "/finance", "/tech", "/screen", "/dashboards", "/alerts", "/data", "/admin"],
        "guest": ["/", "/ops", "/tech", "/screen", "/dashboards"],
    }
    for user, links in expected.items():
        login(room, user)
        assert nav_links(room.get("/").text) == links, user


def test_a_team_sees_its_alerts_with_delivery_and_others_see_none(room):
    login(room, "tech")
    page = room.get("/alerts")
    assert page.status_code == 200 and 'id="open-alerts"' in page.text
    snap = room.get("/api/v1/alerts/overview").json()
    (alert,) = snap["alerts"]
    assert (alert["rule_id"], alert["status"], alert["delivery"]) == ("p99_latency", "firing", "undelivered")
    assert snap["deliveries"][0]["last_error"] == "HTTP 500" and snap["history"][0]["kind"] == "firing"
    login(room, "ops")
    assert room.get("/api/v1/alerts/overview").json()["alerts"] == []
    login(room, "guest")
    assert 'id="no-team"' in room.get("/alerts").text


def test_ack_from_the_page_is_stamped_with_the_room_clock_and_audited(room):
    login(room, "tech")
    form = {"rule_id": "p99_latency", "labels_key": "service=payment", "comment": "rolling back"}
    assert room.post("/alerts/ack", data=form).status_code == 403  # no CSRF token
    r = room.post("/alerts/ack", data={**form, "csrf": csrf(room)}, follow_redirects=False)
    assert r.status_code == 303
    with room.meta() as s:
        (ack,) = s.scalars(select(AckRow)).all()
        assert (ack.by, ack.comment, ack.labels) == ("tech", "rolling back", {"service": "payment"})
        assert ack.at.replace(tzinfo=UTC) == NOW  # the room's clock, not the wall clock
        assert (
            s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "tech")).all()[-1] == "alert_acked"
        )
    (alert,) = room.get("/api/v1/alerts").json()["alerts"]
    assert (alert["acked_by"], alert["ack_kind"], alert["escalated_at"]) == ("tech", "ack", None)


def test_only_the_owning_team_may_ack(room):
    login(room, "ops")
    r = room.post(
        "/alerts/ack", data={"rule_id": "p99_latency", "labels_key": "service=payment", "csrf": csrf(room)}
    )
    assert r.status_code == 403 and r.json()["ok"] is False
    r = room.post("/alerts/ack", data={"rule_id": "nope", "labels_key": "", "csrf": csrf(room)})
    assert r.status_code == 404 and "nope" in r.json()["error"]


def test_silences_are_created_listed_and_ended(room):
    login(room, "tech")
    r = room.post(
        "/alerts/silences",
        data={"matchers": "service=payment, host=~pay-.*", "duration": "2h", "comment": "deploy", "csrf": csrf(room)},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    (silence,) = room.get("/api/v1/alerts/overview").json()["silences"]
    assert silence["matchers"] == ["service=payment", "host=~pay-.*"] and silence["active"] is True
    assert datetime.fromisoformat(silence["ends_at"]) == NOW + timedelta(hours=2)
    r = room.post(f"/alerts/silences/{silence['id']}/end", data={"csrf": csrf(room)}, follow_redirects=False)
    assert r.status_code == 303
    assert room.get("/api/v1/alerts/overview").json()["silences"] == []
    with room.meta() as s:
        assert s.scalars(select(SilenceRow)).one().ends_at.replace(tzinfo=UTC) == NOW
        trail = s.scalars(select(AuditEntry).where(AuditEntry.actor == "tech").order_by(AuditEntry.id)).all()
        created, ended = trail[-2:]
        assert (created.action, created.target, ended.action, ended.target) == (
            "silence_created", str(silence["id"]), "silence_ended", str(silence["id"])
        )  # fmt: skip
        assert created.detail["matchers"] == ["service=payment", "host=~pay-.*"]


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"matchers": "service payment"}, "label matcher"),
        ({"matchers": "host=~(unclosed"}, "bad regex"),
        ({"matchers": "", "rule_id": ""}, "silence of everything"),
        ({"rule_id": "p99_latency", "duration": "forever"}, "duration"),
    ],
)
def test_a_bad_silence_is_refused_with_what_is_wrong(room, form, says):
    login(room, "tech")
    r = room.post("/alerts/silences", data={**form, "csrf": csrf(room)})
    assert r.status_code == 400 and says in r.json()["error"]
    with room.meta() as s:
        assert s.scalars(select(SilenceRow)).all() == []  # nothing half-made


def test_only_team_members_may_silence(room):
    login(room, "guest")
    r = room.post("/alerts/silences", data={"rule_id": "p99_latency", "csrf": csrf(room)})
    assert r.status_code == 403


def _quarantine_a_customer(room) -> None:
    bad = {
        "customer_id": 7, "registered_at": "not a time", "province": "浙江", "member_level": "gold",
        "name": "张三丰", "phone": "13812345678",
    }  # fmt: skip
    report = ingest_batch(room.warehouse, "customers", pa.Table.from_pylist([bad]), "crm-export.csv")
    assert report.rejected == 1


def test_data_page_for_tech_and_admin_only(room):
    for user, status in (("tech", 200), ("boss", 200), ("ops", 403), ("guest", 403)):
        login(room, user)
        assert room.get("/data").status_code == status, user
        assert room.get("/api/v1/data/status").status_code == status, user


def test_data_status_counts_rows_and_masks_quarantined_pii(room):
    _quarantine_a_customer(room)
    login(room, "tech")
    snap = room.get("/api/v1/data/status").json()
    rows = {t["table"]: (t["rows"], t["rejected"]) for t in snap["tables"]}
    assert rows["customers"] == (0, 1) and rows["orders"] == (0, 0)
    (entry,) = snap["quarantine"]["recent"]
    assert entry["source"] == "crm-export.csv" and entry["column"] == "registered_at"
    assert entry["raw"]["phone"] == "138****5678" and entry["raw"]["name"] == "张***"
    assert "13812345678" not in room.get("/api/v1/data/status").text
    assert snap["quarantine"]["summary"][0]["rows"] == 1
