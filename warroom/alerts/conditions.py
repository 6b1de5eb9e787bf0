"""What a rule's condition reads from one label set's points at `now`: pure arithmetic, no clock.

Points are (bucket start, value) in time order, at the metric layer's grain (one minute for live rollups). The window
is half-open, [now - window, now): a bucket that starts at `now` has not happened yet.

Every reading says whether the condition FIRES (trips the rule's limit) and whether it HOLDS (is still
past the rule's `resolve` limit). A firing alert stays firing while its condition holds: that band
between `value` and `resolve` is the hysteresis that keeps a value wobbling around its limit from flapping.
"""

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.alerts.rules import Absent, Anomaly, BaselineChange, Change, Rule, Threshold

Point = tuple[datetime, float]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Robust z-score (Iglewicz & Hoaglin's modified z): (x - median) / (1.4826 * MAD). 1.4826 = 1 / Φ⁻¹(3/4)
# makes the MAD a consistent estimate of the standard deviation for normal data, while one spike in the
# history moves neither the median nor the MAD, as it would a mean and standard deviation.
MAD_TO_SIGMA = 1.4826
# When more than half the history is one value the MAD is 0; then the mean absolute deviation times
# sqrt(pi/2) = 1.2533 (its own normal-consistency constant) is the scale, as IBM SPSS does.
MEAN_AD_TO_SIGMA = 1.2533
# An `absent` rule by a dimension can only miss label sets it knows: those with a sample in the last day.
# A host silent for longer is taken as decommissioned, not down (and an alert already open stays open).
ABSENT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Reading:
    value: float | None  # None: no data to judge
    reference: float | None = None
    change: float | None = None  # % change vs reference, or the robust z-score
    fires: bool = False
    holds: bool = False


def reduce(points: Sequence[Point], how: str) -> float | None:
    values = [v for _, v in points]
    if not values:
        return None
    if how == "last":
        return max(points, key=lambda p: p[0])[1]
    if how == "sum":
        return float(sum(values))
    if how == "min":
        return float(min(values))
    if how == "max":
        return float(max(values))
    return statistics.fmean(values)


def in_range(points: Sequence[Point], start: datetime, end: datetime) -> list[Point]:
    return [p for p in points if start <= p[0] < end]


def robust_z(value: float, history: Sequence[float]) -> float | None:
    """(value - median) / (1.4826 · MAD); None when the history has no spread at all."""
    med = statistics.median(history)
    deviations = [abs(x - med) for x in history]
    scale = MAD_TO_SIGMA * statistics.median(deviations)
    if scale == 0:
        scale = MEAN_AD_TO_SIGMA * statistics.fmean(deviations)
    if scale == 0:
        return None
    return (value - med) / scale


def _compare(value: float, op: str, limit: float) -> bool:
    return {">": value > limit, ">=": value >= limit, "<": value < limit, "<=": value <= limit}[op]


def _past(change: float, pct: float) -> bool:
    """A change (%) past a signed limit: a drop at least as deep, or a rise at least as high."""
    return change <= pct if pct < 0 else change >= pct


def baseline_shift(rule: Rule, now: datetime, tz: ZoneInfo) -> timedelta:
    """How far back the baseline window lies: whole days of local wall-clock time ("same time of day")."""
    cond = rule.condition
    assert isinstance(cond, BaselineChange)
    local_now = now.astimezone(tz)
    days = cond.days_ago if cond.days_ago is not None else (local_now.date() - cond.day).days
    # Aware-datetime arithmetic in Python is wall-clock arithmetic: shifting the local time then converting
    # back keeps "10:00 local" at 10:00 even across a daylight-saving change.
    return now - (local_now - timedelta(days=days)).astimezone(now.tzinfo)


def judged_at(rule: Rule, now: datetime) -> datetime:
    """The instant a rule judges at `now`: the last whole multiple of its `every` (a minute start for the
    default 1m). An hourly rule (`every: 1h`) judges complete hours only: between 14:00 and 15:00 it reads
    up to 14:00, whichever minute the tick runs in, because a fact booked once an hour (marketing spend at
    the hour's start) against a part of the hour's sales says nothing."""
    step = rule.every
    return now - (now - _EPOCH) % step


def needed_ranges(rule: Rule, now: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The [start, end) time ranges of samples `read` needs at `now`: what the scheduler asks the metric
    layer for (with the rule's metric, filters and by)."""
    now = judged_at(rule, now)
    cond, start = rule.condition, now - rule.window
    if isinstance(cond, Change):
        return [(start - rule.window, now)]
    if isinstance(cond, BaselineChange):
        shift = baseline_shift(rule, now, tz)
        return [(start - shift, now - shift), (start, now)]
    if isinstance(cond, Anomaly):
        return [(start - cond.history, now)]
    if isinstance(cond, Absent):
        return [(now - max(cond.after, ABSENT_LOOKBACK), now)]
    return [(start, now)]


def read(
    rule: Rule, points: Sequence[Point], now: datetime, tz: ZoneInfo, volume: Sequence[Point] = ()
) -> Reading:
    """The condition at `now` (already judged_at). `volume`: the points of the rule's min_volume metric."""
    cond, start = rule.condition, now - rule.window
    if isinstance(cond, Absent):
        # Points come in time order (samples.merge sorts them): the last one before `now` by bisection.
        # Scanning a day of minutes per host cost ~1 ms a label set, most of a 500-rule tick.
        i = bisect_left(points, now, key=lambda p: p[0])
        last = points[i - 1][0] if i else None
        minutes = None if last is None else (now - last).total_seconds() / 60
        gone = last is None or last < now - cond.after
        return Reading(minutes, fires=gone, holds=gone)
    value = reduce(in_range(points, start, now), rule.reduce)
    if value is None:
        return Reading(None)
    if (
        rule.min_volume is not None
        and sum(v for _, v in in_range(volume, start, now)) < rule.min_volume.value
    ):
        return Reading(value)  # too little evidence to judge: neither fires nor holds
    if isinstance(cond, Threshold):
        return Reading(
            value, fires=_compare(value, cond.op, cond.limit), holds=_compare(value, cond.op, cond.resolve)
        )
    if isinstance(cond, Anomaly):
        history = [v for _, v in in_range(points, start - cond.history, start)]
        if len(history) < cond.min_points:
            return Reading(value)
        z = robust_z(value, history)
        if z is None:
            return Reading(value, reference=statistics.median(history))
        signed = {"up": z, "down": -z, "both": abs(z)}[cond.direction]
        return Reading(
            value, statistics.median(history), z, fires=signed >= cond.z, holds=signed >= cond.resolve
        )
    if isinstance(cond, Change):
        ref_start, ref_end = start - rule.window, start
    else:
        shift = baseline_shift(rule, now, tz)
        ref_start, ref_end = start - shift, now - shift
    reference = reduce(in_range(points, ref_start, ref_end), rule.reduce)
    if reference is None or reference == 0:
        return Reading(value, reference)
    change = (value - reference) / abs(reference) * 100
    return Reading(value, reference, change, fires=_past(change, cond.pct), holds=_past(change, cond.resolve))
