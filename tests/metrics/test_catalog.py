"""The catalog parses, and a broken catalog reports every problem at once with file:line."""

from warroom.metrics import load_catalog
from warroom.metrics.catalog import CATALOG_PATH, check_catalog

BROKEN = """\
parameters:
  rate: {value: 0.1}
joins:
  - {from: orders, to: channels, using: [channel_id]}
  - {from: orders, to: products, using: [sku_id]}
dimensions:
  channel: {label_zh: 渠道, label_en: Channel, via: {orders: channels.colour}}
metrics:
  a:
    {type: simple, table: orders, agg: median, expr: paid_amount, label_zh: a, label_en: a, unit: CNY,
     format: money, owner: ops, sensitivity: public, description_zh: a, description_en: a, descripton_en: typo}
  b:
    {type: derived, expr: "a + missing * param('nope')", label_zh: b, label_en: b, unit: CNY, format: money,
     owner: ops, sensitivity: public, description_zh: b, description_en: b}
  c:
    {type: ratio, numerator: a, denominator: c, label_zh: c, label_en: c, unit: ratio, format: percent,
     owner: ops, sensitivity: public, description_zh: c, description_en: c}
"""


def test_the_shipped_catalog_is_valid_and_complete():
    catalog, problems = check_catalog(CATALOG_PATH.read_text(encoding="utf-8"), "catalog.yaml")
    assert problems == []
    required = {
        "pv", "uv", "sessions", "cart_adds", "favorites", "order_events", "pay_events", "paying_buyers", "conv_view_cart",
        "conv_cart_order", "conv_order_pay", "conv_overall", "gmv", "gmv_paid", "orders", "units", "aov", "buyers",
        "new_buyers", "returning_buyers", "gmv_per_second", "gmv_cumulative", "spend", "roi", "cac",
        "cost_per_order", "discount_amount", "discount_merchant", "discount_platform", "promo_cost_ratio",
        "orders_with_promo", "gmv_with_promo", "refund_amount", "refund_rate", "net_revenue", "cogs",
        "gross_profit", "gross_margin", "logistics_cost", "payment_fees", "commission", "contribution_profit",
        "contribution_margin", "payment_attempts", "payment_success_rate", "payment_failure_rate", "requests",
        "qps", "error_rate_4xx", "error_rate_5xx", "latency_p50", "latency_p95", "latency_p99", "apdex",
        "host_cpu", "host_mem", "host_net_in", "host_net_out",
    }  # fmt: skip
    assert required <= set(catalog.metrics)
    assert load_catalog() is load_catalog()  # parsed once per process


def test_every_problem_is_reported_with_its_line():
    catalog, problems = check_catalog(BROKEN, "bad.yaml")
    assert catalog is None
    expected = [
        "bad.yaml:2: parameters.rate: needs a description",
        "bad.yaml:5: joins[1]: join columns ['sku_id'] are not in both orders and products",
        "bad.yaml:7: dimensions.channel.via.orders: channels.colour: channels has no column 'colour'",
        "bad.yaml:9: metrics.a: unknown keys ['descripton_en']",
        "bad.yaml:10: metrics.a.agg: 'median' is not one of sum, count",
        "bad.yaml:13: metrics.b.expr: unknown parameter 'nope'",
        "bad.yaml:12: metrics.b: refers to unknown metric 'missing'",
        "bad.yaml:15: metrics.c: depends on itself",
    ]
    for want in expected:
        assert any(p.startswith(want) for p in problems), f"missing {want!r} in {problems}"


def test_a_leak_through_a_derived_metric_is_caught():
    text = CATALOG_PATH.read_text(encoding="utf-8").replace(
        "label_zh: 毛利, label_en: Gross profit, unit: CNY, format: money, owner: finance, sensitivity: finance",
        "label_zh: 毛利, label_en: Gross profit, unit: CNY, format: money, owner: finance, sensitivity: public",
    )
    _, problems = check_catalog(text, "c.yaml")
    assert any(
        "metrics.gross_profit.sensitivity: is public but uses net_revenue (finance)" in p for p in problems
    )


def test_expression_language_refuses_python():
    text = CATALOG_PATH.read_text(encoding="utf-8").replace(
        'expr: "gmv_paid - refund_amount"', "expr: \"__import__('os')\""
    )
    _, problems = check_catalog(text, "c.yaml")
    assert any("metrics.net_revenue.expr: unknown function" in p for p in problems)


def test_keyed_parameters_are_read_with_their_key_and_only_they():
    text = CATALOG_PATH.read_text(encoding="utf-8")
    text = text.replace("param('commission_rate', products.category_l1)", "param('commission_rate')")
    text = text.replace(
        "orders * param('logistics_cost_per_order')", "orders * param('logistics_cost_per_order', 1)"
    )
    text = text.replace("by: {alipay: 0.006,", "by: {alipay: fast,")
    _, problems = check_catalog(text, "c.yaml")
    for want in (
        "metrics.commission.expr: parameter 'commission_rate' varies by key: read it as param('commission_rate', <column>)",
        "metrics.logistics_cost.expr: parameter 'logistics_cost_per_order' has no `by` values",
        "parameters.payment_fee_rate.by: needs a mapping of key -> number",
    ):
        assert any(want in p for p in problems), f"missing {want!r} in {problems}"
