"""Users, roles (with the built-in roles and their default policies), API tokens, login sessions, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-11-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in roles as of this revision. Data, frozen here like the tables: a later change of a default
# policy is a new revision, so every store shows in its history when its policies changed.
# Only finance and admin see 'finance' metrics (cost, margin, profit); only admin sees PII unmasked.
BUILTIN_ROLES = [
    (
        "admin",
        "Everything, PII unmasked; manages users, roles and tokens.",
        ["public", "finance", "pii"],
        True,
    ),
    ("ops", "Operations 运营: traffic, funnel, promotions, products; no cost or margin.", ["public"], False),
    (
        "finance",
        "Finance 财务: everything operations sees plus cost, margin and profit.",
        ["public", "finance"],
        False,
    ),
    (
        "tech",
        "Tech 技术: services, latency, errors, hosts, pipeline health; no cost or margin.",
        ["public"],
        False,
    ),
    ("viewer", "Read-only public figures, e.g. the big screen.", ["public"], False),
]


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("allowed_sensitivities", sa.JSON, nullable=False),
        sa.Column("row_filters", sa.JSON, nullable=False),
        sa.Column("unmasked_pii", sa.Boolean, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(64), sa.ForeignKey("roles.name"), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_log_action_target_ts", "audit_log", ["action", "target", "ts"])
    op.bulk_insert(
        roles,
        [
            {
                "name": name,
                "description": description,
                "allowed_sensitivities": sensitivities,
                "row_filters": {},
                "unmasked_pii": unmasked_pii,
                "builtin": True,
            }
            for name, description, sensitivities, unmasked_pii in BUILTIN_ROLES
        ],
    )


def downgrade() -> None:
    for table in ("audit_log", "sessions", "api_tokens", "users", "roles"):
        op.drop_table(table)
