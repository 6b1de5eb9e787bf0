"""Warroom's own health: the rate meter, freshness from the metric layer, and valid Prometheus text."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.analyses.tech.conftest import put, request
from warroom.analyses.tech import selfhealth


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
