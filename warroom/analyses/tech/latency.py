"""Latency percentiles (exact on small ranges, the log-bucket sketch beyond), Apdex, slow endpoints, heatmap.

Percentiles describe the sampled request rows as they are (not weighted by sample rate), like the catalog's
latency_p50/p95/p99; Apdex and counts are weighted (each row stands for 1/sample_rate requests).
"""

from collections import defaultdict
from collections.abc import Sequence

from warroom.analyses.tech import sketch
from warroom.analyses.tech.scope import Grain, Scope
from warroom.errors import UserError
from warroom.metrics import Filter, load_catalog
from warroom.warehouse import Warehouse

PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
EXACT = ["latency_p50", "latency_p95", "latency_p99"]
# Exact percentiles run at 10-15M rows/s (DESIGN.md); 3M rows keeps one exact query near 0.25 s, the most a
# live refresh can give one panel. Beyond that the sketch answers (a sum: ~178M rows/s).
EXACT_MAX_ROWS = 3_000_000


def percentiles(
    warehouse: Warehouse,
    scope: Scope,
    by: Sequence[str] = ("service",),
    grain: Grain | None = None,
    exact: bool | None = None,
) -> list[dict]:
    """Rows {time?, *by, p50, p95, p99, rows, exact}; exact=None chooses by the number of rows."""
    if exact is None:
        total = scope.ask(warehouse, ["sampled_requests"])
        exact = (total[0]["sampled_requests"] if total else 0) <= EXACT_MAX_ROWS
    if not exact:
        return approx_percentiles(warehouse, scope, by, grain)
    rows = scope.ask(warehouse, [*EXACT, "sampled_requests"], list(by), grain=grain)
    keys = ["time"] * bool(grain) + list(by)
    return [
        {
            **{k: r[k] for k in keys},
            **{name: r[f"latency_{name}"] for name in PERCENTILES},
            "rows": r["sampled_requests"],
            "exact": True,
        }
        for r in rows
    ]


def approx_percentiles(
    warehouse: Warehouse, scope: Scope, by: Sequence[str] = ("service",), grain: Grain | None = None
) -> list[dict]:
    """The same rows from the log-bucket histogram, each within sketch.REL_ERROR (9.07%) of the exact value."""
    keys = ["time"] * bool(grain) + list(by)
    counts: dict[tuple, dict[int, float]] = defaultdict(dict)
    for r in scope.ask(warehouse, ["sampled_requests"], [*by, "latency_bucket"], grain=grain):
        counts[tuple(r[k] for k in keys)][r["latency_bucket"]] = r["sampled_requests"]
    return [
        {
            **dict(zip(keys, key, strict=True)),
            **{name: sketch.quantile(hist, q) for name, q in PERCENTILES.items()},
            "rows": sum(hist.values()),
            "exact": False,
        }
        for key, hist in sorted(counts.items(), key=lambda kv: tuple(str(v) for v in kv[0]))
    ]


def apdex(
    warehouse: Warehouse, scope: Scope, threshold_ms: float | None = None, by: Sequence[str] = ("service",)
) -> list[dict]:
    """Apdex = (satisfied + tolerating / 2) / requests, 5xx counting as frustrated; {*by, apdex}.

    threshold_ms None uses the catalog's apdex_threshold_ms (the `apdex` metric itself); any other T is
    answered from the same weighted counts filtered at T and 4T."""
    if threshold_ms is None:
        return [{**{k: r[k] for k in by}, "apdex": r["apdex"]} for r in scope.ask(warehouse, ["apdex"], by)]
    if threshold_ms <= 0:
        raise UserError(f"Apdex threshold {threshold_ms} ms must be above 0")
    ok = Filter(dimension="status_code", op="<", value=500)

    def weighted(limit: float | None) -> dict[tuple, float]:
        extra = [ok, Filter(dimension="latency_ms", op="<=", value=limit)] if limit is not None else []
        return {
            tuple(r[k] for k in by): r["requests"] or 0.0
            for r in scope.ask(warehouse, ["requests"], by, filters=extra)
        }

    total, satisfied, within_4t = weighted(None), weighted(threshold_ms), weighted(4 * threshold_ms)
    return [
        {
            **dict(zip(by, key, strict=True)),
            "apdex": (satisfied.get(key, 0.0) + (within_4t.get(key, 0.0) - satisfied.get(key, 0.0)) / 2) / n
            if n
            else None,
        }
        for key, n in sorted(total.items(), key=lambda kv: tuple(str(v) for v in kv[0]))
    ]


def default_threshold_ms() -> float:
    return float(load_catalog().parameters["apdex_threshold_ms"])


def slowest_endpoints(warehouse: Warehouse, scope: Scope, limit: int = 10) -> list[dict]:
    """Endpoints by exact p99 over the window: {service, endpoint, latency_p50, latency_p99, qps, apdex}."""
    return scope.ask(
        warehouse,
        ["latency_p99", "latency_p50", "qps", "apdex", "error_rate_5xx"],
        ["service", "endpoint"],
        order_by=["-latency_p99"],
        limit=limit,
    )


def heatmap(warehouse: Warehouse, scope: Scope, grain: Grain = "minute") -> list[dict]:
    """Sampled rows per time bucket and latency bucket: {time, latency_bucket, lower_ms, rows}."""
    rows = scope.ask(warehouse, ["sampled_requests"], ["latency_bucket"], grain=grain)
    return [
        {
            "time": r["time"],
            "latency_bucket": r["latency_bucket"],
            "lower_ms": sketch.lower_bound(r["latency_bucket"]),
            "rows": r["sampled_requests"],
        }
        for r in rows
    ]
