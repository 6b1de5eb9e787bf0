"""Mutes: silences (planned quiet for matching alerts over a time range) and acknowledgements.

A silence matches by rule id (optional) and label matchers, Alertmanager style: `=` `!=` equal or not,
`=~` `!~` a regular expression that must match the WHOLE value (anchored, as in Prometheus). A label the
alert lacks is the empty string. A silenced alert still changes state; only its notifications are muted,
and if it is still firing when the silence ends, it is notified then.

An acknowledgement says "someone is on it": it mutes the REPEATS of the one firing episode it was given
during (at or after the alert fired). The resolution is still sent, so the person who acked learns of it;
a new episode (the alert fires again after resolving) is notified afresh.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from warroom.errors import UserError

MATCH_OPS = ("=~", "!~", "!=", "=")  # longest first, for parsing
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    _regex: re.Pattern | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in MATCH_OPS:
            raise UserError(f"label matcher {self.name}: op must be one of {', '.join(MATCH_OPS)}")
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_regex", re.compile(self.value))
            except re.error as exc:
                raise UserError(f"label matcher {self.name}{self.op}{self.value}: bad regex: {exc}") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self._regex.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit


def parse_matcher(text: str) -> Matcher:
    """`channel=live`, `sku_id=~SKU-1.*`, `host!=db-1` (as typed in the silence form or CLI)."""
    match = _MATCHER.match(text)
    if match is None:
        raise UserError(
            f"label matcher {text!r}: expected name=value, name!=value, name=~regex or name!~regex"
        )
    name, op, value = match.groups()
    return Matcher(name, op, value.strip("\"'"))


@dataclass(frozen=True)
class Silence:
    id: str
    starts_at: datetime
    ends_at: datetime
    matchers: tuple[Matcher, ...] = ()
    rule_id: str | None = None  # None: any rule
    created_by: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise UserError(
                f"silence {self.id}: ends_at {self.ends_at} must be after starts_at {self.starts_at}"
            )
        if self.rule_id is None and not self.matchers:
            raise UserError(
                f"silence {self.id}: give a rule id or at least one label matcher (it would mute all)"
            )

    def mutes(self, rule_id: str, labels: Mapping[str, str], now: datetime) -> bool:
        return (
            self.starts_at <= now < self.ends_at
            and (self.rule_id is None or self.rule_id == rule_id)
            and all(m.matches(labels) for m in self.matchers)
        )


@dataclass(frozen=True)
class Ack:
    rule_id: str
    labels: tuple[tuple[str, str], ...]
    at: datetime
    by: str = ""
    comment: str = ""


def silenced_by(
    silences: Iterable[Silence], rule_id: str, labels: Mapping[str, str], now: datetime
) -> Silence | None:
    return next((s for s in silences if s.mutes(rule_id, labels, now)), None)


def acknowledged(
    acks: Iterable[Ack], rule_id: str, labels: tuple[tuple[str, str], ...], fired_at: datetime | None
) -> Ack | None:
    """The ack given during the episode that fired at `fired_at`, if any."""
    if fired_at is None:
        return None
    return next((a for a in acks if a.rule_id == rule_id and a.labels == labels and a.at >= fired_at), None)
