"""Alerting's metadata: the state of every alert instance, silences, acknowledgements, the outbox and its
delivery log (issue 8). warroom.alerts.scheduler reads and writes these rows; migration 0003 creates them.

Labels are stored twice: as JSON (what they are) and as `labels_key` text ("channel=live,sku_id=7", sorted),
the one column an instance is looked up by on every engine.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from warroom.meta.models import Base


class AlertStateRow(Base):
    """The last tick's state of one (rule, labels): pending, firing or (for a while) resolved."""

    __tablename__ = "alert_states"
    __table_args__ = (UniqueConstraint("rule_id", "labels_key", name="uq_alert_states_rule_labels"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    labels_key: Mapped[str] = mapped_column(String(512))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    team: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending | firing | resolved
    active_since: Mapped[datetime]
    value: Mapped[float | None] = mapped_column(Float)
    fired_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    clear_since: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    muted_by: Mapped[str | None] = mapped_column(String(128))
    # when this episode was escalated to the rule's second channels (evaluate.py), once. Migration 0003b.
    escalated_at: Mapped[datetime | None]
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class SilenceRow(Base):
    """A planned quiet: matching alerts change state but send nothing between starts_at and ends_at."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str | None] = mapped_column(String(128))  # None: any rule
    matchers: Mapped[list[str]] = mapped_column(JSON)  # as typed: ["channel=live", "sku_id=~10.*"]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class AckRow(Base):
    """ "Someone is on it": mutes the repeats of the firing episode it was given in."""

    __tablename__ = "alert_acks"
    __table_args__ = (Index("ix_alert_acks_rule_labels", "rule_id", "labels_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    labels_key: Mapped[str] = mapped_column(String(512))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    # ack: "someone is on it"; claim: "I own it" (an ack that names the owner). Both mute the repeats and
    # the escalation of the episode. Migration 0003b.
    kind: Mapped[str] = mapped_column(String(16), default="ack", server_default="ack")


class LinkUseRow(Base):
    """A used action link (warroom.alerts.links): its token's SHA-256 is unique, so a link acts once, even
    when two clicks race."""

    __tablename__ = "alert_link_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("alert_outbox.id"))
    action: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))


class OutboxRow(Base):
    """One notification to deliver on one channel. The sender sends the due rows of a team and channel as
    one message; `key` (the notification's key and the channel) makes writing a tick twice harmless."""

    __tablename__ = "alert_outbox"
    # The sender's question every tick: pending rows due by now.
    __table_args__ = (Index("ix_alert_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(767), unique=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    labels_key: Mapped[str] = mapped_column(String(512))
    team: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # firing | repeat | resolved
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Notification, as scheduler.note_to_json
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | undelivered
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class DeliveryRow(Base):
    """One delivery attempt of one outbox row: when, and what the receiver said."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("alert_outbox.id"), index=True)
    at: Mapped[datetime]
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool]
    status: Mapped[int | None] = mapped_column(Integer)  # HTTP status or SMTP code; None: nothing answered
    error: Mapped[str] = mapped_column(Text, default="")
