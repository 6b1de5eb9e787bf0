"""Alert evaluation: `evaluate(rule, samples, prior, now) -> (states, notifications)`. Pure: no clock, no I/O.

Per label set, Prometheus semantics with two additions (hysteresis and acknowledgements):

  inactive --fires--> pending --fires for `for`--> firing --clear for `clear_for`--> resolved
  (a `for` of 0 goes straight to firing; pending that stops firing drops back to inactive, unnotified)

- firing: notified once when it fires, then every `repeat` while it still fires, unless acknowledged.
- hysteresis: a firing alert stays firing while its condition HOLDS (is past the `resolve` limit, which
  defaults to the firing limit) and resolves only after it has not held for `clear_for` without a break.
- resolved: notified once, and only if its firing was notified; kept for KEEP_RESOLVED so pages show it,
  then dropped. Firing again starts a new episode (pending, or firing at once with `for: 0`).
- no data: a threshold/change/anomaly reading without data neither fires nor holds (so it eventually
  resolves); `absent` rules are how missing data alerts.
- escalation: a critical rule with `escalate` (its own, or its team's in the rule file) sends a firing
  alert that nobody acknowledged or claimed within `escalate.after` of firing to `escalate.channels`, once
  per episode (kind "escalation"); an ack or claim before then, a silence, or resolving prevents it.
- mutes: a silence drops any notification of a matching alert while it runs (the state still moves; an
  alert whose firing was silenced is notified when the silence ends, if still firing). An ack drops the
  repeats of its episode. `AlertState.muted_by` says which mute applied at the last tick.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from warroom.alerts import templates
from warroom.alerts.conditions import Point, Reading, judged_at, needed_ranges, read
from warroom.alerts.notification import Labels, Notification
from warroom.alerts.rules import Absent, Anomaly, Rule, Threshold
from warroom.alerts.silences import Ack, Silence, acknowledged, silenced_by

# Prometheus keeps a resolved alert 15 minutes (rules/alerting.go, resolvedRetention) so it is still seen.
KEEP_RESOLVED = timedelta(minutes=15)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class AlertState:
    rule_id: str
    labels: Labels
    status: str  # "pending" | "firing" | "resolved"; inactive alerts are not kept
    active_since: datetime  # when the condition started firing in this episode
    value: float | None = None
    fired_at: datetime | None = None
    notified_at: datetime | None = None  # the last firing/repeat notification actually sent
    clear_since: datetime | None = None  # while firing: since when the condition has not held
    resolved_at: datetime | None = None
    muted_by: str | None = None  # "silence <id>" or "ack <who>" when the last tick's notification was muted
    escalated_at: datetime | None = None  # when this episode went to the rule's escalation channels (once)


class Evaluation(NamedTuple):
    states: dict[Labels, AlertState]
    notifications: tuple[Notification, ...]


def samples_needed(rule: Rule, now: datetime, tz: ZoneInfo = SHANGHAI) -> list[tuple[datetime, datetime]]:
    """Time ranges [start, end) of the rule's metric (with its filters and `by`) that evaluate needs."""
    return needed_ranges(rule, now, tz)


def evaluate(
    rule: Rule,
    samples: Mapping[Labels, Sequence[Point]],
    prior: Mapping[Labels, AlertState],
    now: datetime,
    *,
    silences: Iterable[Silence] = (),
    acks: Iterable[Ack] = (),
    tz: ZoneInfo = SHANGHAI,
    volume: Mapping[Labels, Sequence[Point]] | None = None,
) -> Evaluation:
    """One tick of one rule. `samples` maps each label set (its `by` dimensions) to its (time, value)
    points; `prior` is the previous tick's states; `volume` the same for the rule's min_volume metric.
    Returns the new states and the notifications to send.

    The state machine runs on the rule's judged time (conditions.judged_at: `now` itself for a 1-minute
    rule, the hour's start for an hourly one), so times in states and notifications are the data's;
    silences are matched at `now`."""
    if now.tzinfo is None:
        raise ValueError("evaluate needs an aware `now` (UTC)")
    if rule.min_volume is not None and volume is None:
        raise ValueError(
            f"rule {rule.id}: has min_volume {rule.min_volume.metric}, but no volume samples given"
        )
    wall, now = now, judged_at(rule, now)
    silences, acks = tuple(silences), tuple(acks)
    keys = set(samples) | set(prior)
    if isinstance(rule.condition, Absent) and not rule.by:
        keys.add(())  # a rule over the whole metric is absent even when no label set arrived at all
    states: dict[Labels, AlertState] = {}
    notifications: list[Notification] = []
    for labels in sorted(keys):
        if labels in samples and {k for k, _ in labels} != set(rule.by):
            raise ValueError(f"rule {rule.id}: samples labelled {labels} but the rule is by {rule.by}")
        reading = read(rule, samples.get(labels, ()), now, tz, (volume or {}).get(labels, ()))
        state, kind = _step(rule, labels, prior.get(labels), reading, now)
        if state is None:
            continue
        said_before = state.notified_at is not None  # the team's channels were told at an earlier tick
        if kind is not None:
            state, note = _deliver(rule, state, kind, reading, now, wall, silences, acks, tz)
            if note is not None:
                notifications.append(note)
        if said_before and _escalation_due(rule, state, now, wall, silences, acks):
            notifications.append(
                replace(
                    _notification(rule, state, "escalation", reading, now, tz),
                    channels=rule.escalate.channels,  # type: ignore[union-attr]
                )
            )
            state = replace(state, escalated_at=now)
        states[labels] = state
    return Evaluation(states, tuple(notifications))


def _step(
    rule: Rule, labels: Labels, prev: AlertState | None, reading: Reading, now: datetime
) -> tuple[AlertState | None, str | None]:
    """The state machine: the next state and which notification (if any) is due."""
    if prev is None or prev.status == "resolved":
        if not reading.fires:
            if prev is not None and now - prev.resolved_at < KEEP_RESOLVED:
                return replace(prev, value=reading.value, muted_by=None), None
            return None, None
        prev = AlertState(rule.id, labels, "pending", active_since=now)
    if prev.status == "pending":
        if not reading.fires:
            return None, None
        if now - prev.active_since < rule.hold_for:
            return replace(prev, value=reading.value), None
        return replace(prev, status="firing", value=reading.value, fired_at=now), "firing"
    # firing
    if reading.holds:
        state = replace(prev, value=reading.value, clear_since=None)
        if state.notified_at is None:
            return state, "firing"  # its first notification was muted (silence); try again
        return state, ("repeat" if now - state.notified_at >= rule.repeat else None)
    clear_since = prev.clear_since or now
    if now - clear_since < rule.clear_for:
        return replace(prev, value=reading.value, clear_since=clear_since), None
    resolved = replace(prev, status="resolved", value=reading.value, clear_since=None, resolved_at=now)
    return resolved, ("resolved" if prev.notified_at is not None else None)


def _deliver(
    rule: Rule,
    state: AlertState,
    kind: str,
    reading: Reading,
    now: datetime,
    wall: datetime,
    silences: tuple[Silence, ...],
    acks: tuple[Ack, ...],
    tz: ZoneInfo,
) -> tuple[AlertState, Notification | None]:
    silence = silenced_by(silences, rule.id, dict(state.labels), wall)
    if silence is not None:
        return replace(state, muted_by=f"silence {silence.id}"), None
    ack = acknowledged(acks, rule.id, state.labels, state.fired_at) if kind == "repeat" else None
    if ack is not None:
        return replace(state, muted_by=f"ack {ack.by}".strip()), None
    note = _notification(rule, state, kind, reading, now, tz)
    if kind != "resolved":
        state = replace(state, notified_at=now)
    return replace(state, muted_by=None), note


def _escalation_due(
    rule: Rule,
    state: AlertState,
    now: datetime,
    wall: datetime,
    silences: tuple[Silence, ...],
    acks: tuple[Ack, ...],
) -> bool:
    """A critical alert firing `escalate.after` since it fired, not acknowledged or claimed in this episode,
    not silenced now, and not escalated yet: once per episode. The caller also asks that its firing was
    told at an earlier tick: a silence postpones the escalation (nobody failed to answer what was never
    said) without restarting its clock, so it follows the firing one tick after the silence ends."""
    esc = rule.escalate
    return (
        esc is not None
        and rule.severity == "critical"
        and state.status == "firing"
        and state.escalated_at is None
        and state.notified_at is not None
        and state.fired_at is not None
        and now - state.fired_at >= esc.after
        and acknowledged(acks, rule.id, state.labels, state.fired_at) is None
        and silenced_by(silences, rule.id, dict(state.labels), wall) is None
    )


def _threshold_number(rule: Rule) -> float:
    cond = rule.condition
    if isinstance(cond, Threshold):
        return cond.limit
    if isinstance(cond, Anomaly):
        return cond.z
    if isinstance(cond, Absent):
        return cond.after.total_seconds() / 60
    return cond.pct


def _notification(
    rule: Rule, state: AlertState, kind: str, reading: Reading, now: datetime, tz: ZoneInfo
) -> Notification:
    fired_at = state.fired_at or now
    fields = templates.template_fields(
        rule_id=rule.id,
        metric=rule.metric,
        severity=rule.severity,
        team=rule.team,
        status="resolved" if kind == "resolved" else "firing",
        since=fired_at.astimezone(tz).strftime("%m-%d %H:%M"),
        value=reading.value,
        threshold=_threshold_number(rule),
        reference=reading.reference,
        change=reading.change,
        labels=dict(state.labels),
    )
    return Notification(
        rule_id=rule.id,
        labels=state.labels,
        kind=kind,
        at=now,
        fired_at=fired_at,
        value=reading.value,
        severity=rule.severity,
        team=rule.team,
        channels=rule.channels,
        summary_zh=templates.render(rule.message_zh, fields),
        summary_en=templates.render(rule.message_en, fields),
        link=templates.render(rule.link, fields) if rule.link else "",
    )
