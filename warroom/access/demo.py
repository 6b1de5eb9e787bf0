"""The demo accounts: one per team and an admin, with fixed passwords printed by `warroom demo`.

    user     password           role
    admin    admin-double11     admin
    ops      ops-double11       ops
    finance  finance-double11   finance
    tech     tech-double11      tech

For a demo on one machine only: anyone who reads this file knows them. Change or disable them before a
store is reachable by others (`warroom users disable ops`, or set_password).
"""

from sqlalchemy.orm import Session

from warroom.access.users import create_user, find_user

DEMO_ACCOUNTS = (
    ("admin", "admin-double11", "admin", "管理员 Admin"),
    ("ops", "ops-double11", "ops", "运营 Operations"),
    ("finance", "finance-double11", "finance", "财务 Finance"),
    ("tech", "tech-double11", "tech", "技术 Tech"),
)


def ensure_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """Create whichever demo accounts are missing; returns (username, password, role) for all four.

    Idempotent: an existing account is left exactly as it is (a changed password or role stays changed).
    """
    for username, password, role, display_name in DEMO_ACCOUNTS:
        if find_user(session, username=username) is None:
            create_user(
                session,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                actor="system:demo",
            )
    return [(username, password, role) for username, password, role, _ in DEMO_ACCOUNTS]
