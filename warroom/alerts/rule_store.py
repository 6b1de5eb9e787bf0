"""Creating, replacing and deleting alert rules through the API: checked, stored and audited in one
transaction. Whoever may: an admin for any team; an ops, finance or tech user for the rules of their own
team (`teams`, from overview.teams_of). The rule file's and the built-in pack's rules are changed in the file.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit
from warroom.alerts.located import RuleFileError
from warroom.alerts.rules import Rule
from warroom.alerts.ruleset import RuleSet, parse_definition
from warroom.errors import NotFound, UserError
from warroom.meta.alert_rules import AlertRuleRow
from warroom.meta.alerts import AlertStateRow


class RuleProblems(UserError):
    """A rule body the parser refuses; `errors` lists each field and what is wrong with it."""

    status_code = 422

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        listed = "; ".join(f"{e['field']}: {e['error']}" for e in errors)
        super().__init__(f"{len(errors)} problem(s) in the rule: {listed}")


class RuleConflict(UserError):
    status_code = 409


class NotTheirTeam(UserError):
    status_code = 403


def check_rule(rule_set: RuleSet, definition: Any) -> Rule:
    """The definition parsed with the server's known metrics and channels, or RuleProblems."""
    try:
        return parse_definition(definition, "request body", **rule_set.known)
    except RuleFileError as exc:
        raise RuleProblems([{"field": p.path, "error": p.message} for p in exc.problems]) from None


def may_change(actor: str, role: str, teams: tuple[str, ...], team: str | None = None) -> None:
    if not teams:
        raise NotTheirTeam(f"user {actor!r} (role {role}) belongs to no alert team: only admin, ops, finance "
                           "and tech users change alert rules")  # fmt: skip
    if team is not None and team not in teams:
        raise NotTheirTeam(f"user {actor!r} (role {role}) may change only the rules of team "
                           f"{', '.join(teams)}; this rule's team is {team!r}")  # fmt: skip


def _not_in_file(rule_set: RuleSet, rule_id: str) -> None:
    if rule_id in rule_set.base_ids():
        kind = "built-in" if rule_set.base.source == "builtin" else "file"
        raise RuleConflict(
            f"rule {rule_id!r} is a {kind} rule of {rule_set.base.where}: it cannot be changed through the "
            "API; edit that file (WARROOM_ALERT_RULES) and restart, or create an API rule with another id"
        )


def create_rule(
    session: Session, rule_set: RuleSet, *, definition: Any, actor: str, role: str, teams: tuple[str, ...],
    ip: str | None = None, now: datetime | None = None,
) -> AlertRuleRow:  # fmt: skip
    may_change(actor, role, teams)
    rule = check_rule(rule_set, definition)
    may_change(actor, role, teams, rule.team)
    _not_in_file(rule_set, rule.id)
    if session.get(AlertRuleRow, rule.id) is not None:
        raise _exists(rule.id)
    now = now or datetime.now(UTC)
    row = AlertRuleRow(id=rule.id, team=rule.team, definition=definition, created_by=actor, created_at=now,
                       updated_by=actor, updated_at=now)  # fmt: skip
    session.add(row)
    audit(session, actor=actor, action=Action.RULE_CREATED, target=rule.id, detail=definition, ip=ip, now=now)
    try:
        session.commit()
    except IntegrityError:  # another request created it between the check and the commit
        session.rollback()
        raise _exists(rule.id) from None
    return row


def _exists(rule_id: str) -> RuleConflict:
    return RuleConflict(f"rule {rule_id!r} already exists: PUT /api/v1/alerts/rules/{rule_id} replaces it")


def _stored(session: Session, rule_set: RuleSet, rule_id: str) -> AlertRuleRow:
    _not_in_file(rule_set, rule_id)
    row = session.get(AlertRuleRow, rule_id)
    if row is None:
        raise NotFound(f"no alert rule {rule_id!r}: GET /api/v1/alerts/rules lists them")
    return row


def replace_rule(
    session: Session, rule_set: RuleSet, *, rule_id: str, definition: Any, actor: str, role: str,
    teams: tuple[str, ...], ip: str | None = None, now: datetime | None = None,
) -> AlertRuleRow:  # fmt: skip
    may_change(actor, role, teams)
    row = _stored(session, rule_set, rule_id)
    may_change(actor, role, teams, row.team)
    rule = check_rule(rule_set, definition)
    if rule.id != rule_id:
        raise RuleProblems([{"field": "id", "error": f"{rule.id!r} differs from the URL's {rule_id!r}; "
                             "an id is not changed: delete the rule and create it under the new id"}])  # fmt: skip
    may_change(actor, role, teams, rule.team)  # nor is a rule handed to a team its changer is not on
    now = now or datetime.now(UTC)
    row.team, row.definition, row.updated_by, row.updated_at = rule.team, definition, actor, now
    audit(session, actor=actor, action=Action.RULE_UPDATED, target=rule_id, detail=definition, ip=ip, now=now)
    session.commit()
    return row


def delete_rule(
    session: Session, rule_set: RuleSet, *, rule_id: str, actor: str, role: str, teams: tuple[str, ...],
    ip: str | None = None, now: datetime | None = None,
) -> None:  # fmt: skip
    """Delete the rule and its alert states (else the page would show its last alert for ever)."""
    may_change(actor, role, teams)
    row = _stored(session, rule_set, rule_id)
    may_change(actor, role, teams, row.team)
    detail = row.definition
    session.delete(row)
    session.execute(delete(AlertStateRow).where(AlertStateRow.rule_id == rule_id))
    audit(session, actor=actor, action=Action.RULE_DELETED, target=rule_id, detail=detail, ip=ip, now=now)
    session.commit()
