"""Customer segments: RFM scores and named segments (warroom.analyses.rfm), and new / returning /
reactivated buyers of a window (warroom.analyses.cohorts).

Method: recency in days from the last purchase day to the reference day (the day `end` falls in), frequency
= paid orders, monetary = paid amount (shipping included), each scored 1-5 by quintile of the customers' own
distribution; segment from the R x FM grid (rfm.SEGMENT_GRID). Buyers of [window_start, end) are *new* if
they never paid before, *reactivated* if their previous purchase day is more than `gap_days` days before
their first one in the window, *returning* otherwise.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from warroom.analyses.cohorts import buyer_mix, classify_buyers
from warroom.analyses.ops.purchases import paid_orders
from warroom.analyses.ops.scope import records
from warroom.analyses.rfm import rfm_summary, score_rfm, segment_sizes
from warroom.metrics import Principal
from warroom.warehouse import Warehouse

GAP_DAYS = 14  # a buyer back after more than two weeks counts as reactivated; the pre-sale runs three weeks


def segments(
    warehouse: Warehouse,
    *,
    window_start: datetime,
    end: datetime,
    tz: ZoneInfo,
    principal: Principal | None = None,
    gap_days: int = GAP_DAYS,
    orders: pa.Table | None = None,
) -> dict:
    """{"reference_date", "sizes": [{segment, customers, monetary}], "customers": scored RFM table (Arrow),
    "buyer_mix": {new, returning, reactivated}}. `orders`: paid_orders(...) already read, to share one read."""
    if orders is None:
        orders = paid_orders(warehouse, end=end, tz=tz, principal=principal)
    reference = (end - timedelta(microseconds=1)).astimezone(tz).date()
    scored = score_rfm(rfm_summary(orders, reference_date=reference, day="ts", amount="paid_amount"))
    start_day = window_start.astimezone(tz).date()
    classified = classify_buyers(
        orders, start=start_day, end=reference + timedelta(days=1), gap_days=gap_days
    )
    mix = buyer_mix(classified)
    return {
        "reference_date": reference.isoformat(),
        "sizes": records(segment_sizes(scored)),
        "customers": scored,
        "buyer_mix": {"new": mix.new, "returning": mix.returning, "reactivated": mix.reactivated},
    }
