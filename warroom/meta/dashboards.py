"""User-made dashboards: a named list of board panels, each with its own filters and time range.

A dashboard holds references (board, panel, query string), never figures: whoever opens its link gets each
panel from the panel API under their own policy. The id is random, since it is the link people share.
warroom.collab.dashboards reads and writes these rows; migration 0006_dashboards creates them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from warroom.meta.models import Base


class Dashboard(Base):
    __tablename__ = "dashboards"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner: Mapped[str] = mapped_column(String(64), index=True)  # a username, as text like comments' authors
    # [{"board": "ops", "panel": "traffic", "query": "channel=live&range=1h"}, ...] in the order shown.
    panels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
