"""Users: create, look up, list, change password, grant a role, disable and enable.

Every change is audited and committed by the function that makes it. `actor` names who asked (a username,
or e.g. "cli:root" for the command line), so the audit log says who did it.
"""

import re
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit, user_target
from warroom.access.passwords import check_password_rules, hash_password
from warroom.access.roles import get_role
from warroom.errors import NotFound, UserError
from warroom.meta import LoginSession, User

LANGUAGES = ("zh", "en")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalize_username(username: str) -> str:
    """User names are case-insensitive: stored and looked up in lower case."""
    return username.strip().lower()


def find_user(session: Session, *, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == normalize_username(username))).one_or_none()


def get_user(session: Session, *, username: str) -> User:
    user = find_user(session, username=username)
    if user is None:
        raise NotFound(f"unknown user {username!r}: see `warroom users list`")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    actor: str,
    display_name: str | None = None,
    language: str = "zh",
    ip: str | None = None,
    now: datetime | None = None,
) -> User:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise UserError(
            f"user name {username!r}: use 2-64 characters a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
        )
    if language not in LANGUAGES:
        raise UserError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")
    if find_user(session, username=name) is not None:
        raise UserError(f"user {name!r} already exists")
    assigned = get_role(session, name=role)
    check_password_rules(password)
    now = now or datetime.now(UTC)
    user = User(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password),
        role=assigned.name,
        assigned_role=assigned,
        language=language,
        disabled=False,
        created_at=now,
    )
    session.add(user)
    audit(
        session,
        actor=actor,
        action=Action.USER_CREATED,
        target=user_target(name),
        detail={"role": assigned.name, "language": language},
        ip=ip,
        now=now,
    )
    session.commit()
    return user


def _end_login_sessions(session: Session, user: User) -> None:
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def set_password(
    session: Session,
    *,
    username: str,
    password: str,
    actor: str,
    ip: str | None = None,
    now: datetime | None = None,
) -> None:
    """Replace the password and end the user's login sessions (a changed password logs everyone out)."""
    user = get_user(session, username=username)
    check_password_rules(password)
    user.password_hash = hash_password(password)
    _end_login_sessions(session, user)
    audit(session, actor=actor, action=Action.PASSWORD_SET, target=user_target(user.username), ip=ip, now=now)
    session.commit()


def grant_role(
    session: Session,
    *,
    username: str,
    role: str,
    actor: str,
    ip: str | None = None,
    now: datetime | None = None,
) -> User:
    user = get_user(session, username=username)
    new = get_role(session, name=role)
    old = user.role
    user.role = new.name
    user.assigned_role = new
    audit(
        session,
        actor=actor,
        action=Action.ROLE_GRANTED,
        target=user_target(user.username),
        detail={"from": old, "to": new.name},
        ip=ip,
        now=now,
    )
    session.commit()
    return user


def _set_disabled(
    session: Session, *, username: str, disabled: bool, actor: str, ip: str | None, now: datetime | None
) -> User:
    user = get_user(session, username=username)
    user.disabled = disabled
    if disabled:
        _end_login_sessions(session, user)
    audit(
        session,
        actor=actor,
        action=Action.USER_DISABLED if disabled else Action.USER_ENABLED,
        target=user_target(user.username),
        ip=ip,
        now=now,
    )
    session.commit()
    return user


def disable_user(
    session: Session, *, username: str, actor: str, ip: str | None = None, now: datetime | None = None
) -> User:
    """Refuse the user's logins and tokens from now on and end their login sessions. Nothing is deleted."""
    return _set_disabled(session, username=username, disabled=True, actor=actor, ip=ip, now=now)


def enable_user(
    session: Session, *, username: str, actor: str, ip: str | None = None, now: datetime | None = None
) -> User:
    """Undo disable_user: logins and the user's unrevoked tokens work again."""
    return _set_disabled(session, username=username, disabled=False, actor=actor, ip=ip, now=now)
