"""When to try an undelivered notification again: exponential backoff with a cap and deterministic jitter.

delay(n) = min(CAP, BASE · 2^(n-1)), then scaled into [delay/2, delay] by a jitter drawn from a hash of
(key, n): a burst of failures (a robot down for everyone) spreads out instead of retrying in lockstep, yet
the same notification and attempt always get the same time, so the schedule is reproducible and testable.
With BASE 30 s and CAP 30 min the nominal delays are 30 s, 1, 2, 4, 8, 16, 30, 30, 30 min: MAX_ATTEMPTS 10
spans 61 to 122 minutes (jitter), after which the outbox marks the notification undelivered and shows it.
"""

import hashlib
from datetime import datetime, timedelta

BASE = timedelta(seconds=30)
CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 10


def jitter_fraction(key: str, attempt_no: int) -> float:
    """A number in [0, 1) fixed by (key, attempt_no)."""
    digest = hashlib.sha256(f"{key}#{attempt_no}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def next_attempt(
    attempt_no: int, now: datetime, *, key: str = "", base: timedelta = BASE, cap: timedelta = CAP
) -> datetime:
    """The time of the next try after attempt `attempt_no` (1 = the first send) failed at `now`."""
    if attempt_no < 1:
        raise ValueError(f"attempt_no counts from 1, got {attempt_no}")
    # 2**(n-1) overflows timedelta for large n long before the cap matters; stop doubling at the cap.
    delay = base
    for _ in range(attempt_no - 1):
        if delay >= cap:
            break
        delay *= 2
    delay = min(delay, cap)
    return now + delay * (0.5 + 0.5 * jitter_fraction(key, attempt_no))
