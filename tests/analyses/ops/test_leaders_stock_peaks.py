"""Leaderboards, stock left and hourly peaks against hand-written SQL; the simulated stock-out is found."""

import json
from datetime import datetime

import pytest

from tests.analyses.ops.conftest import SHANGHAI, sql
from warroom.analyses.ops.leaderboards import leaderboard, sell_through
from warroom.analyses.ops.peaks import peak_hour, peaks
from warroom.analyses.ops.stock import hours_left, stock_levels, stockouts

DAY, NOON = datetime(2026, 11, 11, tzinfo=SHANGHAI), datetime(2026, 11, 11, 12, tzinfo=SHANGHAI)


def test_small_formulas_by_hand():
    assert hours_left(10, 6, 3) == 5.0  # 2 units an hour
    assert hours_left(0, 6, 3) == 0.0 and hours_left(5, 0, 3) is None
    assert sell_through(3, 9) == 0.25 and sell_through(0, 0) is None
    assert peak_hour([1, 5, 5, 2]) == 1


def test_category_leaderboard_against_sql(ops_wh):
    got = leaderboard(ops_wh, by="category_l1", start=DAY, end=NOON, tz=SHANGHAI)["rows"]
    paid = "o.paid_at >= TIMESTAMPTZ '{d} 00:00:00+08' AND o.paid_at < TIMESTAMPTZ '{d} 12:00:00+08'"
    q = """SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount) FROM order_items i
           JOIN orders o USING (order_id) JOIN products p USING (sku_id) WHERE {w} GROUP BY 1"""
    today = dict(sql(ops_wh, q.format(w=paid.format(d="2026-11-11"))))
    before = dict(sql(ops_wh, q.format(w=paid.format(d="2026-11-10"))))
    assert {r["category_l1"]: r["gmv_paid"] for r in got} == {c: float(v) for c, v in today.items()}
    for r in got:
        if before.get(r["category_l1"]):
            assert r["gmv_growth"] == pytest.approx(
                float(today[r["category_l1"]] / before[r["category_l1"]] - 1)
            )


def test_stock_levels_against_sql(ops_wh):
    got = {r["sku_id"]: r for r in stock_levels(ops_wh, now=NOON, hours=3)}
    on_hand = sql(
        ops_wh,
        """SELECT sku_id, arg_max(on_hand, ts) FROM inventory WHERE ts < TIMESTAMPTZ '2026-11-11 12:00:00+08'
           GROUP BY 1""",
    )
    sold = dict(
        sql(
            ops_wh,
            """SELECT i.sku_id, sum(i.quantity) FROM order_items i JOIN orders o USING (order_id)
               WHERE o.paid_at >= TIMESTAMPTZ '2026-11-11 09:00:00+08' AND o.paid_at < TIMESTAMPTZ '2026-11-11 12:00:00+08'
               GROUP BY 1""",
        )
    )
    assert {s: r["on_hand"] for s, r in got.items()} == dict(on_hand)
    assert {s: r["units"] for s, r in got.items() if r["units"]} == {s: float(n) for s, n in sold.items()}


def test_the_simulated_stockout_is_on_the_list(ops_wh, small_sim):
    incident = next(
        i for i in json.loads((small_sim / "incidents.json").read_text()) if i["kind"] == "stockout"
    )
    sku = incident["touches"]["filters"]["sku_id"]
    end_of_day = datetime(2026, 11, 11, 23, 59, tzinfo=SHANGHAI)
    listed = stockouts(stock_levels(ops_wh, now=end_of_day))
    assert sku in {r["sku_id"] for r in listed}
    assert next(r for r in listed if r["sku_id"] == sku)["on_hand"] == 0


def test_heatmap_against_sql_and_apparel_peaks_differ(ops_wh):
    start, end = datetime(2026, 10, 20, tzinfo=SHANGHAI), datetime(2026, 11, 12, tzinfo=SHANGHAI)
    got = {r["category_l1"]: r for r in peaks(ops_wh, start=start, end=end, tz=SHANGHAI)["rows"]}
    want = sql(
        ops_wh,
        """SELECT p.category_l1, hour(e.ts + INTERVAL 8 HOUR), count(*) FROM events e JOIN products p USING (sku_id)
           WHERE e.event_type = 'view' GROUP BY 1, 2""",
    )
    for category, hour, n in want:
        assert got[category]["values"][hour] == n
    women, men = got["女装"]["peak_hour"], got["男装"]["peak_hour"]
    assert women != men
    assert 9 <= women <= 11 and men >= 20  # the simulator's womenswear morning peak and menswear night peak
