"""Named database sources: where to read (a MySQL/MariaDB or PostgreSQL URL and a table or query), where the
rows go (a canonical table, through an optional mapping) and where the last pull stopped.

warroom.sources.databases reads and writes these rows; warroom.sources.watermarks defines `position`.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.meta.models import Base


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # mysql | postgresql
    # The full connection URL, password included (the pull needs it); shown only masked.
    url: Mapped[str] = mapped_column(Text)
    # Exactly one of from_table (a table or view, "schema.table" allowed) and query (a SELECT) is set.
    from_table: Mapped[str | None] = mapped_column(String(255))
    query: Mapped[str | None] = mapped_column(Text)
    target_table: Mapped[str] = mapped_column(String(64))
    mapping_path: Mapped[str | None] = mapped_column(Text)
    # Incremental pulls read rows after `position`, ordered by (watermark_column, *key_columns).
    # No watermark column: the source can only be pulled in full.
    watermark_column: Mapped[str | None] = mapped_column(String(128))
    key_columns: Mapped[list[str]] = mapped_column(JSON)
    # The (watermark, key) of the last row durably ingested, typed for an exact round trip
    # (warroom.sources.watermarks.encode); None before the first pull.
    position: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    last_pull_at: Mapped[datetime | None]
    last_pull_status: Mapped[str | None] = mapped_column(String(16))  # running | ok | failed
    last_pull_message: Mapped[str | None] = mapped_column(Text)
