"""The audit log: who did what to whom, when and from where. Services call audit(); nothing edits the log.

Recorded: logins, failed and refused logins, logouts, user creation, password changes, role grants, role
creation, disabling, token creation, use and revocation, token scope refusals, alert acks and silences, and
alert rules created, replaced or deleted through the API. Token use is recorded at most once a minute per
token (see tokens.py): a pusher sending batches must not write a row per batch.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.meta import AuditEntry


class Action(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_REFUSED = "login_refused"  # rate limited: the password was not even checked
    LOGOUT = "logout"
    USER_CREATED = "user_created"
    PASSWORD_SET = "password_set"
    ROLE_GRANTED = "role_granted"
    ROLE_CREATED = "role_created"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    TOKEN_CREATED = "token_created"
    TOKEN_USED = "token_used"
    TOKEN_REFUSED = "token_refused"  # a live token presented for a scope it does not have
    TOKEN_REVOKED = "token_revoked"
    ALERT_ACKED = "alert_acked"
    ALERT_CLAIMED = "alert_claimed"
    ALERT_RESOLVED = (
        "alert_resolved"  # by hand: the owner says it is fixed (it fires again if the data disagrees)
    )
    ALERT_LINK_REFUSED = "alert_link_refused"  # a notification link that was altered, expired or used
    SILENCE_CREATED = "silence_created"
    SILENCE_ENDED = "silence_ended"
    RULE_CREATED = "rule_created"  # alert rules through the API: target the rule id, detail its definition
    RULE_UPDATED = "rule_updated"
    RULE_DELETED = "rule_deleted"


def audit(
    session: Session,
    *,
    actor: str,
    action: Action,
    target: str,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one entry to the session; the calling service commits it with the change it records."""
    entry = AuditEntry(
        ts=now or datetime.now(UTC),
        actor=actor,
        action=str(action),
        target=target,
        detail=detail or {},
        ip=ip,
    )
    session.add(entry)
    return entry


def recent_audit(
    session: Session, *, limit: int = 100, action: Action | None = None, target: str | None = None
) -> list[AuditEntry]:
    """The newest entries first, optionally only one action and/or one target."""
    query = select(AuditEntry).order_by(AuditEntry.ts.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == str(action))
    if target is not None:
        query = query.where(AuditEntry.target == target)
    return list(session.scalars(query))


def user_target(username: str) -> str:
    return f"user:{username}"
