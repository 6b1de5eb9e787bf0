"""Stock running out: on hand per SKU now, the current sell rate, and hours of stock left.

Method (shown on the page): on hand = the SKU's latest inventory snapshot before `now`; sell rate = units
sold on paid orders over the last `hours` hours / `hours` (catalog metric units, at payment time); hours
left = on hand / sell rate (none when nothing sold: not running out at the current rate; 0 when none is
left). A SKU is on the stock-out list when on hand <= `threshold` units or it runs out within `within_hours`.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

import pyarrow as pa

from warroom.analyses.ops.scope import records, split_filters
from warroom.metrics import Filter, MetricQuery, Principal, dataset, run_query
from warroom.warehouse import Warehouse


def hours_left(on_hand: int, units_sold: float, hours: float) -> float | None:
    """Hours until on_hand runs out at units_sold per `hours` hours."""
    if on_hand <= 0:
        return 0.0
    return on_hand * hours / units_sold if units_sold > 0 else None


def latest_on_hand(snapshots: pa.Table) -> dict[int, int]:
    """sku_id -> on_hand of the latest snapshot (ts, sku_id, on_hand rows, any order)."""
    ordered = snapshots.sort_by([("sku_id", "ascending"), ("ts", "descending")])
    skus, levels = ordered["sku_id"].to_pylist(), ordered["on_hand"].to_pylist()
    out: dict[int, int] = {}
    for sku, level in zip(skus, levels, strict=True):
        out.setdefault(sku, level)
    return out


def stock_levels(
    warehouse: Warehouse,
    *,
    now: datetime,
    hours: int = 3,
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
) -> list[dict]:
    """Every SKU with a snapshot: sku_id, sku_name, category_l1, on_hand, units (last `hours` h),
    rate_per_hour, hours_left, sorted by hours_left (soonest first, none last)."""
    kept, _ = split_filters(filters, ["units"])
    inventory_filters = [f for f in kept if f.dimension in ("category_l1", "brand", "sku")]
    snaps = dataset(
        warehouse,
        "inventory",
        ["ts", "sku_id", "on_hand", "products.sku_name", "category_l1"],
        [*inventory_filters, Filter(dimension="ts", op="<", value=now.isoformat())],
        principal,
    )
    levels = latest_on_hand(snaps.select(["ts", "sku_id", "on_hand"]))
    names = dict(zip(snaps["sku_id"].to_pylist(), snaps["products.sku_name"].to_pylist(), strict=True))
    categories = dict(zip(snaps["sku_id"].to_pylist(), snaps["category_l1"].to_pylist(), strict=True))
    sold = run_query(
        warehouse,
        MetricQuery(
            metrics=["units"],
            dimensions=["sku"],
            filters=kept,
            time_from=now - timedelta(hours=hours),
            time_to=now,
        ),
        principal,
    )
    units = {r["sku"]: r["units"] or 0 for r in records(sold.rows)}
    rows = [
        {
            "sku_id": sku,
            "sku_name": names[sku],
            "category_l1": categories[sku],
            "on_hand": level,
            "units": units.get(sku, 0),
            "rate_per_hour": units.get(sku, 0) / hours,
            "hours_left": hours_left(level, units.get(sku, 0), hours),
        }
        for sku, level in levels.items()
    ]
    return sorted(rows, key=lambda r: (r["hours_left"] is None, r["hours_left"] or 0, r["sku_id"]))


def stockouts(levels: list[dict], *, threshold: int = 0, within_hours: float = 24) -> list[dict]:
    """The SKUs at or below `threshold` units, or running out within `within_hours` at the current rate."""
    return [
        r
        for r in levels
        if r["on_hand"] <= threshold or (r["hours_left"] is not None and r["hours_left"] <= within_hours)
    ]
