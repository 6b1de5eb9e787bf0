"""Backtest: replay history through the rules and list what would have fired, when, and for whom.

The same evaluation as the live scheduler (evaluate with the previous step's states, no silences or acks),
at every `step` from `start` to `end`. Minute-bucket rules read their whole period in one query per needed
range and each step sees only the points before it; hour-bucket rules are queried per step as live, because
an hour bucket read after the fact holds the rest of its hour (it would see a stock-out before it happened).
"""

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.alerts import samples
from warroom.alerts.evaluate import AlertState, evaluate, samples_needed
from warroom.alerts.notification import Labels, Notification
from warroom.alerts.rules import Rule
from warroom.errors import UserError
from warroom.warehouse import Warehouse

STEP = timedelta(minutes=1)  # the live tick judges whole minutes (samples.alert_time): so does the replay


def steps(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise UserError("backtest --from and --to need a time zone")
    if end <= start:
        raise UserError(f"backtest: --to {end.isoformat()} must be after --from {start.isoformat()}")
    if step < STEP:
        raise UserError(f"backtest: --step must be at least 1 minute (rules read whole minutes), got {step}")
    out, t = [], samples.alert_time(start)
    while t < end:
        out.append(t)
        t += step
    return out


def _before(series: samples.Samples, times: dict[Labels, list[datetime]], lo: datetime, hi: datetime):
    """The points in [lo, hi) per label set; label sets without any are left out (not yet seen)."""
    out = {}
    for labels, points in series.items():
        ts = times[labels]
        part = points[bisect_left(ts, lo) : bisect_left(ts, hi)]
        if part:
            out[labels] = part
    return out


def backtest_rule(
    warehouse: Warehouse, rule: Rule, at: Sequence[datetime], tz: ZoneInfo, memo: dict | None = None
) -> list[Notification]:
    """The rule's notifications at the times `at`; `memo` shares query results between rules that ask the
    same question (the two stock rules)."""
    if not at:
        return []
    notes: list[Notification] = []
    states: dict[Labels, AlertState] = {}
    hourly = samples.grain_of(rule) == "hour"
    if not hourly:
        series = samples.fetch(warehouse, rule, samples.history_queries(rule, at[0], at[-1], tz), tz)
        times = {labels: [p[0] for p in points] for labels, points in series.items()}
    for now in at:
        if hourly:
            data = samples.fetch_samples(warehouse, rule, now, tz, memo)
        else:
            lo = min(start for start, _ in samples_needed(rule, now, tz))
            data = _before(series, times, lo, now)
        states, new = evaluate(rule, data, states, now, tz=tz)
        notes.extend(new)
    return notes


def backtest(
    warehouse: Warehouse,
    rules: Sequence[Rule],
    start: datetime,
    end: datetime,
    *,
    tz: ZoneInfo,
    step: timedelta = STEP,
) -> list[Notification]:
    """Every notification the rules would have sent in [start, end), in time order."""
    at = steps(start, end, step)
    memo: dict = {}
    notes = [n for rule in rules for n in backtest_rule(warehouse, rule, at, tz, memo)]
    return sorted(notes, key=lambda n: (n.at, n.team, n.rule_id, n.labels))
