"""The purchase history the customer analyses share: one row per paid order, read through dataset()."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from warroom.metrics import Filter, Principal, dataset
from warroom.warehouse import Warehouse


def paid_orders(
    warehouse: Warehouse, *, end: datetime, tz: ZoneInfo, principal: Principal | None
) -> pa.Table:
    """customer_id, order_id, ts (paid_at in `tz`, so purchase days are local days), paid_amount of the
    orders paid before `end`."""
    rows = dataset(
        warehouse,
        "orders",
        ["customer_id", "order_id", "paid_at", "paid_amount"],
        [Filter(dimension="paid_at", op="<", value=end.isoformat())],
        principal,
    )
    rows = rows.filter(pc.is_valid(rows["paid_at"]))
    return pa.table(
        {
            "customer_id": rows["customer_id"],
            "order_id": rows["order_id"],
            "ts": rows["paid_at"].cast(pa.timestamp("us", tz=tz.key)),
            "paid_amount": rows["paid_amount"],
        }
    )


def pay_events(warehouse: Warehouse, *, end: datetime, tz: ZoneInfo, principal: Principal | None) -> pa.Table:
    """customer_id, ts (in `tz`) of the pay events before `end`: the purchase history of a source that has
    a behaviour log but no orders (Taobao UserBehavior's `buy` rows)."""
    rows = dataset(
        warehouse,
        "events",
        ["customer_id", "ts"],
        [
            Filter(dimension="event_type", op="=", value="pay"),
            Filter(dimension="ts", op="<", value=end.isoformat()),
        ],
        principal,
    )
    return pa.table(
        {"customer_id": rows["customer_id"], "ts": rows["ts"].cast(pa.timestamp("us", tz=tz.key))}
    )
