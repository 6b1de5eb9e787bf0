"""Exact percentiles against numpy and Apdex against hand-computed figures, on hand-made request rows."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.analyses.tech.conftest import put, request
from warroom.analyses.tech import Scope, errors, latency

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
SCOPE = Scope(T0, T0 + timedelta(hours=1))


def test_exact_percentiles_match_numpy(hand_warehouse):
    rng = np.random.default_rng(7)
    values = np.round(rng.lognormal(4, 1, 500), 3)
    put(
        hand_warehouse,
        "api_requests",
        [request(T0 + timedelta(seconds=i), float(v)) for i, v in enumerate(values)],
    )
    (row,) = latency.percentiles(hand_warehouse, SCOPE, exact=True)
    assert row["exact"] and row["rows"] == 500
    for name, q in latency.PERCENTILES.items():
        assert row[name] == pytest.approx(
            float(np.quantile(values, q)), rel=1e-9
        )  # numpy's linear = quantile_cont


def _apdex_rows(wh):
    # T = 300 ms (the catalog default), 4T = 1200 ms. Weighted by 1 / sample_rate:
    #   100 ms 200 rate 1     satisfied 1
    #   300 ms 200 rate 0.5   satisfied 2   (<= T counts)
    #   301 ms 200 rate 1     tolerating 1
    #  1200 ms 404 rate 1     tolerating 1  (4xx is the client's: not frustrated)
    #  1201 ms 200 rate 0.25  frustrated 4
    #    50 ms 503 rate 1     frustrated 1  (5xx always)
    # requests 10; Apdex(300) = (3 + 2 / 2) / 10 = 0.4
    # Apdex(100): satisfied 1 (100 ms), tolerating (<= 400) 2 + 1 = 3 -> (1 + 3 / 2) / 10 = 0.25
    put(wh, "api_requests", [
        request(T0, 100), request(T0, 300, rate=0.5), request(T0, 301), request(T0, 1200, 404),
        request(T0, 1201, rate=0.25), request(T0, 50, 503),
    ])  # fmt: skip


def test_apdex_hand_computed(hand_warehouse):
    _apdex_rows(hand_warehouse)
    assert latency.apdex(hand_warehouse, SCOPE) == [{"service": "pay", "apdex": pytest.approx(0.4)}]
    assert latency.apdex(hand_warehouse, SCOPE, 300) == [{"service": "pay", "apdex": pytest.approx(0.4)}]
    assert latency.apdex(hand_warehouse, SCOPE, 100) == [{"service": "pay", "apdex": pytest.approx(0.25)}]


def test_error_rates_and_burn_hand_computed(hand_warehouse):
    _apdex_rows(hand_warehouse)
    (row,) = errors.error_rates(hand_warehouse, SCOPE)
    assert row["error_rate_4xx"] == pytest.approx(0.1) and row["error_rate_5xx"] == pytest.approx(0.1)
    slo = errors.Slo(target=0.99)
    burns = errors.burn_rates(hand_warehouse, T0 + timedelta(minutes=1), slo)
    # every window holds the same 10 requests, 1 of them 5xx: 0.1 / (1 - 0.99) = 10, under 14.4
    assert [b["burn_rate"] for b in burns] == [pytest.approx(10.0)] * 3
    assert not any(b["paging"] for b in burns)
    assert errors.burn_rate(0.0144, errors.Slo(target=0.999)) == pytest.approx(14.4)
