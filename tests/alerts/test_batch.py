"""Batched samples are the rules' own samples: the small simulated sale, every built-in rule plus variants
that share questions (other windows, an hour rule, a baseline rule, a filter), batched vs one by one."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.alerts.helpers import make_rule
from warroom.alerts import batch, builtin_rules, samples
from warroom.alerts.rules import Threshold
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def wh(small_sim: Path, tmp_path_factory):
    w = Warehouse(tmp_path_factory.mktemp("batch") / "w.duckdb")
    Replayer(small_sim, w).load_history(datetime(2026, 11, 12, tzinfo=UTC))
    yield w
    w.close()


def rules():
    base = builtin_rules()
    extra = []
    for rule in base:
        extra.append(replace(rule, id=f"{rule.id}_wide", window=rule.window * 2, hold_for=timedelta(0)))
        extra.append(replace(rule, id=f"{rule.id}_short", window=timedelta(minutes=2)))
    extra.append(
        make_rule(id="p99_payment_only", metric="latency_p99", by=("service",),
                  filters=(("service", ("payment",)),), condition=Threshold(">", 1, 1))
    )  # fmt: skip
    return [*base, *extra]


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 11, 11, 0, 7, tzinfo=SHANGHAI), datetime(2026, 11, 3, 15, 10, 0, tzinfo=SHANGHAI)],
)
def test_batched_samples_equal_one_by_one(wh, now):
    rs = rules()
    got = batch.fetch_at(wh, rs, now, SHANGHAI)
    assert not got.errors
    asked = batch.with_volumes(rs)  # and each min_volume's own question (its metric over the same window)
    assert len(asked) > len(rs) and got.queries < len(asked)  # questions were shared
    for rule in asked:
        assert got.samples[rule.id] == samples.fetch_samples(wh, rule, now, SHANGHAI), rule.id
    assert any(got.samples[r.id] for r in rs)  # not vacuously equal


def test_history_batch_equals_one_by_one(wh):
    start = datetime(2026, 11, 10, 23, 0, tzinfo=SHANGHAI)
    end = start + timedelta(hours=2)
    rs = [r for r in rules() if samples.grain_of(r) == "minute"]
    got = batch.fetch_history(wh, rs, start, end, SHANGHAI)
    for rule in rs:
        alone = samples.fetch(
            wh, rule, samples.history_queries(rule, start, end, SHANGHAI), SHANGHAI, fill=False
        )
        assert got.samples[rule.id] == alone, rule.id


def test_spans_merge_whole_minutes_and_keep_hour_ranges_apart():
    t = datetime(2026, 11, 11, tzinfo=UTC)
    m = timedelta(minutes=1)
    assert batch.spans([(t, t + 5 * m), (t + 3 * m, t + 9 * m), (t + 9 * m, t + 10 * m)], "minute") == [
        (t, t + 10 * m)
    ]
    hours = [(t, t + 60 * m), (t + m, t + 61 * m)]
    assert batch.spans(hours, "hour") == hours  # a clipped hour bucket depends on where its range starts
    odd = (t + timedelta(seconds=30), t + 5 * m)
    assert batch.spans([odd, (t, t + 2 * m)], "minute") == [odd, (t, t + 2 * m)]


def test_a_failing_question_is_reported_for_its_rules_and_the_others_still_run(wh):
    bad = make_rule(id="bad", metric="latency_p99", filters=(("service", ("x",)),), by=("no_such_dim",))
    good = builtin_rules()[:2]
    got = batch.fetch_at(wh, [bad, *good], datetime(2026, 11, 11, 0, 7, tzinfo=SHANGHAI), SHANGHAI)
    assert set(got.errors) == {"bad"} and {r.id for r in good} <= set(got.samples)
