"""The time a comment or annotation refers to: a point, or a range [time_from, time_to)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from warroom.errors import UserError


def check_time_range(time_from: datetime | None, time_to: datetime | None, what: str) -> None:
    """UserError for a naive time, an end without a start, or a range that is empty or backwards."""
    for value, label in ((time_from, "time_from"), (time_to, "time_to")):
        if value is not None and value.tzinfo is None:
            raise UserError(f"{what}: {label} {value.isoformat()} has no time zone; add one, e.g. +08:00")
    if time_to is not None and time_from is None:
        raise UserError(f"{what}: time_to needs time_from (a point in time is time_from alone)")
    if time_from is not None and time_to is not None and time_to <= time_from:
        raise UserError(
            f"{what}: time_to {time_to.isoformat()} is not after time_from {time_from.isoformat()} "
            "(a range is [from, to); a point in time is time_from alone)"
        )


def check_window(window_from: datetime | None, window_to: datetime | None) -> None:
    """A window to list by: either end may be open; both given, it must not be empty."""
    for value, label in ((window_from, "time_from"), (window_to, "time_to")):
        if value is not None and value.tzinfo is None:
            raise UserError(f"{label} {value.isoformat()} has no time zone; add one, e.g. +08:00")
    if window_from is not None and window_to is not None and window_to <= window_from:
        raise UserError(
            f"time_to {window_to.isoformat()} is not after time_from {window_from.isoformat()}: the window "
            "[from, to) is empty"
        )


def overlaps(
    column_from: Any, column_to: Any, window_from: datetime | None, window_to: datetime | None
) -> list[ColumnElement[bool]]:
    """SQL conditions: the row's point (column_to NULL) or range [from, to) falls in [window_from, window_to).

    An open window end is unbounded. Rows without any time are the caller's to include or not.
    """
    conditions: list[ColumnElement[bool]] = []
    if window_to is not None:
        conditions.append(column_from < window_to)
    if window_from is not None:
        conditions.append(or_(and_(column_to.is_(None), column_from >= window_from), column_to > window_from))
    return conditions


def utc_text(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, how the audit log records times (whatever zone the caller wrote them in)."""
    return value.astimezone(UTC).isoformat() if value is not None else None
