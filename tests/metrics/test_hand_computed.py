"""Small sales whose figures are worked out by hand (in the comments), for the definitions that are easy
to get subtly wrong: AOV, conversions, ROI, margins, p99, Apdex, new vs returning, cumulative GMV and the
comparisons."""

from datetime import datetime
from decimal import Decimal

import pytest

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import insert
from warroom.metrics import Filter, MetricQuery, run_query
from warroom.warehouse import Warehouse


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


D11, D12 = local(11, 0), local(12, 0)


def _order(oid, ts, customer, channel, new, paid_at, lines, method=None):
    list_amount = sum(Decimal(q) * Decimal(p) for _, q, p, _, _ in lines)
    discount = sum(Decimal(d) for *_, d, _ in lines)
    return {
        "order_id": oid, "ts": ts, "customer_id": customer, "channel_id": channel, "province": "浙江",
        "device": "ios", "status": "paid" if paid_at else "created", "is_new_buyer": new,
        "list_amount": list_amount, "discount_amount": discount, "paid_amount": list_amount - discount,
        "shipping_fee": Decimal(0), "paid_at": paid_at, "updated_at": paid_at or ts, "payment_method": method,
    }  # fmt: skip


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("small") / "w.duckdb")
    insert(wh, "channels", [
        {"channel_id": "search", "name": "Search", "channel_group": "search"},
        {"channel_id": "feed", "name": "Feed", "channel_group": "feed"},
    ])  # fmt: skip
    insert(wh, "products", [
        {"sku_id": 1, "spu_id": 1, "sku_name": "A", "category_l1": "女装", "category_l2": "裙装", "brand": "a",
         "list_price": Decimal(100), "unit_cost": Decimal(40)},
        {"sku_id": 2, "spu_id": 2, "sku_name": "B", "category_l1": "数码", "category_l2": "手机", "brand": "b",
         "list_price": Decimal(300), "unit_cost": Decimal(200)},
    ])  # fmt: skip
    insert(wh, "promotions", [
        {"promo_id": "P1", "name": "满减", "promo_type": "threshold", "funded_by": "merchant", "starts_at": D11, "ends_at": D12, "rule": "{}"},
        {"promo_id": "P2", "name": "券", "promo_type": "coupon", "funded_by": "platform", "starts_at": D11, "ends_at": D12, "rule": "{}"},
    ])  # fmt: skip
    # (sku, qty, list price, line discount, unit cost)
    o1 = [(1, 2, "100", "20", "40")]
    o2 = [(2, 1, "300", "0", "200")]
    insert(wh, "orders", [
        _order(1, local(11, 0, 5), 1, "search", True, local(11, 0, 10), o1, "huabei"),
        _order(2, local(11, 1, 20), 2, "feed", False, local(11, 1, 30), o2, "alipay"),
        _order(3, local(11, 2, 0), 1, "search", False, None, [(1, 1, "100", "0", "40")]),
        _order(4, local(10, 0, 15), 3, "search", True, local(10, 0, 20), [(1, 1, "50", "0", "40")]),
    ])  # fmt: skip
    items = []
    for oid, lines in ((1, o1), (2, o2), (3, [(1, 1, "100", "0", "40")]), (4, [(1, 1, "50", "0", "40")])):
        for n, (sku, q, p, d, c) in enumerate(lines, 1):
            items.append({"order_id": oid, "line_no": n, "sku_id": sku, "quantity": q, "list_price": Decimal(p),
                          "unit_price": Decimal(p) - Decimal(d) / q, "promo_id": "P1" if d != "0" else None,
                          "discount_amount": Decimal(d), "unit_cost": Decimal(c)})  # fmt: skip
    insert(wh, "order_items", items)
    insert(wh, "item_discounts", [
        {"order_id": 1, "line_no": 1, "promo_id": "P1", "amount": Decimal(15)},
        {"order_id": 1, "line_no": 1, "promo_id": "P2", "amount": Decimal(5)},
    ])  # fmt: skip
    insert(wh, "refunds", [{"refund_id": 1, "order_id": 2, "sku_id": 2, "ts": local(11, 3), "amount": Decimal(30),
                            "reason": "quality", "kind": "partial"}])  # fmt: skip
    insert(wh, "marketing_spend", [
        {"hour": local(11, 0), "channel_id": "search", "spend": Decimal(60)},
        {"hour": local(11, 1), "channel_id": "feed", "spend": Decimal(150)},
    ])  # fmt: skip
    events = [(1, "view"), (2, "view"), (3, "view"), (4, "view"), (1, "cart"), (2, "cart"), (1, "order"),
              (1, "pay"), (5, "favorite"), (1, "view")]  # fmt: skip
    insert(wh, "events", [
        {"event_id": i, "ts": local(11, 0, i), "session_id": c, "customer_id": c, "channel_id": "search",
         "event_type": t, "sku_id": 1, "device": "ios"}
        for i, (c, t) in enumerate(events, 1)
    ])  # fmt: skip
    requests = [
        {"ts": local(11, 0), "service": "cart", "endpoint": "/c", "method": "GET", "status_code": 200,
         "latency_ms": 10.0 * k, "host": "h1", "sample_rate": 1.0}
        for k in range(1, 101)
    ]  # fmt: skip
    requests.append({"ts": local(11, 0), "service": "pay", "endpoint": "/p", "method": "POST", "status_code": 503,
                     "latency_ms": 10.0, "host": "h1", "sample_rate": 0.5})  # fmt: skip
    insert(wh, "api_requests", requests)
    insert(wh, "payments", [
        {"payment_id": i, "order_id": 1, "ts": local(11, 0, i), "method": "alipay", "status": s, "failure_code": f,
         "amount": Decimal(180)}
        for i, (s, f) in enumerate([("success", None), ("success", None), ("failed", "TIMEOUT"), ("failed", "INSUFFICIENT")], 1)
    ])  # fmt: skip
    yield wh
    wh.close()


def one(wh, metrics, **kw) -> dict:
    rows = run_query(
        wh,
        MetricQuery(metrics=metrics, time_from=kw.pop("start", D11), time_to=kw.pop("end", D12), **kw),
        tz=SHANGHAI,
    ).rows
    return rows.to_pylist()[0] if not kw.get("dimensions") and not kw.get("grain") else rows.to_pylist()


def test_sales_and_aov(small):
    # Paid on the 11th: order 1 (2 x 100 - 20 = 180) and order 2 (300); order 3 unpaid, order 4 paid the 10th.
    got = one(
        small,
        [
            "gmv",
            "gmv_paid",
            "orders",
            "orders_placed",
            "aov",
            "units",
            "buyers",
            "new_buyers",
            "returning_buyers",
        ],
    )
    assert got["gmv"] == Decimal("600.00")  # list value of orders placed on the 11th: 200 + 300 + 100
    assert got["gmv_paid"] == Decimal("480.00")
    assert got["orders"] == 2 and got["orders_placed"] == 3 and got["units"] == 3
    assert got["aov"] == 240.0  # 480 / 2 paid orders
    assert (got["buyers"], got["new_buyers"], got["returning_buyers"]) == (2, 1, 1)


def test_funnel_conversions(small):
    # viewers {1,2,3,4}, carting {1,2}, ordering {1}, paying {1}; visitors {1..5} (5 only favourited)
    got = one(small, ["uv", "pv", "conv_view_cart", "conv_cart_order", "conv_order_pay", "conv_overall"])
    assert (got["uv"], got["pv"]) == (5, 5)
    assert got["conv_view_cart"] == 0.5 and got["conv_cart_order"] == 0.5
    assert got["conv_order_pay"] == 1.0 and got["conv_overall"] == pytest.approx(0.2)


def test_roi_by_channel(small):
    rows = one(small, ["gmv_paid", "spend", "roi"], dimensions=["channel"])
    by = {r["channel"]: r for r in rows}
    assert by["search"]["roi"] == pytest.approx(3.0)  # 180 / 60
    assert by["feed"]["roi"] == pytest.approx(2.0)  # 300 / 150
    assert one(small, ["roi"])["roi"] == pytest.approx(480 / 210)


def test_profit_waterfall_and_margins(small):
    got = one(small, ["net_revenue", "cogs", "gross_profit", "gross_margin", "logistics_cost", "payment_fees",
                      "commission", "contribution_profit", "contribution_margin", "net_profit", "discount_merchant",
                      "discount_platform", "promo_cost_ratio"])  # fmt: skip
    assert got["net_revenue"] == Decimal("450")  # 480 - 30 refunded
    assert got["cogs"] == Decimal("280")  # 2 x 40 + 200
    assert got["gross_profit"] == Decimal("170")
    assert got["gross_margin"] == pytest.approx(170 / 450)
    assert got["logistics_cost"] == Decimal("17")  # 2 orders x 8.50
    assert got["payment_fees"] == Decimal("3.24")  # 180 by Huabei x 0.8% + 300 by Alipay x 0.6%
    assert got["commission"] == Decimal("15")  # 180 of womenswear x 5% + 300 of digital x 2%
    assert got["contribution_profit"] == Decimal("134.76")  # 450 - 280 - 17 - 3.24 - 15
    assert got["contribution_margin"] == pytest.approx(134.76 / 450)
    assert got["net_profit"] == Decimal("-75.24")  # 134.76 - 210 spend
    assert (got["discount_merchant"], got["discount_platform"]) == (Decimal(15), Decimal(5))
    assert got["promo_cost_ratio"] == pytest.approx(20 / 500)  # discounts / list value of paid lines


def test_latency_percentiles_and_apdex(small):
    # cart: 100 requests at 10, 20, ..., 1000 ms. p99 interpolates at 0.99 x 99 = 98.01 -> 990 + 0.01 x 10.
    cart = one(
        small, ["latency_p50", "latency_p99", "apdex"], filters=[Filter(dimension="service", value="cart")]
    )
    assert cart["latency_p99"] == pytest.approx(990.1)
    assert cart["latency_p50"] == pytest.approx(505.0)
    assert cart["apdex"] == pytest.approx((30 + 70 / 2) / 100)  # 30 within 300 ms, 70 within 1200 ms
    # pay adds one sampled 503 standing for 2 requests: frustrated however fast.
    everything = one(small, ["apdex", "requests", "error_rate_5xx"])
    assert everything["requests"] == pytest.approx(102)
    assert everything["apdex"] == pytest.approx(65 / 102)
    assert everything["error_rate_5xx"] == pytest.approx(2 / 102)


def test_payment_failure_rate_by_code_is_a_share_of_all_attempts(small):
    rows = one(small, ["payment_failure_rate"], dimensions=["failure_code"])
    assert {r["failure_code"]: r["payment_failure_rate"] for r in rows} == {
        None: 0.0,
        "TIMEOUT": 0.25,
        "INSUFFICIENT": 0.25,
    }


def test_cumulative_gmv_runs_from_local_midnight(small):
    rows = one(small, ["gmv_paid", "gmv_cumulative"], grain="hour", start=local(11, 1), end=local(11, 3))
    # Only the 01:00 bucket is asked for; its running total still includes the 00:10 sale.
    assert [(r["time"].astimezone(SHANGHAI).hour, r["gmv_paid"], r["gmv_cumulative"]) for r in rows] == [
        (1, Decimal("300.00"), Decimal("480.00"))
    ]
    whole = one(small, ["gmv_cumulative"], grain="hour")
    assert [r["gmv_cumulative"] for r in whole] == [Decimal("180.00"), Decimal("480.00")]
    # Without a grain: midnight of time_from's day to time_to.
    assert one(small, ["gmv_cumulative"], start=local(11, 1), end=local(11, 2))["gmv_cumulative"] == Decimal(
        "480.00"
    )


def test_previous_period(small):
    got = one(small, ["gmv_paid", "orders"], compare="previous_period")
    assert got["gmv_paid_compare"] == Decimal("50.00")  # order 4, paid on the 10th
    assert got["gmv_paid_change"] == pytest.approx((480 - 50) / 50)
    assert got["orders_compare"] == 1 and got["orders_change"] == pytest.approx(1.0)


def test_baseline_day_compares_the_same_hour(small):
    rows = one(small, ["gmv_paid"], grain="hour", compare="baseline_day", baseline_date=local(10, 0).date())
    got = {r["time"].astimezone(SHANGHAI).hour: (r["gmv_paid"], r["gmv_paid_compare"]) for r in rows}
    assert got == {0: (Decimal("180.00"), Decimal("50.00")), 1: (Decimal("300.00"), None)}


def test_hourly_buckets_are_local_hours(small):
    rows = one(small, ["gmv_paid", "gmv_per_second"], grain="hour")
    assert [(r["time"], r["gmv_paid"]) for r in rows] == [
        (local(11, 0), Decimal("180.00")), (local(11, 1), Decimal("300.00"))
    ]  # fmt: skip
    assert rows[0]["gmv_per_second"] == pytest.approx(180 / 3600)


def test_day_grain_and_a_partial_last_bucket(small):
    rows = one(small, ["gmv_paid", "gmv_per_second"], grain="day", start=local(10, 0), end=local(11, 12))
    assert [(r["time"], r["gmv_paid"]) for r in rows] == [
        (local(10, 0), Decimal("50.00")),
        (local(11, 0), Decimal("480.00")),
    ]
    assert rows[1]["gmv_per_second"] == pytest.approx(480 / (12 * 3600))  # the day so far, not 86,400 s


def test_category_dimension_reaches_products_through_order_lines(small):
    rows = one(small, ["gmv_paid", "refund_amount", "refund_rate"], dimensions=["category_l1"])
    by = {r["category_l1"]: r for r in rows}
    assert by["数码"]["refund_rate"] == pytest.approx(30 / 300)
    assert by["女装"]["refund_amount"] == 0 and by["女装"]["gmv_paid"] == Decimal("180.00")


def test_filter_values_are_literals_not_sql(small):
    hostile = "x' OR '1'='1"
    got = one(small, ["gmv_paid"], filters=[Filter(dimension="channel", value=hostile)])
    assert got["gmv_paid"] == 0


def test_a_dimension_comes_back_under_the_alias_asked_for(small):
    rows = one(small, ["gmv_paid"], dimensions=["channel_id"], order_by=["-channel_id"])
    assert [(r["channel_id"], r["gmv_paid"]) for r in rows] == [
        ("search", Decimal("180.00")),
        ("feed", Decimal("300.00")),
    ]


def test_a_money_ratio_ending_in_half_a_fen_rounds_half_up(tmp_path):
    # 1,147.72 + 1,147.73 = 2,295.45 over 2 orders is exactly 1,147.725: 四舍五入 gives 1,147.73. Rounding the
    # DOUBLE quotient gave 1,147.72 (the double is 1,147.72499...), and Spark 1,147.73.
    with Warehouse(tmp_path / "w.duckdb") as wh:
        lines = {1: [(1, 1, "1147.72", "0", "40")], 2: [(1, 1, "1147.73", "0", "40")]}
        insert(wh, "orders", [_order(oid, local(11, 0, oid), oid, "search", True, local(11, 0, 9), ls)
                              for oid, ls in lines.items()])  # fmt: skip
        insert(wh, "order_items", [
            {"order_id": oid, "line_no": 1, "sku_id": 1, "quantity": 1, "list_price": Decimal(p),
             "unit_price": Decimal(p), "promo_id": None, "discount_amount": Decimal(0), "unit_cost": Decimal(c)}
            for oid, [(_, _, p, _, c)] in lines.items()
        ])  # fmt: skip
        assert one(wh, ["gmv_paid", "orders", "aov"]) == {
            "gmv_paid": Decimal("2295.45"), "orders": 2, "aov": 1147.73,
        }  # fmt: skip
