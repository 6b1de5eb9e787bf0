"""A rule's samples come from the metric layer: hand-made rows in, hand-computed points out."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.alerts.helpers import make_rule
from tests.metrics.data import insert
from warroom.alerts import samples
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11 Nov in Shanghai


def req(minute: float, latency: float, service: str = "payment", status: int = 200) -> dict:
    return {
        "ts": T0 + timedelta(minutes=minute), "service": service, "endpoint": "/pay", "method": "POST",
        "status_code": status, "latency_ms": latency, "host": "h1", "sample_rate": 1.0,
    }  # fmt: skip


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    insert(w, "api_requests", [
        req(0.1, 100), req(0.5, 300),            # minute 0: p50 200
        req(1.2, 1000), req(1.7, 3000),          # minute 1: p50 2000
        req(2.5, 50, service="cart"),            # another service
        req(3.5, 700), req(5.5, 9999),           # minute 3; minute 5 is at `now`: not read yet
    ])  # fmt: skip
    yield w
    w.close()


def test_points_per_minute_and_label(wh):
    rule = make_rule(metric="latency_p50", by=("service",), window=timedelta(minutes=5))
    got = samples.fetch_samples(wh, rule, T0 + timedelta(minutes=5), SHANGHAI)
    at = lambda m: T0 + timedelta(minutes=m)  # noqa: E731
    assert got == {
        (("service", "payment"),): [(at(0), 200.0), (at(1), 2000.0), (at(3), 700.0)],
        (("service", "cart"),): [(at(2), 50.0)],
    }


def test_filters_reach_the_query(wh):
    rule = make_rule(metric="requests", filters=(("service", ("cart",)),), window=timedelta(minutes=5))
    got = samples.fetch_samples(wh, rule, T0 + timedelta(minutes=5), SHANGHAI)
    # one cart request, at minute 2; requests is a count, so the window's quiet minutes are 0 (fill_empty)
    assert got == {(): [(T0 + timedelta(minutes=m), 1.0 if m == 2 else 0.0) for m in range(5)]}


def test_windows_of_an_hour_read_hour_buckets_and_minutes_otherwise():
    assert samples.grain_of(make_rule(window=timedelta(hours=1))) == "hour"
    assert samples.grain_of(make_rule(window=timedelta(minutes=59))) == "minute"
    (q,) = samples.sample_queries(make_rule(window=timedelta(hours=1)), T0, SHANGHAI)
    assert (q.grain, q.time_from, q.time_to) == ("hour", T0 - timedelta(hours=1), T0)


def test_alert_time_is_the_minute_start():
    assert samples.alert_time(T0 + timedelta(seconds=59.9)) == T0


def test_history_queries_span_the_period():
    rule = make_rule(window=timedelta(minutes=5))
    (q,) = samples.history_queries(rule, T0, T0 + timedelta(hours=2), SHANGHAI)
    assert (q.time_from, q.time_to) == (T0 - timedelta(minutes=5), T0 + timedelta(hours=2))
