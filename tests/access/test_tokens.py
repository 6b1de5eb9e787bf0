"""API tokens: shown once, stored hashed, scoped, revocable, never stronger than their owner."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.access.conftest import T0
from warroom.access import (
    Action,
    TokenLacksScope,
    TokenRefused,
    create_token,
    create_user,
    disable_user,
    grant_role,
    list_tokens,
    parse_expiry,
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
    # A live token without the scope: 403, naming the scope it lacks and the ones it has.
    with pytest.raises(TokenLacksScope, match="lacks the 'read' scope; it has 'ingest'") as refused:
        verify_token(session, token=ingest_only, scope="read", now=T0)
    assert refused.value.status_code == 403
    with pytest.raises(TokenLacksScope, match="lacks the 'admin' scope; it has 'ingest'"):
        verify_token(session, token=ingest_only, scope="admin", now=T0)
    for scope in ("read", "ingest", "admin"):  # admin passes every check
        assert verify_token(session, token=admin, scope=scope, now=T0).username == "root"
    with pytest.raises(TokenRefused, match="unknown") as unknown:
        verify_token(session, token="wrt_not-a-token", scope="read", now=T0)
    assert unknown.value.status_code == 401
    with pytest.raises(ValueError, match="unknown scope 'write'"):
        verify_token(session, token=admin, scope="write", now=T0)


def test_token_never_exceeds_its_owner(session, users):
    with pytest.raises(UserError, match="only admin-role users hold admin tokens"):
        create_token(session, username="pusher", name="p", scopes=["admin"], actor="root", now=T0)
    _, admin = create_token(session, username="root", name="r", scopes=["admin"], actor="root", now=T0)
    grant_role(session, username="root", role="viewer", actor="root", now=T0)
    with pytest.raises(TokenLacksScope, match="lacks the 'admin' scope; it has none"):
        verify_token(session, token=admin, scope="admin", now=T0)


def test_revoked_and_disabled_owner_tokens_do_not_verify(session, users):
    token, plaintext = create_token(
        session, username="pusher", name="p", scopes=["read"], actor="root", now=T0
    )
    _, other = create_token(session, username="pusher", name="q", scopes=["read"], actor="root", now=T0)
    revoke_token(session, token_id=token.id, actor="root", now=T0)
    with pytest.raises(TokenRefused, match=f"API token {token.id} \\(p\\) was revoked"):
        verify_token(session, token=plaintext, scope="read", now=T0)
    assert verify_token(session, token=other, scope="read", now=T0) is not None
    with pytest.raises(UserError, match=f"token {token.id} was already revoked at 2025-11-10 16:00:00 UTC"):
        revoke_token(session, token_id=token.id, actor="root", now=T0)
    with pytest.raises(NotFound, match="unknown token id 999"):
        revoke_token(session, token_id=999, actor="root", now=T0)
    disable_user(session, username="pusher", actor="root", now=T0)
    with pytest.raises(TokenRefused, match="disabled user 'pusher'"):
        verify_token(session, token=other, scope="read", now=T0)


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


def test_a_token_expires_at_its_time_on_the_clock_passed_in(session, users):
    token, plaintext = create_token(
        session, username="pusher", name="p", scopes=["read"], actor="root", expires_in=timedelta(days=90),
        now=T0,
    )  # fmt: skip
    assert token.expires_at == T0 + timedelta(days=90)
    last_valid = T0 + timedelta(days=90) - timedelta(microseconds=1)
    assert verify_token(session, token=plaintext, scope="read", now=last_valid).username == "pusher"
    with pytest.raises(TokenRefused, match=f"API token {token.id} \\(p\\) expired at 2026-02-08 16:00 UTC"):
        verify_token(session, token=plaintext, scope="read", now=T0 + timedelta(days=90))
    session.expunge_all()
    assert session.get(ApiToken, token.id).expires_at == T0 + timedelta(days=90)  # stored, read back aware


def test_a_dead_tokens_use_is_audited_once_a_minute_per_reason(session, users):
    token, plaintext = create_token(
        session, username="pusher", name="p", scopes=["ingest"], actor="root", expires_in=timedelta(hours=1),
        now=T0,
    )  # fmt: skip
    for seconds in (0, 30, 59, 61, 200):
        with pytest.raises(TokenRefused):
            verify_token(session, token=plaintext, scope="ingest", ip="10.1.1.1",
                         now=T0 + timedelta(hours=1, seconds=seconds))  # fmt: skip
    revoke_token(session, token_id=token.id, actor="root", now=T0 + timedelta(hours=2))
    with pytest.raises(TokenRefused, match="revoked"):  # revoked wins: it says what was done to it
        verify_token(session, token=plaintext, scope="ingest", now=T0 + timedelta(hours=2, seconds=1))
    refused = recent_audit(session, action=Action.TOKEN_REFUSED)
    got = sorted((e.ts - T0 - timedelta(hours=1), e.detail["reason"], e.actor) for e in refused)
    assert got == [
        (timedelta(0), "expired", "pusher"),
        (timedelta(seconds=61), "expired", "pusher"),
        (timedelta(seconds=200), "expired", "pusher"),
        (timedelta(hours=1, seconds=1), "revoked", "pusher"),
    ]
    assert recent_audit(session, action=Action.TOKEN_USED) == []
    created = recent_audit(session, action=Action.TOKEN_CREATED)[0]
    assert created.detail["expires_at"] == (T0 + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("text", "want"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2W", timedelta(weeks=2)),
     ("30m", timedelta(minutes=30)), (" 1d ", timedelta(days=1))],
)  # fmt: skip
def test_parse_expiry(text, want):
    assert parse_expiry(text) == want


@pytest.mark.parametrize("text", ["", "d", "0d", "-5d", "90", "3mo", "1.5d", "90 d", "1y"])
def test_parse_expiry_refuses_what_it_cannot_read(text):
    with pytest.raises(UserError, match=r"token expiry .*e\.g\. 90d"):
        parse_expiry(text)


def test_an_expiry_must_lie_ahead(session, users):
    with pytest.raises(UserError, match="must lie in the future"):
        create_token(session, username="pusher", name="p", scopes=["read"], actor="root",
                     expires_in=timedelta(0), now=T0)  # fmt: skip
