from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.alerts.helpers import MIN, at, make_rule, minutes
from warroom.alerts.conditions import ABSENT_LOOKBACK, baseline_shift, needed_ranges, read, reduce, robust_z
from warroom.alerts.rules import Absent, Anomaly, BaselineChange, Change

SH = ZoneInfo("Asia/Shanghai")


def test_reducers_by_hand():
    pts = minutes([3, 1, 2])
    assert reduce(pts, "avg") == 2.0
    assert reduce(pts, "sum") == 6.0
    assert reduce(pts, "min") == 1.0
    assert reduce(pts, "max") == 3.0
    assert reduce(list(reversed(pts)), "last") == 2.0  # the latest point, whatever the input order
    assert reduce([], "avg") is None


def test_the_window_is_half_open():
    rule = make_rule(window=timedelta(minutes=2), reduce="sum")
    pts = minutes([1, 10, 100, 1000])  # at 0, 1, 2, 3
    # at now = 3: [1, 3) holds the points at 1 and 2; the point at 3 has not happened yet.
    assert read(rule, pts, at(3), SH).value == 110.0


def test_robust_z_by_hand():
    history = [100.0, 101.0, 99.0] * 10  # median 100; |deviations| are 0 ×10 and 1 ×20, so MAD = 1
    assert robust_z(110.0, history) == pytest.approx(10 / 1.4826)
    # one wild spike moves neither the median nor the MAD
    assert robust_z(110.0, [*history[:-1], 100000.0]) == pytest.approx(10 / 1.4826)
    # MAD 0 (most values equal): mean absolute deviation × 1.2533 instead; deviations 0 ×9 and 10 ×1
    assert robust_z(20.0, [10.0] * 9 + [20.0]) == pytest.approx(10 / (1.2533 * 1.0))
    assert robust_z(5.0, [3.0] * 5) is None  # no spread at all: no verdict


def test_anomaly_reading():
    rule = make_rule(condition=Anomaly(3.5, 2.5, timedelta(minutes=30), "up", 10))
    history = minutes([100, 101, 99] * 10)  # at 0..29
    spike = read(rule, [*history, (at(30), 110.0)], at(31), SH)
    assert spike.value == 110.0 and spike.reference == 100.0
    assert spike.change == pytest.approx(6.745, abs=1e-3) and spike.fires and spike.holds
    # z = 4 / 1.4826 = 2.70: below 3.5 (does not fire) but above the resolve limit 2.5 (holds)
    mild = read(rule, [*history, (at(30), 104.0)], at(31), SH)
    assert not mild.fires and mild.holds
    dip = read(rule, [*history, (at(30), 90.0)], at(31), SH)
    assert not dip.fires  # direction up ignores drops
    few = read(rule, [*history[-5:], (at(30), 500.0)], at(31), SH)
    assert few.value == 500.0 and not few.fires  # fewer than min_points: no verdict


def test_change_vs_previous_window():
    rule = make_rule(condition=Change(-30.0, -15.0), window=timedelta(minutes=2), reduce="avg")
    pts = minutes([4, 4, 2, 3])  # previous window avg 4, this window avg 2.5: -37.5 %
    r = read(rule, pts, at(4), SH)
    assert (r.value, r.reference) == (2.5, 4.0)
    assert r.change == pytest.approx(-37.5) and r.fires and r.holds
    r = read(rule, minutes([4, 4, 3, 3.6]), at(4), SH)  # avg 3.3: -17.5 %: holds (past -15) but does not fire
    assert r.change == pytest.approx(-17.5) and not r.fires and r.holds
    r = read(rule, minutes([0, 0, 2, 3]), at(4), SH)  # a zero reference: no verdict
    assert r.value == 2.5 and r.change is None and not r.fires


def test_baseline_shift_is_local_days():
    by_days = make_rule(condition=BaselineChange(50.0, 50.0, 1, None))
    assert baseline_shift(by_days, at(0), SH) == timedelta(days=1)
    on_day = make_rule(condition=BaselineChange(50.0, 50.0, None, date(2025, 11, 10)))
    # 17:00 UTC on 11-10 is already 01:00 on 11-11 in Shanghai: the baseline 11-10 is one local day back
    assert baseline_shift(on_day, datetime(2025, 11, 10, 17, 0, tzinfo=UTC), SH) == timedelta(days=1)
    # Across a daylight-saving change "same time of day" is not 24 h: New York sprang forward on 2025-03-09.
    # now = 2025-03-10 14:00 UTC = 10:00 EDT; two days back is 2025-03-08 10:00 EST = 15:00 UTC: 47 h.
    ny = ZoneInfo("America/New_York")
    two_days = make_rule(condition=BaselineChange(50.0, 50.0, 2, None))
    assert baseline_shift(two_days, datetime(2025, 3, 10, 14, 0, tzinfo=UTC), ny) == timedelta(hours=47)


def test_baseline_reading():
    rule = make_rule(
        condition=BaselineChange(50.0, 25.0, 1, None), window=timedelta(minutes=10), reduce="sum"
    )
    yesterday = [(t - timedelta(days=1), 2.0) for t, _ in minutes([0] * 10)]
    today = minutes([4] * 10)
    r = read(rule, yesterday + today, at(10), SH)
    assert (r.value, r.reference, r.change) == (40.0, 20.0, 100.0)
    assert r.fires


def test_absent_reading():
    rule = make_rule(condition=Absent(timedelta(minutes=5)))
    pts = minutes([7] * 10)  # last point at minute 9
    assert not read(rule, pts, at(14), SH).fires  # last (9) is not before now - 5m (9)
    gone = read(rule, pts, at(15), SH)
    assert gone.fires and gone.value == 6.0  # minutes since the last point
    never = read(rule, [], at(15), SH)
    assert never.fires and never.value is None


def test_needed_ranges():
    w = timedelta(minutes=10)
    assert needed_ranges(make_rule(window=w), at(60), SH) == [(at(50), at(60))]
    assert needed_ranges(make_rule(window=w, condition=Change(-30.0, -30.0)), at(60), SH) == [
        (at(40), at(60))
    ]
    anomaly = make_rule(window=MIN, condition=Anomaly(3.5, 3.5, timedelta(hours=2), "both", 10))
    assert needed_ranges(anomaly, at(180), SH) == [(at(59), at(180))]
    baseline = make_rule(window=w, condition=BaselineChange(50.0, 50.0, 1, None))
    day = timedelta(days=1)
    assert needed_ranges(baseline, at(60), SH) == [(at(50) - day, at(60) - day), (at(50), at(60))]
    absent = make_rule(condition=Absent(timedelta(minutes=5)))
    assert needed_ranges(absent, at(60), SH) == [(at(60) - ABSENT_LOOKBACK, at(60))]
