"""Logging in: authenticate(username, password, ip) -> User, rate limited, audited, constant-time on failure.

Every failure path (unknown name, wrong password, disabled account) spends one argon2 verification and
raises the same LoginFailed message, so neither timing nor wording tells an attacker which names exist.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit, user_target
from warroom.access.passwords import hash_password, needs_rehash, spend_verify_time, verify_password
from warroom.access.ratelimit import RateLimit, retry_after
from warroom.access.users import find_user, normalize_username
from warroom.errors import UserError
from warroom.meta import AuditEntry, User


class LoginFailed(UserError):
    status_code = 401


class LoginThrottled(UserError):
    status_code = 429

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _ip_is(ip: str | None) -> ColumnElement[bool]:
    return AuditEntry.ip.is_(None) if ip is None else AuditEntry.ip == ip


def recent_failures(
    session: Session, *, username: str, ip: str | None, now: datetime, limit: RateLimit
) -> list[datetime]:
    """Failed logins for this name from this address inside the window, since the last success."""
    target = user_target(normalize_username(username))
    last_success = session.scalar(
        select(func.max(AuditEntry.ts)).where(
            AuditEntry.action == str(Action.LOGIN), AuditEntry.target == target, _ip_is(ip)
        )
    )
    since = now - limit.window
    if last_success is not None:
        since = max(since, last_success)
    return list(
        session.scalars(
            select(AuditEntry.ts).where(
                AuditEntry.action == str(Action.LOGIN_FAILED),
                AuditEntry.target == target,
                _ip_is(ip),
                AuditEntry.ts > since,
            )
        )
    )


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str | None,
    now: datetime | None = None,
    limit: RateLimit = RateLimit(),
) -> User:
    """The user whose name and password these are; LoginFailed (401) or LoginThrottled (429) otherwise.

    The outcome is audited and committed before returning or raising.
    """
    now = now or datetime.now(UTC)
    name = normalize_username(username)
    target = user_target(name)
    wait = retry_after(
        recent_failures(session, username=name, ip=ip, now=now, limit=limit), now=now, limit=limit
    )
    if wait is not None:
        audit(session, actor=name, action=Action.LOGIN_REFUSED, target=target, ip=ip, now=now)
        session.commit()
        seconds = max(1, int(wait.total_seconds() + 0.999))
        raise LoginThrottled(
            f"too many failed logins for {name!r}: try again in {seconds} s", retry_after=wait
        )

    user = find_user(session, username=name)
    if user is None:
        spend_verify_time(password)
        ok, reason = False, "unknown user"
    else:
        ok = verify_password(user.password_hash, password)
        reason = "wrong password"
        if ok and user.disabled:
            ok, reason = False, "disabled"
    if not ok or user is None:
        audit(
            session,
            actor=name,
            action=Action.LOGIN_FAILED,
            target=target,
            detail={"reason": reason},
            ip=ip,
            now=now,
        )
        session.commit()
        raise LoginFailed("wrong user name or password, or the account is disabled")

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit(session, actor=name, action=Action.LOGIN, target=target, ip=ip, now=now)
    session.commit()
    return user
