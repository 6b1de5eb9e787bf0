"""Peak QPS against configured capacity, headroom, the next hour's forecast, and hosts to add.

Forecast method (the day's profile scaled by today's level): for each service, the profile is the mean
per-minute QPS of the previous `days` days over the same clock minutes, from an hour before `now` to an hour
after, smoothed over SMOOTH_MINUTES. Today's level is the last hour's requests / the profile's requests over that same hour (how much
busier today runs than the days before). The next hour's forecast is level x the profile's next hour. When
the previous days have no traffic in the last hour (no profile), the forecast continues the last hour's
linear trend instead, never below 0. Its weakness: a spike today that the previous days did not have at the
same clock time (11.11's midnight) is only foreseen once it has started, through the level.

Business side: operations' expected orders per minute at the next peak, times each service's measured
requests per order (requests / orders placed over a reference window), gives the QPS each service must carry.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import yaml

from warroom.analyses.tech.scope import Scope
from warroom.analyses.tech.traffic import rps_by_service
from warroom.errors import UserError
from warroom.metrics import Principal
from warroom.warehouse import Warehouse

DEFAULT_PLAN = Path(__file__).with_name("capacity.yaml")
HORIZON = 60  # minutes forecast, and minutes of today that set the level
# The profile is smoothed over 5 minutes: sampled request rows make single minutes noisy (at the demo scale a
# service's minute holds a handful of rows), and a spike in one past minute is not a plan for the next hour.
SMOOTH_MINUTES = 5


@dataclass(frozen=True)
class CapacityPlan:
    qps_per_host: Mapping[str, float] = field(default_factory=dict)
    target_utilisation: float = 0.7

    @classmethod
    def load(cls, path: Path = DEFAULT_PLAN) -> "CapacityPlan":
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise UserError(f"capacity plan {path}: cannot read it ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise UserError(f"capacity plan {path}: not valid YAML ({exc})") from None
        per_host = doc.get("qps_per_host")
        if not isinstance(per_host, dict) or not per_host:
            raise UserError(f"capacity plan {path}: qps_per_host must map each service to its QPS per host")
        bad = [k for k, v in per_host.items() if not isinstance(v, int | float) or v <= 0]
        if bad:
            raise UserError(f"capacity plan {path}: qps_per_host of {bad} must be numbers above 0")
        target = doc.get("target_utilisation", 0.7)
        if not isinstance(target, int | float) or not 0 < target <= 1:
            raise UserError(
                f"capacity plan {path}: target_utilisation {target!r} must be in (0, 1], e.g. 0.7"
            )
        return cls({str(k): float(v) for k, v in per_host.items()}, float(target))


def hosts_needed(qps: float, qps_per_host: float, target_utilisation: float) -> int:
    """Hosts that carry `qps` with none busier than the target utilisation."""
    return math.ceil(qps / (qps_per_host * target_utilisation) - 1e-9) if qps > 0 else 0


def forecast_next_hour(recent: list[float], past_days: list[list[float]]) -> list[float]:
    """Next HORIZON minutes from the last HORIZON (`recent`, oldest first) and the previous days' 2 x HORIZON
    minutes around the same clock time (see the module doc)."""
    recent_a = np.asarray(recent, dtype=float)
    if past_days:
        profile = _smooth(np.mean(np.asarray(past_days, dtype=float), axis=0))
        base = profile[:HORIZON].sum()
        if base > 0:
            return (recent_a.sum() / base * profile[HORIZON:]).tolist()
    x = np.arange(len(recent_a))
    slope, intercept = np.polyfit(x, recent_a, 1) if len(recent_a) > 1 else (0.0, float(recent_a.mean()))
    ahead = np.arange(len(recent_a), len(recent_a) + HORIZON)
    return np.maximum(0.0, intercept + slope * ahead).tolist()


def _smooth(values: np.ndarray) -> np.ndarray:
    """Centred moving mean over SMOOTH_MINUTES, the ends padded with their own values."""
    half = SMOOTH_MINUTES // 2
    padded = np.pad(values, half, mode="edge")
    return np.convolve(padded, np.ones(SMOOTH_MINUTES) / SMOOTH_MINUTES, mode="valid")


def _minute_series(warehouse: Warehouse, scope: Scope) -> dict[str, list[float]]:
    """service -> QPS per minute of the scope (minutes without a sampled request are 0)."""
    n = round(scope.seconds / 60)
    out: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    for r in rps_by_service(warehouse, scope):
        i = int((r["time"] - scope.time_from).total_seconds() // 60)
        if 0 <= i < n:
            out[r["service"]][i] = float(r["qps"] or 0.0)
    return out


def forecast(
    warehouse: Warehouse,
    now: datetime,
    service: str | None = None,
    principal: Principal | None = None,
    days: int = 3,
) -> dict[str, dict]:
    """service -> {recent, forecast (QPS per minute for the next hour), forecast_peak, level}."""
    minute = now.replace(second=0, microsecond=0)
    hour = timedelta(minutes=HORIZON)
    recent = _minute_series(warehouse, Scope(minute - hour, minute, service, principal))
    past = [
        _minute_series(
            warehouse,
            Scope(minute - timedelta(days=d) - hour, minute - timedelta(days=d) + hour, service, principal),
        )
        for d in range(1, days + 1)
    ]
    out = {}
    for name in sorted(set(recent).union(*past)):
        history = [p[name] for p in past if name in p]
        ahead = forecast_next_hour(recent.get(name, [0.0] * HORIZON), history)
        out[name] = {
            "recent": recent.get(name, [0.0] * HORIZON),
            "forecast": ahead,
            "forecast_peak": max(ahead),
        }
    return out


def capacity(
    warehouse: Warehouse, scope: Scope, plan: CapacityPlan, forecasts: Mapping[str, dict] | None = None
) -> list[dict]:
    """Per service: hosts, capacity QPS, peak minute QPS in the scope, headroom (1 - peak / capacity), and,
    with forecasts, the forecast peak and the hosts to add so it stays under the target utilisation."""
    hosts = {r["service"]: r["serving_hosts"] for r in scope.ask(warehouse, ["serving_hosts"], ["service"])}
    series = _minute_series(warehouse, scope)
    out = []
    for service in sorted(set(hosts) | set(series)):
        per_host = plan.qps_per_host.get(service)
        n_hosts = int(hosts.get(service) or 0)
        peak = max(series.get(service, [0.0]))
        cap = per_host * n_hosts if per_host else None
        row = {
            "service": service,
            "hosts": n_hosts,
            "qps_per_host": per_host,
            "capacity_qps": cap,
            "peak_qps": peak,
            "utilisation": peak / cap if cap else None,
            "headroom": 1 - peak / cap if cap else None,
            "forecast_peak_qps": None,
            "hosts_to_add": None,
        }
        if forecasts and service in forecasts and per_host:
            expected = forecasts[service]["forecast_peak"]
            row["forecast_peak_qps"] = expected
            row["hosts_to_add"] = max(0, hosts_needed(expected, per_host, plan.target_utilisation) - n_hosts)
        out.append(row)
    return out


def requests_per_order(warehouse: Warehouse, scope: Scope) -> dict[str, float]:
    """service -> weighted requests per order placed, measured over the scope."""
    orders = scope.ask(warehouse, ["orders_placed"], service_filter=False)
    n_orders = float(orders[0]["orders_placed"] or 0) if orders else 0.0
    if n_orders == 0:
        raise UserError(
            f"no orders were placed between {scope.time_from.isoformat()} and {scope.time_to.isoformat()}: "
            "choose a reference window with orders to measure requests per order"
        )
    return {
        r["service"]: float(r["requests"]) / n_orders for r in scope.ask(warehouse, ["requests"], ["service"])
    }


def qps_for_orders(orders_per_minute: float, ratios: Mapping[str, float]) -> dict[str, float]:
    """The QPS each service must carry when orders arrive at `orders_per_minute`."""
    if orders_per_minute < 0:
        raise UserError(f"expected orders per minute {orders_per_minute} cannot be negative")
    return {service: orders_per_minute / 60 * ratio for service, ratio in ratios.items()}


def plan_for_orders(
    warehouse: Warehouse, reference: Scope, orders_per_minute: float, plan: CapacityPlan
) -> list[dict]:
    """Per service: requests per order, the QPS at the expected orders per minute, hosts needed and to add."""
    ratios = requests_per_order(warehouse, reference)
    qps = qps_for_orders(orders_per_minute, ratios)
    hosts = {
        r["service"]: int(r["serving_hosts"])
        for r in reference.ask(warehouse, ["serving_hosts"], ["service"])
    }
    out = []
    for service in sorted(qps):
        per_host = plan.qps_per_host.get(service)
        need = hosts_needed(qps[service], per_host, plan.target_utilisation) if per_host else None
        out.append(
            {
                "service": service,
                "requests_per_order": ratios[service],
                "qps": qps[service],
                "hosts": hosts.get(service, 0),
                "hosts_needed": need,
                "hosts_to_add": max(0, need - hosts.get(service, 0)) if need is not None else None,
            }
        )
    return out
