"""Every audited action leaves exactly its entry: who, what, on what, from where, when."""

from datetime import timedelta

import pytest

from tests.access.conftest import T0
from warroom import access
from warroom.access import Action, RateLimit


def test_each_audited_action_writes_its_entry(session):
    clock = iter(T0 + timedelta(seconds=s) for s in range(100))
    ip = "10.1.1.1"
    access.create_user(
        session, username="alice", password="alice-pass", role="ops", actor="root", now=next(clock)
    )
    access.create_role(
        session,
        name="east",
        description="east China",
        allowed_sensitivities=["public"],
        row_filters={"province": ["上海"]},
        actor="root",
        now=next(clock),
    )
    access.grant_role(session, username="alice", role="east", actor="root", ip=ip, now=next(clock))
    user = access.authenticate(session, username="alice", password="alice-pass", ip=ip, now=next(clock))
    with pytest.raises(access.LoginFailed):
        access.authenticate(session, username="alice", password="wrong-pass", ip=ip, now=next(clock))
    with pytest.raises(access.LoginThrottled):
        access.authenticate(
            session,
            username="alice",
            password="alice-pass",
            ip=ip,
            now=next(clock),
            limit=RateLimit(max_failures=1),
        )
    access.set_password(
        session, username="alice", password="alice-pass-2", actor="alice", ip=ip, now=next(clock)
    )
    token, plaintext = access.create_token(
        session, username="alice", name="sheet", scopes=["read"], actor="alice", ip=ip, now=next(clock)
    )
    access.verify_token(session, token=plaintext, scope="read", ip="10.9.9.9", now=next(clock))
    with pytest.raises(access.TokenLacksScope):
        access.verify_token(session, token=plaintext, scope="ingest", ip="10.9.9.9", now=next(clock))
    access.revoke_token(session, token_id=token.id, actor="root", now=next(clock))
    cookie = access.create_login_session(session, user=user, now=next(clock))
    access.delete_login_session(session, secret=cookie, ip=ip, now=next(clock))
    access.disable_user(session, username="alice", actor="root", now=next(clock))
    access.enable_user(session, username="alice", actor="root", now=next(clock))

    entries = list(reversed(access.recent_audit(session)))
    got = [(e.action, e.actor, e.target, e.detail, e.ip) for e in entries]
    t = f"token:{token.id}"
    assert got == [
        ("user_created", "root", "user:alice", {"role": "ops", "language": "zh"}, None),
        (
            "role_created",
            "root",
            "role:east",
            {
                "allowed_sensitivities": ["public"],
                "row_filters": {"province": ["上海"]},
                "unmasked_pii": False,
            },
            None,
        ),
        ("role_granted", "root", "user:alice", {"from": "ops", "to": "east"}, ip),
        ("login", "alice", "user:alice", {}, ip),
        ("login_failed", "alice", "user:alice", {"reason": "wrong password"}, ip),
        ("login_refused", "alice", "user:alice", {}, ip),
        ("password_set", "alice", "user:alice", {}, ip),
        ("token_created", "alice", t, {"user": "alice", "name": "sheet", "scopes": ["read"]}, ip),
        ("token_used", "alice", t, {"scope": "read"}, "10.9.9.9"),
        ("token_refused", "alice", t, {"scope": "ingest", "scopes": ["read"]}, "10.9.9.9"),
        ("token_revoked", "root", t, {"user": "alice", "name": "sheet"}, None),
        ("logout", "alice", "user:alice", {}, ip),
        ("user_disabled", "root", "user:alice", {}, None),
        ("user_enabled", "root", "user:alice", {}, None),
    ]
    assert [e.ts for e in entries] == sorted(e.ts for e in entries)
    # No action left untested: the alerts page's own are written by its routes and checked there
    # (tests/web/test_alerts_and_data_pages.py), the signed links' in tests/alerts/test_action_links.py,
    # the rules API's in tests/web/test_alert_rules_api.py.
    on_the_alerts_page = {
        Action.ALERT_ACKED, Action.SILENCE_CREATED, Action.SILENCE_ENDED,
        Action.ALERT_CLAIMED, Action.ALERT_RESOLVED, Action.ALERT_LINK_REFUSED,
        Action.RULE_CREATED, Action.RULE_UPDATED, Action.RULE_DELETED,
    }  # fmt: skip
    assert {a.value for a in Action} - on_the_alerts_page == {row[0] for row in got}


def test_failed_login_reasons_are_recorded_but_not_shown(session):
    access.create_user(session, username="bob", password="bob-passwd", role="tech", actor="root", now=T0)
    access.disable_user(session, username="bob", actor="root", now=T0)
    for name, password in (("bob", "bob-passwd"), ("nobody", "whatever1")):
        with pytest.raises(access.LoginFailed):
            access.authenticate(session, username=name, password=password, ip=None, now=T0)
    reasons = [e.detail["reason"] for e in access.recent_audit(session, action=Action.LOGIN_FAILED)]
    assert sorted(reasons) == ["disabled", "unknown user"]
