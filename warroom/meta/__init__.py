"""The metadata store: users, roles, tokens, sessions and audit, in SQLite or PostgreSQL via SQLAlchemy 2.

Open it with `open_metadata(Settings().metadata_sqlalchemy_url)`: that migrates it to head first.
"""

from warroom.meta.models import ApiToken, AuditEntry, Base, LoginSession, Role, User
from warroom.meta.store import make_engine, open_metadata, upgrade_to_head

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "LoginSession",
    "Role",
    "User",
    "make_engine",
    "open_metadata",
    "upgrade_to_head",
]
