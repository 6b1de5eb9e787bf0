"""Who is asking: a login session cookie (pages) or a bearer API token (scripts), checked on every request.

CSRF: forms carry a token that must equal the `csrf` cookie (double submit); a cross-site page can make the
browser send our cookies but cannot read them to fill the field. Session cookies are HttpOnly and
SameSite=Lax, so other sites' requests do not carry them in the first place.
"""

import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from warroom.access import lookup_login_session, policy_for, verify_token
from warroom.errors import UserError
from warroom.meta import User
from warroom.metrics import Principal
from warroom.web.deps import RuntimeDep

SESSION_COOKIE = "warroom_session"
CSRF_COOKIE = "warroom_csrf"


class NotLoggedIn(UserError):
    status_code = 401


class CsrfFailed(UserError):
    status_code = 403


def meta_session(rt: RuntimeDep):
    with rt.meta() as session:
        yield session


# scope="function": the session closes when the endpoint returns, not when the response ends, so a live
# stream (SSE) does not hold a pooled connection for as long as the page stays open (the pool of 15 refused
# the 16th big screen).
MetaDep = Annotated[Session, Depends(meta_session, scope="function")]


def caller(request: Request, meta: Session, *, scope: str) -> User | None:
    """The user a request carries: a bearer token checked for `scope`, else the session cookie; None if neither.

    A token that is unknown, revoked or expired is a 401, a live one without `scope` a 403 (verify_token)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return verify_token(meta, token=header[7:].strip(), scope=scope, ip=_ip(request))
    secret = request.cookies.get(SESSION_COOKIE)
    return lookup_login_session(meta, secret=secret) if secret else None


def optional_user(request: Request, meta: MetaDep) -> User | None:
    return caller(request, meta, scope="read")


# async: no I/O here, and a sync dependency would wait for a worker thread while its request already holds
# a pooled metadata connection (from optional_user); with every worker blocked on the pool, that deadlocked
# 200 big screens opening at once until the pool timed out (bench/fanout.py).
async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotLoggedIn("log in first: POST /login, or send 'Authorization: Bearer <token>'")
    return user


UserDep = Annotated[User, Depends(current_user)]
OptionalUserDep = Annotated[User | None, Depends(optional_user)]


class LoginRequired(Exception):
    """A page asked for with nobody logged in: answered by a redirect to the login page (web/errors.py),
    where an API route answers 401."""


async def page_user(user: OptionalUserDep) -> User:
    if user is None:
        raise LoginRequired
    return user


PageUserDep = Annotated[User, Depends(page_user)]


def policy_key(user: User) -> tuple:
    """What makes two viewers see the same numbers: live snapshots are shared per key, never across keys."""
    policy = policy_for(user)
    filters = tuple(sorted((dim, tuple(sorted(values))) for dim, values in policy["row_filters"].items()))
    return (tuple(policy["allowed_sensitivities"]), filters, policy["unmasked_pii"])


def principal_of(user: User) -> Principal:
    """The metric layer's view of a user: every query runs under it."""
    return Principal.from_policy(user.username, policy_for(user))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not secrets.compare_digest(cookie, submitted):
        raise CsrfFailed("the form's security token is missing or stale: reload the page and try again")


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None
