"""A count's bucket without rows is a 0: the metric layer returns no row for it, and an anomaly's history
without the quiet hours had too few points and a median too high (refund_spike never judged the refund
incident). Checked by hand on the pure parts, and against hand-written SQL on the small simulated sale."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.alerts.helpers import make_rule
from warroom.alerts import batch, builtin_rules, samples
from warroom.alerts.conditions import read
from warroom.alerts.rules import Absent, Anomaly
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
T = datetime(2026, 11, 6, 1, tzinfo=SHANGHAI)


def test_which_metrics_count_empty_as_zero():
    assert samples.empty_is_zero(make_rule(metric="refund_count"))  # count
    assert samples.empty_is_zero(make_rule(metric="gmv_paid"))  # sum
    assert not samples.empty_is_zero(make_rule(metric="refund_rate"))  # a ratio of nothing is nothing
    assert not samples.empty_is_zero(make_rule(metric="latency_p99"))  # a percentile of nothing too
    assert not samples.empty_is_zero(make_rule(metric="host_scrapes", condition=Absent(H)))  # rows or not


def test_fill_empty_adds_zero_buckets_inside_the_ranges_only():
    pts = [(T - 3 * H, 2.0), (T - H, 7.0)]
    got = samples.fill_empty({(("c", "x"),): pts}, [(T - 4 * H - timedelta(minutes=30), T)], "hour")
    # hour starts in [T-4h30, T): T-4h, T-3h, T-2h, T-1h (T-5h starts before the range: not filled)
    assert got == {(("c", "x"),): [(T - 4 * H, 0.0), (T - 3 * H, 2.0), (T - 2 * H, 0.0), (T - H, 7.0)]}
    assert samples.fill_empty({}, [(T - 4 * H, T)], "hour") == {}  # a label set never seen stays unknown


def test_anomaly_on_counts_judges_only_with_the_quiet_hours():
    rule = make_rule(
        metric="refund_count", window=H, every=H,
        condition=Anomaly(3.5, 2.5, 24 * H, "up", 12),
    )  # fmt: skip
    busy = [(T - k * H, v) for k, v in ((20, 1.0), (15, 2.0), (9, 1.0), (5, 2.0), (3, 1.0), (2, 1.0))]
    points = [*busy, (T - H, 7.0)]  # the hour being judged, [T-1h, T)
    assert not read(rule, points, T, SHANGHAI).fires  # 6 points of history < min_points 12: no judgement
    filled = samples.fill_empty({(): points}, [(T - 25 * H, T)], "hour")[()]
    reading = read(rule, filled, T, SHANGHAI)
    # history: 24 hours, 18 of them 0, so median 0 and MAD 0; mean absolute deviation 8/24 = 1/3,
    # scale 1.2533 / 3; z = 7 / 0.41777 = 16.76
    assert reading.reference == 0
    assert reading.change == pytest.approx(7 / (1.2533 / 3))
    assert reading.fires


@pytest.fixture(scope="module")
def wh(small_sim: Path, tmp_path_factory):
    w = Warehouse(tmp_path_factory.mktemp("empty") / "w.duckdb")
    Replayer(small_sim, w).load_history(datetime(2026, 11, 12, tzinfo=UTC))
    yield w
    w.close()


def test_batched_counts_hold_every_hour_and_match_the_rows(wh):
    (rule,) = [r for r in builtin_rules() if r.id == "refund_spike"]
    rule = replace(rule, min_volume=None)
    now = datetime(2026, 11, 6, 12, tzinfo=SHANGHAI)
    got = batch.fetch_at(wh, [rule], now, SHANGHAI).samples[rule.id]
    start = now - rule.window - rule.condition.history
    sql = """SELECT p.category_l1, date_trunc('hour', r.ts) AS h, count(*) FROM refunds r
             JOIN products p USING (sku_id) WHERE r.ts >= ? AND r.ts < ? GROUP BY 1, 2"""
    rows = wh.cursor().execute(sql, [start, now]).fetchall()
    expected: dict[str, dict[datetime, float]] = {}
    for category, hour, n in rows:
        expected.setdefault(category, {})[hour.astimezone(UTC)] = float(n)
    assert set(dict(k)["category_l1"] for k in got) == set(expected)
    hours = [start.astimezone(UTC) + k * H for k in range(25)]
    for labels, points in got.items():
        want = expected[dict(labels)["category_l1"]]
        assert points == [(h, want.get(h, 0.0)) for h in hours]
