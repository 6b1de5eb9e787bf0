from datetime import timedelta

import pytest

from tests.alerts.helpers import T0
from warroom.alerts.notify.retry import jitter_fraction, next_attempt


def test_backoff_doubles_from_30s_up_to_the_cap_with_jitter_in_the_upper_half():
    nominal = [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]  # seconds: 30 s doubling, capped at 30 min
    for n, seconds in enumerate(nominal, start=1):
        delay = (next_attempt(n, T0, key="k") - T0).total_seconds()
        assert seconds / 2 <= delay <= seconds, n
        assert delay == pytest.approx(seconds * (0.5 + 0.5 * jitter_fraction("k", n)))


def test_jitter_is_deterministic_and_spreads_keys():
    assert next_attempt(3, T0, key="a") == next_attempt(3, T0, key="a")
    spread = {next_attempt(3, T0, key=f"alert-{i}") for i in range(50)}
    assert len(spread) == 50  # a burst of failures does not retry in lockstep
    assert all(0 <= jitter_fraction(f"k{i}", 1) < 1 for i in range(100))


def test_custom_base_and_cap_and_huge_attempt_numbers():
    t = next_attempt(1000, T0, base=timedelta(seconds=1), cap=timedelta(minutes=1))
    assert timedelta(seconds=30) <= t - T0 <= timedelta(minutes=1)
    with pytest.raises(ValueError):
        next_attempt(0, T0)
