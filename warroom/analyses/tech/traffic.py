"""Requests per second by service and endpoint, the busiest endpoints, and the peak against normal."""

import statistics
from collections import defaultdict

from warroom.analyses.tech.scope import Grain, Scope
from warroom.warehouse import Warehouse


def rps_by_service(warehouse: Warehouse, scope: Scope, grain: Grain = "minute") -> list[dict]:
    """Rows {time, service, qps, requests} per bucket (qps = weighted requests / seconds in the bucket)."""
    return scope.ask(warehouse, ["qps", "requests"], ["service"], grain=grain, order_by=["time", "service"])


def top_endpoints(warehouse: Warehouse, scope: Scope, limit: int = 10) -> list[dict]:
    """The busiest endpoints over the window: {service, endpoint, qps, requests}."""
    return scope.ask(
        warehouse, ["qps", "requests"], ["service", "endpoint"], order_by=["-requests"], limit=limit
    )


def peak_and_normal(values: list[float]) -> tuple[float, float]:
    """(the highest value, the median value): a bucket series' peak and its ordinary level."""
    if not values:
        return 0.0, 0.0
    return max(values), statistics.median(values)


def peak_vs_normal(warehouse: Warehouse, scope: Scope) -> list[dict]:
    """Per service: the peak minute's QPS, the median minute's, and their ratio, over the window.

    A minute without a sampled request of the service counts as 0 QPS (it is quiet, not unknown)."""
    minutes = max(1, round(scope.seconds / 60))
    series: dict[str, list[float]] = defaultdict(list)
    for row in rps_by_service(warehouse, scope):
        series[row["service"]].append(float(row["qps"] or 0.0))
    out = []
    for service, values in sorted(series.items()):
        padded = values + [0.0] * max(0, minutes - len(values))
        peak, normal = peak_and_normal(padded)
        out.append(
            {
                "service": service,
                "peak_qps": peak,
                "normal_qps": normal,
                "ratio": peak / normal if normal else None,
            }
        )
    return out


def service_minutes(warehouse: Warehouse, scope: Scope, grain: Grain = "minute") -> list[dict]:
    """What a live board plots per service and bucket, in one query: qps and the 4xx / 5xx rates."""
    return scope.ask(
        warehouse, ["qps", "error_rate_4xx", "error_rate_5xx"], ["service"], grain=grain, order_by=["time"]
    )
