"""Alert rules made through the API (issue 8): one row per rule, its definition as the JSON the API took.

The definition is kept as given, not as parsed: the scheduler parses it again with the file parser whenever
the table changes, so a rule that no longer passes (its metric left the catalog) is reported, not kept in a
form nobody wrote. warroom.alerts.rule_store writes these rows; migration 0007_alert_rules creates them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from warroom.meta.models import Base


class AlertRuleRow(Base):
    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # the rule's own id
    team: Mapped[str] = mapped_column(String(16), index=True)  # who may change it (its `team`)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # one rule in the rule file's shape
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(index=True)  # the scheduler's change check reads its max
