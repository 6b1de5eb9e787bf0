"""Demo accounts: one per team and an admin, documented passwords that work, created once."""

from sqlalchemy import func, select

from warroom.access import authenticate, ensure_demo_accounts, policy_for, set_password
from warroom.meta import AuditEntry, User

EXPECTED = [
    ("admin", "admin-double11", "admin"),
    ("ops", "ops-double11", "ops"),
    ("finance", "finance-double11", "finance"),
    ("tech", "tech-double11", "tech"),
]


def test_demo_accounts_log_in_with_their_roles(session):
    assert ensure_demo_accounts(session) == EXPECTED
    for username, password, role in EXPECTED:
        user = authenticate(session, username=username, password=password, ip="127.0.0.1")
        assert user.role == role
    finance = authenticate(session, username="finance", password="finance-double11", ip="127.0.0.1")
    assert "finance" in policy_for(finance)["allowed_sensitivities"]


def test_demo_accounts_are_idempotent_and_leave_changes_alone(session):
    ensure_demo_accounts(session)
    set_password(session, username="ops", password="changed-pass", actor="ops")
    audit_rows = session.scalar(select(func.count()).select_from(AuditEntry))
    assert ensure_demo_accounts(session) == EXPECTED
    assert session.scalar(select(func.count()).select_from(User)) == 4
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows
    assert authenticate(session, username="ops", password="changed-pass", ip="127.0.0.1").username == "ops"
