"""Alert rules through the JSON API, in-process over a real warehouse and metadata store: the CRUD round
trip, who may change what (401 / 403 / 409 / 422 with their messages), CSRF, the audit trail, and a rule made
through the API firing at the server scheduler's next tick; deleting it clears its alert states."""

import functools
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.helpers import failing_payments
from tests.metrics.data import insert
from warroom.access import create_login_session, create_token, create_user, get_user, hash_password
from warroom.access import users as users_module
from warroom.alerts import builtin_rules
from warroom.config import Settings
from warroom.meta import AuditEntry, open_metadata
from warroom.meta.alert_rules import AlertRuleRow
from warroom.meta.alerts import AlertStateRow, OutboxRow
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.routes.collab import team_channels
from warroom.web.runtime import Runtime

PACK = len(builtin_rules())  # the built-in rules every tick evaluates besides the API's

T0 = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11.11 in Shanghai
NOW = T0 + timedelta(minutes=3, seconds=20)  # the room's clock: minutes 0-2 are complete
USERS = {"tec": "tech", "op": "ops", "boss": "admin", "guest": "viewer"}
CSRF = "rules-csrf"
URL = "/api/v1/alerts/rules"
# One rule of the rule file's shape, as JSON: half the payment attempts of minutes 0-4 fail.
SPIKE = {
    "id": "payment_failures_api",
    "metric": "payment_failure_rate",
    "condition": {"threshold": {"op": ">", "value": 0.25, "resolve": 0.1}},
    "window": "3m",
    "severity": "critical",
    "team": "tech",
    "channels": ["tech_chat"],
    "message": {"zh": "支付失败率 {value:.0%}", "en": "payments failing at {value:.0%}"},
}

_cached_hash = functools.cache(hash_password)


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setattr(users_module, "hash_password", _cached_hash)
    # an hour between the thread's ticks: the tests tick the scheduler themselves (run_once)
    settings = Settings(home=tmp_path, alert_interval_seconds=3600)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    tokens = {}
    with meta() as s:
        for name, role in USERS.items():
            create_user(s, username=name, password=f"{name}-pass-1", role=role, actor="test")
        _, tokens["tec"] = create_token(s, username="tec", name="rules", scopes=["read"], actor="test")
        _, tokens["op"] = create_token(s, username="op", name="rules", scopes=["read"], actor="test")
        _, tokens["pusher"] = create_token(s, username="boss", name="push", scopes=["ingest"], actor="test")
    warehouse = Warehouse(settings.warehouse_path)
    insert(warehouse, "payments", failing_payments(T0))
    runtime = Runtime(settings, warehouse, meta, _now=lambda: NOW)
    with TestClient(create_app(runtime)) as client:

        def as_session(user: str) -> dict[str, str]:
            with meta() as s:
                secret = create_login_session(s, user=get_user(s, username=user))
            client.cookies.clear()
            client.cookies.set("warroom_session", secret)
            client.cookies.set("warroom_csrf", CSRF)
            return {"X-CSRF-Token": CSRF}

        def as_token(user: str) -> dict[str, str]:
            client.cookies.clear()
            return {"Authorization": f"Bearer {tokens[user]}"}

        client.as_session, client.as_token = as_session, as_token
        client.meta, client.runtime = meta, runtime
        yield client
    warehouse.close()


def audit_rows(client):
    with client.meta() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.like("rule_%")).order_by(AuditEntry.id))
        return [(r.actor, r.action, r.target, r.detail) for r in rows]


def test_create_read_replace_delete_round_trip(room):
    headers = room.as_session("tec")
    r = room.post(URL, json=SPIKE, headers=headers)
    assert r.status_code == 201, r.text
    made = r.json()["rule"]
    assert (made["id"], made["source"], made["team"], made["evaluated"]) == (SPIKE["id"], "api", "tech", True)
    assert made["definition"] == SPIKE and made["created_by"] == made["updated_by"] == "tec"

    listed = {rule["id"]: rule for rule in room.get(URL, headers=headers).json()["rules"]}
    assert listed[SPIKE["id"]]["source"] == "api"
    assert listed["payment_failure_spike"]["source"] == "builtin"  # the pack, shown as written in its file
    assert listed["payment_failure_spike"]["definition"]["metric"] == "payment_failure_rate"
    assert listed["payment_failure_spike"]["updated_by"] is None

    changed = {**SPIKE, "condition": {"threshold": {"op": ">", "value": 0.4}}, "severity": "warning"}
    r = room.put(f"{URL}/{SPIKE['id']}", json=changed, headers=room.as_token("tec"))
    assert r.status_code == 200, r.text
    one = room.get(f"{URL}/{SPIKE['id']}", headers=room.as_token("tec")).json()["rule"]
    assert one["definition"] == changed and one["updated_by"] == "tec" and one["created_by"] == "tec"
    assert one["updated_at"] >= one["created_at"]

    r = room.delete(f"{URL}/{SPIKE['id']}", headers=room.as_session("boss"))
    assert r.json() == {"ok": True, "deleted": SPIKE["id"]}
    gone = room.get(f"{URL}/{SPIKE['id']}", headers=headers)
    assert gone.status_code == 404 and "no alert rule 'payment_failures_api'" in gone.json()["error"]
    assert [a[:3] for a in audit_rows(room)] == [
        ("tec", "rule_created", SPIKE["id"]), ("tec", "rule_updated", SPIKE["id"]),
        ("boss", "rule_deleted", SPIKE["id"]),
    ]  # fmt: skip
    assert [a[3] for a in audit_rows(room)] == [SPIKE, changed, changed]  # each with the definition


def test_who_may_change_what(room):
    anon = room.post(URL, json=SPIKE)
    assert anon.status_code == 401 and "log in first" in anon.json()["error"]
    assert room.get(URL).status_code == 401

    guest = room.post(URL, json=SPIKE, headers=room.as_session("guest"))
    assert guest.status_code == 403 and "belongs to no alert team" in guest.json()["error"]
    ops = room.post(URL, json=SPIKE, headers=room.as_token("op"))
    assert ops.status_code == 403 and "this rule's team is 'tech'" in ops.json()["error"]
    pusher = room.post(URL, json=SPIKE, headers=room.as_token("pusher"))
    assert pusher.status_code == 403 and "read" in pusher.json()["error"]  # the token lacks the read scope

    assert room.post(URL, json=SPIKE, headers=room.as_token("tec")).status_code == 201
    again = room.post(URL, json=SPIKE, headers=room.as_session("boss"))
    assert again.status_code == 409 and "already exists: PUT /api/v1/alerts/rules/" in again.json()["error"]
    # ops may neither change the tech team's rule nor take it over for their own team
    mine = {**SPIKE, "team": "ops", "channels": ["ops_chat"]}
    assert room.put(f"{URL}/{SPIKE['id']}", json=mine, headers=room.as_token("op")).status_code == 403
    assert room.delete(f"{URL}/{SPIKE['id']}", headers=room.as_token("op")).status_code == 403
    # nor may tech hand its rule to ops
    handed = room.put(f"{URL}/{SPIKE['id']}", json=mine, headers=room.as_token("tec"))
    assert handed.status_code == 403 and "this rule's team is 'ops'" in handed.json()["error"]
    # an ops user makes an ops rule
    own = {**mine, "id": "ops_payment_watch"}
    assert room.post(URL, json=own, headers=room.as_session("op")).status_code == 201


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_builtin_rules_are_changed_in_their_file(room, method):
    builtin = {**SPIKE, "id": "payment_failure_spike"}
    url = URL if method == "post" else f"{URL}/payment_failure_spike"
    kw = {} if method == "delete" else {"json": builtin}
    r = getattr(room, method)(url, headers=room.as_token("tec"), **kw)
    assert r.status_code == 409
    assert "built-in rule of warroom/alerts/rulepack.yaml" in r.json()["error"]
    assert "edit that file" in r.json()["error"]


def test_a_bad_rule_is_422_naming_each_field(room):
    bad = {**SPIKE, "metric": "gmv_typo", "condition": {"threshold": {"op": "!", "value": 1}}, "every": "7m"}
    del bad["severity"]
    r = room.post(URL, json=bad, headers=room.as_token("tec"))
    assert r.status_code == 422
    body = r.json()
    assert {e["field"] for e in body["errors"]} == {"metric", "condition.threshold.op", "severity", "every"}
    assert {"field": "metric", "error": "'gmv_typo' is not a catalog metric"} in body["errors"]
    assert {"field": "severity", "error": "required field is missing"} in body["errors"]
    assert body["error"].startswith("4 problem(s) in the rule: ")
    assert (
        room.post(URL, json=[SPIKE], headers=room.as_token("tec")).status_code == 422
    )  # one rule, not a list
    r = room.post(URL, content=b"{not json", headers=room.as_token("tec"))
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    assert room.post(URL, json=SPIKE, headers=room.as_token("tec")).status_code == 201
    renamed = room.put(f"{URL}/{SPIKE['id']}", json={**SPIKE, "id": "other"}, headers=room.as_token("tec"))
    assert renamed.status_code == 422 and renamed.json()["errors"][0]["field"] == "id"
    assert (
        room.put(f"{URL}/nope", json={**SPIKE, "id": "nope"}, headers=room.as_token("tec")).status_code == 404
    )
    assert len(audit_rows(room)) == 1  # refusals change nothing and are not recorded as changes


def test_a_session_needs_the_csrf_header(room):
    room.as_session("tec")
    r = room.post(URL, json=SPIKE)  # the cookies, but not the page's token
    assert r.status_code == 403 and "security token" in r.json()["error"]
    r = room.post(URL, json=SPIKE, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    with room.meta() as s:
        assert s.scalars(select(AlertRuleRow)).all() == []
    assert room.post(URL, json=SPIKE, headers=room.as_session("tec")).status_code == 201
    room.as_session("tec")
    assert room.delete(f"{URL}/{SPIKE['id']}").status_code == 403


def states(room):
    with room.meta() as s:
        return {(r.rule_id, r.status) for r in s.scalars(select(AlertStateRow))}


def test_an_api_rule_fires_at_the_next_tick_and_deleting_it_clears_its_states(room):
    scheduler = room.runtime.alerts
    ticked, _ = scheduler.run_once()
    assert (SPIKE["id"], "firing") not in states(room) and ticked.rules == PACK  # the built-in pack alone

    assert room.post(URL, json=SPIKE, headers=room.as_token("tec")).status_code == 201
    ticked, _ = scheduler.run_once()
    assert ticked.errors == [] and ticked.rules == PACK + 1
    assert (SPIKE["id"], "firing") in states(room)  # minutes 0-2: half the attempts failed
    with room.meta() as s:
        (row,) = s.scalars(select(OutboxRow).where(OutboxRow.rule_id == SPIKE["id"]))
        assert (row.channel, row.kind, row.payload["summary_en"]) == (
            "tech_chat",
            "firing",
            "payments failing at 50%",
        )

    assert room.delete(f"{URL}/{SPIKE['id']}", headers=room.as_token("tec")).status_code == 200
    assert {rule for rule, _ in states(room)} & {SPIKE["id"]} == set()  # at once, before any tick
    assert SPIKE["id"] not in {r.id for r in scheduler.rules}
    # a tick that had read the rule before the delete writes its states back: the next one clears them
    with room.meta() as s:
        s.add(AlertStateRow(rule_id=SPIKE["id"], labels_key="", labels={}, team="tech", severity="critical",
                            status="firing", active_since=T0, updated_at=NOW))  # fmt: skip
        s.commit()
    ticked, _ = scheduler.run_once()
    assert ticked.rules == PACK and SPIKE["id"] not in {rule for rule, _ in states(room)}


def test_a_stored_rule_that_no_longer_parses_is_reported_and_skipped(room):
    retired = {**SPIKE, "id": "retired_metric_rule", "metric": "gmv_of_last_year"}  # no longer in the catalog
    with room.meta() as s:
        s.add(AlertRuleRow(id=retired["id"], team="tech", definition=retired, created_by="tec", created_at=T0,
                           updated_by="tec", updated_at=T0))  # fmt: skip
        s.commit()
    assert room.post(URL, json=SPIKE, headers=room.as_token("tec")).status_code == 201
    ticked, _ = room.runtime.alerts.run_once()
    assert ticked.errors == ["retired_metric_rule: metric: 'gmv_of_last_year' is not a catalog metric"]
    assert ticked.rules == PACK + 1 and (SPIKE["id"], "firing") in states(room)  # the others still ran
    shown = room.get(f"{URL}/retired_metric_rule", headers=room.as_token("tec")).json()["rule"]
    assert shown["evaluated"] is False and "gmv_of_last_year" in shown["error"]


def test_comment_mentions_see_the_channels_of_api_rules(room):
    assert "ops_war_room" not in team_channels(room.runtime).get("ops", ())
    rule = {**SPIKE, "id": "ops_watch", "team": "ops", "channels": ["ops_war_room"]}
    assert room.post(URL, json=rule, headers=room.as_token("op")).status_code == 201
    assert "ops_war_room" in team_channels(room.runtime)["ops"]  # without waiting for a tick
