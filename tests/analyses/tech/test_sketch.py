"""The log-bucket sketch: its buckets equal the catalog's latency_bucket, its quantiles stay within the
stated bound of numpy's on simulated latencies, and the warehouse histogram is the numpy histogram."""

import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.analyses.tech import Scope, latency, sketch
from warroom.metrics import load_catalog


def test_catalog_dimension_uses_the_sketch_bounds():
    text = load_catalog().dimensions["latency_bucket"].on_text["api_requests"]
    found = [float(x) for x in re.findall(r"latency_ms >= ([0-9.]+)", text)]
    assert found == list(sketch.BOUNDS)


def test_stated_bound():
    # sqrt of the widest bucket's ratio: 2^(1/8) = 1.0905, widened a little by the rounding to 0.001 ms
    assert 0.0905 < sketch.REL_ERROR < 0.0910


def test_hand_counts():
    # 10 rows: 4 in bucket 5 ([2, 2.378) ms), 5 in bucket 9 ([4, 4.757)), 1 in bucket 13 ([8, 9.514)).
    counts = {5: 4, 9: 5, 13: 1}
    assert sketch.quantile(counts, 0.4) == pytest.approx(math.sqrt(2 * 2.378))  # rank 4: last of bucket 5
    assert sketch.quantile(counts, 0.41) == pytest.approx(math.sqrt(4 * 4.757))  # rank 5
    assert sketch.quantile(counts, 0.99) == pytest.approx(math.sqrt(8 * 9.514))  # rank 10
    assert sketch.quantile({}, 0.5) is None
    assert sketch.bucket_of(np.array([0.5, 1.0, 1.188, 1.189, 70_000.0])).tolist() == [0, 1, 1, 2, 65]


def _simulated_latencies(rng: np.random.Generator) -> np.ndarray:
    """Latencies shaped like warroom/simulate/infra.py's: lognormal endpoints plus a 30 s timeout tail."""
    parts = [
        4 * rng.lognormal(0, 0.4, 20_000),
        25 * rng.lognormal(0, 0.5, 20_000),
        250 * 8 * rng.lognormal(0, 0.85, 3_000),
        30_000 + rng.exponential(50, 800),
    ]
    return np.concatenate(parts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_within_bound_of_numpy(seed):
    values = _simulated_latencies(np.random.default_rng(seed))
    counts = sketch.histogram(values)
    for q in (0.5, 0.9, 0.95, 0.99, 0.999):
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        interpolated = float(np.quantile(values, q))
        approx = sketch.quantile(counts, q)
        assert abs(approx - exact) / exact <= sketch.REL_ERROR, (q, approx, exact)
        assert abs(approx - interpolated) / interpolated <= sketch.REL_ERROR, (q, approx, interpolated)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=1.0, max_value=65_000.0, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0.01, 0.25, 0.5, 0.9, 0.99, 1.0]),
)
def test_bound_holds_for_any_data(values, q):
    arr = np.array(values)
    exact = float(np.quantile(arr, q, method="inverted_cdf"))
    approx = sketch.quantile(sketch.histogram(arr), q)
    assert abs(approx - exact) / exact <= sketch.REL_ERROR + 1e-12


def test_warehouse_histogram_and_percentiles_on_the_simulated_sale(sim_warehouse, incident):
    start, end = incident
    scope = Scope(start - timedelta(hours=2), end)
    rows = (
        sim_warehouse.cursor()
        .sql(
            "SELECT service, latency_ms FROM api_requests WHERE ts >= $1 AND ts < $2",
            params=[scope.time_from, scope.time_to],
        )
        .to_arrow_table()
        .to_pylist()
    )
    by_service: dict[str, list[float]] = {}
    for r in rows:
        by_service.setdefault(r["service"], []).append(r["latency_ms"])
    approx = {r["service"]: r for r in latency.approx_percentiles(sim_warehouse, scope)}
    assert set(approx) == set(by_service)
    for service, values in by_service.items():
        arr = np.array(values)
        assert approx[service]["rows"] == len(arr)
        for name, q in latency.PERCENTILES.items():
            want = float(np.quantile(arr, q, method="inverted_cdf"))
            assert abs(approx[service][name] - want) / want <= sketch.REL_ERROR, (service, name)
    heat = latency.heatmap(sim_warehouse, scope, grain="hour")
    assert sum(c["rows"] for c in heat) == len(rows)
    want_hist = sketch.histogram(np.array([r["latency_ms"] for r in rows]))
    got_hist: dict[int, int] = {}
    for c in heat:
        got_hist[c["latency_bucket"]] = got_hist.get(c["latency_bucket"], 0) + c["rows"]
    assert got_hist == want_hist


def test_percentiles_switch_to_the_sketch_beyond_the_row_limit(sim_warehouse, monkeypatch):
    scope = Scope(datetime(2026, 11, 10, 15, tzinfo=UTC), datetime(2026, 11, 10, 17, tzinfo=UTC))
    assert all(r["exact"] for r in latency.percentiles(sim_warehouse, scope))
    monkeypatch.setattr(latency, "EXACT_MAX_ROWS", 10)
    assert not any(r["exact"] for r in latency.percentiles(sim_warehouse, scope))
