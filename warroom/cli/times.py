"""Reading times typed on the command line: ISO 8601, with the display time zone when none is given."""

from datetime import datetime
from zoneinfo import ZoneInfo

from warroom.errors import UserError


def parse_time(text: str, tz: ZoneInfo, option: str) -> datetime:
    """'2026-11-11', '2026-11-11 00:30' or '2026-11-11T00:30:00+08:00'; a time without zone is in `tz`."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{option} {text!r} is not a date-time; use ISO 8601, e.g. 2026-11-11 or '2026-11-11 20:00'"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)
