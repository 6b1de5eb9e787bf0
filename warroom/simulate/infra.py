"""The shop's services as Tech sees them: sampled API requests and per-minute host metrics.

Assumptions: requests follow the click stream minute by minute (each view calls the gateway, product
detail, recommendations and often search; cart adds, orders and payment attempts call their services).
Rows are sampled per endpoint (sample_rate: 1% of gateway calls up to every payment call) so the table
stays near a fifth of the events table. Capacity is provisioned for the midnight spike: utilisation is
0.10 + 0.85 x (rate / peak rate)^0.6 of the calendar's expected traffic, so the spike runs hosts at ~95%
and an ordinary evening peak near 40%; latency grows past 70% utilisation. Hosts per service grow with the
square root of scale. The payment surge incident multiplies payment latency and turns failures into
504s after the 30 s timeout; the source-gap incident removes one service's rows for 20 minutes.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warroom.simulate.calendar import MINUTE_US
from warroom.simulate.incidents import PAYMENT_FAILURE_RATE, PAYMENT_LATENCY_MULT, Plan

# service: (host role, hosts at scale 1)
SERVICES: dict[str, tuple[str, int]] = {
    "gateway": ("web", 4), "product": ("api", 3), "search": ("api", 3), "cart": ("api", 2),
    "order": ("api", 2), "payment": ("api", 2), "mysql": ("db", 2), "redis": ("cache", 2),
}  # fmt: skip
DRIVERS = ("view", "favorite", "cart", "order", "pay", "attempt")


@dataclass(frozen=True)
class Endpoint:
    service: str
    path: str
    method: str
    per: dict  # requests per event of each driver kind
    median_ms: float
    sigma: float
    sample_rate: float


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("gateway", "/api/{path}", "GET", {"view": 1.0, "favorite": 1, "cart": 1, "order": 1, "attempt": 1}, 4, 0.4, 0.01),
    Endpoint("product", "/product/{sku_id}", "GET", {"view": 1.0}, 25, 0.5, 0.02),
    Endpoint("product", "/product/recommend", "GET", {"view": 0.5}, 45, 0.6, 0.02),
    Endpoint("search", "/search", "GET", {"view": 0.4}, 60, 0.6, 0.05),
    Endpoint("cart", "/cart/items", "POST", {"cart": 1.0}, 30, 0.5, 0.2),
    Endpoint("cart", "/cart", "GET", {"cart": 2.0, "order": 1.0}, 20, 0.5, 0.2),
    Endpoint("cart", "/favorites", "POST", {"favorite": 1.0}, 20, 0.5, 0.2),
    Endpoint("order", "/orders", "POST", {"order": 1.0}, 80, 0.5, 0.5),
    Endpoint("order", "/orders/{order_id}", "GET", {"pay": 1.0, "order": 1.0}, 25, 0.5, 0.5),
    Endpoint("payment", "/payments", "POST", {"attempt": 1.0}, 250, 0.45, 1.0),
    Endpoint("payment", "/payments/callback", "POST", {"pay": 1.0}, 40, 0.5, 0.5),
)  # fmt: skip
P_4XX = 0.01
P_5XX = 0.002
TIMEOUT_MS = 30_000.0


def host_names(scale: float) -> tuple[list[str], list[str], list[str]]:
    """Host names, their service and role, e.g. payment-01 (api)."""
    names, services, roles = [], [], []
    for service, (role, base) in SERVICES.items():
        for i in range(min(40, int(np.ceil(base * scale**0.5)))):
            names.append(f"{service}-{i + 1:02d}")
            services.append(service)
            roles.append(role)
    return names, services, roles


def utilisation(rate: np.ndarray, peak_rate: float) -> np.ndarray:
    return 0.10 + 0.85 * (rate / peak_rate) ** 0.6


def latency_factor(util: np.ndarray) -> np.ndarray:
    return 1.0 + 12.0 * np.maximum(util - 0.7, 0.0) ** 2


def api_requests(
    rng: np.random.Generator, minutes: np.ndarray, counts: dict[str, np.ndarray], util: np.ndarray,
    hosts: tuple[list[str], list[str], list[str]], plan: Plan,
) -> dict:  # fmt: skip
    """Sampled request rows for the minutes (counts[kind][i] events of each driver kind in minute i)."""
    names, services, _ = hosts
    cols: dict[str, list] = {k: [] for k in ("ts", "endpoint", "status", "latency", "host")}
    for e, ep in enumerate(ENDPOINTS):
        expected = sum(counts[kind] * per for kind, per in ep.per.items()) * ep.sample_rate
        n_rows = rng.poisson(expected)
        minute = np.repeat(np.arange(len(minutes)), n_rows)
        ts = minutes[minute] + rng.integers(0, MINUTE_US, len(minute))
        mult = latency_factor(util[minute])
        sigma = np.full(len(ts), ep.sigma)
        status = np.full(len(ts), 200)
        status[rng.random(len(ts)) < P_4XX] = 404 if "{" in ep.path else 400
        status[rng.random(len(ts)) < P_5XX * mult] = 503
        if ep.service == "payment":
            surge = plan.payment_surge.holds(ts)
            mult = np.where(surge, mult * PAYMENT_LATENCY_MULT, mult)
            sigma = np.where(surge, ep.sigma + 0.4, sigma)
            timed_out = surge & (rng.random(len(ts)) < PAYMENT_FAILURE_RATE * 0.8)
            status[timed_out] = 504
        latency = ep.median_ms * mult * rng.lognormal(0.0, sigma)
        if ep.service == "payment":
            latency[status == 504] = TIMEOUT_MS + rng.exponential(50.0, int((status == 504).sum()))
        pool = np.flatnonzero(np.array(services) == ep.service)
        keep = ~(plan.gap.holds(ts) & (ep.service == plan.gap_service))
        cols["ts"].append(ts[keep])
        cols["endpoint"].append(np.full(int(keep.sum()), e))
        cols["status"].append(status[keep])
        cols["latency"].append(np.round(latency[keep], 3))
        cols["host"].append(pool[rng.integers(0, len(pool), len(ts))][keep])
    endpoint = np.concatenate(cols["endpoint"])
    ep_service = pa.array([ep.service for ep in ENDPOINTS])
    return {
        "ts": np.concatenate(cols["ts"]),
        "service": pc.take(ep_service, pa.array(endpoint)),
        "endpoint": pc.take(pa.array([ep.path for ep in ENDPOINTS]), pa.array(endpoint)),
        "method": pc.take(pa.array([ep.method for ep in ENDPOINTS]), pa.array(endpoint)),
        "status_code": np.concatenate(cols["status"]).astype(np.int64),
        "latency_ms": np.concatenate(cols["latency"]),
        "host": pc.take(pa.array(names), pa.array(np.concatenate(cols["host"]))),
        "sample_rate": pc.take(pa.array([ep.sample_rate for ep in ENDPOINTS]), pa.array(endpoint)),
    }


def host_metrics(
    rng: np.random.Generator, minutes: np.ndarray, util: np.ndarray,
    hosts: tuple[list[str], list[str], list[str]], plan: Plan,
) -> dict:  # fmt: skip
    """One scrape per host per minute: CPU and network follow utilisation, memory drifts slowly with it."""
    names, services, roles = hosts
    n_h, n_m = len(names), len(minutes)
    ts = np.tile(minutes, n_h)
    host = np.repeat(np.arange(n_h), n_m)
    u = np.tile(util, n_h) * rng.uniform(0.9, 1.1, n_h)[host]
    service = np.array(services)[host]
    surge = (service == "payment") & plan.payment_surge.holds(ts)
    cpu = np.clip(6.0 + 80.0 * u + rng.normal(0, 3.0, len(ts)) + 15.0 * surge, 1.0, 100.0)
    mem = np.clip(35.0 + 35.0 * u + rng.normal(0, 1.0, len(ts)), 1.0, 99.0)
    net_in = np.maximum(0.5, 400.0 * u * rng.lognormal(0, 0.1, len(ts)))
    keep = ~(plan.gap.holds(ts) & (service == plan.gap_service))
    return {
        "ts": ts[keep],
        "host": pc.take(pa.array(names), pa.array(host[keep])),
        "role": pc.take(pa.array(roles), pa.array(host[keep])),
        "cpu_pct": np.round(cpu[keep], 2),
        "mem_pct": np.round(mem[keep], 2),
        "net_in_mbps": np.round(net_in[keep], 2),
        "net_out_mbps": np.round(net_in[keep] * 1.8, 2),
    }
