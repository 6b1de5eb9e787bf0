"""API tokens: shown once, stored hashed, scoped, revocable, never stronger than their owner."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.access.conftest import T0
from warroom.access import (
    Action,
    create_token,
    create_user,
    disable_user,
    grant_role,
    list_tokens,
    recent_audit,
    revoke_token,
    verify_token,
)
from warroom.errors import NotFound, UserError
from warroom.meta import ApiToken


@pytest.fixture
def users(session):
    create_user(session, username="pusher", password="pusher-pass", role="ops", actor="test", now=T0)
    create_user(session, username="root", password="root-passwd", role="admin", actor="test", now=T0)


def test_only_the_hash_is_stored(session, users):
    _, plaintext = create_token(
        session, username="pusher", name="orders", scopes=["ingest"], actor="root", now=T0
    )
    assert plaintext.startswith("wrt_") and len(plaintext) > 40
    session.expunge_all()
    row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in (row.token_hash, row.name)
    assert (row.scopes, row.created_at, row.last_used_at, row.revoked_at) == (["ingest"], T0, None, None)


def test_scopes(session, users):
    _, ingest_only = create_token(
        session, username="pusher", name="p", scopes=["ingest"], actor="root", now=T0
    )
    _, admin = create_token(session, username="root", name="ops box", scopes=["admin"], actor="root", now=T0)
    assert verify_token(session, token=ingest_only, scope="ingest", now=T0).username == "pusher"
    assert verify_token(session, token=ingest_only, scope="read", now=T0) is None
    assert verify_token(session, token=ingest_only, scope="admin", now=T0) is None
    for scope in ("read", "ingest", "admin"):  # admin passes every check
        assert verify_token(session, token=admin, scope=scope, now=T0).username == "root"
    assert verify_token(session, token="wrt_not-a-token", scope="read", now=T0) is None
    with pytest.raises(ValueError, match="unknown scope 'write'"):
        verify_token(session, token=admin, scope="write", now=T0)


def test_token_never_exceeds_its_owner(session, users):
    with pytest.raises(UserError, match="only admin-role users hold admin tokens"):
        create_token(session, username="pusher", name="p", scopes=["admin"], actor="root", now=T0)
    _, admin = create_token(session, username="root", name="r", scopes=["admin"], actor="root", now=T0)
    grant_role(session, username="root", role="viewer", actor="root", now=T0)
    assert verify_token(session, token=admin, scope="admin", now=T0) is None


def test_revoked_and_disabled_owner_tokens_do_not_verify(session, users):
    token, plaintext = create_token(
        session, username="pusher", name="p", scopes=["read"], actor="root", now=T0
    )
    _, other = create_token(session, username="pusher", name="q", scopes=["read"], actor="root", now=T0)
    revoke_token(session, token_id=token.id, actor="root", now=T0)
    assert verify_token(session, token=plaintext, scope="read", now=T0) is None
    assert verify_token(session, token=other, scope="read", now=T0) is not None
    with pytest.raises(UserError, match=f"token {token.id} was already revoked at 2025-11-10 16:00:00 UTC"):
        revoke_token(session, token_id=token.id, actor="root", now=T0)
    with pytest.raises(NotFound, match="unknown token id 999"):
        revoke_token(session, token_id=999, actor="root", now=T0)
    disable_user(session, username="pusher", actor="root", now=T0)
    assert verify_token(session, token=other, scope="read", now=T0) is None


def test_last_used_at_is_written_at_most_once_a_minute(session, users):
    token, plaintext = create_token(
        session, username="pusher", name="p", scopes=["ingest"], actor="root", now=T0
    )
    for seconds in (5, 30, 65, 100, 126):
        verify_token(session, token=plaintext, scope="ingest", now=T0 + timedelta(seconds=seconds))
    session.expunge_all()
    # 5 s writes; 30 s is 25 s after it: no; 65 s is 60 s after: writes; 100 s: no; 126 s is 61 s after: writes.
    assert session.get(ApiToken, token.id).last_used_at == T0 + timedelta(seconds=126)
    used = recent_audit(session, action=Action.TOKEN_USED)
    assert sorted(e.ts for e in used) == [T0 + timedelta(seconds=s) for s in (5, 65, 126)]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"scopes": []}, "at least one scope"),
        ({"scopes": ["read", "write"]}, r"unknown token scopes \['write'\]"),
        ({"name": "  "}, "needs a name"),
        ({"username": "ghost"}, "unknown user 'ghost'"),
    ],
)
def test_bad_token_requests(session, users, kw, message):
    args = {"username": "pusher", "name": "p", "scopes": ["read"], "actor": "root", "now": T0} | kw
    with pytest.raises(UserError, match=message):
        create_token(session, **args)


def test_list_tokens(session, users):
    create_token(session, username="pusher", name="p", scopes=["ingest", "read"], actor="root", now=T0)
    create_token(session, username="root", name="r", scopes=["read"], actor="root", now=T0)
    assert [(t.user.username, t.name, t.scopes) for t in list_tokens(session)] == [
        ("pusher", "p", ["read", "ingest"]),
        ("root", "r", ["read"]),
    ]
    assert [t.name for t in list_tokens(session, username="root")] == ["r"]
