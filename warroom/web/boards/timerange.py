"""The time range every panel of a team board shares: a preset relative to the room's clock, or from/to.

Query string (the page's URL, its live stream, its panel CSVs all take the same):
  ?range=1h | today | 24h | 7d            a preset, resolved against the clock at every refresh
  ?from=2026-11-11T08:00&to=2026-11-11T12:00   a fixed range; times without an offset are in the board's
                                          time zone; `to` may be left out (up to now)
No range: the board's default (today so far; the tech board's last hour), what it showed before the picker.

A RangeSpec is what the viewer asked for (hashable: it is part of the live hub's key, so viewers of "last
hour" and of "today" never share a snapshot); resolve(now, tz) turns it into the TimeRange of one refresh.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.analyses.overview import day_start
from warroom.errors import UserError

PARAMS = ("range", "from", "to")
DEFAULT = "today"
PRESETS = ("1h", "today", "24h", "7d")
_LAST = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
# A month: the longest window the warehouse's demo history holds, and about the most a minute- or hour-grain
# chart can draw (31 days x 24 hours x 8 channels = 5,952 bars); anything longer is a typo, not a request.
MAX_SPAN = timedelta(days=31)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    preset: str | None  # None: a custom from/to

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    def describe(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "preset": self.preset}


@dataclass(frozen=True)
class RangeSpec:
    preset: str | None = DEFAULT
    start: datetime | None = None
    end: datetime | None = None

    def resolve(self, now: datetime, tz: ZoneInfo) -> TimeRange:
        if self.preset == "today":
            start = day_start(now, tz)
            # At the instant of midnight "today" is empty: one microsecond holds no rows but is a valid window.
            return TimeRange(start, max(now, start + timedelta(microseconds=1)), "today")
        if self.preset is not None:
            return TimeRange(now - _LAST[self.preset], now, self.preset)
        assert self.start is not None
        end = self.end or now
        return TimeRange(self.start, end, None)

    def key(self) -> tuple:
        return (self.preset, self.start and self.start.isoformat(), self.end and self.end.isoformat())

    def params(self) -> dict[str, str]:
        """The query-string form (for links and exports)."""
        if self.preset is not None:
            return {"range": self.preset}
        out = {"from": self.start.isoformat()} if self.start else {}
        return out | ({"to": self.end.isoformat()} if self.end else {})


def _time(params: Mapping[str, str], key: str, tz: ZoneInfo) -> datetime | None:
    text = params.get(key, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"time range: {key}={text!r} is not a date and time; write e.g. {key}=2026-11-11T08:00 "
            f"(in {tz.key}) or with an offset, 2026-11-11T08:00+08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def parse_range(params: Mapping[str, str], tz: ZoneInfo, now: datetime, default: str = DEFAULT) -> RangeSpec:
    """The range a query string asks for; a UserError (HTTP 400) naming the parameter when it is wrong."""
    preset = params.get("range", "").strip()
    start, end = _time(params, "from", tz), _time(params, "to", tz)
    if preset and (start or end):
        raise UserError(f"time range: give range={preset!r} or from/to, not both")
    if preset:
        if preset not in PRESETS:
            raise UserError(f"time range: range={preset!r} is not a preset; use one of {', '.join(PRESETS)}")
        return RangeSpec(preset)
    if start is None and end is None:
        return RangeSpec(default)
    if start is None:
        raise UserError("time range: to= needs from= (the start of the range)")
    if start >= now:
        raise UserError(f"time range: from={start.isoformat()} is after the room's clock ({now.isoformat()})")
    stop = end or now
    if start >= stop:
        raise UserError(
            f"time range: from={start.isoformat()} is not before to={stop.isoformat()} (the range is [from, to))"
        )
    if stop - start > MAX_SPAN:
        raise UserError(
            f"time range: from={start.isoformat()} to={stop.isoformat()} spans {(stop - start).days} days; "
            f"at most {MAX_SPAN.days} days"
        )
    return RangeSpec(None, start, end)
