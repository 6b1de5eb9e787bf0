"""Capacity arithmetic, the forecast method on hand-made series, and requests per order against SQL."""

from datetime import UTC, datetime, timedelta

import pytest

from warroom.analyses.tech import Scope, capacity
from warroom.errors import UserError


def test_hosts_needed():
    # 100 QPS at 10 per host, planned to 70%: 100 / 7 = 14.3 -> 15 hosts
    assert capacity.hosts_needed(100, 10, 0.7) == 15
    assert capacity.hosts_needed(70, 10, 0.7) == 10
    assert capacity.hosts_needed(0, 10, 0.7) == 0


def test_forecast_scales_the_profile_by_todays_level():
    # previous days: 1 QPS for the past hour then 3 QPS; today ran at 2 QPS: level 2 -> forecast 6, once the
    # 5-minute smoothing has passed the step
    past = [[1.0] * 60 + [3.0] * 60, [1.0] * 60 + [3.0] * 60]
    ahead = capacity.forecast_next_hour([2.0] * 60, past)
    # smoothed profile (centred 5-minute mean): minute 58 = (1+1+1+1+3)/5 = 1.4, 59 = 1.8, 60 = 2.2, 61 = 2.6,
    # then 3; the base over the first hour is 58 + 1.4 + 1.8 = 61.2, so the level is 120 / 61.2
    level = 120 / 61.2
    assert ahead[0] == pytest.approx(level * 2.2)
    assert ahead[1] == pytest.approx(level * 2.6)
    assert ahead[2:] == pytest.approx([level * 3.0] * 58)
    # one odd past minute is spread over five
    spike = [[1.0] * 90 + [11.0] + [1.0] * 29]
    assert max(capacity.forecast_next_hour([1.0] * 60, spike)) == pytest.approx(3.0)


def test_forecast_without_a_profile_follows_the_trend():
    recent = [float(i) for i in range(60)]  # +1 QPS per minute
    ahead = capacity.forecast_next_hour(recent, [[0.0] * 120])
    assert ahead[0] == pytest.approx(60.0) and ahead[-1] == pytest.approx(119.0)
    assert capacity.forecast_next_hour([5.0, 3.0, 1.0], [])[-1] == 0.0  # never below zero


def test_qps_for_orders():
    # 600 orders per minute = 10 per second; 25 gateway requests per order -> 250 QPS
    assert capacity.qps_for_orders(600, {"gateway": 25.0, "payment": 1.5}) == {
        "gateway": 250.0,
        "payment": 15.0,
    }
    with pytest.raises(UserError):
        capacity.qps_for_orders(-1, {})


def test_plan_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "plan.yaml"
    bad.write_text("qps_per_host: {gateway: -1}\n")
    with pytest.raises(UserError, match=r"plan.yaml.*gateway"):
        capacity.CapacityPlan.load(bad)
    assert capacity.CapacityPlan.load().qps_per_host["payment"] > 0


def test_requests_per_order_against_sql(sim_warehouse):
    day = Scope(datetime(2026, 11, 10, 16, tzinfo=UTC), datetime(2026, 11, 11, 16, tzinfo=UTC))
    got = capacity.requests_per_order(sim_warehouse, day)
    con = sim_warehouse.cursor()
    params = [day.time_from, day.time_to]
    n_orders = con.sql("SELECT count(*) FROM orders WHERE ts >= $1 AND ts < $2", params=params).fetchall()[0][
        0
    ]
    want = dict(
        con.sql(
            "SELECT service, sum(1 / sample_rate) FROM api_requests WHERE ts >= $1 AND ts < $2 GROUP BY 1",
            params=params,
        ).fetchall()
    )
    assert got == pytest.approx({s: v / n_orders for s, v in want.items()})


def test_capacity_rows_on_the_simulated_peak(sim_warehouse, incident):
    start, _ = incident
    scope = Scope(start - timedelta(minutes=30), start + timedelta(minutes=30))
    plan = capacity.CapacityPlan({"gateway": 1.0}, 0.7)
    forecasts = capacity.forecast(sim_warehouse, start + timedelta(minutes=30))
    rows = {r["service"]: r for r in capacity.capacity(sim_warehouse, scope, plan, forecasts)}
    gw = rows["gateway"]
    assert gw["capacity_qps"] == gw["hosts"] * 1.0
    assert gw["headroom"] == pytest.approx(1 - gw["peak_qps"] / gw["capacity_qps"])
    assert gw["hosts_to_add"] == max(
        0, capacity.hosts_needed(gw["forecast_peak_qps"], 1.0, 0.7) - gw["hosts"]
    )
    assert rows["payment"]["capacity_qps"] is None  # no capacity configured: no headroom claimed
    assert len(forecasts["gateway"]["forecast"]) == 60
