"""The login rate limit as a pure function: given the recent failures and `now`, may another attempt run?

The failures come from the audit log (login.py reads them), so the limit holds across restarts and across
server processes, and the clock is a parameter, so tests need no sleeping.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RateLimit:
    """At most `max_failures` failed logins per user name and address within a sliding `window`.

    5 per 5 minutes: a person who mistypes a few times is never stopped, while guessing is held to
    ~1,440 tries a day per name and address.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=5)


def retry_after(failures: Iterable[datetime], *, now: datetime, limit: RateLimit) -> timedelta | None:
    """None if an attempt may run now; otherwise how long until it may.

    A failure counts while it is less than `window` old. Refused attempts are not failures (they are not
    passed in), so waiting out the window always lets the next attempt through.
    """
    recent = sorted(ts for ts in failures if now - limit.window < ts <= now)
    if len(recent) < limit.max_failures:
        return None
    # Allowed again once the max_failures-th newest failure leaves the window.
    return recent[-limit.max_failures] + limit.window - now
