"""The rules the server evaluates: a base pack (the built-in one, or the file WARROOM_ALERT_RULES names)
plus the rules stored through the API, re-read whenever the stored table changes.

A stored rule is parsed by the rule file's own parser (`parse_definition`: JSON is YAML), so the API and
the file accept and refuse exactly the same rules with the same messages. The change check is one query
per tick, count(*) and max(updated_at) of the table: a create or replace moves the max, a delete the count.
"""

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts.located import Problem, RuleFileError
from warroom.alerts.rules import BUILTIN_SOURCE, Rule, builtin_text, parse_rules
from warroom.errors import UserError
from warroom.meta.alert_rules import AlertRuleRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BasePack:
    """The file rules: parsed, and each as written (JSON-safe), for the API to show."""

    rules: tuple[Rule, ...]
    source: str  # "builtin" | "file"
    where: str  # the file, for "edit it there"
    definitions: dict[str, dict[str, Any]]


def load_base(
    rule_file: Path | None, named: str = "WARROOM_ALERT_RULES", **known: Collection[str] | None
) -> BasePack:
    """The file if given (`named`: where it was given, for the error), else the built-in pack; a bad file
    raises RuleFileError."""
    if rule_file is None:
        text, source, where = builtin_text(), "builtin", BUILTIN_SOURCE
    else:
        try:
            text = rule_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read alert rule file {rule_file} ({named}): {exc.strerror}") from None
        source, where = "file", str(rule_file)
    rules = parse_rules(text, where, **known)
    written = {d["id"]: _json_safe(d) for d in yaml.safe_load(text)["rules"]}
    return BasePack(rules, source, where, written)


def _json_safe(value: Any) -> Any:
    """A YAML value as JSON can carry it: a bare 2025-11-11 is a date to YAML, text to JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value.isoformat() if isinstance(value, date | datetime) else value


def parse_definition(definition: Any, source: str, **known: Collection[str] | None) -> Rule:
    """One rule given as data (an API body, a stored row) through the rule file parser.

    Written out as YAML rather than passed as JSON text: PyYAML reads JSON's 1e-05 as text, its own dump
    writes 1.0e-05. Raises RuleFileError whose problems' paths start at the rule ("condition.threshold.op").
    """
    if not isinstance(definition, dict):
        raise RuleFileError([Problem(f"{source}:1", "<rule>", "expected one rule as a JSON object")])
    text = yaml.safe_dump({"rules": [definition]}, allow_unicode=True, sort_keys=False)
    try:
        (rule,) = parse_rules(text, source, **known)
    except RuleFileError as exc:
        raise RuleFileError([_rule_relative(p) for p in exc.problems]) from None
    return rule


def _rule_relative(problem: Problem) -> Problem:
    path = problem.path.removeprefix("rules[0]").removeprefix(".") or "<rule>"
    return Problem(problem.where, path, problem.message)


@dataclass(frozen=True)
class RuleEntry:
    """One rule as GET /api/v1/alerts/rules shows it; `rule` is None when a stored one no longer parses."""

    id: str
    source: str  # builtin | file | api
    team: str
    definition: dict[str, Any]
    rule: Rule | None
    error: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


class RuleSet:
    """The base pack plus the stored rules, as of the last `refresh`. Shared by the scheduler's thread and
    the API's request threads; `rules` is replaced whole, never changed in place."""

    def __init__(
        self,
        base: BasePack,
        sessions: sessionmaker[Session],
        *,
        known_metrics: Collection[str] | None,
        known_channels: Collection[str] | None,
    ) -> None:
        self.base, self.sessions = base, sessions
        self.known = {"known_metrics": known_metrics, "known_channels": known_channels}
        self.rules: tuple[Rule, ...] = base.rules
        self.stored: dict[str, RuleEntry] = {}
        self._signature: tuple | None = None
        self._lock = threading.Lock()

    @property
    def errors(self) -> list[str]:
        """'rule_id: what is wrong' for every stored rule that is skipped (no longer parses, or its id is
        the base pack's)."""
        return [f"{e.id}: {e.error}" for e in self.stored.values() if e.error]

    def base_ids(self) -> set[str]:
        return {r.id for r in self.base.rules}

    def entries(self) -> list[RuleEntry]:
        written = self.base.definitions
        base = [RuleEntry(r.id, self.base.source, r.team, written.get(r.id, {}), r) for r in self.base.rules]
        return base + sorted(self.stored.values(), key=lambda e: e.id)

    def find(self, rule_id: str) -> RuleEntry | None:
        return next((e for e in self.entries() if e.id == rule_id), None)

    def refresh(self) -> tuple[Rule, ...]:
        """Re-read the stored rules if the table changed since the last call; the current rules."""
        with self._lock, self.sessions() as session:
            c = AlertRuleRow.__table__.c
            signature = tuple(session.execute(select(func.count(), func.max(c.updated_at))).one())
            if signature != self._signature:
                self.stored = {row.id: self._entry(row) for row in session.scalars(select(AlertRuleRow))}
                self.rules = self.base.rules + tuple(e.rule for e in self.stored.values() if e.rule)
                self._signature = signature
        return self.rules

    def _entry(self, row: AlertRuleRow) -> RuleEntry:
        rule, error = None, None
        if row.id in self.base_ids():  # the API refuses such ids, but the base can change under a store
            error = f"its id is also a rule of {self.base.where}, which is evaluated instead; rename one"
        else:
            try:
                rule = parse_definition(row.definition, f"api rule {row.id}", **self.known)
            except RuleFileError as exc:
                error = "; ".join(f"{p.path}: {p.message}" for p in exc.problems)
        if error:
            log.error("stored alert rule %s is skipped: %s", row.id, error)
        stamps = dict(created_by=row.created_by, created_at=row.created_at, updated_by=row.updated_by,
                      updated_at=row.updated_at)  # fmt: skip
        return RuleEntry(row.id, "api", row.team, row.definition, rule, error, **stamps)
