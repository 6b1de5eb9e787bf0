"""API tokens for scripts and pushers: created with scopes, shown once, stored as SHA-256, revocable.

Scopes: read (query metrics and data), ingest (push events), admin (manage users, roles, tokens). An admin
token passes every scope check. A token never exceeds its owner: only a user whose role is admin may hold
or use the admin scope, and a disabled owner's tokens verify as None.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit
from warroom.access.users import get_user
from warroom.errors import NotFound, UserError
from warroom.meta import ApiToken, User

SCOPES = ("read", "ingest", "admin")
# A recognisable prefix lets secret scanners and people tell a Warroom token from other strings.
TOKEN_PREFIX = "wrt_"
# last_used_at and the token_used audit entry are written at most this often per token: a pusher sends
# hundreds of batches a second (DESIGN.md: 140k events/s in 100-event batches), and a write per batch
# would make the metadata store the bottleneck of ingest.
USE_RECORD_INTERVAL = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner_may_hold(user: User, scope: str) -> bool:
    return scope != "admin" or user.role == "admin"


def create_token(
    session: Session,
    *,
    username: str,
    name: str,
    scopes: list[str],
    actor: str,
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for a user; returns the stored row and the plaintext, which is never available again."""
    user = get_user(session, username=username)
    if not scopes:
        raise UserError(f"token {name!r} needs at least one scope: {', '.join(SCOPES)}")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise UserError(f"unknown token scopes {unknown}: use some of {', '.join(SCOPES)}")
    if not all(_owner_may_hold(user, s) for s in scopes):
        raise UserError(
            f"user {user.username!r} has role {user.role!r}: only admin-role users hold admin tokens"
        )
    if not name.strip():
        raise UserError("a token needs a name saying what it is for, e.g. 'order pusher'")
    if user.disabled:
        raise UserError(f"user {user.username!r} is disabled: enable the user before creating tokens")
    now = now or datetime.now(UTC)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        user=user,
        name=name.strip(),
        token_hash=_digest(plaintext),
        scopes=[s for s in SCOPES if s in scopes],
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(token)
    session.flush()  # assigns token.id for the audit entry
    audit(
        session,
        actor=actor,
        action=Action.TOKEN_CREATED,
        target=f"token:{token.id}",
        detail={"user": user.username, "name": token.name, "scopes": token.scopes},
        ip=ip,
        now=now,
    )
    session.commit()
    return token, plaintext


def verify_token(
    session: Session, *, token: str, scope: str, ip: str | None = None, now: datetime | None = None
) -> User | None:
    """The token's owner if the token is live and carries `scope` (or admin); None otherwise.

    Unknown tokens are not audited (anyone can send garbage; the log would become a flood of it);
    a live token presented for a scope it lacks is.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; scopes are {SCOPES}")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).one_or_none()
    if row is None or row.revoked_at is not None or row.user.disabled:
        return None
    now = now or datetime.now(UTC)
    held = [s for s in row.scopes if _owner_may_hold(row.user, s)]
    if scope not in held and "admin" not in held:
        audit(
            session,
            actor=row.user.username,
            action=Action.TOKEN_REFUSED,
            target=f"token:{row.id}",
            detail={"scope": scope, "scopes": row.scopes},
            ip=ip,
            now=now,
        )
        session.commit()
        return None
    if row.last_used_at is None or now - row.last_used_at >= USE_RECORD_INTERVAL:
        row.last_used_at = now
        audit(
            session,
            actor=row.user.username,
            action=Action.TOKEN_USED,
            target=f"token:{row.id}",
            detail={"scope": scope},
            ip=ip,
            now=now,
        )
        session.commit()
    return row.user


def get_token(session: Session, *, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"unknown token id {token_id}: see `warroom tokens list`")
    return token


def revoke_token(
    session: Session, *, token_id: int, actor: str, ip: str | None = None, now: datetime | None = None
) -> ApiToken:
    """Revoke for good (revoking twice is an error naming when it was revoked)."""
    token = get_token(session, token_id=token_id)
    if token.revoked_at is not None:
        raise UserError(f"token {token_id} was already revoked at {token.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    now = now or datetime.now(UTC)
    token.revoked_at = now
    audit(
        session,
        actor=actor,
        action=Action.TOKEN_REVOKED,
        target=f"token:{token.id}",
        detail={"user": token.user.username, "name": token.name},
        ip=ip,
        now=now,
    )
    session.commit()
    return token


def list_tokens(session: Session, *, username: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        query = query.where(ApiToken.user_id == get_user(session, username=username).id)
    return list(session.scalars(query))
