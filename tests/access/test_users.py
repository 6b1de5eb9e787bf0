"""Users: creating, logging in (wrong password, unknown name, disabled), changing password and role."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.access.conftest import T0
from warroom.access import (
    LoginFailed,
    authenticate,
    create_login_session,
    create_user,
    disable_user,
    enable_user,
    get_user,
    grant_role,
    lookup_login_session,
    set_password,
)
from warroom.errors import NotFound, UserError
from warroom.meta import User


def _alice(session, **kw):
    args = {"username": "alice", "password": "alice-pass-1", "role": "ops", "actor": "test", "now": T0} | kw
    return create_user(session, **args)


def test_create_user_stores_a_hash_and_defaults(session):
    _alice(session, display_name="王小丽")
    session.expunge_all()
    row = session.scalars(select(User)).one()
    assert (row.username, row.display_name, row.role, row.language, row.disabled) == (
        "alice",
        "王小丽",
        "ops",
        "zh",
        False,
    )
    assert row.password_hash.startswith("$argon2id$") and "alice-pass-1" not in row.password_hash
    assert row.created_at == T0


def test_user_names_are_case_insensitive(session):
    _alice(session, username="Alice")
    assert (
        authenticate(session, username="ALICE", password="alice-pass-1", ip="10.0.0.1", now=T0).username
        == "alice"
    )
    with pytest.raises(UserError, match="'alice' already exists"):
        _alice(session, username="alice")


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"role": "boss"}, NotFound, "unknown role 'boss': use one of admin, finance, ops, tech, viewer"),
        ({"language": "fr"}, UserError, "language 'fr': use one of zh, en"),
        ({"username": "a b"}, UserError, "user name 'a b'"),
        ({"password": "short"}, UserError, "at least 8 characters"),
    ],
)
def test_bad_new_user_is_refused_and_nothing_stored(session, kw, error, message):
    with pytest.raises(error, match=message):
        _alice(session, **kw)
    session.rollback()
    assert session.scalars(select(User)).all() == []


def test_authenticate_right_and_wrong_password(session):
    _alice(session)
    assert (
        authenticate(session, username="alice", password="alice-pass-1", ip="10.0.0.1", now=T0).username
        == "alice"
    )
    with pytest.raises(LoginFailed, match="wrong user name or password") as wrong:
        authenticate(session, username="alice", password="alice-pass-2", ip="10.0.0.1", now=T0)
    with pytest.raises(LoginFailed) as unknown:
        authenticate(session, username="mallory", password="alice-pass-1", ip="10.0.0.1", now=T0)
    # The same words for a wrong password and an unknown name: no oracle for which names exist.
    assert str(wrong.value) == str(unknown.value)
    assert wrong.value.status_code == 401


def test_disabled_user_cannot_log_in_even_with_the_right_password(session):
    _alice(session)
    cookie = create_login_session(session, user=get_user(session, username="alice"), now=T0)
    disable_user(session, username="alice", actor="admin", now=T0)
    with pytest.raises(LoginFailed):
        authenticate(session, username="alice", password="alice-pass-1", ip="10.0.0.1", now=T0)
    assert lookup_login_session(session, secret=cookie, now=T0) is None
    enable_user(session, username="alice", actor="admin", now=T0 + timedelta(minutes=1))
    assert (
        authenticate(session, username="alice", password="alice-pass-1", ip="10.0.0.1", now=T0).username
        == "alice"
    )


def test_set_password_replaces_it_and_ends_sessions(session):
    user = _alice(session)
    cookie = create_login_session(session, user=user, now=T0)
    set_password(session, username="alice", password="new-pass-22", actor="alice", now=T0)
    assert lookup_login_session(session, secret=cookie, now=T0) is None
    with pytest.raises(LoginFailed):
        authenticate(session, username="alice", password="alice-pass-1", ip="10.0.0.1", now=T0)
    assert (
        authenticate(session, username="alice", password="new-pass-22", ip="10.0.0.1", now=T0).id == user.id
    )


def test_grant_role_and_unknown_user(session):
    _alice(session)
    assert grant_role(session, username="alice", role="finance", actor="admin", now=T0).role == "finance"
    session.expunge_all()
    assert session.scalars(select(User.role)).one() == "finance"
    with pytest.raises(NotFound, match="unknown user 'bob'"):
        grant_role(session, username="bob", role="finance", actor="admin", now=T0)
    with pytest.raises(NotFound, match="unknown role 'cfo'"):
        grant_role(session, username="alice", role="cfo", actor="admin", now=T0)


def test_unknown_name_spends_a_password_check(session, monkeypatch):
    # No timing assertion: check that the slow path runs, which is what makes the timings alike.
    import warroom.access.login as login

    calls = []
    monkeypatch.setattr(login, "spend_verify_time", lambda password: calls.append(password))
    with pytest.raises(LoginFailed):
        authenticate(session, username="nobody", password="some-pass", ip=None, now=T0)
    assert calls == ["some-pass"]
