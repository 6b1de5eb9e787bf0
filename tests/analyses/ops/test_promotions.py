"""Promotion comparison: sales against hand-written SQL, the uplift method on a hand-computed case."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.analyses.ops.conftest import SHANGHAI, sql
from warroom.analyses.ops.promotions import covers, promotions, uplift

H = datetime(2026, 11, 11, 2, tzinfo=UTC)


def _promo(type_, start, end, **rule):
    return {"promo_id": type_.upper(), "promo_type": type_, "starts_at": start, "ends_at": end, "rule": rule}


def test_covers_by_hand():
    p = _promo("discount", H, H + timedelta(hours=2), category_l1=["美妆"])
    assert covers(p, H, "美妆", "search")
    assert not covers(p, H, "女装", "search")
    assert not covers(p, H + timedelta(hours=1, minutes=30), "美妆", "search")  # not the whole hour
    assert not covers(_promo("flash_sale", H, H + timedelta(hours=2), sku_ids=[1]), H, "美妆", "search")
    assert not covers(
        _promo("cashback", H, H + timedelta(hours=2), channel_group="live"), H, "美妆", "search"
    )


def test_uplift_by_hand():
    # Covered: 100 visits, 20 orders at 02:00 on day 2. Control at 02:00 (day 1): 200 visits, 20 orders -> 10%.
    # Expected 10 orders, uplift 20/10 - 1 = 100%, 10 incremental. A 03:00 covered cell has no control: left out.
    day1, day2 = H - timedelta(days=1), H
    cells = [
        {"time": day1, "category_l1": "美妆", "channel_group": "search", "sessions": 200, "orders": 20},
        {"time": day2, "category_l1": "美妆", "channel_group": "search", "sessions": 100, "orders": 20},
        {
            "time": day2 + timedelta(hours=1),
            "category_l1": "美妆",
            "channel_group": "search",
            "sessions": 50,
            "orders": 50,
        },
    ]
    got = uplift(cells, [_promo("discount", day2, day2 + timedelta(hours=2))], "promo_type", SHANGHAI)[
        "discount"
    ]
    assert got["covered_sessions"] == 100 and got["covered_orders"] == 20
    assert got["comparable_conversion"] == pytest.approx(0.1)
    assert got["uplift"] == pytest.approx(1.0) and got["incremental_orders"] == pytest.approx(10)


def test_promotion_sales_against_sql(ops_wh):
    start, end = datetime(2026, 11, 1, tzinfo=SHANGHAI), datetime(2026, 11, 12, tzinfo=SHANGHAI)
    got = {r["promo_type"]: r for r in promotions(ops_wh, start=start, end=end, tz=SHANGHAI)["rows"]}
    paid = "o.paid_at >= TIMESTAMPTZ '2026-11-01 00:00:00+08' AND o.paid_at < TIMESTAMPTZ '2026-11-12 00:00:00+08'"
    lines = sql(
        ops_wh,
        f"""SELECT p.promo_type, count(DISTINCT i.order_id), sum(i.list_price * i.quantity - i.discount_amount)
            FROM order_items i JOIN orders o USING (order_id) JOIN promotions p USING (promo_id)
            WHERE {paid} GROUP BY 1""",
    )
    discounts = dict(
        sql(
            ops_wh,
            f"""SELECT p.promo_type, sum(d.amount) FROM item_discounts d JOIN orders o USING (order_id)
                JOIN promotions p USING (promo_id) WHERE {paid} GROUP BY 1""",
        )
    )
    assert {t: (r["orders"], r["gmv_paid"]) for t, r in got.items()} == {
        t: (n, float(g)) for t, n, g in lines
    }
    for t, r in got.items():
        assert r["discount_amount"] == float(discounts[t])
        if r["incremental_orders"] and r["incremental_orders"] > 0:
            assert r["cost_per_incremental_order"] == pytest.approx(
                r["discount_amount"] / r["incremental_orders"]
            )
    assert got["threshold"]["uplift"] is not None  # the threshold discount covers whole hours with controls
