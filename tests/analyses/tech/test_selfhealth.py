"""Warroom's own health: the rate meter, freshness from the metric layer, and valid Prometheus text."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.analyses.tech.conftest import put, request
from warroom.analyses.tech import selfhealth
from warroom.metrics import rollups
from warroom.metrics.catalog import load_catalog


def test_rate_meter():
    meter = selfhealth.RateMeter(span=60)
    assert meter.add(0, 0) is None
    assert meter.add(10, 500) == 50.0
    assert meter.add(70, 3500) == pytest.approx(3500 / 70)
    assert meter.add(80, 3500) == pytest.approx(3000 / 70)  # the sample at t=0 dropped: 10..80


def test_freshness_and_prometheus_text(hand_warehouse):
    now = datetime(2026, 11, 11, 0, 10, 30, tzinfo=UTC)
    put(hand_warehouse, "api_requests", [request(now - timedelta(minutes=3, seconds=10), 10)])
    state = selfhealth.PipelineState(now, replay_loaded_until=now - timedelta(seconds=2), replay_rows=1234)
    health = selfhealth.pipeline_health(hand_warehouse, state, ingest_rate=12.5)
    fresh = {f["table"]: f for f in health["freshness"]}
    # the row sits in minute 00:07; that minute ends 00:08, 150 s before now
    assert fresh["api_requests"]["lag_seconds"] == 150.0
    assert fresh["events"]["lag_seconds"] is None
    assert health["replay_lag_seconds"] == 2.0
    text = selfhealth.prometheus_text(selfhealth.samples(health))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    lag = families["warroom_ingest_lag_seconds"].samples
    assert [(s.labels, s.value) for s in lag] == [({"table": "api_requests"}, 150.0)]
    assert families["warroom_replay_rows"].type == "counter"
    assert families["warroom_replay_rows"].samples[0].value == 1234


def test_label_values_are_escaped():
    s = selfhealth.Sample("warroom_x", 'a "b"\nc', "gauge", 1, {"table": 'we"ird\\'})
    (family,) = text_string_to_metric_families(selfhealth.prometheus_text([s]))
    assert family.samples[0].labels == {"table": 'we"ird\\'}
    with pytest.raises(ValueError):
        selfhealth.prometheus_text([selfhealth.Sample("bad name", "", "gauge", 1)])


def test_rollup_backlog_counts_the_rows_since_each_refresh(hand_warehouse):
    maintainer = rollups.for_warehouse(hand_warehouse, load_catalog())
    maintainer.refresh_all()
    assert set(maintainer.backlog().values()) == {0}
    now = datetime(2026, 11, 11, 0, 10, tzinfo=UTC)
    put(hand_warehouse, "api_requests", [request(now - timedelta(seconds=k), 10) for k in range(3)])
    over_requests = {r.name for r in maintainer.rollups if "api_requests" in maintainer.sources[r].all}
    assert over_requests, "the catalog declares a rollup over api_requests"
    backlog = maintainer.backlog()
    assert {n for n, rows in backlog.items() if rows} == over_requests
    assert {backlog[n] for n in over_requests} == {3}
    maintainer.refresh_all()
    assert set(maintainer.backlog().values()) == {0}
    put(hand_warehouse, "api_requests", [request(now, 10)])
    # The health check's own freshness query reads (so refreshes) the request rollups it needs; the
    # backlog it reports is what is left after that, the same on /metrics as in the JSON.
    health = selfhealth.pipeline_health(hand_warehouse, selfhealth.PipelineState(now))
    assert health["rollup_backlog_rows"] == maintainer.backlog()
    text = selfhealth.prometheus_text(selfhealth.samples(health))
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "warroom_rollup_backlog_rows"]
    assert {s.labels["rollup"]: s.value for s in family.samples} == health["rollup_backlog_rows"]
