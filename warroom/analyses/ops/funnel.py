"""The funnel view -> cart -> order -> pay, overall or split by a dimension, with the drop at each step and
its change against a baseline window.

Method: two bases, each panel says which it shows.
- **user-based**: distinct customers with a view, a cart add, an order event, a pay event in the window
  (catalog metrics viewers, cart_users, order_users, paying_buyers). A person counts at a step if they did
  it at any time in the window, not necessarily after the previous step.
- **session-based**: distinct visits (session_id) with each event (view_sessions ... pay_sessions).
The **rate** of a step is its count / the previous step's count; the **drop** is 1 - rate. The baseline is
the same clock window on `baseline_date`; the change is in percentage points of the rate.
Splits: channel, channel_group and device apply to every step. Order and pay events carry no SKU, so a split
by category_l1 (or brand, sku) leaves the order and pay steps empty: the funnel by category is view -> cart.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from warroom.analyses.ops.scope import records, split_filters
from warroom.errors import UserError
from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

Basis = Literal["user", "session"]
STEP_NAMES = ("view", "cart", "order", "pay")
STEPS: dict[str, tuple[str, ...]] = {
    "user": ("viewers", "cart_users", "order_users", "paying_buyers"),
    "session": ("view_sessions", "cart_sessions", "order_sessions", "pay_sessions"),
}
SPLITS = ("channel", "channel_group", "device", "category_l1")


def steps_of(counts: Sequence[int | None], baseline: Sequence[int | None] | None = None) -> list[dict]:
    """One dict per step: step, count, rate (of the previous step; the first step has none), drop, and with a
    baseline: baseline count, baseline_rate and rate_change (percentage points / 100)."""
    out = []
    for i, name in enumerate(STEP_NAMES):
        count = counts[i]
        rate = _rate(count, counts[i - 1]) if i else None
        step: dict = {"step": name, "count": count, "rate": rate, "drop": None if rate is None else 1 - rate}
        if baseline is not None:
            base_rate = _rate(baseline[i], baseline[i - 1]) if i else None
            step |= {
                "baseline": baseline[i],
                "baseline_rate": base_rate,
                "rate_change": None if rate is None or base_rate is None else rate - base_rate,
            }
        out.append(step)
    return out


def _rate(count: int | None, previous: int | None) -> float | None:
    return None if count is None or not previous else count / previous


def funnel(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    basis: Basis = "user",
    by: str | None = None,
    baseline_date: date | None = None,
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
) -> dict:
    """{"basis", "by", "groups": [{"group": value or None, "steps": steps_of(...)}], "ignored_filters"}."""
    if basis not in STEPS:
        raise UserError(f"funnel basis {basis!r}: use 'user' or 'session'")
    if by is not None and by not in SPLITS:
        raise UserError(f"funnel split {by!r}: use one of {', '.join(SPLITS)}")
    metrics = list(STEPS[basis])
    kept, ignored = split_filters(filters, metrics)
    result = run_query(
        warehouse,
        MetricQuery(
            metrics=metrics,
            dimensions=[by] if by else [],
            filters=kept,
            time_from=start,
            time_to=end,
            compare="baseline_day" if baseline_date else None,
            baseline_date=baseline_date,
        ),
        principal,
    )
    groups = []
    for row in records(result.rows):
        base = [row[f"{m}_compare"] for m in metrics] if baseline_date else None
        groups.append({"group": row[by] if by else None, "steps": steps_of([row[m] for m in metrics], base)})
    groups.sort(key=lambda g: -(g["steps"][0]["count"] or 0))
    return {"basis": basis, "by": by, "groups": groups, "ignored_filters": ignored}
