"""API tokens for scripts and pushers: created with scopes, shown once, stored as SHA-256, revocable.

Scopes: read (query metrics and data), ingest (push events), admin (manage users, roles, tokens). An admin
token passes every scope check. A token never exceeds its owner: only a user whose role is admin may hold
or use the admin scope, and a disabled owner's tokens are refused.

A token may expire (`expires_at`; None: never). Verification says why it refuses, as the HTTP status every
entry point answers: 401 (TokenRefused) for a token that is unknown, revoked, expired or whose owner is
disabled, since no credentials are valid; 403 (TokenLacksScope) for a live token asked for a scope it does
not hold, naming the one it lacks and the ones it has.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit
from warroom.access.users import get_user
from warroom.errors import NotFound, UserError
from warroom.meta import ApiToken, AuditEntry, User

SCOPES = ("read", "ingest", "admin")
# A recognisable prefix lets secret scanners and people tell a Warroom token from other strings.
TOKEN_PREFIX = "wrt_"
# last_used_at and the token_used audit entry are written at most this often per token: a pusher sends
# hundreds of batches a second (DESIGN.md: 140k events/s in 100-event batches), and a write per batch
# would make the metadata store the bottleneck of ingest.
USE_RECORD_INTERVAL = timedelta(minutes=1)


# `--expires 90d`: a number and a unit. Months and years are left out on purpose: their length varies.
EXPIRY_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


class TokenRefused(UserError):
    """No valid credentials: the token is unknown, revoked, expired, or its owner is disabled."""

    status_code = 401


class TokenLacksScope(UserError):
    """A live token presented where another scope is needed."""

    status_code = 403


def parse_expiry(text: str) -> timedelta:
    """'90d', '12h', '2w', '30m' -> a timedelta; anything else is an error naming the accepted forms."""
    clean = text.strip().lower()
    number, unit = clean[:-1], clean[-1:]
    if unit not in EXPIRY_UNITS or not number.isdigit() or int(number) == 0:
        raise UserError(
            f"token expiry {text!r}: write a positive whole number and a unit, "
            "m (minutes), h (hours), d (days) or w (weeks), e.g. 90d"
        )
    return int(number) * EXPIRY_UNITS[unit]


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
    expires_in: timedelta | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for a user; returns the stored row and the plaintext, which is never available again.

    expires_in: how long it stays valid from `now`; None: until revoked."""
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
    if expires_in is not None and expires_in <= timedelta(0):
        raise UserError(f"token {name!r}: an expiry must lie in the future, not {expires_in} from now")
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
        expires_at=None if expires_in is None else now + expires_in,
    )
    session.add(token)
    session.flush()  # assigns token.id for the audit entry
    audit(
        session,
        actor=actor,
        action=Action.TOKEN_CREATED,
        target=f"token:{token.id}",
        detail={"user": user.username, "name": token.name, "scopes": token.scopes}
        | ({"expires_at": token.expires_at.isoformat()} if token.expires_at else {}),
        ip=ip,
        now=now,
    )
    session.commit()
    return token, plaintext


def verify_token(
    session: Session, *, token: str, scope: str, ip: str | None = None, now: datetime | None = None
) -> User:
    """The token's owner if the token is live and carries `scope` (or admin).

    Raises TokenRefused (401) or TokenLacksScope (403). Unknown tokens are not audited (anyone can send
    garbage; the log would become a flood of it); a known token refused is, at most once per
    USE_RECORD_INTERVAL per token and reason when it is revoked or expired (a pusher left running with one
    would otherwise write a row per batch).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; scopes are {SCOPES}")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).one_or_none()
    if row is None:
        raise TokenRefused("the API token is unknown: check it was copied whole, or create a new one")
    now = now or datetime.now(UTC)
    if row.revoked_at is not None:
        _refused_once(session, row, "revoked", now, ip)
        raise TokenRefused(f"API token {row.id} ({row.name}) was revoked: create a new one")
    if row.expires_at is not None and now >= row.expires_at:
        _refused_once(session, row, "expired", now, ip)
        raise TokenRefused(
            f"API token {row.id} ({row.name}) expired at {row.expires_at:%Y-%m-%d %H:%M} UTC: create a new one"
        )
    if row.user.disabled:
        raise TokenRefused(f"API token {row.id} belongs to the disabled user {row.user.username!r}")
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
        raise TokenLacksScope(
            f"this API token lacks the {scope!r} scope; it has {', '.join(repr(s) for s in held) or 'none'}"
            f" (create one with: warroom tokens create {row.user.username} --name NAME --scope {scope})"
        )
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


def _refused_once(session: Session, row: ApiToken, reason: str, now: datetime, ip: str | None) -> None:
    """Audit a dead token's use, unless the same refusal was recorded less than USE_RECORD_INTERVAL ago."""
    target = f"token:{row.id}"
    last = session.scalars(
        select(AuditEntry.ts)
        .where(AuditEntry.action == str(Action.TOKEN_REFUSED), AuditEntry.target == target)
        .where(AuditEntry.ts > now - USE_RECORD_INTERVAL, AuditEntry.ts <= now)
        .where(AuditEntry.detail["reason"].as_string() == reason)
        .limit(1)
    ).first()
    if last is not None:
        return
    audit(
        session, actor=row.user.username, action=Action.TOKEN_REFUSED, target=target,
        detail={"reason": reason, "scopes": row.scopes}, ip=ip, now=now,
    )  # fmt: skip
    session.commit()


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
