"""Promotions compared: for each promotion type (or each promotion), orders, GMV, AOV, discount cost, the
conversion of the traffic it covered, its uplift over comparable traffic without it, and the cost per
incremental order.

Method (shown on the page):
- Orders, paid GMV, AOV and units count the paid lines whose **main** promotion (order_items.promo_id) is of
  the type; the discount cost is every discount of that type on paid orders, stacked ones included
  (item_discounts), so a coupon stacked on a flash-sale line counts toward coupon cost.
- **Uplift**: traffic is cut into cells of one hour x category_l1 x channel_group. A cell is *covered* by a
  type when a promotion of that type runs for the whole hour and its rule reaches the cell (its category_l1
  list and channel_group, when the rule has them). Promotions scoped to single SKUs (flash sales, 单品券)
  cover no whole cell and get no uplift. The conversion of a cell is paid orders / visits (orders holding a
  line of the category, at payment time; visits viewing it). The comparable conversion of a covered cell is
  that of the cells with the same hour of day, category and channel group that the type did not cover, over
  the whole window. Uplift = orders in covered cells / the orders they would have had at the comparable
  conversion - 1; incremental orders = the difference; cost per incremental order = discount cost /
  incremental orders (none when there are no incremental orders).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import orjson

from warroom.analyses.ops.scope import records, split_filters
from warroom.errors import UserError
from warroom.metrics import MetricQuery, Principal, dataset, run_query
from warroom.warehouse import Warehouse

SALES = ["orders", "gmv_paid", "aov", "units", "discount_amount"]
CELL_METRICS = ["sessions", "orders"]
Level = Literal["promo_type", "promo"]


def covers(promo: dict, hour: datetime, category: str | None, group: str | None) -> bool:
    """Whether the promotion runs for the whole hour starting at `hour` and its rule reaches the cell."""
    rule = promo["rule"]
    if "sku_ids" in rule or not (
        promo["starts_at"] <= hour and hour + timedelta(hours=1) <= promo["ends_at"]
    ):
        return False
    if "category_l1" in rule and category not in rule["category_l1"]:
        return False
    return "channel_group" not in rule or rule["channel_group"] == group


def uplift(cells: list[dict], promos: list[dict], key: str, tz: ZoneInfo) -> dict[str, dict]:
    """Per value of `key` (promo_type or promo_id) of `promos`: covered visits, orders, conversion, the
    comparable conversion, expected orders, uplift and incremental orders; cells are {time, category_l1,
    channel_group, sessions, orders}."""
    out = {}
    for value in sorted({p[key] for p in promos}):
        mine = [p for p in promos if p[key] == value]
        covered, control = [], defaultdict(lambda: [0, 0])
        for c in cells:
            slot = (c["time"].astimezone(tz).hour, c["category_l1"], c["channel_group"])
            if any(covers(p, c["time"], c["category_l1"], c["channel_group"]) for p in mine):
                covered.append((slot, c))
            else:
                control[slot][0] += c["sessions"] or 0
                control[slot][1] += c["orders"] or 0
        visits = orders = expected = 0.0
        for slot, c in covered:
            base_visits, base_orders = control.get(slot, (0, 0))
            if not base_visits:  # nothing comparable: the cell is left out of both sides
                continue
            visits += c["sessions"] or 0
            orders += c["orders"] or 0
            expected += (c["sessions"] or 0) * base_orders / base_visits
        out[value] = {
            "covered_sessions": int(visits),
            "covered_orders": int(orders),
            "conversion": orders / visits if visits else None,
            "comparable_conversion": expected / visits if visits else None,
            "expected_orders": expected if visits else None,
            "uplift": orders / expected - 1 if expected else None,
            "incremental_orders": orders - expected if visits else None,
        }
    return out


def promotion_rules(warehouse: Warehouse, principal: Principal | None) -> list[dict]:
    """promo_id, promo_type, starts_at, ends_at and the parsed rule of every promotion that gave a discount.

    Read through item_discounts because dataset() resolves promo_id and promo_type as dimensions, which are
    not defined on the promotions table itself; a promotion that never discounted a line covers no sale."""
    rows = dataset(
        warehouse,
        "item_discounts",
        [
            "promo_id",
            "promotions.promo_type",
            "promotions.starts_at",
            "promotions.ends_at",
            "promotions.rule",
        ],
        [],
        principal,
    )
    unique = rows.group_by(rows.column_names).aggregate([]).to_pylist()
    return [
        {
            "promo_id": r["promo_id"],
            "promo_type": r["promotions.promo_type"],
            "starts_at": r["promotions.starts_at"],
            "ends_at": r["promotions.ends_at"],
            "rule": orjson.loads(r["promotions.rule"] or "{}"),
        }
        for r in unique
    ]


def promotions(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    level: Level = "promo_type",
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
) -> dict:
    """{"level", "rows": [{promo_type|promo, orders, gmv_paid, aov, units, discount_amount, conversion,
    comparable_conversion, uplift, incremental_orders, cost_per_incremental_order, ...}], "ignored_filters"}."""
    if level not in ("promo_type", "promo"):
        raise UserError(f"promotion level {level!r}: use promo_type or promo")
    kept, ignored = split_filters(filters, SALES)
    sales = run_query(
        warehouse,
        MetricQuery(metrics=SALES, dimensions=[level], filters=kept, time_from=start, time_to=end),
        principal,
    )
    cell_filters, cell_ignored = split_filters(filters, CELL_METRICS)
    cells = run_query(
        warehouse,
        MetricQuery(
            metrics=CELL_METRICS,
            dimensions=["category_l1", "channel_group"],
            filters=cell_filters,
            time_from=start,
            time_to=end,
            grain="hour",
        ),
        principal,
    )
    key = "promo_type" if level == "promo_type" else "promo_id"
    lifts = uplift(records(cells.rows), promotion_rules(warehouse, principal), key, tz)
    rows = []
    for row in records(sales.rows):
        if row[level] is None:
            continue  # lines without a main promotion: the comparison is between promotions
        lift = lifts.get(row[level], {})
        incremental = lift.get("incremental_orders")
        cost = row["discount_amount"] / incremental if incremental and incremental > 0 else None
        rows.append({**row, **lift, "cost_per_incremental_order": cost})
    rows.sort(key=lambda r: -(r["gmv_paid"] or 0))
    return {"level": level, "rows": rows, "ignored_filters": sorted(set(ignored) | set(cell_ignored))}
