"""Login sessions: the cookie finds its user until it expires; logout and expiry delete it."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.access.conftest import T0
from warroom.access import (
    create_login_session,
    create_user,
    delete_login_session,
    expire_login_sessions,
    lookup_login_session,
)
from warroom.meta import LoginSession


def test_session_lifecycle(session):
    user = create_user(session, username="ops1", password="ops1-passw", role="ops", actor="t", now=T0)
    cookie = create_login_session(session, user=user, now=T0, ttl=timedelta(hours=12))
    stored = session.scalars(select(LoginSession)).one()
    assert cookie != stored.id and stored.expires_at == T0 + timedelta(hours=12)
    assert (
        lookup_login_session(session, secret=cookie, now=T0 + timedelta(hours=11, minutes=59)).id == user.id
    )
    assert lookup_login_session(session, secret=cookie, now=T0 + timedelta(hours=12)) is None
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0  # an expired one is deleted
    assert lookup_login_session(session, secret="made-up", now=T0) is None


def test_logout_and_bulk_expiry(session):
    user = create_user(session, username="ops1", password="ops1-passw", role="ops", actor="t", now=T0)
    short = create_login_session(session, user=user, now=T0, ttl=timedelta(minutes=10))
    long = create_login_session(session, user=user, now=T0, ttl=timedelta(hours=12))
    other = create_login_session(session, user=user, now=T0, ttl=timedelta(hours=12))
    assert delete_login_session(session, secret=other, now=T0) is True
    assert delete_login_session(session, secret=other, now=T0) is False
    assert expire_login_sessions(session, now=T0 + timedelta(minutes=10)) == 1
    assert lookup_login_session(session, secret=short, now=T0) is None
    assert lookup_login_session(session, secret=long, now=T0 + timedelta(minutes=10)).id == user.id
