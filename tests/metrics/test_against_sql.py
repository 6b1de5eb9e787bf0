"""Every catalog metric against an independent hand-written SQL query over the seeded random sale
(MetricFlow's integration cases: metric, dimensions, filters, check query). The check queries are written
from the definitions in catalog.yaml, not from the compiler's output."""

import math
from decimal import Decimal

import pytest

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import DAY_END, DAY_START, insert, stock_snapshots
from warroom.metrics import Filter, MetricQuery, load_catalog, run_query

LO, HI = f"TIMESTAMPTZ '{DAY_START.isoformat()}'", f"TIMESTAMPTZ '{DAY_END.isoformat()}'"
EV = f"events e WHERE e.ts >= {LO} AND e.ts < {HI}"
PAID = f"order_items i JOIN orders o USING (order_id) WHERE o.paid_at >= {LO} AND o.paid_at < {HI}"
PAID_D = f"item_discounts d JOIN orders o USING (order_id) JOIN promotions p USING (promo_id) WHERE o.paid_at >= {LO} AND o.paid_at < {HI}"
REF = f"refunds r WHERE r.ts >= {LO} AND r.ts < {HI}"
PAY = f"payments y WHERE y.ts >= {LO} AND y.ts < {HI}"
API = f"api_requests a WHERE a.ts >= {LO} AND a.ts < {HI}"
HOST = f"host_metrics h WHERE h.ts >= {LO} AND h.ts < {HI}"
SPEND = f"marketing_spend s WHERE s.hour >= {LO} AND s.hour < {HI}"
LANDED = f"landed_prices l WHERE l.ts >= {LO} AND l.ts < {HI} AND l.unit_cost IS NOT NULL"
LANDED_P = f"landed_prices l JOIN products p USING (sku_id) WHERE l.ts >= {LO} AND l.ts < {HI} AND l.unit_cost IS NOT NULL"
# The documented rates (catalog.yaml parameters): payment fee by the order's method, commission by category.
FEE_RATE = "CASE o.payment_method WHEN 'huabei' THEN 0.008 WHEN 'card' THEN 0.008 WHEN 'unionpay' THEN 0.0055 ELSE 0.006 END"
COMMISSION_RATE = (
    "CASE p.category_l1 WHEN '美妆' THEN 0.04 WHEN '家居' THEN 0.04 WHEN '母婴' THEN 0.03 WHEN '数码' THEN 0.02 "
    "WHEN '食品' THEN 0.02 ELSE 0.05 END"
)
PAID_P = f"order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id) WHERE o.paid_at >= {LO} AND o.paid_at < {HI}"
# The day's finance sums, written once for the profit waterfall checks.
WATERFALL = f"""WITH s AS (
  SELECT sum(i.list_price * i.quantity - i.discount_amount) AS paid, sum(i.unit_cost * i.quantity) AS cogs,
         count(DISTINCT i.order_id) AS orders,
         sum((i.list_price * i.quantity - i.discount_amount) * {FEE_RATE}) AS fees,
         sum((i.list_price * i.quantity - i.discount_amount) * {COMMISSION_RATE}) AS commission FROM {PAID_P}),
 r AS (SELECT sum(amount) AS refunded FROM {REF}),
 m AS (SELECT sum(spend) AS spend FROM {SPEND}),
 w AS (SELECT paid, cogs, orders, paid - refunded AS net, paid - refunded - cogs AS gp,
              paid - refunded - cogs - orders * 8.50 - fees - commission AS cp, spend, fees, commission
       FROM s, r, m)"""

CASES = [
    # traffic and funnel
    ("pv", [], [], f"SELECT count(*) FROM {EV} AND event_type = 'view'"),
    (
        "pv",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, count(*) FROM events e JOIN products p USING (sku_id) WHERE e.ts >= {LO} AND e.ts < {HI} AND event_type = 'view' GROUP BY 1",
    ),
    (
        "uv",
        ["province"],
        [],
        f"SELECT c.province, count(DISTINCT e.customer_id) FROM events e JOIN customers c USING (customer_id) WHERE e.ts >= {LO} AND e.ts < {HI} GROUP BY 1",
    ),
    ("sessions", ["device"], [], f"SELECT device, count(DISTINCT session_id) FROM {EV} GROUP BY 1"),
    (
        "cart_adds",
        ["channel_group"],
        [],
        f"SELECT ch.channel_group, count(*) FROM events e JOIN channels ch USING (channel_id) WHERE e.ts >= {LO} AND e.ts < {HI} AND event_type = 'cart' GROUP BY 1",
    ),
    ("favorites", [], [], f"SELECT count(*) FROM {EV} AND event_type = 'favorite'"),
    (
        "order_events",
        ["member_level"],
        [],
        f"SELECT c.member_level, count(*) FROM events e JOIN customers c USING (customer_id) WHERE e.ts >= {LO} AND e.ts < {HI} AND event_type = 'order' GROUP BY 1",
    ),
    (
        "pay_events",
        ["brand"],
        [],
        f"SELECT p.brand, count(*) FROM events e LEFT JOIN products p USING (sku_id) WHERE e.ts >= {LO} AND e.ts < {HI} AND event_type = 'pay' GROUP BY 1",
    ),
    ("viewers", [], [], f"SELECT count(DISTINCT customer_id) FROM {EV} AND event_type = 'view'"),
    ("cart_users", [], [], f"SELECT count(DISTINCT customer_id) FROM {EV} AND event_type = 'cart'"),
    ("order_users", [], [], f"SELECT count(DISTINCT customer_id) FROM {EV} AND event_type = 'order'"),
    (
        "paying_buyers",
        ["channel"],
        [],
        f"SELECT channel_id, count(DISTINCT customer_id) FROM {EV} AND event_type = 'pay' GROUP BY 1",
    ),
    (
        "conv_view_cart",
        ["channel"],
        [],
        f"SELECT channel_id, count(DISTINCT customer_id) FILTER (event_type = 'cart') / count(DISTINCT customer_id) FILTER (event_type = 'view') FROM {EV} GROUP BY 1",
    ),
    (
        "conv_cart_order",
        [],
        [],
        f"SELECT count(DISTINCT customer_id) FILTER (event_type = 'order') / count(DISTINCT customer_id) FILTER (event_type = 'cart') FROM {EV}",
    ),
    (
        "conv_order_pay",
        [],
        [],
        f"SELECT count(DISTINCT customer_id) FILTER (event_type = 'pay') / count(DISTINCT customer_id) FILTER (event_type = 'order') FROM {EV}",
    ),
    (
        "conv_overall",
        ["device"],
        [],
        f"SELECT device, count(DISTINCT customer_id) FILTER (event_type = 'pay') / count(DISTINCT customer_id) FROM {EV} GROUP BY 1",
    ),
    # operations analyses (issue 5): the session-based funnel
    (
        "view_sessions",
        ["channel"],
        [],
        f"SELECT channel_id, count(DISTINCT session_id) FROM {EV} AND event_type = 'view' GROUP BY 1",
    ),
    (
        "cart_sessions",
        ["device"],
        [],
        f"SELECT device, count(DISTINCT session_id) FROM {EV} AND event_type = 'cart' GROUP BY 1",
    ),
    ("order_sessions", [], [], f"SELECT count(DISTINCT session_id) FROM {EV} AND event_type = 'order'"),
    ("pay_sessions", [], [], f"SELECT count(DISTINCT session_id) FROM {EV} AND event_type = 'pay'"),
    (
        "session_conversion",
        ["channel_group"],
        [],
        f"SELECT ch.channel_group, count(DISTINCT e.session_id) FILTER (e.event_type = 'pay') / count(DISTINCT e.session_id) FROM events e JOIN channels ch USING (channel_id) WHERE e.ts >= {LO} AND e.ts < {HI} GROUP BY 1",
    ),
    # sales
    (
        "gmv",
        ["channel"],
        [],
        f"SELECT o.channel_id, sum(i.list_price * i.quantity) FROM order_items i JOIN orders o USING (order_id) WHERE o.ts >= {LO} AND o.ts < {HI} GROUP BY 1",
    ),
    ("gmv_paid", [], [], f"SELECT sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID}"),
    (
        "gmv_paid",
        ["category_l1"],
        [Filter(dimension="province", op="in", value=["浙江", "江苏"])],
        f"SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID.replace('WHERE', 'JOIN products p USING (sku_id) WHERE')} AND o.province IN ('浙江', '江苏') GROUP BY 1",
    ),
    ("paid_list_value", [], [], f"SELECT sum(i.list_price * i.quantity) FROM {PAID}"),
    ("orders", [], [], f"SELECT count(DISTINCT order_id) FROM {PAID}"),
    (
        "orders",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, count(DISTINCT order_id) FROM {PAID.replace('WHERE', 'JOIN products p USING (sku_id) WHERE')} GROUP BY 1",
    ),
    (
        "orders_placed",
        ["device"],
        [],
        f"SELECT device, count(*) FROM orders WHERE ts >= {LO} AND ts < {HI} GROUP BY 1",
    ),
    (
        "units",
        ["brand"],
        [],
        f"SELECT p.brand, sum(i.quantity) FROM {PAID.replace('WHERE', 'JOIN products p USING (sku_id) WHERE')} GROUP BY 1",
    ),
    (
        "aov",
        ["channel"],
        [],
        f"SELECT o.channel_id, round(sum(i.list_price * i.quantity - i.discount_amount) / count(DISTINCT order_id), 2) FROM {PAID} GROUP BY 1",
    ),
    ("buyers", [], [], f"SELECT count(DISTINCT o.customer_id) FROM {PAID}"),
    (
        "buyers",
        ["buyer_type"],
        [],
        f"SELECT CASE WHEN o.is_new_buyer THEN 'new' ELSE 'returning' END, count(DISTINCT o.customer_id) FROM {PAID} GROUP BY 1",
    ),
    ("new_buyers", [], [], f"SELECT count(DISTINCT o.customer_id) FROM {PAID} AND o.is_new_buyer"),
    ("returning_buyers", [], [], f"SELECT count(DISTINCT o.customer_id) FROM {PAID} AND NOT o.is_new_buyer"),
    (
        "gmv_per_second",
        [],
        [],
        f"SELECT sum(i.list_price * i.quantity - i.discount_amount) / 86400 FROM {PAID}",
    ),
    (
        "gmv_cumulative",
        ["channel"],
        [],
        f"SELECT o.channel_id, sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID} GROUP BY 1",
    ),
    # the big screen (issue 10)
    (
        "orders_per_second",
        ["channel"],
        [],
        f"SELECT o.channel_id, count(DISTINCT order_id) / 86400 FROM {PAID} GROUP BY 1",
    ),
    # alerts (issue 8): stock running out (inventory rows come from the `inventory` fixture below)
    (
        "stock_on_hand",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, min(v.on_hand) FROM inventory v JOIN products p USING (sku_id) WHERE v.ts >= {LO} AND v.ts < {HI} GROUP BY 1",
    ),
    (
        "units_ordered",
        ["sku"],
        [],
        f"SELECT i.sku_id, sum(i.quantity) FROM order_items i JOIN orders o USING (order_id) WHERE o.ts >= {LO} AND o.ts < {HI} GROUP BY 1",
    ),
    (  # hours left at the day's order rate: stock / (units / 24 h)
        "stock_hours_left",
        ["sku"],
        [],
        f"""SELECT v.sku_id, v.stock / u.units * 24 FROM
        (SELECT sku_id, min(on_hand) AS stock FROM inventory WHERE ts >= {LO} AND ts < {HI} GROUP BY 1) v
        JOIN (SELECT i.sku_id, sum(i.quantity) AS units FROM order_items i JOIN orders o USING (order_id)
              WHERE o.ts >= {LO} AND o.ts < {HI} GROUP BY 1) u USING (sku_id)""",
    ),
    # marketing
    ("spend", ["channel"], [], f"SELECT channel_id, sum(spend) FROM {SPEND} GROUP BY 1"),
    (
        "spend",
        ["promo_type"],
        [],
        f"SELECT p.promo_type, sum(spend) FROM marketing_spend s LEFT JOIN promotions p USING (promo_id) WHERE s.hour >= {LO} AND s.hour < {HI} GROUP BY 1",
    ),
    (
        "roi",
        ["channel"],
        [],
        f"SELECT g.channel_id, g.paid / s.spend FROM (SELECT o.channel_id, sum(i.list_price * i.quantity - i.discount_amount) AS paid FROM {PAID} GROUP BY 1) g JOIN (SELECT channel_id, sum(spend) AS spend FROM {SPEND} GROUP BY 1) s USING (channel_id)",
    ),
    (
        "cac",
        [],
        [],
        f"SELECT round((SELECT sum(spend) FROM {SPEND}) / (SELECT count(DISTINCT o.customer_id) FROM {PAID} AND o.is_new_buyer), 2)",
    ),
    (
        "cost_per_order",
        [],
        [],
        f"SELECT round((SELECT sum(spend) FROM {SPEND}) / (SELECT count(DISTINCT order_id) FROM {PAID}), 2)",
    ),
    (
        "cost_per_session",
        ["channel"],
        [],
        f"SELECT s.channel_id, round(s.spend / v.sessions, 2) FROM (SELECT channel_id, sum(spend) AS spend FROM {SPEND} GROUP BY 1) s JOIN (SELECT channel_id, count(DISTINCT session_id) AS sessions FROM {EV} GROUP BY 1) v USING (channel_id)",
    ),
    # promotions
    ("discount_amount", ["promo"], [], f"SELECT d.promo_id, sum(d.amount) FROM {PAID_D} GROUP BY 1"),
    ("discount_merchant", [], [], f"SELECT sum(d.amount) FROM {PAID_D} AND p.funded_by = 'merchant'"),
    (
        "discount_platform",
        ["channel"],
        [],
        f"SELECT o.channel_id, sum(d.amount) FROM {PAID_D} AND p.funded_by = 'platform' GROUP BY 1",
    ),
    (
        "promo_cost_ratio",
        [],
        [],
        f"SELECT (SELECT sum(d.amount) FROM {PAID_D}) / (SELECT sum(i.list_price * i.quantity) FROM {PAID})",
    ),
    (
        "orders_with_promo",
        ["promo_type"],
        [],
        f"SELECT p.promo_type, count(DISTINCT d.order_id) FROM {PAID_D} GROUP BY 1",
    ),
    (
        "gmv_with_promo",
        [],
        [],
        f"SELECT sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID} AND i.discount_amount > 0",
    ),
    # finance
    (
        "refund_amount",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, sum(r.amount) FROM refunds r LEFT JOIN products p USING (sku_id) WHERE r.ts >= {LO} AND r.ts < {HI} GROUP BY 1",
    ),
    (
        "refund_rate",
        [],
        [],
        f"SELECT (SELECT sum(amount) FROM {REF}) / (SELECT sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID})",
    ),
    ("net_revenue", [], [], f"{WATERFALL} SELECT net FROM w"),
    ("cogs", [], [], f"{WATERFALL} SELECT cogs FROM w"),
    ("gross_profit", [], [], f"{WATERFALL} SELECT gp FROM w"),
    ("gross_margin", [], [], f"{WATERFALL} SELECT gp / net FROM w"),
    ("logistics_cost", [], [], f"{WATERFALL} SELECT orders * 8.50 FROM w"),
    ("payment_fees", [], [], f"{WATERFALL} SELECT fees FROM w"),
    ("commission", [], [], f"{WATERFALL} SELECT commission FROM w"),
    (
        "commission",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, sum((i.list_price * i.quantity - i.discount_amount) * {COMMISSION_RATE}) FROM {PAID_P} GROUP BY 1",
    ),
    (
        "payment_fees",
        ["channel"],
        [],
        f"SELECT o.channel_id, sum((i.list_price * i.quantity - i.discount_amount) * {FEE_RATE}) FROM {PAID_P} GROUP BY 1",
    ),
    ("contribution_profit", [], [], f"{WATERFALL} SELECT cp FROM w"),
    ("contribution_margin", [], [], f"{WATERFALL} SELECT cp / net FROM w"),
    ("net_profit", [], [], f"{WATERFALL} SELECT cp - spend FROM w"),
    (
        "contribution_margin",
        ["sku"],
        [],
        f"""WITH s AS (SELECT i.sku_id, sum(i.list_price * i.quantity - i.discount_amount) AS paid,
        sum(i.unit_cost * i.quantity) AS cogs, count(DISTINCT i.order_id) AS orders,
        sum((i.list_price * i.quantity - i.discount_amount) * ({FEE_RATE} + {COMMISSION_RATE})) AS rates
        FROM {PAID_P} GROUP BY 1),
      r AS (SELECT sku_id, sum(amount) AS refunded FROM {REF} GROUP BY 1)
      SELECT coalesce(s.sku_id, r.sku_id), (coalesce(paid, 0) - coalesce(refunded, 0) - coalesce(cogs, 0)
        - coalesce(orders, 0) * 8.50 - coalesce(rates, 0)) / (coalesce(paid, 0) - coalesce(refunded, 0))
      FROM s FULL JOIN r ON s.sku_id IS NOT DISTINCT FROM r.sku_id""",
    ),
    # alerts (issue 8): the live promotions' price of one unit against its cost (landed_prices)
    ("landed_margin", ["sku"], [], f"SELECT sku_id, min(landed_price - unit_cost) FROM {LANDED} GROUP BY 1"),
    (
        "merchant_promo_margin",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, min(l.merchant_price - l.unit_cost) FROM {LANDED_P} GROUP BY 1",
    ),
    (
        "below_cost_promo_margin",
        ["sku"],
        [],
        f"SELECT sku_id, min(merchant_price - unit_cost) FROM {LANDED} AND merchant_price < unit_cost GROUP BY 1",
    ),
    (
        "skus_priced_below_cost",
        [],
        [],
        f"SELECT count(DISTINCT sku_id) FROM {LANDED} AND merchant_price < unit_cost",
    ),
    # finance analyses (issue 6)
    ("sales_margin", [], [], f"{WATERFALL} SELECT paid - cogs FROM w"),
    (
        "sales_margin",
        ["promo"],
        [],
        f"SELECT i.promo_id, sum(i.list_price * i.quantity - i.discount_amount - i.unit_cost * i.quantity) FROM {PAID} GROUP BY 1",
    ),
    (
        "sales_margin_rate",
        ["sku"],
        [],
        f"SELECT i.sku_id, 1 - sum(i.unit_cost * i.quantity) / sum(i.list_price * i.quantity - i.discount_amount) FROM {PAID} GROUP BY 1",
    ),
    (  # line_promo: every stacked discount on the lines each promotion headed
        "discount_amount",
        ["line_promo"],
        [],
        f"SELECT i.promo_id, sum(d.amount) FROM item_discounts d JOIN order_items i USING (order_id, line_no) JOIN orders o USING (order_id) WHERE o.paid_at >= {LO} AND o.paid_at < {HI} GROUP BY 1",
    ),
    (
        "payments_received",
        ["payment_method"],
        [],
        f"SELECT method, sum(amount) FROM {PAY} AND status = 'success' GROUP BY 1",
    ),
    (
        "refund_count",
        ["category_l1"],
        [],
        f"SELECT p.category_l1, count(*) FROM refunds r LEFT JOIN products p USING (sku_id) WHERE r.ts >= {LO} AND r.ts < {HI} GROUP BY 1",
    ),
    # payments
    ("payment_attempts", ["payment_method"], [], f"SELECT method, count(*) FROM {PAY} GROUP BY 1"),
    ("payment_successes", [], [], f"SELECT count(*) FROM {PAY} AND status = 'success'"),
    (
        "payment_failures",
        ["failure_code"],
        [],
        f"SELECT failure_code, count(*) FROM {PAY} AND status = 'failed' GROUP BY 1",
    ),
    (
        "payment_success_rate",
        ["province"],
        [],
        f"SELECT o.province, count(*) FILTER (y.status = 'success') / count(*) FROM payments y JOIN orders o USING (order_id) WHERE y.ts >= {LO} AND y.ts < {HI} GROUP BY 1",
    ),
    ("payment_failure_rate", [], [], f"SELECT count(*) FILTER (status = 'failed') / count(*) FROM {PAY}"),
    (
        "payment_failure_rate",
        ["failure_code"],
        [],
        f"SELECT failure_code, count(*) / (SELECT count(*) FROM {PAY}) FROM {PAY} AND status = 'failed' GROUP BY 1",
    ),
    # tech
    ("requests", ["service"], [], f"SELECT service, sum(1 / sample_rate) FROM {API} GROUP BY 1"),
    ("qps", [], [], f"SELECT sum(1 / sample_rate) / 86400 FROM {API}"),
    ("requests_4xx", [], [], f"SELECT sum(1 / sample_rate) FROM {API} AND status_code BETWEEN 400 AND 499"),
    ("requests_5xx", [], [], f"SELECT sum(1 / sample_rate) FROM {API} AND status_code >= 500"),
    (
        "error_rate_4xx",
        ["endpoint"],
        [],
        f"SELECT endpoint, sum(1 / sample_rate) FILTER (status_code BETWEEN 400 AND 499) / sum(1 / sample_rate) FROM {API} GROUP BY 1",
    ),
    (
        "error_rate_5xx",
        ["service"],
        [],
        f"SELECT service, sum(1 / sample_rate) FILTER (status_code >= 500) / sum(1 / sample_rate) FROM {API} GROUP BY 1",
    ),
    ("latency_p50", [], [], f"SELECT quantile_cont(latency_ms, 0.5) FROM {API}"),
    ("latency_p95", ["host"], [], f"SELECT host, quantile_cont(latency_ms, 0.95) FROM {API} GROUP BY 1"),
    (
        "latency_p99",
        ["service"],
        [],
        f"SELECT service, quantile_cont(latency_ms, 0.99) FROM {API} GROUP BY 1",
    ),
    (
        "apdex_satisfied",
        [],
        [],
        f"SELECT sum(1 / sample_rate) FROM {API} AND status_code < 500 AND latency_ms <= 300",
    ),
    (
        "apdex_tolerating",
        [],
        [],
        f"SELECT sum(1 / sample_rate) FROM {API} AND status_code < 500 AND latency_ms > 300 AND latency_ms <= 1200",
    ),
    (
        "apdex",
        ["host"],
        [],
        f"""SELECT host, (sum(1 / sample_rate) FILTER (status_code < 500 AND latency_ms <= 300)
        + sum(1 / sample_rate) FILTER (status_code < 500 AND latency_ms > 300 AND latency_ms <= 1200) / 2)
        / sum(1 / sample_rate) FROM {API} GROUP BY 1""",
    ),
    ("host_cpu", ["host"], [], f"SELECT host, avg(cpu_pct) FROM {HOST} GROUP BY 1"),
    ("host_mem", [], [], f"SELECT avg(mem_pct) FROM {HOST}"),
    ("host_net_in", ["host"], [], f"SELECT host, avg(net_in_mbps) FROM {HOST} GROUP BY 1"),
    ("host_net_out", [], [], f"SELECT avg(net_out_mbps) FROM {HOST}"),
    # tech analyses (issue 7)
    ("sampled_requests", ["service"], [], f"SELECT service, count(*) FROM {API} GROUP BY 1"),
    (  # the fixed log histogram: bucket k = how many bounds 2^(j/4) (to 0.001 ms), j = 0..64, are <= latency
        "sampled_requests",
        ["latency_bucket"],
        [],
        f"""SELECT (SELECT count(*) FROM range(65) r(j) WHERE a.latency_ms >= round(pow(2, j / 4), 3)) AS k,
        count(*) FROM {API} GROUP BY 1""",
    ),
    (
        "requests",
        ["status_code"],
        [Filter(dimension="latency_ms", op="<=", value=500)],
        f"SELECT status_code, sum(1 / sample_rate) FROM {API} AND latency_ms <= 500 GROUP BY 1",
    ),
    ("serving_hosts", ["service"], [], f"SELECT service, count(DISTINCT host) FROM {API} GROUP BY 1"),
    ("host_cpu_max", ["host_role"], [], f"SELECT role, max(cpu_pct) FROM {HOST} GROUP BY 1"),
    ("host_mem_max", ["host"], [], f"SELECT host, max(mem_pct) FROM {HOST} GROUP BY 1"),
    # alerts (issue 8): the ingest-gap metric
    ("host_scrapes", ["host"], [], f"SELECT host, count(*) FROM {HOST} GROUP BY 1"),
]


@pytest.fixture(scope="module", autouse=True)
def inventory(sale):
    insert(sale, "inventory", stock_snapshots())


def _same(got: object, want: object) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, Decimal) and isinstance(want, Decimal):
        return got == want  # money stays exact: not a fen off
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metric", "dims", "filters", "check_sql"), CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
)
def test_metric_matches_hand_written_sql(sale, metric, dims, filters, check_sql):
    query = MetricQuery(
        metrics=[metric], dimensions=dims, filters=filters, time_from=DAY_START, time_to=DAY_END
    )
    rows = run_query(sale, query, tz=SHANGHAI).rows.to_pylist()
    got = {tuple(r[d] for d in dims): r[metric] for r in rows}
    want = {tuple(row[:-1]): row[-1] for row in sale.cursor().execute(check_sql).fetchall()}
    assert want, "the check query found nothing: the fixture does not exercise this metric"
    assert any(v not in (0, None) for v in want.values())
    for key, value in want.items():
        assert _same(got.get(key), value), (
            f"{metric} {key}: metric layer {got.get(key)!r}, check SQL {value!r}"
        )
    for key in (
        got.keys() - want.keys()
    ):  # a key only other tables have (spend but no orders) shows 0 or nothing
        assert got[key] in (0, None), f"{metric} {key}: {got[key]!r} where the check query has no row"


def test_every_metric_has_a_check_case():
    assert set(load_catalog().metrics) == {c[0] for c in CASES}


@pytest.mark.parametrize("grain", ["minute", "hour", "day"])
def test_time_buckets_are_local_and_match_sql(sale, grain):
    query = MetricQuery(
        metrics=["gmv_paid", "orders"],
        dimensions=["channel"],
        grain=grain,
        time_from=DAY_START,
        time_to=DAY_END,
    )
    got = {
        (r["time"].astimezone(SHANGHAI).replace(tzinfo=None), r["channel"]): (r["gmv_paid"], r["orders"])
        for r in run_query(sale, query, tz=SHANGHAI).rows.to_pylist()
    }
    want = (
        sale.cursor()
        .execute(f"""
        SELECT date_trunc('{grain}', timezone('Asia/Shanghai', o.paid_at)), o.channel_id,
               sum(i.list_price * i.quantity - i.discount_amount), count(DISTINCT order_id)
        FROM {PAID} GROUP BY 1, 2""")
        .fetchall()
    )
    assert got == {(t, c): (g, n) for t, c, g, n in want}


def test_order_by_and_limit(sale):
    query = MetricQuery(
        metrics=["gmv_paid"],
        dimensions=["sku"],
        order_by=["-gmv_paid"],
        limit=3,
        time_from=DAY_START,
        time_to=DAY_END,
    )
    got = [(r["sku"], r["gmv_paid"]) for r in run_query(sale, query, tz=SHANGHAI).rows.to_pylist()]
    want = (
        sale.cursor()
        .execute(f"""SELECT i.sku_id, sum(i.list_price * i.quantity - i.discount_amount) AS g
        FROM {PAID} GROUP BY 1 ORDER BY g DESC LIMIT 3""")
        .fetchall()
    )
    assert got == want
