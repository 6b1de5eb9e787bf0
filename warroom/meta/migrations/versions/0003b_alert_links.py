"""Alert ownership from the notification: used action links, ack kinds (ack | claim), escalations.

Revision ID: 0003b
Revises: 0003
Create Date: 2025-11-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003b"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_link_uses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("alert_outbox.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("used_at", TS, nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    with op.batch_alter_table("alert_acks") as batch:  # batch: SQLite cannot ALTER most things in place
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="ack"))
    with op.batch_alter_table("alert_states") as batch:
        batch.add_column(sa.Column("escalated_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_states") as batch:
        batch.drop_column("escalated_at")
    with op.batch_alter_table("alert_acks") as batch:
        batch.drop_column("kind")
    op.drop_table("alert_link_uses")
