"""Hourly peaks: a heatmap of local hour of day x category (or channel), and the hour each row peaks.

Method: the metric (page views by default, additive over hours) per hour bucket, summed by the bucket's
local hour of day over every day in the window, so a multi-day window shows the usual shape of a day. The
peak hour of a row is the hour with the largest value (the earliest on a tie).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from warroom.analyses.ops.scope import records, split_filters
from warroom.errors import UserError
from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

Row = Literal["category_l1", "channel"]
ADDITIVE = ("pv", "cart_adds", "orders_placed", "units", "gmv_paid", "gmv", "spend")


def by_hour_of_day(rows: list[dict], key: str, metric: str, tz: ZoneInfo) -> dict[str, list[float]]:
    """{row value: 24 sums by local hour} from {time, key, metric} rows; rows without a key are dropped."""
    grid: dict[str, list[float]] = defaultdict(lambda: [0.0] * 24)
    for r in rows:
        if r[key] is not None:
            grid[r[key]][r["time"].astimezone(tz).hour] += float(r[metric] or 0)
    return dict(grid)


def peak_hour(values: list[float]) -> int:
    return max(range(len(values)), key=lambda h: (values[h], -h))


def peaks(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    row: Row = "category_l1",
    metric: str = "pv",
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
) -> dict:
    """{"row", "metric", "hours": [0..23], "rows": [{<row>, values: [24], peak_hour}], "ignored_filters"}."""
    if metric not in ADDITIVE:
        raise UserError(f"peaks of {metric!r}: use an additive metric, one of {', '.join(ADDITIVE)}")
    if row not in ("category_l1", "channel"):
        raise UserError(f"peaks by {row!r}: use category_l1 or channel")
    kept, ignored = split_filters(filters, [metric])
    result = run_query(
        warehouse,
        MetricQuery(
            metrics=[metric], dimensions=[row], filters=kept, time_from=start, time_to=end, grain="hour"
        ),
        principal,
    )
    grid = by_hour_of_day(records(result.rows), row, metric, tz)
    out = [{row: k, "values": v, "peak_hour": peak_hour(v)} for k, v in sorted(grid.items())]
    return {"row": row, "metric": metric, "hours": list(range(24)), "rows": out, "ignored_filters": ignored}
