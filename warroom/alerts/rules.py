"""Alert rules as data: frozen dataclasses parsed from YAML, every problem reported with its file:line.

A rule names a catalog metric, the filters and `by` dimensions the metric layer applies (one alert instance
per label set), a condition, how long it must hold (`for`) and how long it must be clear before it resolves
(`clear_for`), who owns it and where it goes. The engine never queries: the scheduler asks the metric layer
for the samples `evaluate.samples_needed(rule, now)` names. The file format is described in rulepack.yaml.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from warroom.alerts import templates
from warroom.alerts.located import LocatedDict, LocatedList, Problem, Reader, RuleFileError, load
from warroom.errors import UserError

SEVERITIES = ("critical", "warning", "info")  # most urgent first: the order batches list alerts in
TEAMS = ("ops", "finance", "tech")
REDUCERS = ("avg", "last", "min", "max", "sum")
OPS = (">", ">=", "<", "<=")
DIRECTIONS = ("up", "down", "both")


@dataclass(frozen=True)
class Threshold:
    """Fires when `value op limit`; while firing, holds until the value is back past `resolve`."""

    op: str
    limit: float
    resolve: float


@dataclass(frozen=True)
class Change:
    """Change in % of this window vs the window before it. pct < 0 fires on a drop, pct > 0 on a rise."""

    pct: float
    resolve: float


@dataclass(frozen=True)
class BaselineChange:
    """Change in % vs the same window of a baseline day: a fixed date, or `days_ago` days before."""

    pct: float
    resolve: float
    days_ago: int | None
    day: date | None


@dataclass(frozen=True)
class Anomaly:
    """Robust z-score of this window's value against the trailing `history` (see conditions.robust_z)."""

    z: float
    resolve: float
    history: timedelta
    direction: str
    min_points: int


@dataclass(frozen=True)
class Absent:
    """Fires when a label set has had no sample for `after`."""

    after: timedelta


Condition = Threshold | Change | BaselineChange | Anomaly | Absent


@dataclass(frozen=True)
class MinVolume:
    """Judge the rule only when the window holds at least `value` of `metric` (summed over its buckets, same
    filters and `by`): below it there is too little evidence, and the reading neither fires nor holds."""

    metric: str
    value: float


@dataclass(frozen=True)
class Escalation:
    """A critical alert still firing and not acknowledged (nor claimed) `after` its firing is sent, once,
    to these further channels: the person on call, when the team's chat did not answer."""

    after: timedelta
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    metric: str
    condition: Condition
    window: timedelta
    reduce: str
    hold_for: timedelta  # YAML `for`: the condition must hold this long before the alert fires
    clear_for: timedelta  # the condition must stay clear this long before a firing alert resolves
    repeat: timedelta  # a still-firing, unacknowledged alert is re-sent this often
    severity: str
    team: str
    channels: tuple[str, ...]
    message_zh: str
    message_en: str
    link: str
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    by: tuple[str, ...] = ()
    description: str = ""
    every: timedelta = timedelta(minutes=1)  # judged at whole multiples of this (conditions.judged_at)
    min_volume: MinVolume | None = None
    escalate: Escalation | None = None  # critical rules only: its own `escalate`, or its team's (file level)
    # What the alert is, in a few words: the alerts page shows it while the alert is only pending (nothing
    # has been said yet, so there is no message). Empty: the page shows the rule id.
    title_zh: str = ""
    title_en: str = ""


# Defaults, each with its reason. clear_for: 5 minutes of five 1-minute ticks keeps a value wobbling around
# its limit from resolving and re-firing every tick. repeat: Alertmanager's default is 4h; on a sale day an
# unacknowledged problem should come back within the half hour.
DEFAULT_CLEAR_FOR = timedelta(minutes=5)
DEFAULT_REPEAT = timedelta(minutes=30)
DEFAULT_WINDOW = timedelta(minutes=5)
# Iglewicz & Hoaglin (1993) recommend |modified z| > 3.5 as the outlier cut-off.
DEFAULT_ANOMALY_Z = 3.5
DEFAULT_ANOMALY_MIN_POINTS = 10
# `every` divides an hour: an hourly rule is judged at the top of each hour, the same instant in every
# time zone with a whole-hour offset (Asia/Shanghai is UTC+8).
EVERY_CHOICES = tuple(timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60))

_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_duration(value: Any) -> timedelta:
    match = _DURATION.match(str(value).strip())
    if match is None:
        raise ValueError(f"expected a duration such as 30s, 5m, 2h or 1d, got {value!r}")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected non-empty text, got {value!r}")
    return value


def _choice(options: tuple[str, ...]):
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    return convert


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    return tuple(value)


def _filters(value: Any) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of dimension: value or [values]")
    out = []
    for dim, wanted in value.items():
        values = tuple(wanted) if isinstance(wanted, list) else (wanted,)
        if not values or not all(isinstance(v, str | int | float) for v in values):
            raise ValueError(f"filter {dim!r}: expected a value or a non-empty list of values")
        out.append((str(dim), values))
    return tuple(out)


def _template(value: Any) -> str:
    text = _text(value)
    error = templates.check(text)
    if error:
        raise ValueError(error)
    return text


def _condition(reader: Reader) -> Condition | None:
    kinds = [k for k in ("threshold", "change", "baseline", "anomaly", "absent") if k in reader.mapping]
    if len(kinds) != 1 or len(reader.mapping) != 1:
        reader.problem(None, "expected exactly one of: threshold, change, baseline, anomaly, absent")
        return None
    kind = kinds[0]
    sub = reader.child(kind)
    if sub is None:
        return None
    if kind == "threshold":
        sub.reject_unknown({"op", "value", "resolve"})
        op, limit = sub.get("op", _choice(OPS)), sub.get("value", _number)
        resolve = sub.get("resolve", _number, default=limit)
        if None in (op, limit, resolve):
            return None
        if (op in (">", ">=") and resolve > limit) or (op in ("<", "<=") and resolve < limit):
            sub.problem("resolve", f"must be on the clear side of value {limit} for op {op!r}")
            return None
        return Threshold(op, limit, resolve)
    if kind == "anomaly":
        sub.reject_unknown({"z", "resolve", "history", "direction", "min_points"})
        z = sub.get("z", _number, default=DEFAULT_ANOMALY_Z)
        resolve = sub.get("resolve", _number, default=z)
        history = sub.get("history", parse_duration)
        direction = sub.get("direction", _choice(DIRECTIONS), default="both")
        min_points = sub.get("min_points", _positive_int, default=DEFAULT_ANOMALY_MIN_POINTS)
        if None in (z, resolve, history, direction, min_points):
            return None
        if not 0 < resolve <= z:
            sub.problem("resolve", f"must be above 0 and at most z ({z})")
            return None
        return Anomaly(z, resolve, history, direction, min_points)
    if kind == "absent":
        sub.reject_unknown({"after"})
        after = sub.get("after", parse_duration)
        return None if after is None else Absent(after)
    allowed = {"pct", "resolve"} | ({"days_ago", "day"} if kind == "baseline" else set())
    sub.reject_unknown(allowed)
    pct = sub.get("pct", _number)
    resolve = sub.get("resolve", _number, default=pct)
    if pct is None or resolve is None:
        return None
    if pct == 0 or (pct > 0 and not 0 <= resolve <= pct) or (pct < 0 and not pct <= resolve <= 0):
        sub.problem("pct", "pct must be non-zero and resolve between 0 and pct")
        return None
    if kind == "change":
        return Change(pct, resolve)
    days_ago = sub.get("days_ago", _positive_int, default=None)
    day = sub.get("day", _date, default=None)
    if (days_ago is None) == (day is None):
        sub.problem(None, "give exactly one of days_ago (e.g. 1) or day (e.g. 2025-11-11)")
        return None
    return BaselineChange(pct, resolve, days_ago, day)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def _date(value: Any) -> date:
    # ISO text too: YAML reads a bare 2025-11-11 as a date, but JSON (an API body) can only send a string.
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if not isinstance(value, date):
        raise ValueError(f"expected a date such as 2025-11-11, got {value!r}")
    return value


_RULE_FIELDS = {
    "id", "description", "metric", "filters", "by", "condition", "window", "reduce", "for", "clear_for",
    "repeat", "severity", "team", "channels", "message", "link", "every", "min_volume", "escalate", "title",
}  # fmt: skip


def _escalation(reader: Reader, key: str, known_channels: Collection[str] | None) -> Escalation | None:
    sub = reader.child(key)
    if sub is None:
        return None
    sub.reject_unknown({"after", "channels"})
    after, channels = sub.get("after", parse_duration), sub.get("channels", _names)
    if after is not None and after <= timedelta(0):
        sub.problem("after", "must be longer than 0s")
        return None
    for name in channels or ():
        if known_channels is not None and name not in known_channels:
            sub.problem("channels", f"{name!r} is not a configured channel")
            return None
    return None if after is None or channels is None else Escalation(after, channels)


def _every(value: Any) -> timedelta:
    every = parse_duration(value)
    if every not in EVERY_CHOICES:
        raise ValueError(
            f"expected a duration that divides an hour (1m, 5m, 15m, 30m, 1h ...), got {value!r}"
        )
    return every


def _min_volume(reader: Reader, known_metrics: Collection[str] | None) -> MinVolume | None:
    sub = reader.child("min_volume")
    if sub is None:
        return None
    sub.reject_unknown({"metric", "value"})
    metric, value = sub.get("metric", _text), sub.get("value", _number)
    if metric is not None and known_metrics is not None and metric not in known_metrics:
        sub.problem("metric", f"{metric!r} is not a catalog metric")
        return None
    if value is not None and value <= 0:
        sub.problem("value", "must be above 0")
        return None
    return None if metric is None or value is None else MinVolume(metric, value)


def _rule(reader: Reader, known_metrics: Collection[str] | None, known_channels: Collection[str] | None):
    reader.reject_unknown(_RULE_FIELDS)
    rule_id = reader.get("id", _text)
    if rule_id is not None and not _ID.match(rule_id):
        reader.problem("id", f"{rule_id!r}: use lower_snake_case (letters, digits, _)")
    metric = reader.get("metric", _text)
    if metric is not None and known_metrics is not None and metric not in known_metrics:
        reader.problem("metric", f"{metric!r} is not a catalog metric")
    channels = reader.get("channels", _names)
    if channels is not None and known_channels is not None:
        for name in channels:
            if name not in known_channels:
                reader.problem("channels", f"{name!r} is not a configured channel")
    cond_reader = reader.child("condition")
    message = reader.child("message")
    zh = en = None
    if message is not None:
        message.reject_unknown({"zh", "en"})
        zh, en = message.get("zh", _template), message.get("en", _template)
    title = reader.child("title") if "title" in reader.mapping else None
    title_zh = title_en = ""
    if title is not None:
        title.reject_unknown({"zh", "en"})
        title_zh, title_en = title.get("zh", _text), title.get("en", _text)
    values = dict(
        id=rule_id,
        metric=metric,
        condition=_condition(cond_reader) if cond_reader else None,
        window=reader.get("window", parse_duration, default=DEFAULT_WINDOW),
        reduce=reader.get("reduce", _choice(REDUCERS), default="avg"),
        hold_for=reader.get("for", parse_duration, default=timedelta(0)),
        clear_for=reader.get("clear_for", parse_duration, default=DEFAULT_CLEAR_FOR),
        repeat=reader.get("repeat", parse_duration, default=DEFAULT_REPEAT),
        severity=reader.get("severity", _choice(SEVERITIES)),
        team=reader.get("team", _choice(TEAMS)),
        channels=channels,
        message_zh=zh,
        message_en=en,
        link=reader.get("link", _template, default=""),
        filters=reader.get("filters", _filters, default=()),
        by=reader.get("by", _names, default=()),
        description=reader.get("description", _text, default=""),
        every=reader.get("every", _every, default=timedelta(minutes=1)),
        title_zh=title_zh,
        title_en=title_en,
    )
    if values["window"] is not None and values["window"] <= timedelta(0):
        reader.problem("window", "must be longer than 0s")
        return None
    if values["repeat"] is not None and values["repeat"] <= timedelta(0):
        reader.problem("repeat", "must be longer than 0s")
        return None
    volume = _min_volume(reader, known_metrics) if "min_volume" in reader.mapping else None
    escalate = None
    if "escalate" in reader.mapping:
        escalate = _escalation(reader, "escalate", known_channels)
        if escalate is not None and values["severity"] != "critical":
            reader.problem("escalate", "only critical rules escalate; make it critical or drop escalate")
            return None
        if escalate is None:
            return None
    if any(v is None for v in values.values()) or ("min_volume" in reader.mapping and volume is None):
        return None
    return Rule(**values, min_volume=volume, escalate=escalate)


def parse_rules(
    text: str,
    source: str = "<rules>",
    *,
    known_metrics: Collection[str] | None = None,
    known_channels: Collection[str] | None = None,
) -> tuple[Rule, ...]:
    """Parse a rule file; raises RuleFileError listing ALL problems (file:line, path, what is wrong).

    known_metrics / known_channels, when given, are checked (the catalog's metric names, the configured
    channel names).
    """
    doc, problems = load(text, source)
    rules: list[Rule] = []
    if doc is not None:
        if (
            not isinstance(doc, LocatedDict)
            or "rules" not in doc
            or not set(doc) <= {"rules", "escalation"}
            or not isinstance(doc["rules"], LocatedList)
        ):
            problems.append(
                Problem(
                    f"{source}:1", "<file>", "expected a mapping of rules: [...] and, optionally, escalation:"
                )
            )
        else:
            by_team = _team_escalations(doc, source, problems, known_channels)
            seen: dict[str, int] = {}
            for i, item in enumerate(doc["rules"]):
                path = f"rules[{i}]"
                if not isinstance(item, LocatedDict):
                    problems.append(
                        Problem(f"{source}:{doc['rules'].line_of(i)}", path, "expected a mapping")
                    )
                    continue
                rule_id = item.get("id")
                if isinstance(rule_id, str) and rule_id in seen:
                    where = f"{source}:{item.line_of('id')}"
                    problems.append(
                        Problem(where, f"{path}.id", f"duplicate id, first at line {seen[rule_id]}")
                    )
                elif isinstance(rule_id, str):
                    seen[rule_id] = item.line_of("id")
                rule = _rule(Reader(item, path, source, problems), known_metrics, known_channels)
                if rule is not None and rule.escalate is None and rule.severity == "critical":
                    rule = replace(rule, escalate=by_team.get(rule.team))
                if rule is not None:
                    rules.append(rule)
    if problems:
        raise RuleFileError(sorted(problems, key=lambda p: (p.where.rsplit(":", 1)[-1].zfill(8), p.path)))
    return tuple(rules)


def _team_escalations(
    doc: LocatedDict, source: str, problems: list[Problem], known_channels: Collection[str] | None
) -> dict[str, Escalation]:
    """The file's `escalation: {team: {after, channels}}`: each team's default for its critical rules."""
    if "escalation" not in doc:
        return {}
    if not isinstance(doc["escalation"], LocatedDict):
        where = f"{source}:{doc.line_of('escalation')}"
        problems.append(
            Problem(where, "escalation", "expected a mapping of team: {after: 10m, channels: [...]}")
        )
        return {}
    teams = Reader(doc["escalation"], "escalation", source, problems)
    teams.reject_unknown(set(TEAMS))
    out = {}
    for team in TEAMS:
        if team in teams.mapping:
            escalation = _escalation(teams, team, known_channels)
            if escalation is not None:
                out[team] = escalation
    return out


def load_rules(path: Path, **known: Collection[str] | None) -> tuple[Rule, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read alert rule file {path}: {exc.strerror}") from None
    return parse_rules(text, str(path), **known)


BUILTIN_SOURCE = "warroom/alerts/rulepack.yaml"  # how problems in the shipped pack name their file


def builtin_text() -> str:
    """The Double 11 rule pack shipped with Warroom, as written."""
    return resources.files("warroom.alerts").joinpath("rulepack.yaml").read_text(encoding="utf-8")


def builtin_rules(**known: Collection[str] | None) -> tuple[Rule, ...]:
    """The Double 11 rule pack shipped with Warroom (rulepack.yaml)."""
    return parse_rules(builtin_text(), BUILTIN_SOURCE, **known)
