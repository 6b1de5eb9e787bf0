"""Market listings: what each shop sold, read from the sales counters a marketplace shows (listing_snapshots).

A listing's counter is cumulative, so
- sold to date   = the counter at the listing's last snapshot before `end`, and its amount that counter times
                   the price shown at that snapshot;
- sold in a day  = the difference between a listing's counter and its previous snapshot's, placed on the
                   later snapshot's local day, its amount that difference times the later snapshot's price.
                   A listing's first snapshot has no previous one, so the first day of the data shows no
                   sales. Differences are kept as they are: a counter that falls (a correction, refunds taken
                   back) lowers the day's figure, and `counter_drops` says how often that happened.
Snapshots without a counter are left out of both (they are still counted in `snapshots`).
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from warroom.metrics import Filter, Principal, dataset
from warroom.warehouse import Warehouse


def snapshots(
    warehouse: Warehouse, *, start: datetime, end: datetime, principal: Principal | None
) -> pa.Table:
    """ts, listing_id, shop, price, sale_count of the snapshots in [start, end), ordered by listing and time."""
    rows = dataset(
        warehouse,
        "listing_snapshots",
        ["ts", "listing_id", "shop", "price", "sale_count"],
        [
            Filter(dimension="ts", op=">=", value=start.isoformat()),
            Filter(dimension="ts", op="<", value=end.isoformat()),
        ],
        principal,
    )
    return rows.sort_by([("listing_id", "ascending"), ("ts", "ascending")])


def listing_sales(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    principal: Principal | None = None,
) -> dict:
    """{"shops": [{shop, snapshots, listings, units_to_date, amount_to_date, units_in_period,
    amount_in_period, counter_drops}] largest units to date first, "days": [{day, units, amount}]}."""
    rows = snapshots(warehouse, start=start, end=end, principal=principal)
    shops: dict[str, dict] = defaultdict(
        lambda: {
            "snapshots": 0,
            "listings": set(),
            "units_to_date": 0,
            "amount_to_date": Decimal(0),
            "units_in_period": 0,
            "amount_in_period": Decimal(0),
            "counter_drops": 0,
        }
    )
    for name, listing in zip(rows["shop"].to_pylist(), rows["listing_id"].to_pylist(), strict=True):
        shops[name]["snapshots"] += 1
        shops[name]["listings"].add(listing)

    counted = rows.filter(pc.is_valid(rows["sale_count"]))
    day = pc.strftime(counted["ts"].cast(pa.timestamp("us", tz=tz.key)), format="%Y-%m-%d").to_pylist()
    listing, shop = counted["listing_id"].to_pylist(), counted["shop"].to_pylist()
    price = [p if p is not None else Decimal(0) for p in counted["price"].to_pylist()]
    count = counted["sale_count"].to_pylist()
    days: dict[str, dict] = defaultdict(lambda: {"units": 0, "amount": Decimal(0)})
    for i in range(counted.num_rows):
        s = shops[shop[i]]
        if i > 0 and listing[i - 1] == listing[i]:
            sold = count[i] - count[i - 1]
            s["units_in_period"] += sold
            s["amount_in_period"] += sold * price[i]
            s["counter_drops"] += sold < 0
            days[day[i]]["units"] += sold
            days[day[i]]["amount"] += sold * price[i]
        if i + 1 == counted.num_rows or listing[i + 1] != listing[i]:  # the listing's last counted snapshot
            s["units_to_date"] += count[i]
            s["amount_to_date"] += count[i] * price[i]
    table = [{"shop": name, **v, "listings": len(v["listings"])} for name, v in shops.items()]
    table.sort(key=lambda r: (-r["units_to_date"], r["shop"]))
    return {"shops": table, "days": [{"day": d, **v} for d, v in sorted(days.items())]}
