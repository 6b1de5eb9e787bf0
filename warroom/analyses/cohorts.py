"""Purchase histories: first-purchase cohorts, their retention, the repurchase rate, and new / returning /
reactivated buyers.

Method (shown on the page):

- A customer's history is the set of their distinct **purchase days**: two orders on one day are one purchase
  day, as in the repeat-purchase literature (Fader, Hardie & Lee 2005) and in the lifetime model of `clv`.
  A timestamp column counts by the calendar day in its own time zone; UTC instants are cast to
  `timestamp(unit, tz="Asia/Shanghai")` by the caller to count Shanghai days.
- **Cohort**: the week (Monday to Sunday) or calendar month of the customer's first purchase day.
- **Retention**: for cohort c and period k = 0, 1, ... the share of the cohort's customers with a purchase day
  in the k-th week or month after the cohort's own (k = 0 is the cohort period, always 100 %). Periods up to
  the observation end are listed, a zero where nobody bought; the last one may be partial.
- **Repurchase rate**: customers with two or more purchase days / customers.
- **New / returning / reactivated** buyers of a window [start, end): *new* if they never bought before the
  window; *reactivated* if their first purchase day in the window comes more than `gap_days` days after their
  last purchase day before it; *returning* otherwise.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warroom.errors import UserError

Grain = Literal["week", "month"]
RETENTION_SCHEMA = pa.schema(
    [
        ("cohort", pa.date32()),
        ("period", pa.int64()),
        ("cohort_size", pa.int64()),
        ("customers", pa.int64()),
        ("share", pa.float64()),
    ]
)
EPOCH = np.datetime64("1970-01-01", "D")


def as_days(values: pa.ChunkedArray | pa.Array, column: str) -> pa.ChunkedArray:
    """A date or timestamp column as date32: the calendar day in the timestamp's own time zone."""
    values = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    kind = values.type
    if values.null_count:
        raise UserError(f"column {column!r} has {values.null_count} empty values; every purchase needs a day")
    if pa.types.is_date32(kind):
        return values
    if pa.types.is_date64(kind):
        return values.cast(pa.date32())
    if pa.types.is_timestamp(kind):
        local = pc.local_timestamp(values) if kind.tz else values
        return local.cast(pa.timestamp(kind.unit)).cast(pa.date32())
    raise UserError(f"column {column!r} is {kind}; it must be a date or a timestamp")


def purchase_days(transactions: pa.Table, *, customer: str = "customer_id", day: str = "ts") -> pa.Table:
    """The distinct (customer_id, day) pairs of a transactions table, as date32 days."""
    require_columns(transactions, customer, day)
    pairs = pa.table({"customer_id": transactions[customer], "day": as_days(transactions[day], day)})
    if pairs["customer_id"].null_count:
        raise UserError(f"column {customer!r} has empty values; every purchase needs a customer")
    return pairs.group_by(["customer_id", "day"]).aggregate([])


def period_index(days: pa.ChunkedArray | pa.Array, grain: Grain) -> np.ndarray:
    """Weeks (Monday-based) or months since the Unix epoch, as int64: consecutive periods differ by 1."""
    number = np.asarray(pc.cast(days, pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)
    if grain == "week":
        return (number + 3) // 7  # 1970-01-01 was a Thursday: +3 makes Monday the first day of a week
    _check_grain(grain)
    return (EPOCH + number).astype("datetime64[M]").astype(np.int64)


def period_start(index: np.ndarray, grain: Grain) -> pa.Array:
    """The first day of each period index from `period_index`."""
    if grain == "week":
        return pa.array((index * 7 - 3).astype("datetime64[D]"), pa.date32())
    return pa.array(index.astype("datetime64[M]").astype("datetime64[D]"), pa.date32())


def retention(
    transactions: pa.Table,
    *,
    grain: Grain = "month",
    end: date | None = None,
    customer: str = "customer_id",
    day: str = "ts",
) -> pa.Table:
    """Cohort retention in long form: cohort (first day of the period), period k, cohort_size, customers
    (those with a purchase day in period k), share = customers / cohort_size.

    `end` is the last observed day (default: the last purchase day in the data); periods after it are not
    listed rather than shown as zero.
    """
    days = purchase_days(transactions, customer=customer, day=day)
    _check_grain(grain)
    if end is not None:
        days = days.filter(pc.less_equal(days["day"], pa.scalar(end, pa.date32())))
    if days.num_rows == 0:
        return RETENTION_SCHEMA.empty_table()
    last_day = end if end is not None else pc.max(days["day"]).as_py()
    last = int(period_index(pa.array([last_day], pa.date32()), grain)[0])
    first = days.group_by("customer_id").aggregate([("day", "min")]).rename_columns(["customer_id", "first"])
    joined = days.join(first, "customer_id")
    cohort = period_index(joined["first"], grain)
    k = period_index(joined["day"], grain) - cohort
    active = (
        pa.table({"customer_id": joined["customer_id"], "cohort": cohort, "period": k})
        .group_by(["cohort", "period"])
        .aggregate([("customer_id", "count_distinct")])
    )
    counts = dict(
        zip(
            zip(active["cohort"].to_pylist(), active["period"].to_pylist(), strict=True),
            active["customer_id_count_distinct"].to_pylist(),
            strict=True,
        )
    )
    cohorts = np.array(sorted({c for c, _ in counts}), dtype=np.int64)
    span = last - cohorts + 1
    grid_cohort = np.repeat(cohorts, span)
    grid_period = np.concatenate([np.arange(n, dtype=np.int64) for n in span])
    size = np.array([counts[(int(c), 0)] for c in grid_cohort], dtype=np.int64)
    active_n = np.array(
        [counts.get((int(c), int(p)), 0) for c, p in zip(grid_cohort, grid_period, strict=True)], np.int64
    )
    return pa.table(
        [period_start(grid_cohort, grain), grid_period, size, active_n, active_n / size],
        schema=RETENTION_SCHEMA,
    )


@dataclass(frozen=True)
class Repurchase:
    customers: int
    repeat_customers: int  # customers with two or more purchase days

    @property
    def rate(self) -> float:
        return self.repeat_customers / self.customers if self.customers else 0.0


def repurchase(transactions: pa.Table, *, customer: str = "customer_id", day: str = "ts") -> Repurchase:
    """How many customers bought on two or more distinct days, out of all customers."""
    per_customer = (
        purchase_days(transactions, customer=customer, day=day)
        .group_by("customer_id")
        .aggregate([("day", "count")])
    )
    days = per_customer["day_count"].to_numpy()
    return Repurchase(customers=len(days), repeat_customers=int((days >= 2).sum()))


BUYER_STATUSES = ("new", "returning", "reactivated")


@dataclass(frozen=True)
class BuyerMix:
    new: int
    returning: int
    reactivated: int


def classify_buyers(
    transactions: pa.Table,
    *,
    start: date,
    end: date,
    gap_days: int,
    customer: str = "customer_id",
    day: str = "ts",
) -> pa.Table:
    """Every customer with a purchase day in [start, end), with status new / returning / reactivated,
    first_in_window, last_before (empty for new buyers) and gap_days between the two.

    Purchases on or after `end` are ignored, so the window can be replayed as of any past day.
    """
    if end <= start:
        raise UserError(f"the window ends ({end}) on or before it starts ({start}); end is exclusive")
    if gap_days < 0:
        raise UserError(f"gap_days is {gap_days}; it must be 0 or more")
    days = purchase_days(transactions, customer=customer, day=day)
    start_s, end_s = pa.scalar(start, pa.date32()), pa.scalar(end, pa.date32())
    before = days.filter(pc.less(days["day"], start_s))
    inside = days.filter(pc.and_(pc.greater_equal(days["day"], start_s), pc.less(days["day"], end_s)))
    first_in = inside.group_by("customer_id").aggregate([("day", "min")])
    first_in = first_in.rename_columns(["customer_id", "first_in_window"])
    last_before = before.group_by("customer_id").aggregate([("day", "max")])
    last_before = last_before.rename_columns(["customer_id", "last_before"])
    buyers = first_in.join(last_before, "customer_id", join_type="left outer").sort_by("customer_id")
    gap = pc.days_between(buyers["last_before"], buyers["first_in_window"])
    status = pc.if_else(
        pc.is_null(gap),
        "new",
        pc.if_else(pc.greater(gap, pa.scalar(gap_days, gap.type)), "reactivated", "returning"),
    )
    return buyers.append_column("gap_days", gap).append_column("status", status)


def buyer_mix(classified: pa.Table) -> BuyerMix:
    """Counts of each status in a `classify_buyers` table."""
    statuses = classified["status"].to_pylist()
    return BuyerMix(*(statuses.count(s) for s in BUYER_STATUSES))


def _check_grain(grain: str) -> None:
    if grain not in ("week", "month"):
        raise UserError(f"grain {grain!r} is not known; use 'week' or 'month'")


def require_columns(table: pa.Table, *columns: str) -> None:
    """A UserError naming the missing columns, for every analysis that takes a table."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise UserError(
            f"the table lacks column(s) {', '.join(map(repr, missing))}; it has "
            f"{', '.join(table.column_names)} (name other columns with the customer=, day=, ... arguments)"
        )
