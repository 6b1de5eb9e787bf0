"""Alert rules made through the API, beside the rule file or the built-in pack.

Revision ID: 0007_alert_rules
Revises: 0006_dashboards
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_alert_rules"
down_revision: str | Sequence[str] | None = "0006_dashboards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("team", sa.String(16), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_alert_rules_team", "alert_rules", ["team"])
    op.create_index("ix_alert_rules_updated_at", "alert_rules", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_rules_updated_at", table_name="alert_rules")
    op.drop_index("ix_alert_rules_team", table_name="alert_rules")
    op.drop_table("alert_rules")
