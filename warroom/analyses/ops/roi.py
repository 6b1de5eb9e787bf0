"""Channel ROI: spend, paid GMV, ROI, CAC and cost per order by channel over time, and the channels whose ROI
is falling.

Method: the catalog's roi = paid GMV attributed to the order's channel (last touch) / spend; cac = spend /
new buyers; cost_per_order = spend / paid orders. A channel is **falling** when its ROI over the last
`recent` buckets (summed GMV / summed spend) is below `drop` x its ROI over the earlier buckets of the
window. Ratios of sums, not means of ratios, so a quiet hour does not swing the verdict.
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from warroom.analyses.ops.scope import records, split_filters
from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

METRICS = ["spend", "gmv_paid", "roi", "cac", "cost_per_order"]
RECENT_BUCKETS = 3
# ROI falling to below 60% of its earlier level is flagged: hour-to-hour ROI of a healthy channel moves by
# about +-30% on the simulated sale (the hourly mix of categories and prices), a runaway bid by far more.
DROP = 0.6


def falling_channels(rows: list[dict], *, recent: int = RECENT_BUCKETS, drop: float = DROP) -> list[dict]:
    """[{channel, roi_before, roi_recent, change}] for the channels whose ROI fell below `drop` x before,
    from {time, channel, spend, gmv_paid} rows; the largest fall first."""
    times = sorted({r["time"] for r in rows})
    if len(times) <= recent:
        return []
    cut = times[-recent]
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for r in rows:
        s = sums[r["channel"]]
        i = 2 if r["time"] >= cut else 0
        s[i] += float(r["gmv_paid"] or 0)
        s[i + 1] += float(r["spend"] or 0)
    out = []
    for channel, (gmv_before, spend_before, gmv_recent, spend_recent) in sums.items():
        if not spend_before or not spend_recent or not gmv_before:
            continue
        before, now = gmv_before / spend_before, gmv_recent / spend_recent
        if now < drop * before:
            out.append(
                {"channel": channel, "roi_before": before, "roi_recent": now, "change": now / before - 1}
            )
    return sorted(out, key=lambda f: f["change"])


def channel_roi(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    grain: Literal["hour", "day"] = "hour",
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
    recent: int = RECENT_BUCKETS,
    drop: float = DROP,
) -> dict:
    """{"series": [{time, channel, spend, gmv_paid, roi, cac, cost_per_order}], "totals": [per channel over
    the window], "falling": falling_channels(...), "ignored_filters"}."""
    kept, ignored = split_filters(filters, METRICS)
    series = run_query(
        warehouse,
        MetricQuery(
            metrics=METRICS, dimensions=["channel"], filters=kept, time_from=start, time_to=end, grain=grain
        ),
        principal,
    )
    totals = run_query(
        warehouse,
        MetricQuery(metrics=METRICS, dimensions=["channel"], filters=kept, time_from=start, time_to=end),
        principal,
    )
    rows = records(series.rows)
    return {
        "series": rows,
        "totals": sorted(records(totals.rows), key=lambda r: -(r["spend"] or 0)),
        "falling": falling_channels(rows, recent=recent, drop=drop),
        "ignored_filters": ignored,
    }
