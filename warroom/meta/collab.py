"""Comments on a board's panels and annotations on a board's time axis (issue 9's collaboration).

The author is the username as text, not a foreign key, like the audit log: a comment outlives its
author's account. warroom.collab reads and writes these rows; migration 0004 creates them.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warroom.meta.models import Base


class Comment(Base):
    """A note on one panel of one board, about a point or range of its time axis (or the panel as a whole)."""

    __tablename__ = "comments"
    # A board page asks for its comments, newest first: this index serves that query.
    __table_args__ = (Index("ix_comments_board_created", "board", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    panel: Mapped[str] = mapped_column(String(64))
    # The time the comment is about: a point (time_to None), a range [time_from, time_to), or neither.
    time_from: Mapped[datetime | None]
    time_to: Mapped[datetime | None]
    # A reply names the comment it answers (one level of threads is what the page shows).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Annotation(Base):
    """A labelled point (time_to None) or range on a board's time axis, e.g. "20:00 flash sale starts"."""

    __tablename__ = "annotations"
    __table_args__ = (Index("ix_annotations_board_time", "board", "time_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    time_from: Mapped[datetime]
    time_to: Mapped[datetime | None]
    label: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
