"""Leaderboards: SKUs, categories and brands by paid GMV and units, their growth, and for SKUs the
sell-through and hours of stock left at the current sell rate.

Method: growth vs the previous hour compares [end - 1 h, end) with the hour before it (compare =
previous_period); growth vs the previous day compares [start, end) with the same clock window of the day
before (compare = baseline_day). Sell-through = units sold in the window / (units sold in the window + on
hand now): the share of the stock the window started with (no restocking within it) that it sold. Hours of
stock left: see stock.py.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from warroom.analyses.ops.scope import records, split_filters
from warroom.analyses.ops.stock import stock_levels
from warroom.errors import UserError
from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

By = Literal["sku", "category_l1", "brand"]
Growth = Literal["hour", "day"]
METRICS = ["gmv_paid", "units"]


def sell_through(units: float, on_hand: int | None) -> float | None:
    """units / (units + on_hand): the share of the window's starting stock it sold."""
    if on_hand is None or units + on_hand <= 0:
        return None
    return units / (units + on_hand)


def leaderboard(
    warehouse: Warehouse,
    *,
    by: By,
    start: datetime,
    end: datetime,
    tz,
    growth: Growth = "day",
    limit: int = 10,
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
    stock_hours: int = 3,
) -> dict:
    """{"by", "growth", "rows": [{<by>, gmv_paid, units, gmv_growth, units_growth (ratios; none without a
    comparison), and for SKUs: sku_name, on_hand, sell_through, hours_left}], "ignored_filters"}."""
    if by not in ("sku", "category_l1", "brand"):
        raise UserError(f"leaderboard by {by!r}: use sku, category_l1 or brand")
    if growth not in ("hour", "day"):
        raise UserError(f"leaderboard growth {growth!r}: use hour or day")
    kept, ignored = split_filters(filters, METRICS)
    window_from = max(start, end - timedelta(hours=1)) if growth == "hour" else start
    result = run_query(
        warehouse,
        MetricQuery(
            metrics=METRICS,
            dimensions=[by],
            filters=kept,
            time_from=window_from,
            time_to=end,
            compare="previous_period" if growth == "hour" else "baseline_day",
            baseline_date=None
            if growth == "hour"
            else (window_from.astimezone(tz).date() - timedelta(days=1)),
            order_by=["-gmv_paid"],
            limit=limit,
        ),
        principal,
    )
    rows = [
        {
            by: r[by],
            "gmv_paid": r["gmv_paid"],
            "units": r["units"],
            "gmv_growth": r["gmv_paid_change"],
            "units_growth": r["units_change"],
        }
        for r in records(result.rows)
    ]
    if by == "sku" and rows:
        stock = {
            s["sku_id"]: s for s in stock_levels(warehouse, now=end, hours=stock_hours, principal=principal)
        }
        for r in rows:
            s = stock.get(r["sku"], {})
            r |= {
                "sku_name": s.get("sku_name"),
                "on_hand": s.get("on_hand"),
                "sell_through": sell_through(r["units"] or 0, s.get("on_hand")),
                "hours_left": s.get("hours_left"),
            }
    return {"by": by, "growth": growth, "rows": rows, "ignored_filters": ignored}
