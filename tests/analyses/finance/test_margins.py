from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.analyses.finance.conftest import PERIOD_FROM, PERIOD_TO, SHANGHAI, sql
from warroom.analyses.finance.margins import margins, negative_margins
from warroom.errors import UserError
from warroom.metrics import Filter

PAID = "order_items i JOIN orders o USING (order_id) WHERE o.paid_at >= ? AND o.paid_at < ?"


def test_negative_margin_finds_the_planted_mispriced_sku_with_its_stack_and_loss(sim_wh, incidents):
    planted = incidents["negative-margin-sku"]["touches"]
    sku, promo = planted["filters"]["sku_id"], planted["filters"]["promo_id"]
    found = {
        (n.sku, n.line_promo): n for n in negative_margins(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO)
    }
    assert (sku, promo) in found
    hit = found[(sku, promo)]
    (loss, units) = sql(
        sim_wh,
        f"SELECT sum(i.unit_cost * i.quantity - (i.list_price * i.quantity - i.discount_amount)), sum(i.quantity) "
        f"FROM {PAID} AND i.sku_id = ? AND i.promo_id = ?",
        PERIOD_FROM,
        PERIOD_TO,
        sku,
        promo,
    )[0]
    assert hit.loss == loss > 0 and hit.units == units
    stack = dict(hit.stack)
    assert {"DSC-MISPRICED", "CPN-MISPRICED"} <= set(stack)
    want_stack = dict(
        sql(
            sim_wh,
            """SELECT d.promo_id, sum(d.amount) FROM item_discounts d
               JOIN order_items i USING (order_id, line_no) JOIN orders o ON o.order_id = i.order_id
               WHERE o.paid_at >= ? AND o.paid_at < ? AND i.sku_id = ? AND i.promo_id = ? GROUP BY 1""",
            PERIOD_FROM,
            PERIOD_TO,
            sku,
            promo,
        )
    )
    assert stack == want_stack
    assert hit.sku_name and hit.category_l1 == "美妆"


def test_negative_margin_lists_exactly_the_lines_sold_below_cost(sim_wh):
    got = negative_margins(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO)
    want = sql(
        sim_wh,
        f"""SELECT i.sku_id, i.promo_id FROM {PAID} GROUP BY 1, 2
            HAVING sum(i.list_price * i.quantity - i.discount_amount) < sum(i.unit_cost * i.quantity)""",
        PERIOD_FROM,
        PERIOD_TO,
    )
    assert {(n.sku, n.line_promo) for n in got} == set(want)
    assert [n.loss for n in got] == sorted((n.loss for n in got), reverse=True)


def test_margins_by_category_match_sql_and_compare_with_the_baseline_day(sim_wh):
    day_from = datetime(2026, 11, 11, tzinfo=SHANGHAI)
    day_to = datetime(2026, 11, 12, tzinfo=SHANGHAI)
    base_from, base_to = datetime(2026, 11, 4, tzinfo=SHANGHAI), datetime(2026, 11, 5, tzinfo=SHANGHAI)
    rows = {r["category_l1"]: r for r in margins(
        sim_wh, by="category_l1", time_from=day_from, time_to=day_to, baseline_date=date(2026, 11, 4)
    )}  # fmt: skip
    query = f"""SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount - i.unit_cost * i.quantity)
                FROM {PAID.replace("WHERE", "JOIN products p USING (sku_id) WHERE")} GROUP BY 1"""
    today = dict(sql(sim_wh, query, day_from, day_to))
    before = dict(sql(sim_wh, query, base_from, base_to))
    assert {c: r["sales_margin"] for c, r in rows.items()} == today
    for category, margin in before.items():
        assert rows[category]["sales_margin_compare"] == margin


def test_margins_filter_and_bad_dimension(sim_wh):
    rows = margins(
        sim_wh,
        by="sku",
        time_from=PERIOD_FROM,
        time_to=PERIOD_TO,
        filters=[Filter(dimension="category_l1", value="美妆")],
    )
    assert rows and all(isinstance(r["sales_margin"], Decimal) for r in rows)
    (n,) = sql(
        sim_wh,
        f"SELECT count(DISTINCT i.sku_id) FROM {PAID.replace('WHERE', 'JOIN products p USING (sku_id) WHERE')} AND p.category_l1 = '美妆'",
        PERIOD_FROM,
        PERIOD_TO,
    )[0]
    assert len(rows) == n
    with pytest.raises(UserError, match="use one of"):
        margins(sim_wh, by="province", time_from=PERIOD_FROM, time_to=PERIOD_TO)
