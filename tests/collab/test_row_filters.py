"""Row filters end to end through HTTP: a custom role limited to category_l1 in [女装] sees only
womenswear, in /api/v1/query and in a board snapshot; the oracle is hand-written SQL over the same rows."""

from decimal import Decimal

import pytest

from tests.collab.conftest import NOW, bearer
from tests.metrics.data import DAY_END, DAY_START


def _gmv_sql(sale, start, end, womenswear_only: bool) -> Decimal:
    only = "AND p.category_l1 = '女装'" if womenswear_only else ""
    return sale.cursor().execute(f"""
        SELECT coalesce(sum(i.list_price * i.quantity - i.discount_amount), 0)
        FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
        WHERE o.paid_at >= TIMESTAMPTZ '{start.isoformat()}' AND o.paid_at < TIMESTAMPTZ '{end.isoformat()}'
        {only}""").fetchone()[0]  # fmt: skip


def test_query_api_returns_only_womenswear_to_the_category_manager(app, sale):
    body = {"metrics": ["gmv_paid"], "dimensions": ["province"], "time_from": DAY_START.isoformat(),
            "time_to": DAY_END.isoformat()}  # fmt: skip
    got = app.client.post("/api/v1/query", json=body, headers=bearer(app, "cat")).json()["rows"]
    want = dict(sale.cursor().execute(f"""
        SELECT o.province, sum(i.list_price * i.quantity - i.discount_amount)
        FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
        WHERE p.category_l1 = '女装' AND o.paid_at >= TIMESTAMPTZ '{DAY_START.isoformat()}'
          AND o.paid_at < TIMESTAMPTZ '{DAY_END.isoformat()}' GROUP BY 1""").fetchall())  # fmt: skip
    assert {r["province"]: r["gmv_paid"] for r in got} == {k: float(v) for k, v in want.items()}
    # By category: one row, 女装; asking for another category through a filter gives nothing.
    by_cat = app.client.post(
        "/api/v1/query", json=body | {"dimensions": ["category_l1"]}, headers=bearer(app, "cat")
    )
    assert [r["category_l1"] for r in by_cat.json()["rows"]] == ["女装"]
    other = body | {"dimensions": [], "filters": [{"dimension": "category_l1", "op": "=", "value": "数码"}]}
    assert app.client.post("/api/v1/query", json=other, headers=bearer(app, "cat")).json()["rows"] == [
        {"gmv_paid": 0.0}
    ]
    # Someone without the filter sees more (else this test could not tell the two apart).
    total = app.client.post("/api/v1/query", json=body | {"dimensions": []}, headers=bearer(app, "op")).json()
    assert total["rows"][0]["gmv_paid"] == float(_gmv_sql(sale, DAY_START, DAY_END, womenswear_only=False))
    assert total["rows"][0]["gmv_paid"] > float(sum(want.values()))


def test_row_filtered_csv_export_totals_equal_the_rows_it_may_see(app, sale):
    r = app.client.get("/api/v1/export.csv", params={"metrics": "gmv_paid", "time_from": DAY_START.isoformat(),
                       "time_to": DAY_END.isoformat()}, headers=bearer(app, "cat"))  # fmt: skip
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines == ['"gmv_paid"', str(_gmv_sql(sale, DAY_START, DAY_END, womenswear_only=True))]


def test_board_snapshot_shows_the_category_manager_womenswear_only(app, sale):
    r = app.client.get("/api/v1/boards/overview", headers=bearer(app, "cat"))
    if r.status_code == 403:
        pytest.fail(f"the overview board refuses a category manager: {r.json()['error']}")
    snap = r.json()
    assert snap["today"]["gmv_paid"] == float(_gmv_sql(sale, DAY_START, NOW, womenswear_only=True))
    everyone = app.client.get("/api/v1/boards/overview", headers=bearer(app, "op")).json()
    assert everyone["today"]["gmv_paid"] == float(_gmv_sql(sale, DAY_START, NOW, womenswear_only=False))
    assert snap["today"]["gmv_paid"] < everyone["today"]["gmv_paid"]
