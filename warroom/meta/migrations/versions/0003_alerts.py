"""Alerting: alert states, silences, acknowledgements, the notification outbox and its delivery log.

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-03

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("labels_key", sa.String(512), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("team", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("active_since", TS, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("fired_at", TS, nullable=True),
        sa.Column("notified_at", TS, nullable=True),
        sa.Column("clear_since", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("muted_by", sa.String(128), nullable=True),
        sa.Column("summary_zh", sa.Text, nullable=False),
        sa.Column("summary_en", sa.Text, nullable=False),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("rule_id", "labels_key", name="uq_alert_states_rule_labels"),
    )
    op.create_index("ix_alert_states_team", "alert_states", ["team"])
    op.create_table(
        "alert_silences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(128), nullable=True),
        sa.Column("matchers", sa.JSON, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_alert_silences_ends_at", "alert_silences", ["ends_at"])
    op.create_table(
        "alert_acks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("labels_key", sa.String(512), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_acks_rule_labels", "alert_acks", ["rule_id", "labels_key"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(767), nullable=False, unique=True),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("labels_key", sa.String(512), nullable=False),
        sa.Column("team", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_alert_outbox_status_next", "alert_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("alert_outbox.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_deliveries_outbox_id", "alert_deliveries", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_outbox_id", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_outbox_status_next", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_acks_rule_labels", table_name="alert_acks")
    op.drop_table("alert_acks")
    op.drop_index("ix_alert_silences_ends_at", table_name="alert_silences")
    op.drop_table("alert_silences")
    op.drop_index("ix_alert_states_team", table_name="alert_states")
    op.drop_table("alert_states")
