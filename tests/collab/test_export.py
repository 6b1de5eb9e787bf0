"""CSV exports through the metric layer: the numbers of an independent hand-written query, the caller's
policy (a margin export by ops is a 403), PII masked unless the role unmasks it, and every export audited."""

import csv
import io
from decimal import Decimal

from tests.collab.conftest import bearer
from tests.metrics.data import DAY_END, DAY_START
from warroom.access import recent_audit

DAY = {"time_from": DAY_START.isoformat(), "time_to": DAY_END.isoformat()}


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads the BOM as "this is UTF-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_metric_export_has_the_hand_computed_numbers_and_is_audited(app, sale):
    r = app.client.get("/api/v1/export.csv", params={"metrics": "gmv_paid", "dimensions": "category_l1",
                       "order_by": "category_l1", **DAY}, headers=bearer(app, "op"))  # fmt: skip
    got = {row["category_l1"]: Decimal(row["gmv_paid"]) for row in _rows(r)}
    want = dict(sale.cursor().execute(f"""
        SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount)
        FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
        WHERE o.paid_at >= TIMESTAMPTZ '{DAY_START.isoformat()}' AND o.paid_at < TIMESTAMPTZ '{DAY_END.isoformat()}'
        GROUP BY 1""").fetchall())  # fmt: skip
    assert got == want and len(got) == 3
    assert 'filename="warroom-metrics-20261111-230000.csv"' in r.headers["content-disposition"]
    with app.meta() as s:
        [entry] = recent_audit(s, action="exported")  # type: ignore[arg-type]
    assert (entry.actor, entry.target, entry.detail["rows"]) == ("op", "export:metrics", 3)
    assert entry.detail["metrics"] == ["gmv_paid"] and entry.detail["dimensions"] == ["category_l1"]


def test_hourly_export_writes_times_in_shanghai_with_their_offset(app):
    params = {"metrics": "gmv_paid", "grain": "hour", "order_by": "time", "limit": "2",
              "filter": "category_l1:in:女装,数码", **DAY}  # fmt: skip
    rows = _rows(app.client.get("/api/v1/export.csv", params=params, headers=bearer(app, "op")))
    assert [row["time"][:10] + row["time"][-5:] for row in rows] == ["2026-11-11+0800", "2026-11-11+0800"]
    assert rows[0]["time"].startswith("2026-11-11 00:00:00")


def test_an_export_of_margins_by_ops_is_forbidden_and_the_refusal_audited(app):
    params = {"metrics": "gmv_paid,gross_margin", **DAY}
    refused = app.client.get("/api/v1/export.csv", params=params, headers=bearer(app, "op"))
    assert refused.status_code == 403
    assert "'op' may not see metric 'gross_margin'" in refused.json()["error"]
    # Through a sort or a comparison it is the same metric and the same answer.
    sorted_ = app.client.get("/api/v1/export.csv", params={**params, "metrics": "gross_margin", "order_by": "-gross_margin"},
                             headers=bearer(app, "op"))  # fmt: skip
    assert sorted_.status_code == 403
    assert len(_rows(app.client.get("/api/v1/export.csv", params=params, headers=bearer(app, "fin")))) == 1
    with app.meta() as s:
        refusals = recent_audit(s, action="export_refused")  # type: ignore[arg-type]
        exports = recent_audit(s, action="exported")  # type: ignore[arg-type]
    assert [e.actor for e in refusals] == ["op", "op"] and "gross_margin" in refusals[0].detail["reason"]
    assert [e.actor for e in exports] == ["fin"]


def test_phone_numbers_are_masked_in_a_dataset_export_unless_the_role_unmasks_them(app, sale):
    params = {"table": "customers", "columns": "customer_id,phone,name", "filter": "customer_id:<=:3"}
    want = sale.cursor().execute(
        "SELECT customer_id, phone, name FROM customers WHERE customer_id <= 3 ORDER BY 1").fetchall()  # fmt: skip
    masked = sorted(_rows(app.client.get("/api/v1/dataset.csv", params=params, headers=bearer(app, "op"))),
                    key=lambda r: int(r["customer_id"]))  # fmt: skip
    assert [(int(r["customer_id"]), r["phone"], r["name"]) for r in masked] == [
        (cid, phone[:3] + "****" + phone[-4:], name[0] + "***") for cid, phone, name in want
    ]
    assert not any(phone in r["phone"] for r in masked for _, phone, _ in want)
    for unmasked_user in ("crm", "boss"):
        rows = _rows(app.client.get("/api/v1/dataset.csv", params=params, headers=bearer(app, unmasked_user)))
        assert sorted((int(r["customer_id"]), r["phone"], r["name"]) for r in rows) == want
    with app.meta() as s:
        entries = recent_audit(s, action="exported")  # type: ignore[arg-type]
    assert [(e.actor, e.target, e.detail["rows"]) for e in entries] == [
        ("boss", "export:dataset:customers", 3), ("crm", "export:dataset:customers", 3),
        ("op", "export:dataset:customers", 3),
    ]  # fmt: skip


def test_a_dataset_export_cannot_read_unit_costs_without_finance(app):
    r = app.client.get("/api/v1/dataset.csv", params={"table": "order_items", "columns": "order_id,unit_cost"},
                       headers=bearer(app, "op"))  # fmt: skip
    assert r.status_code == 403 and "order_items.unit_cost" in r.json()["error"]


def test_bad_export_parameters_say_what_to_fix(app):
    h = bearer(app, "op")
    cases = [
        (
            "/api/v1/export.csv",
            {"metrics": "gmv_paid", "colour": "red"},
            "unknown export parameter(s) ['colour']",
        ),
        (
            "/api/v1/export.csv",
            {"metrics": "gmv_paid", "filter": "category_l1=女装"},
            "write dimension:op:value",
        ),
        (
            "/api/v1/export.csv",
            {"metrics": "gmv_paid", "filter": "category_l1:like:女"},
            "filter 'category_l1:like:女'",
        ),
        ("/api/v1/export.csv", {"metrics": "gmv_paid'; DROP TABLE orders; --"}, "unknown metric(s)"),
        ("/api/v1/export.csv", {}, "metrics: List should have at least 1 item"),
        (
            "/api/v1/dataset.csv",
            {"table": "../../etc/passwd", "columns": "x"},
            "unknown table '../../etc/passwd'",
        ),
        (
            "/api/v1/dataset.csv",
            {"table": "orders", "columns": "order_id", "limit": "-1"},
            "limit '-1' must be",
        ),
    ]
    for path, params, message in cases:
        r = app.client.get(path, params=params, headers=h)
        assert r.status_code == 400, (params, r.text)
        assert message in r.json()["error"], (params, r.json())
    assert app.client.get("/api/v1/export.csv", params={"metrics": "gmv_paid"}).status_code == 401
