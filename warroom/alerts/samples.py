"""A rule's samples from the metric layer: the queries `evaluate` needs, and their rows as labelled points.

Rules never write SQL: each needed time range (evaluate.samples_needed) is one `run_query` of the rule's
metric, with its filters and its `by` dimensions, per time bucket. Points are (bucket start, value):

- minute buckets for rules whose window is under an hour (what conditions.py reduces over the window);
- hour buckets for windows of an hour or more: some facts only exist per hour (inventory is snapshotted
  at the top of each hour it changed, so stock per minute would be empty most minutes).

Alerts judge whole minutes: the scheduler evaluates at `alert_time(now)` (the minute `now` is in), so the
minute still being written is not read, and a tick repeated within a minute sees the same buckets plus any
late rows. The backtest asks once per range for a whole period (`history_ranges`) and slices the points
per step, which is what makes replaying a day of minutes cheap. Many rules at once: warroom/alerts/batch.py.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from warroom.alerts.conditions import Point
from warroom.alerts.evaluate import samples_needed
from warroom.alerts.notification import Labels
from warroom.alerts.rules import Absent, Rule
from warroom.metrics import Filter, MetricQuery, load_catalog, run_query
from warroom.warehouse import Warehouse

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
Samples = dict[Labels, list[Point]]
# Aggregates whose bucket without rows is a 0, not "unknown": no refunds in an hour is 0 refunds. An average,
# a minimum or a percentile of nothing has no value, and neither has a ratio (nothing to divide by).
ZERO_WHEN_EMPTY = ("count", "count_distinct", "sum")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def grain_of(rule: Rule) -> str:
    return "hour" if rule.window >= HOUR else "minute"


def alert_time(now: datetime) -> datetime:
    """The start of the minute `now` is in: the instant rules are judged at (see the module docstring)."""
    return now.replace(second=0, microsecond=0)


def _filters(rule: Rule) -> list[Filter]:
    out = []
    for dim, values in rule.filters:
        if len(values) == 1:
            out.append(Filter(dimension=dim, op="=", value=values[0]))
        else:
            out.append(Filter(dimension=dim, op="in", value=list(values)))
    return out


def range_query(rule: Rule, start: datetime, end: datetime) -> MetricQuery:
    """The metric query for the rule's points in [start, end)."""
    return MetricQuery(
        metrics=[rule.metric],
        dimensions=list(rule.by),
        filters=_filters(rule),
        time_from=start,
        time_to=end,
        grain=grain_of(rule),
    )


def sample_queries(rule: Rule, now: datetime, tz: ZoneInfo) -> list[MetricQuery]:
    """The queries one evaluation at `now` needs (one per needed range)."""
    return [range_query(rule, start, end) for start, end in samples_needed(rule, now, tz)]


def history_ranges(
    rule: Rule, start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Ranges covering every evaluation at times in [start, end]: each needed range, from where it lies at
    `start` to where it lies at `end`."""
    first, last = samples_needed(rule, start, tz), samples_needed(rule, end, tz)
    return [(a[0], b[1]) for a, b in zip(first, last, strict=True)]


def history_queries(rule: Rule, start: datetime, end: datetime, tz: ZoneInfo) -> list[MetricQuery]:
    return [range_query(rule, a, b) for a, b in history_ranges(rule, start, end, tz)]


def run(warehouse: Warehouse, query: MetricQuery, tz: ZoneInfo) -> pa.Table:
    """One query's rows, as the system: alerts see every row, and go only to the owning team."""
    return run_query(warehouse, query, None, tz=tz).rows


def to_samples(rule: Rule, rows: pa.Table) -> Samples:
    """Rows of a rule's query as points per label set; a bucket whose value is null (nothing to divide by)
    is no point at all, so it neither fires nor holds."""
    out: Samples = defaultdict(list)
    # Column by column, not row dicts: the 500-rule tick converts ~50k rows.
    times, values = rows.column("time").to_pylist(), rows.column(rule.metric).to_pylist()
    dims = [(dim, rows.column(dim).to_pylist()) for dim in sorted(rule.by)]
    for i, value in enumerate(values):
        if value is None:
            continue
        labels = tuple((dim, str(col[i])) for dim, col in dims)
        out[labels].append((times[i], float(value)))  # DECIMAL money too: evaluation is arithmetic on floats
    return dict(out)


def empty_is_zero(rule: Rule) -> bool:
    """Whether the rule's empty buckets are 0: its metric is a plain count or sum (catalog), and it is no
    `absent` rule (which asks precisely whether rows came).

    The metric layer returns no row for a bucket without rows, so without this a count's quiet hours were
    missing from an anomaly's history: refund_spike's trailing day of 家居 refunds held 10 hours instead of
    24 (the 14 quiet ones left out), below its min_points of 12, and the median of the busy hours alone
    stood higher than the day's. It never judged the refund incident (bench/alerts.py at scale 1)."""
    if isinstance(rule.condition, Absent):
        return False
    metric = load_catalog().metrics.get(rule.metric)
    return metric is not None and metric.type == "simple" and metric.agg in ZERO_WHEN_EMPTY


def fill_empty(series: Samples, ranges: Sequence[tuple[datetime, datetime]], grain: str) -> Samples:
    """Each label set's missing buckets in `ranges` as 0-valued points (whole buckets: those starting in a
    range). Only label sets with some point are filled: one never seen is not known to exist."""
    step = HOUR if grain == "hour" else MINUTE
    out: Samples = {}
    for labels, points in series.items():
        have = dict(points)
        for start, end in ranges:
            t = _EPOCH + -((_EPOCH - start) // step) * step  # the first bucket start at or after `start`
            while t < end:
                have.setdefault(t, 0.0)
                t += step
        out[labels] = sorted(have.items())
    return out


def merge(parts: Iterable[Samples]) -> Samples:
    """Several ranges' samples as one (a point present in two ranges is kept once)."""
    out: dict[Labels, dict[datetime, float]] = defaultdict(dict)
    for part in parts:
        for labels, points in part.items():
            out[labels].update(points)
    return {labels: sorted(points.items()) for labels, points in out.items()}


def fetch(
    warehouse: Warehouse,
    rule: Rule,
    queries: Sequence[MetricQuery],
    tz: ZoneInfo,
    memo: dict[str, pa.Table] | None = None,
    *,
    fill: bool = True,
) -> Samples:
    """Run one rule's queries (see `run`). `memo`, when given, keeps each query's rows so rules asking the
    same question ask the warehouse once; warroom/alerts/batch.py does this for many rules at once.
    `fill`: a count's or sum's empty buckets in the queried ranges are 0 (fill_empty)."""
    parts = []
    for q in queries:
        key = q.model_dump_json()
        rows = memo.get(key) if memo is not None else None
        if rows is None:
            rows = run(warehouse, q, tz)
            if memo is not None:
                memo[key] = rows
        parts.append(to_samples(rule, rows))
    merged = merge(parts)
    if fill and empty_is_zero(rule):
        merged = fill_empty(merged, [(q.time_from, q.time_to) for q in queries], grain_of(rule))
    return merged


def fetch_samples(
    warehouse: Warehouse, rule: Rule, now: datetime, tz: ZoneInfo, memo: dict[str, pa.Table] | None = None
) -> Samples:
    """What `evaluate(rule, samples, prior, now)` needs at `now` (a minute start, see alert_time)."""
    return fetch(warehouse, rule, sample_queries(rule, now, tz), tz, memo)
