from decimal import Decimal

import pytest

from tests.analyses.finance.conftest import PERIOD_FROM, PERIOD_TO, sql
from warroom.analyses.finance.waterfall import STEPS, Step, attributable_steps, gaps, waterfall
from warroom.errors import UserError

RANGE = "o.paid_at >= ? AND o.paid_at < ?"
# The documented rates (catalog.yaml): payment fee by the order's method, commission by category.
FEE_RATE = "CASE o.payment_method WHEN 'huabei' THEN 0.008 WHEN 'card' THEN 0.008 WHEN 'unionpay' THEN 0.0055 ELSE 0.006 END"
COMMISSION_RATE = (
    "CASE p.category_l1 WHEN '美妆' THEN 0.04 WHEN '家居' THEN 0.04 WHEN '母婴' THEN 0.03 WHEN '数码' THEN 0.02 "
    "WHEN '食品' THEN 0.02 ELSE 0.05 END"
)


def _step(metric: str, kind: str, amount: str) -> Step:
    return Step(metric, kind, Decimal(amount), metric, metric)  # type: ignore[arg-type]


def test_gaps_finds_a_subtotal_the_steps_do_not_reach():
    steps = [
        _step("paid_list_value", "start", "100.00"),
        _step("discount_merchant", "minus", "10.00"),
        _step("discount_platform", "minus", "5.00"),
        _step("gmv_paid", "subtotal", "85.01"),
        _step("refund_amount", "minus", "5.01"),
        _step("net_revenue", "subtotal", "80.00"),
    ]
    assert gaps(steps) == ["gmv_paid: steps give 85.00, the metric is 85.01"]
    assert gaps([*steps[:3], _step("gmv_paid", "subtotal", "85.00")]) == []


def test_whole_sale_steps_add_up_exactly_and_match_hand_written_sql(sim_wh):
    (fall,) = waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO)
    assert [s.metric for s in fall.steps] == [m for m, _ in STEPS]
    assert gaps(fall.steps) == []
    got = {s.metric: s.amount for s in fall.steps}
    lines = sql(
        sim_wh,
        f"""SELECT sum(i.list_price * i.quantity), sum(i.list_price * i.quantity - i.discount_amount),
                   sum(i.unit_cost * i.quantity), count(DISTINCT i.order_id),
                   sum((i.list_price * i.quantity - i.discount_amount) * {FEE_RATE}),
                   sum((i.list_price * i.quantity - i.discount_amount) * {COMMISSION_RATE})
            FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id) WHERE {RANGE}""",
        PERIOD_FROM,
        PERIOD_TO,
    )[0]
    by_funder = dict(
        sql(
            sim_wh,
            f"""SELECT p.funded_by, sum(d.amount) FROM item_discounts d JOIN orders o USING (order_id)
                JOIN promotions p USING (promo_id) WHERE {RANGE} GROUP BY 1""",
            PERIOD_FROM,
            PERIOD_TO,
        )
    )
    (refunds,) = sql(
        sim_wh, "SELECT sum(amount) FROM refunds WHERE ts >= ? AND ts < ?", PERIOD_FROM, PERIOD_TO
    )[0]
    (spend,) = sql(
        sim_wh, "SELECT sum(spend) FROM marketing_spend WHERE hour >= ? AND hour < ?", PERIOD_FROM, PERIOD_TO
    )[0]
    list_value, paid, cogs, orders, fees, commission = lines
    # The catalog's documented rates: 8.50 per order, fees by payment method, commission by category.
    contribution = paid - refunds - cogs - orders * Decimal("8.50") - fees - commission
    assert got == {
        "paid_list_value": list_value,
        "discount_merchant": by_funder["merchant"],
        "discount_platform": by_funder["platform"],
        "gmv_paid": paid,
        "refund_amount": refunds,
        "net_revenue": paid - refunds,
        "cogs": cogs,
        "logistics_cost": orders * Decimal("8.50"),
        "payment_fees": fees,
        "commission": commission,
        "contribution_profit": contribution,
        "spend": spend,
        "net_profit": contribution - spend,
    }
    assert by_funder["merchant"] > 0 and by_funder["platform"] > 0 and refunds > 0 and spend > 0
    # The rates do vary: not one flat rate times paid GMV.
    assert fees != paid * Decimal("0.006") and commission != paid * Decimal("0.05")


@pytest.mark.parametrize("by", [None, "channel", "category_l1", "line_promo"])
def test_every_split_adds_up_exactly(sim_wh, by):
    falls = waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, by=by)
    assert falls
    for fall in falls:
        assert gaps(fall.steps) == [], fall.key


def test_by_day_adds_up_and_the_days_sum_to_the_whole(sim_wh):
    days = waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, grain="day")
    (whole,) = waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO)
    assert len(days) == 23  # 20 Oct (the pre-sale opens) .. 11 Nov, Shanghai days
    for i, step in enumerate(whole.steps):
        assert sum(d.steps[i].amount for d in days) == step.amount, step.metric
        assert all(gaps(d.steps) == [] for d in days)


def test_by_channel_matches_hand_written_sql_for_paid_gmv_and_refunds(sim_wh):
    falls = {f.key["channel"]: {s.metric: s.amount for s in f.steps} for f in waterfall(
        sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, by="channel"
    )}  # fmt: skip
    paid = sql(
        sim_wh,
        f"""SELECT o.channel_id, sum(i.list_price * i.quantity - i.discount_amount)
            FROM order_items i JOIN orders o USING (order_id) WHERE {RANGE} GROUP BY 1""",
        PERIOD_FROM,
        PERIOD_TO,
    )
    refunded = sql(
        sim_wh,
        """SELECT o.channel_id, sum(r.amount) FROM refunds r JOIN orders o USING (order_id)
           WHERE r.ts >= ? AND r.ts < ? GROUP BY 1""",
        PERIOD_FROM,
        PERIOD_TO,
    )
    assert {c: f["gmv_paid"] for c, f in falls.items() if f["gmv_paid"]} == dict(paid)
    assert {c: f["refund_amount"] for c, f in falls.items() if f["refund_amount"]} == dict(refunded)


def test_steps_that_cannot_be_split_are_left_out_not_guessed():
    assert [m for m, _ in attributable_steps("category_l1")][
        -1
    ] == "contribution_profit"  # no spend by category
    assert [m for m, _ in attributable_steps("line_promo")][-1] == "gmv_paid"  # refunds are not per line
    assert attributable_steps("channel") == list(STEPS)


def test_bad_splits_are_user_errors(sim_wh):
    with pytest.raises(UserError, match="use one of"):
        waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, by="province")
    with pytest.raises(UserError, match="not both"):
        waterfall(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, by="channel", grain="day")
