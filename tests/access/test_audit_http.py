"""What the audit log records when things happen over HTTP, as the admins' audit page shows them: token use
(at most once a minute per token), CSV exports (metric, dataset and panel exports, and refused ones),
changes to how alert rules notify (silences and acks: the API's rule changes; the rules themselves are the
rule pack's YAML, with no API to edit them), dashboards and @mentions."""

from sqlalchemy import select

from tests.access.room import CSRF
from tests.metrics.data import DAY_END, DAY_START
from warroom.meta import ApiToken, AuditEntry

DAY = {"time_from": DAY_START.isoformat(), "time_to": DAY_END.isoformat()}


def _entries(room, action: str) -> list[AuditEntry]:
    with room.meta() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_token_use_over_http_is_audited_once_a_minute_with_its_address(room):
    before = len(_entries(room, "token_used"))
    for _ in range(3):
        assert room.request("cat_read", "GET", "/api/v1/metrics").status_code == 200
    with room.meta() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.name == "cat script")).one()
    used = [e for e in _entries(room, "token_used")[before:] if e.target == f"token:{token.id}"]
    assert [(e.actor, e.detail, e.ip) for e in used] == [("cat", {"scope": "read"}, "testclient")]


def test_csv_exports_and_refusals_are_audited_with_what_was_asked(room):
    room.request("ops", "GET", "/api/v1/export.csv", params={"metrics": "gmv_paid", **DAY})
    room.request("ops", "GET", "/api/v1/boards/ops/panels/leaders_category.csv", params={"range": "24h"})
    room.request("ops", "GET", "/api/v1/dataset.csv", params={"table": "customers", "columns": "customer_id"})
    room.request("ops", "GET", "/api/v1/export.csv", params={"metrics": "gross_profit", **DAY})
    exported = [(e.actor, e.target) for e in _entries(room, "exported") if e.actor == "op"]
    assert ("op", "export:panel:ops.leaders_category") in exported and len(exported) >= 3
    refused = [e for e in _entries(room, "export_refused") if e.actor == "op"]
    assert refused and "gross_profit" in str(refused[-1].detail)
    page = room.request("admin", "GET", "/admin/audit", params={"action": "exported"}).text
    assert "export:panel:ops.leaders_category" in page


def test_silences_and_acks_through_the_api_are_audited(room):
    r = room.request("tech", "POST", "/alerts/silences", data={"rule_id": "p99_latency", "csrf": CSRF})
    assert r.status_code == 303, r.text[:300]
    r = room.request("tech", "POST", "/alerts/ack",
                     data={"rule_id": "p99_latency", "labels_key": "service=payment", "csrf": CSRF})  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    assert [e.actor for e in _entries(room, "silence_created")][-1:] == ["tec"]
    assert [e.actor for e in _entries(room, "alert_acked")][-1:] == ["tec"]
