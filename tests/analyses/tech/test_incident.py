"""The simulated payment incident (11 Nov 00:00-00:30 Shanghai, incidents.json) shows in the analyses, at
its time and in its service only."""

from datetime import timedelta

import pytest

from warroom.analyses.tech import Scope, errors, latency, traffic


@pytest.fixture(scope="module")
def windows(incident):
    start, end = incident
    return Scope(start, end), Scope(start - timedelta(hours=1), start)


def test_payment_latency_surges_during_the_incident(sim_warehouse, windows):
    during, before = windows
    p_during = {r["service"]: r for r in latency.percentiles(sim_warehouse, during)}
    p_before = {r["service"]: r for r in latency.percentiles(sim_warehouse, before)}
    assert p_during["payment"]["p99"] > 25_000  # the 30 s timeouts
    assert p_during["payment"]["p50"] > 4 * p_before["payment"]["p50"]
    for service in ("product", "cart", "order"):  # the other services stay fast
        assert p_during[service]["p99"] < 2_000
    slowest = latency.slowest_endpoints(sim_warehouse, during, limit=2)
    assert {r["service"] for r in slowest} == {"payment"}
    apdex = {r["service"]: r["apdex"] for r in latency.apdex(sim_warehouse, during)}
    assert apdex["payment"] < 0.5 < min(v for k, v in apdex.items() if k != "payment")


def test_payment_failures_and_burn_rate_at_the_right_time(sim_warehouse, windows, incident):
    during, before = windows
    rate_during = {r["service"]: r["error_rate_5xx"] for r in errors.error_rates(sim_warehouse, during)}
    rate_before = {r["service"]: r["error_rate_5xx"] for r in errors.error_rates(sim_warehouse, before)}
    assert rate_during["payment"] > 0.15
    assert rate_before["payment"] < 0.05
    start, end = incident

    def paging(now):
        return {b["service"] for b in errors.burn_rates(sim_warehouse, now) if b["paging"]}

    assert "payment" in paging(start + timedelta(minutes=20))
    assert "payment" not in paging(start - timedelta(minutes=5))
    assert "payment" not in paging(end + timedelta(hours=2))  # recovered: the 5-minute window is clean


def test_heatmap_shows_the_timeout_band_only_during_the_incident(sim_warehouse, incident):
    start, end = incident
    scope = Scope(start - timedelta(hours=1), end + timedelta(hours=1), service="payment")
    slow = [c for c in latency.heatmap(sim_warehouse, scope) if c["lower_ms"] >= 20_000]
    assert slow, "no timeouts in the heatmap"
    assert all(start <= c["time"] < end for c in slow)


def test_peak_traffic_at_midnight(sim_warehouse, incident):
    start, _ = incident
    rows = traffic.peak_vs_normal(
        sim_warehouse, Scope(start - timedelta(hours=6), start + timedelta(hours=1))
    )
    gateway = next(r for r in rows if r["service"] == "gateway")
    assert gateway["peak_qps"] > 2 * gateway["normal_qps"]
