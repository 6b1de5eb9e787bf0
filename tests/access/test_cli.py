"""`warroom users` and `warroom tokens` through the real entry point: output, exit codes, errors."""

from datetime import UTC, datetime, timedelta

import pytest

from warroom.access import Action, TokenRefused, list_tokens, recent_audit, verify_token
from warroom.config import Settings
from warroom.meta import open_metadata


@pytest.fixture
def run(run_cli, metadata_url, monkeypatch):
    monkeypatch.setenv("WARROOM_METADATA_URL", metadata_url)
    return run_cli


def test_users_add_list_grant_disable(run, metadata_url):
    assert (
        run("users", "add", "alice", "--role", "ops", "--password", "alice-pass", "--language", "en")[0] == 0
    )
    code, out, _ = run(
        "users", "add", "bob", "--role", "finance", "--display-name", "鲍勃", "--password", "bob-passw"
    )
    assert (code, out.strip()) == (0, "created user bob with role finance")
    assert run("users", "grant", "alice", "tech") == (0, "user alice now has role tech\n", "")
    assert run("users", "disable", "bob") == (0, "user bob disabled\n", "")
    code, out, _ = run("users", "list")
    rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row[:5]] for row in rows] == [
        ["alice", "alice", "tech", "en", "active"],
        ["bob", "鲍勃", "finance", "zh", "disabled"],
    ]
    make_session = open_metadata(metadata_url)
    with make_session() as session:
        granted = recent_audit(session, action=Action.ROLE_GRANTED)
        assert [(e.actor.startswith("cli:"), e.target, e.detail) for e in granted] == [
            (True, "user:alice", {"from": "ops", "to": "tech"})
        ]
    make_session.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "grant", "ghost", "ops"), "unknown user 'ghost'"),
        (("users", "disable", "ghost"), "unknown user 'ghost'"),
        (("users", "add", "carol", "--role", "boss", "--password", "carol-pass"), "unknown role 'boss'"),
        (("tokens", "create", "ghost", "--name", "x"), "unknown user 'ghost'"),
        (("tokens", "revoke", "42"), "unknown token id 42"),
    ],
)
def test_errors_exit_2_with_a_message(run, args, message):
    code, out, err = run(*args)
    assert code == 2
    assert message in err and out == ""


def test_tokens_create_list_revoke(run, metadata_url):
    run("users", "add", "pusher", "--role", "ops", "--password", "pusher-pass")
    code, out, err = run(
        "tokens", "create", "pusher", "--name", "orders", "--scope", "ingest", "--scope", "read"
    )
    assert code == 0 and "cannot be shown again" in err
    plaintext = out.strip()
    make_session = open_metadata(metadata_url)
    with make_session() as session:
        assert verify_token(session, token=plaintext, scope="ingest").username == "pusher"
    code, out, _ = run("tokens", "list")
    assert plaintext not in out
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    assert [r[:4] for r in rows] == [["1", "pusher", "orders", "read,ingest"]]
    assert rows[0][5] != ""  # last used: the verification above
    assert run("tokens", "revoke", "1")[:2] == (0, "token 1 (orders) of pusher revoked\n")
    with make_session() as session, pytest.raises(TokenRefused, match="was revoked"):
        verify_token(session, token=plaintext, scope="ingest")
    make_session.kw["bind"].dispose()
    code, _, err = run("tokens", "create", "pusher", "--name", "x", "--scope", "admin")
    assert code == 2 and "only admin-role users hold admin tokens" in err


def test_tokens_create_with_an_expiry(run, metadata_url):
    run("users", "add", "pusher", "--role", "ops", "--password", "pusher-pass")
    before = datetime.now(UTC)
    code, out, err = run("tokens", "create", "pusher", "--name", "quarter", "--expires", "90d")
    after = datetime.now(UTC)
    assert code == 0 and "expires 20" in err
    make_session = open_metadata(metadata_url)
    with make_session() as session:
        (row,) = list_tokens(session)
        assert before + timedelta(days=90) <= row.expires_at <= after + timedelta(days=90)
        assert verify_token(session, token=out.strip(), scope="read").username == "pusher"
    make_session.kw["bind"].dispose()
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in run("tokens", "list")[1].splitlines()
            if line.startswith("│")]  # fmt: skip
    assert rows[0][6] == row.expires_at.astimezone(Settings().tz).strftime("%Y-%m-%d %H:%M")
    code, out, err = run("tokens", "create", "pusher", "--name", "bad", "--expires", "3 months")
    assert code == 2 and "token expiry '3 months'" in err and out == ""
