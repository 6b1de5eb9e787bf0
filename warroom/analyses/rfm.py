"""RFM segmentation: recency, frequency and monetary value per customer, scored 1-5 and named.

Method (shown on the page):

- **Recency** = days from the customer's last purchase day to the reference date (the day after the data
  ends, usually); **frequency** = distinct orders; **monetary** = the sum paid, exact in the amount's own type
  (DECIMAL money stays DECIMAL).
- **Scores 1-5 by quintile of the customers' own distribution**, 5 the best (most recent, most orders, most
  spent). Each customer's value gets the mid-rank percentile u = (worse + equal / 2) / n, where worse counts
  the customers with a strictly worse value and equal those with the same value, and the score is
  1 + floor(5 u). So tied customers always share a score (it depends on the values, never on row order);
  n distinct values that divide into fifths give exact quintiles; a value everyone shares scores 3 and a
  lone customer scores 3 on all three; with fewer than 5 distinct values some scores are unused (2
  customers score 2 and 4). Heavy ties, common for frequency where many bought once, put the whole tie into
  the score of its middle.
- **FM** = the mean of the F and M scores rounded half up. The **segment** is read from the R × FM table
  `SEGMENT_GRID` below (rows R 5..1, columns FM 1..5), which covers all 25 cells.
"""

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warroom.analyses.cohorts import as_days, require_columns
from warroom.errors import UserError

# What each segment means, in the order pages list them.
SEGMENTS = {
    "champions": "bought recently, buy often and spend the most",
    "loyal": "buy often and spend well, fairly recently",
    "potential_loyalist": "recent customers with average frequency and spend",
    "new": "bought very recently, once or little so far",
    "promising": "recent buyers who have not spent much yet",
    "need_attention": "middling recency; worth a nudge before they slip",
    "at_risk": "bought often and spent well, but long ago",
    "cannot_lose": "the biggest and most frequent buyers, who have not come back for a long time",
    "hibernating": "low spend and few orders, last purchase a while ago",
    "lost": "lowest recency, frequency and spend",
}

# SEGMENT_GRID[r][fm - 1]: the segment of R score r and FM score fm.
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("need_attention", "need_attention", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cannot_lose"),
}


def rfm_summary(
    transactions: pa.Table,
    *,
    reference_date: date,
    customer: str = "customer_id",
    order: str = "order_id",
    day: str = "ts",
    amount: str = "paid_amount",
) -> pa.Table:
    """customer_id, recency_days, frequency, monetary for each customer of the transactions (one row per
    order or per order line: frequency counts distinct order ids, monetary sums every row)."""
    require_columns(transactions, customer, order, day, amount)
    for column in (customer, order, amount):
        if transactions[column].null_count:
            raise UserError(f"column {column!r} has {transactions[column].null_count} empty values")
    rows = pa.table(
        {
            "customer_id": transactions[customer],
            "order_id": transactions[order],
            "day": as_days(transactions[day], day),
            "amount": transactions[amount],
        }
    )
    late = rows.filter(pc.greater(rows["day"], pa.scalar(reference_date, pa.date32())))
    if late.num_rows:
        raise UserError(
            f"{late.num_rows} purchases fall after the reference date {reference_date} (the first: customer "
            f"{late['customer_id'][0].as_py()} on {late['day'][0].as_py()}); pass only purchases up to that day"
        )
    per = (
        rows.group_by("customer_id")
        .aggregate([("day", "max"), ("order_id", "count_distinct"), ("amount", "sum")])
        .sort_by("customer_id")
    )
    monetary = per["amount_sum"]
    if pa.types.is_decimal(rows["amount"].type):
        monetary = monetary.cast(rows["amount"].type)  # the sum widens to 38 digits; money is stored narrower
    return pa.table(
        {
            "customer_id": per["customer_id"],
            "recency_days": pc.days_between(per["day_max"], pa.scalar(reference_date, pa.date32())),
            "frequency": per["order_id_count_distinct"],
            "monetary": monetary,
        }
    )


def quintile_scores(values: pa.Array | pa.ChunkedArray | np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Scores 1-5 by the mid-rank rule of the module docstring, as int8; ties share a score."""
    values = pa.chunked_array([values]) if not isinstance(values, pa.ChunkedArray) else values
    if values.null_count:
        raise UserError(f"cannot score {values.null_count} empty values; every customer needs a value")
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    order = "ascending" if higher_is_better else "descending"
    first = pc.rank(values, sort_keys=order, tiebreaker="min").to_numpy().astype(np.int64)
    last = pc.rank(values, sort_keys=order, tiebreaker="max").to_numpy().astype(np.int64)
    worse, equal = first - 1, last - first + 1
    # 1 + floor(5 (worse + equal/2) / n), in integers so that quintile boundaries are exact.
    return (1 + (5 * (2 * worse + equal)) // (2 * n)).astype(np.int8)


def segment_of(r_score: np.ndarray, fm_score: np.ndarray) -> np.ndarray:
    """The segment names of R and FM scores, by SEGMENT_GRID."""
    grid = np.array([SEGMENT_GRID[r] for r in range(1, 6)], dtype=object)
    r, fm = np.asarray(r_score, dtype=np.int64), np.asarray(fm_score, dtype=np.int64)
    if ((r < 1) | (r > 5) | (fm < 1) | (fm > 5)).any():
        raise UserError("RFM scores must be 1 to 5")
    return grid[r - 1, fm - 1]


def score_rfm(summary: pa.Table) -> pa.Table:
    """The `rfm_summary` table with r_score, f_score, m_score, fm_score (int8) and segment."""
    require_columns(summary, "recency_days", "frequency", "monetary")
    r = quintile_scores(summary["recency_days"], higher_is_better=False)
    f = quintile_scores(summary["frequency"], higher_is_better=True)
    m = quintile_scores(summary["monetary"], higher_is_better=True)
    fm = ((f.astype(np.int64) + m + 1) // 2).astype(np.int8)  # the mean rounded half up
    return (
        summary.append_column("r_score", pa.array(r))
        .append_column("f_score", pa.array(f))
        .append_column("m_score", pa.array(m))
        .append_column("fm_score", pa.array(fm))
        .append_column("segment", pa.array(segment_of(r, fm), pa.string()))
    )


def segment_sizes(scored: pa.Table) -> pa.Table:
    """segment, customers and monetary (their summed spend) for every segment in SEGMENTS order, zero
    rows included, so a page always shows the same ten bars."""
    require_columns(scored, "segment", "monetary")
    sums = scored.group_by("segment").aggregate([("segment", "count"), ("monetary", "sum")])
    found = {
        s: (n, v)
        for s, n, v in zip(
            sums["segment"].to_pylist(),
            sums["segment_count"].to_pylist(),
            sums["monetary_sum"].to_pylist(),
            strict=True,
        )
    }
    money = scored["monetary"].type
    spent = pa.array([found[s][1] if s in found else None for s in SEGMENTS], sums["monetary_sum"].type)
    return pa.table(
        {
            "segment": list(SEGMENTS),
            "customers": pa.array([found[s][0] if s in found else 0 for s in SEGMENTS], pa.int64()),
            "monetary": pc.coalesce(spent.cast(money), pa.scalar(0, pa.int8()).cast(money)),
        }
    )
