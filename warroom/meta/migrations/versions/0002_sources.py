"""Named database sources (MySQL/MariaDB, PostgreSQL) and where each one's last pull stopped.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("from_table", sa.String(255), nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("target_table", sa.String(64), nullable=False),
        sa.Column("mapping_path", sa.Text, nullable=True),
        sa.Column("watermark_column", sa.String(128), nullable=True),
        sa.Column("key_columns", sa.JSON, nullable=False),
        sa.Column("position", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pull_status", sa.String(16), nullable=True),
        sa.Column("last_pull_message", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sources")
