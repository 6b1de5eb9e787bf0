"""User-made dashboards: named lists of board panels with their filters, shared by link.

Revision ID: 0006_dashboards
Revises: 0005_token_expiry
Create Date: 2025-11-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dashboards"
down_revision: str | Sequence[str] | None = "0005_token_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("panels", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dashboards_owner", "dashboards", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_dashboards_owner", table_name="dashboards")
    op.drop_table("dashboards")
