"""landed_prices (到手价) worked out by hand, loaded through the ingest path that rebuilds it, read through the
metric layer; and the simulator as an independent oracle: no single-unit order paid less than it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from warroom.ingest import ingest_batch
from warroom.metrics import MetricQuery, run_query
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 11, hour, minute, tzinfo=SHANGHAI)


def _promo(pid, kind, funder, start, end, rule):
    return {"promo_id": pid, "name": pid, "promo_type": kind, "funded_by": funder, "starts_at": start,
            "ends_at": end, "rule": rule}  # fmt: skip


PRODUCTS = [  # (sku, category, list price, unit cost)
    (1, "女装", 100, 40),
    (2, "数码", 300, 250),
    (3, "美妆", 200, 90),
]
PROMOTIONS = [
    _promo("DSC", "discount", "merchant", local(0), local(2), '{"percent_off": 20, "category_l1": ["女装"]}'),
    _promo("THR", "threshold", "platform", local(0), local(3), '{"every": 300, "off": 50}'),
    _promo("GRP", "group_buy", "merchant", local(0), local(3),
           '{"percent_off": 10, "category_l1": ["美妆"], "channel_group": "social"}'),
    _promo("CBK", "cashback", "platform", local(0), local(3), '{"percent": 5, "cap": 30, "channel_group": "live_stream"}'),
    # the mistake: a 单品券 of 120 on a 200-yuan SKU costing 90, for half an hour
    _promo("CPN", "coupon", "merchant", local(1, 30), local(2), '{"min_spend": 0, "off": 120, "sku_ids": [3]}'),
    _promo("OLD", "coupon", "platform", local(2), local(3), "{}"),  # no parameters: listed, not priced
]  # fmt: skip


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    warehouse = Warehouse(tmp_path_factory.mktemp("landed") / "w.duckdb")
    products = [
        {"sku_id": s, "spu_id": s, "sku_name": f"sku{s}", "category_l1": c, "category_l2": "x", "brand": "b",
         "list_price": Decimal(p), "unit_cost": Decimal(u)}
        for s, c, p, u in PRODUCTS
    ]  # fmt: skip
    ingest_batch(warehouse, "promotions", pa.Table.from_pylist(PROMOTIONS), "test")
    ingest_batch(warehouse, "products", pa.Table.from_pylist(products), "test")
    yield warehouse
    warehouse.close()


def rows(wh: Warehouse) -> dict:
    got = (
        wh.cursor()
        .execute(
            "SELECT sku_id, ts, landed_price, merchant_price, promo_ids, unpriced_promo_ids FROM landed_prices"
        )
        .fetchall()
    )
    return {(s, t.astimezone(SHANGHAI).strftime("%H:%M")): tuple(rest) for s, t, *rest in got}


def test_rows_by_hand(wh):
    # Boundaries 00:00, 01:30, 02:00, 03:00: a row at each, and at each whole hour inside (01:00).
    # SKU 1 (女装 100): DSC 80; the live-stream buyer's cashback 5% -> 76; merchant's own: 80. After 02:00: 95 / 100.
    # SKU 2 (数码 300): THR 300 -> 250, cashback 12.50 -> 237.50, below its cost 250 at the platform's
    #   expense; the merchant funds nothing on it: 300.
    # SKU 3 (美妆 200): the social group buy 180 (no cashback there); 01:30-02:00 the coupon takes 120 of it: 60,
    #   a live-stream buyer 200 - 120 - 4 = 76, anyone else 80; the merchant funds both: 60.
    want = {
        (1, "00:00"): (76, 80), (1, "01:00"): (76, 80), (1, "01:30"): (76, 80), (1, "02:00"): (95, 100),
        (2, "00:00"): (237.5, 300), (2, "01:00"): (237.5, 300), (2, "01:30"): (237.5, 300), (2, "02:00"): (237.5, 300),
        (3, "00:00"): (180, 180), (3, "01:00"): (180, 180), (3, "01:30"): (60, 60), (3, "02:00"): (180, 180),
    }  # fmt: skip
    got = rows(wh)
    assert {k: (float(v[0]), float(v[1])) for k, v in got.items()} == want
    assert got[(3, "01:30")][2:] == ("CBK,CPN,GRP,THR", None)
    assert got[(1, "00:00")][2:] == ("CBK,DSC,THR", None)
    assert got[(2, "02:00")][2:] == ("CBK,OLD,THR", "OLD")


def test_metrics_by_hand(wh):
    q = MetricQuery(
        metrics=["merchant_promo_margin", "landed_margin"], dimensions=["sku"], grain="hour",
        time_from=local(0), time_to=local(3),
    )  # fmt: skip
    got = {
        (r["sku"], r["time"].astimezone(SHANGHAI).hour): (r["merchant_promo_margin"], r["landed_margin"])
        for r in run_query(wh, q, tz=SHANGHAI).rows.to_pylist()
    }
    # the 01:00 bucket holds the 01:00 and 01:30 rows: its lowest is the coupon's 60 - 90
    assert got[(3, 1)] == (Decimal("-30.00"), Decimal("-30.00"))
    assert got[(3, 0)] == got[(3, 2)] == (Decimal("90.00"), Decimal("90.00"))
    assert got[(2, 0)] == (Decimal("50.00"), Decimal("-12.50"))
    assert got[(1, 2)] == (Decimal("60.00"), Decimal("55.00"))
    below = MetricQuery(metrics=["skus_priced_below_cost"], time_from=local(0), time_to=local(3))
    assert run_query(wh, below, tz=SHANGHAI).rows.to_pylist()[0]["skus_priced_below_cost"] == 1


def test_a_promotion_change_rebuilds_it(wh, tmp_path):
    other = Warehouse(tmp_path / "w.duckdb")
    ingest_batch(other, "promotions", pa.Table.from_pylist(PROMOTIONS), "test")
    assert other.cursor().execute("SELECT count(*) FROM landed_prices").fetchone() == (0,)  # no products yet
    ingest_batch(other, "products", pa.Table.from_pylist([
        {"sku_id": 3, "spu_id": 3, "sku_name": "s", "category_l1": "美妆", "category_l2": "x", "brand": "b",
         "list_price": Decimal(200), "unit_cost": Decimal(90)},
    ]), "test")  # fmt: skip
    fixed = dict(PROMOTIONS[4], rule='{"min_spend": 0, "off": 12, "sku_ids": [3]}')  # the coupon corrected
    ingest_batch(other, "promotions", pa.Table.from_pylist([fixed]), "test")
    (lowest,) = other.cursor().execute("SELECT min(merchant_price) FROM landed_prices").fetchone()
    assert lowest == Decimal("168.00")  # 200 - 10% - 12
    other.close()


def test_no_single_unit_order_in_the_simulation_paid_less(small_sim, tmp_path):
    """An order of one unit of one SKU pays at least the landed price of that moment (the simulator's own
    pricing, warroom/simulate/pricing.py, is the oracle); and some paid exactly it: it is a real price."""
    with Warehouse(tmp_path / "sim.duckdb") as sim:
        Replayer(small_sim, sim).load_history(datetime(2026, 11, 12, tzinfo=SHANGHAI))
        paid, floor = zip(*sim.cursor().execute("""
            WITH single AS (
              SELECT i.sku_id, o.ts, i.list_price * i.quantity - i.discount_amount AS paid
              FROM order_items i JOIN orders o USING (order_id)
              WHERE i.quantity = 1 AND order_id IN (SELECT order_id FROM order_items GROUP BY 1 HAVING count(*) = 1))
            SELECT s.paid, l.landed_price FROM single s
            ASOF JOIN landed_prices l ON l.sku_id = s.sku_id AND s.ts >= l.ts
            -- every promotion of the simulation ends on a whole hour, and a covered SKU has a row each hour
            WHERE l.ts >= date_trunc('hour', s.ts)""").fetchall(), strict=True)  # fmt: skip
    assert len(paid) > 100
    assert all(p >= f for p, f in zip(paid, floor, strict=True))
    assert sum(p == f for p, f in zip(paid, floor, strict=True)) > len(paid) / 20
