"""CPU, memory and network by host and role, and the hosts near saturation."""

from dataclasses import dataclass

from warroom.analyses.tech.scope import Scope
from warroom.metrics import Filter
from warroom.warehouse import Warehouse

USAGE = ["host_cpu", "host_cpu_max", "host_mem", "host_mem_max", "host_net_in", "host_net_out"]


@dataclass(frozen=True)
class Saturation:
    # Latency climbs once a host passes ~70% CPU (queueing); 85% leaves too little for the next spike.
    # Memory above 90% risks the OOM killer and swap.
    cpu_pct: float = 85.0
    mem_pct: float = 90.0


def serving(warehouse: Warehouse, scope: Scope) -> dict[str, str]:
    """host -> service, from the hosts that answered requests in the window (the service filter applies)."""
    return {r["host"]: r["service"] for r in scope.ask(warehouse, ["sampled_requests"], ["service", "host"])}


def host_usage(warehouse: Warehouse, scope: Scope) -> list[dict]:
    """Per host: {host, host_role, host_cpu, host_cpu_max, host_mem, host_mem_max, host_net_in, host_net_out},
    busiest CPU first. With a service in the scope, only the hosts that served it in the window."""
    filters = []
    if scope.service:
        services = serving(warehouse, scope)
        if not services:
            return []
        filters = [Filter(dimension="host", op="in", value=sorted(services))]
    return scope.ask(
        warehouse, USAGE, ["host", "host_role"], filters=filters, order_by=["-host_cpu"], service_filter=False
    )


def near_saturation(rows: list[dict], limits: Saturation = Saturation()) -> list[dict]:
    """The hosts whose mean CPU or memory over the window is at or above the limits, busiest first."""
    hot = [
        r for r in rows if (r["host_cpu"] or 0) >= limits.cpu_pct or (r["host_mem"] or 0) >= limits.mem_pct
    ]
    return sorted(hot, key=lambda r: -max(r["host_cpu"] or 0, r["host_mem"] or 0))
