"""Login sessions for the browser: a random cookie value; the store keeps only its SHA-256.

SHA-256 rather than argon2: the value is 256 random bits, so there is nothing to guess slowly, and a
session lookup runs on every page request.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit, user_target
from warroom.meta import LoginSession, User

# A sale-day shift: log in before the 20:00 warm-up, still logged in after the midnight peak and the review.
SESSION_TTL = timedelta(hours=12)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_login_session(
    session: Session, *, user: User, now: datetime | None = None, ttl: timedelta = SESSION_TTL
) -> str:
    """A new session for a user who has just authenticated; returns the cookie value (shown only now)."""
    now = now or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    session.add(LoginSession(id=_digest(secret), user_id=user.id, created_at=now, expires_at=now + ttl))
    session.commit()
    return secret


def lookup_login_session(session: Session, *, secret: str, now: datetime | None = None) -> User | None:
    """The logged-in user, or None for an unknown, expired (then deleted) or disabled user's session."""
    now = now or datetime.now(UTC)
    row = session.get(LoginSession, _digest(secret))
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user


def delete_login_session(
    session: Session, *, secret: str, ip: str | None = None, now: datetime | None = None
) -> bool:
    """Log out: True if the session existed."""
    row = session.get(LoginSession, _digest(secret))
    if row is None:
        return False
    user = session.get(User, row.user_id)
    session.delete(row)
    if user is not None:
        audit(
            session,
            actor=user.username,
            action=Action.LOGOUT,
            target=user_target(user.username),
            ip=ip,
            now=now,
        )
    session.commit()
    return True


def expire_login_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete every session past its expiry; returns how many. The server runs it now and then."""
    now = now or datetime.now(UTC)
    result = session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    session.commit()
    return result.rowcount
