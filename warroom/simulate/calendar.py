"""The Double 11 calendar: how busy each minute of the sale period is, and with which categories.

Assumptions (Tmall/JD pattern of recent years, simplified; times are Asia/Shanghai, a fixed UTC+8 with no
daylight saving since 1991, so local hours are computed by adding 8 h to UTC):
- Pre-sale from 20 Oct: low traffic rising from 0.30 to 0.55 of a quiet-day baseline of 1; shoppers
  favourite and cart more than they buy (see funnel.py).
- First wave 1-3 Nov: 1.8, 1.4, 1.1, with a small rush in the first minutes of 1 Nov.
- Quiet days 4-9 Nov and 10 Nov until 20:00: 0.5 (0.8 on 10 Nov).
- Climax from 10 Nov 20:00 (2.4) through 11 Nov (3.0), and the biggest spike of the period in the first
  minutes after 00:00 on 11 Nov: +16 hour-profile units decaying with an 8-minute time constant, so the
  first minutes run at about 5x the evening peak of the same day.
- Each day has two peaks, about 10:00 and 20:00-22:00 (BASE_HOURS). Categories reshape that profile
  (CATEGORY_BUMPS): womenswear peaks around 10:00 and 16:00, menswear 21-23, food at lunch and dinner,
  mother & baby at nap time and after the children sleep, electronics late evening and at midnight.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from warroom.simulate.catalog import L1_NAMES, L1_WEIGHTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
US = 1_000_000
MINUTE_US = 60 * US
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
LOCAL_OFFSET_US = 8 * HOUR_US

PRESALE, WAVE, QUIET, CLIMAX, AFTER = range(5)
PHASE_NAMES = ("presale", "wave", "quiet", "climax", "after")

# Relative sessions per hour of a day, 00..23 local: the 10:00 morning peak and the 20-22 evening peak.
BASE_HOURS = np.array(
    [0.55, 0.30, 0.15, 0.09, 0.07, 0.08, 0.15, 0.32, 0.55, 0.85, 1.00, 0.90,
     0.78, 0.80, 0.82, 0.80, 0.82, 0.78, 0.80, 0.95, 1.20, 1.30, 1.15, 0.85]
)  # fmt: skip

# Per L1 category: (local hour, extra amplitude) bumps, each a Gaussian of 1 h width over the base profile.
CATEGORY_BUMPS: dict[str, tuple[tuple[float, float], ...]] = {
    "女装": ((10, 0.8), (16, 0.9), (21, -0.35)),
    "男装": ((10, -0.45), (21.5, 0.5), (23, 1.0)),
    "美妆": ((20.5, 0.4),),
    "数码": ((22.5, 0.4), (0, 0.6)),
    "家居": ((15, 0.2),),
    "食品": ((12, 0.9), (18, 0.5)),
    "母婴": ((13.5, 0.5), (21.5, 0.3)),
    "运动": ((7, 0.6), (19, 0.4)),
}

SPIKE_AMPLITUDE = 16.0
SPIKE_TAU_MIN = 8.0
WAVE_RUSH_AMPLITUDE = 3.0


def sale_day_for(end: datetime) -> datetime:
    """00:00 of 11 November (Shanghai) of the year the period ends in (the end itself excluded)."""
    last = (end - timedelta(microseconds=1)).astimezone(SHANGHAI)
    return datetime(last.year, 11, 11, tzinfo=SHANGHAI)


def default_period(year: int = 2026) -> tuple[datetime, datetime]:
    return datetime(year, 10, 20, tzinfo=SHANGHAI), datetime(year, 11, 12, tzinfo=SHANGHAI)


def to_us(t: datetime) -> int:
    return int(t.timestamp()) * US + t.microsecond


def _category_modulation() -> np.ndarray:
    """[24, n_l1]: each category's multiplier on the base profile per local hour."""
    hours = np.arange(24)[:, None]
    out = np.ones((24, len(L1_NAMES)))
    for j, name in enumerate(L1_NAMES):
        for centre, amp in CATEGORY_BUMPS[name]:
            dist = np.abs(hours[:, 0] - centre)
            dist = np.minimum(dist, 24 - dist)
            out[:, j] += amp * np.exp(-(dist**2) / 2.0)
    return np.clip(out, 0.1, None)


CATEGORY_MOD = _category_modulation()
# [24, n_l1] weight of each category per hour, and its row sums: the hour's traffic across categories.
CATEGORY_HOUR_WEIGHT = CATEGORY_MOD * np.asarray(L1_WEIGHTS)[None, :]
HOUR_MIX = CATEGORY_HOUR_WEIGHT.sum(axis=1)
CATEGORY_GIVEN_HOUR = CATEGORY_HOUR_WEIGHT / HOUR_MIX[:, None]


@dataclass(frozen=True)
class Calendar:
    """Times as int64 microseconds since the epoch (UTC); `sale_day_us` is 11 Nov 00:00 Shanghai."""

    start_us: int
    end_us: int
    sale_day_us: int

    @classmethod
    def of(cls, start: datetime, end: datetime) -> "Calendar":
        return cls(to_us(start), to_us(end), to_us(sale_day_for(end)))

    def at(self, days: float, hours: float = 0, minutes: float = 0) -> int:
        """A moment relative to 11 Nov 00:00 Shanghai, in µs UTC (days=-1, hours=20 is 10 Nov 20:00)."""
        return self.sale_day_us + int(((days * 24 + hours) * 60 + minutes) * MINUTE_US)

    def day(self, t_us: np.ndarray) -> np.ndarray:
        """Local day relative to the sale day: 0 on 11 Nov, -10 on 1 Nov."""
        return np.floor_divide(np.asarray(t_us) - self.sale_day_us, DAY_US)

    @staticmethod
    def hour(t_us: np.ndarray) -> np.ndarray:
        """Local hour of day, 0..23."""
        return np.floor_divide(np.asarray(t_us) + LOCAL_OFFSET_US, HOUR_US) % 24

    def phase(self, t_us: np.ndarray) -> np.ndarray:
        t_us = np.asarray(t_us)
        d = self.day(t_us)
        out = np.full(t_us.shape, QUIET, dtype=np.int8)
        out[d <= -11] = PRESALE
        out[(d >= -10) & (d <= -8)] = WAVE
        out[t_us >= self.at(-1, 20)] = CLIMAX
        out[d >= 1] = AFTER
        return out

    def presale_progress(self, t_us: np.ndarray) -> np.ndarray:
        """0 on 20 Oct rising to 1 on 31 Oct: how far pre-sale interest has built up."""
        return np.clip((self.day(t_us) + 22) / 11.0, 0.0, 1.0)

    def day_level(self, t_us: np.ndarray) -> np.ndarray:
        t_us = np.asarray(t_us)
        d = self.day(t_us)
        level = np.full(t_us.shape, 0.5)
        level[d < -10] = 0.30 + 0.25 * self.presale_progress(t_us[d < -10])
        level[d < -22] = 0.25
        for day, value in ((-10, 1.8), (-9, 1.4), (-8, 1.1), (-1, 0.8), (0, 3.0)):
            level[d == day] = value
        level[(t_us >= self.at(-1, 20)) & (d == -1)] = 2.4
        level[d >= 1] = 0.6
        return level

    def rate(self, t_us: np.ndarray) -> np.ndarray:
        """Relative sessions per minute starting at each t (unnormalised)."""
        t_us = np.asarray(t_us)
        h = self.hour(t_us)
        out = self.day_level(t_us) * BASE_HOURS[h] * HOUR_MIX[h]
        for at_us, amp in ((self.sale_day_us, SPIKE_AMPLITUDE), (self.at(-10), WAVE_RUSH_AMPLITUDE)):
            since = (t_us - at_us) / MINUTE_US
            live = (since >= 0) & (since < 60)
            out[live] += amp * HOUR_MIX[0] * np.exp(-since[live] / SPIKE_TAU_MIN)
        return out

    def minutes(self, start_us: int, end_us: int) -> np.ndarray:
        return np.arange(start_us, end_us, MINUTE_US, dtype=np.int64)
