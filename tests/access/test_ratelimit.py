"""The login rate limit: the pure rule with a passed-in clock, then wired into authenticate()."""

from datetime import timedelta

import pytest

from tests.access.conftest import T0
from warroom.access import LoginFailed, LoginThrottled, RateLimit, authenticate, create_user, retry_after

LIMIT = RateLimit(max_failures=5, window=timedelta(minutes=5))


def _at(*seconds):
    return [T0 + timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(
    ("failures", "now_s", "expected_s"),
    [
        ([], 0, None),
        ([0, 10, 20, 30], 40, None),  # 4 failures: still allowed
        ([0, 10, 20, 30, 40], 50, 250),  # 5th: wait until 0 s leaves the window at 300 s
        ([0, 10, 20, 30, 40], 299, 1),
        ([0, 10, 20, 30, 40], 300, None),  # the failure at 0 s is exactly 5 minutes old: out
        ([0, 10, 20, 30, 40, 50, 60], 100, 220),  # 5th newest is 20 s: free at 320 s
        ([-400, 10, 20, 30, 40], 50, None),  # an old failure does not count
        ([10, 20, 30, 40, 500], 50, None),  # a "failure" in the future of now does not count either
    ],
)
def test_retry_after(failures, now_s, expected_s):
    wait = retry_after(_at(*failures), now=T0 + timedelta(seconds=now_s), limit=LIMIT)
    assert wait == (None if expected_s is None else timedelta(seconds=expected_s))


def _try(session, password, seconds, ip="10.0.0.1"):
    return authenticate(
        session,
        username="finance1",
        password=password,
        ip=ip,
        now=T0 + timedelta(seconds=seconds),
        limit=LIMIT,
    )


def test_five_failures_refuse_the_sixth_attempt_even_with_the_right_password(session):
    create_user(session, username="finance1", password="right-pass", role="finance", actor="t", now=T0)
    for s in range(5):
        with pytest.raises(LoginFailed):
            _try(session, "wrong-pass", s)
    with pytest.raises(LoginThrottled, match="try again in 296 s") as refused:
        _try(session, "right-pass", 4)
    assert refused.value.status_code == 429 and refused.value.retry_after == timedelta(seconds=296)
    # Another address is its own key; refused attempts do not extend the lock.
    assert _try(session, "right-pass", 10, ip="10.0.0.2").username == "finance1"
    with pytest.raises(LoginThrottled):
        _try(session, "right-pass", 299)
    assert _try(session, "right-pass", 300).username == "finance1"


def test_a_success_clears_earlier_failures(session):
    create_user(session, username="finance1", password="right-pass", role="finance", actor="t", now=T0)
    for s in range(4):
        with pytest.raises(LoginFailed):
            _try(session, "wrong-pass", s)
    _try(session, "right-pass", 5)
    for s in range(6, 10):
        with pytest.raises(LoginFailed):
            _try(session, "wrong-pass", s)
    assert _try(session, "right-pass", 11).username == "finance1"  # 4 since the success, not 8


def test_unknown_user_names_are_limited_too(session):
    for s in range(5):
        with pytest.raises(LoginFailed):
            _try(session, "guess", s)
    with pytest.raises(LoginThrottled):
        _try(session, "guess", 6)
