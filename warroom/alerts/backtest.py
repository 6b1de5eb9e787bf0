"""Backtest: replay history through the rules and list what would have fired, when, and for whom.

The same evaluation as the live scheduler (evaluate with the previous step's states, no silences or acks),
at every `step` from `start` to `end`. Minute-bucket rules read their whole period in one query per
question and span (warroom/alerts/batch.py) and each step sees only the points before it; hour-bucket rules
are queried per step as live (batch.fetch_at, the tick's own call), because an hour bucket read after the
fact holds the rest of its hour (it would see a stock-out before it happened).
"""

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.alerts import batch, samples
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


def backtest(
    warehouse: Warehouse,
    rules: Sequence[Rule],
    start: datetime,
    end: datetime,
    *,
    tz: ZoneInfo,
    step: timedelta = STEP,
) -> list[Notification]:
    """Every notification the rules would have sent in [start, end), in time order. Samples come through
    warroom/alerts/batch.py as the live tick's do: rules asking the same question share queries."""
    at = steps(start, end, step)
    hourly = [r for r in rules if samples.grain_of(r) == "hour"]
    minutely = [r for r in rules if samples.grain_of(r) != "hour"]
    history = batch.fetch_history(warehouse, minutely, at[0], at[-1], tz)
    _raise_errors(history)
    times = {
        rule_id: {labels: [p[0] for p in points] for labels, points in series.items()}
        for rule_id, series in history.samples.items()
    }
    fill = {rule.id: samples.empty_is_zero(rule) for rule in minutely}
    states: dict[str, dict[Labels, AlertState]] = {rule.id: {} for rule in rules}
    notes: list[Notification] = []
    live: dict[str, samples.Samples] = {}  # hour-bucket rules' samples, kept while their ranges stay put
    asked: dict[str, list] = {}
    for now in at:
        due = [r for r in hourly if asked.get(r.id) != samples_needed(r, now, tz)]
        if due:  # an hourly rule (`every: 1h`) asks again only when its hour has moved on
            fetched = batch.fetch_at(warehouse, due, now, tz)
            _raise_errors(fetched)
            live.update(fetched.samples)
            asked.update({r.id: samples_needed(r, now, tz) for r in due})
        for rule in rules:
            if rule.id in live:
                data, volume = live[rule.id], _volume(live, rule)
            else:
                needed = samples_needed(rule, now, tz)
                lo = min(start for start, _ in needed)
                data = _before(history.samples[rule.id], times[rule.id], lo, now)
                volume = None
                if rule.min_volume is not None:
                    vid = batch.volume_id(rule)
                    volume = _before(history.samples[vid], times[vid], lo, now)
                if fill[rule.id]:  # as the live tick: a count's empty minutes are 0 (samples.fill_empty)
                    data = samples.fill_empty(data, needed, "minute")
            states[rule.id], new = evaluate(rule, data, states[rule.id], now, tz=tz, volume=volume)
            notes.extend(new)
    return sorted(notes, key=lambda n: (n.at, n.team, n.rule_id, n.labels))


def _volume(fetched: dict[str, samples.Samples], rule: Rule) -> samples.Samples | None:
    return fetched.get(batch.volume_id(rule), {}) if rule.min_volume is not None else None


def _raise_errors(fetched: batch.Batch) -> None:
    """A replay with a rule that cannot be read is no replay: say which and why."""
    if fetched.errors:
        raise UserError(
            "backtest: " + "; ".join(f"{rule}: {why}" for rule, why in sorted(fetched.errors.items()))
        )
