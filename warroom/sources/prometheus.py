"""Prometheus scrapes -> host_metrics rows: one row per host per scrape, from node_exporter's metrics or
from ready-made gauges.

Per column, the first source present in the scrape wins:

| column       | a gauge, taken as it is           | else node_exporter                                        |
|--------------|-----------------------------------|-----------------------------------------------------------|
| cpu_pct      | host_cpu_percent                  | 100 x (1 - d idle / d all) of node_cpu_seconds_total,     |
|              |                                   | summed over cpus (d: change since the previous scrape)    |
| mem_pct      | host_memory_percent               | 100 x (1 - node_memory_MemAvailable_bytes                 |
|              |                                   |              / node_memory_MemTotal_bytes)                |
| net_in_mbps  | host_network_receive_mbps         | d node_network_receive_bytes_total x 8 / d t / 1e6,       |
| net_out_mbps | host_network_transmit_mbps        | and _transmit_: summed over devices except lo             |

Counters need two scrapes of the same host: give a file holding several scrapes one after another, or
several files in time order. The first scrape of a host is the base of its rates and makes no row of its own
(counted in `base_scrapes`). A counter that went down was reset (a restart): as Prometheus's rate() does, the
new value is taken as the whole increase.

Which host and when: the label `host`, else `instance` without its port, else the mapping's host (--host, for
a file saved from one node_exporter, whose samples carry no labels); the role from the label `role`, else
--role. A sample's own timestamp, else the file's scrape time (--scrape-time, else the file's modification
time). The samples of one host with one timestamp are one scrape. A value that is missing from a scrape
(or NaN) is handed on as such, and validation rejects the row naming the column.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from warroom.errors import UserError
from warroom.sources.exposition import Sample
from warroom.sources.logmapping import LogMapping

GAUGES = {
    "host_cpu_percent": "cpu_pct",
    "host_memory_percent": "mem_pct",
    "host_network_receive_mbps": "net_in_mbps",
    "host_network_transmit_mbps": "net_out_mbps",
}
CPU = "node_cpu_seconds_total"
MEM_AVAILABLE, MEM_TOTAL = "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"
NET = {"node_network_receive_bytes_total": "net_in_mbps", "node_network_transmit_bytes_total": "net_out_mbps"}
COUNTERS = (CPU, *NET)
USED = {*GAUGES, CPU, MEM_AVAILABLE, MEM_TOTAL, *NET}
LOOPBACK = "lo"
VALUES = ("cpu_pct", "mem_pct", "net_in_mbps", "net_out_mbps")


@dataclass
class Scrape:
    """What one host reported at one time."""

    host: str
    ts_ms: int
    role: str | None
    source: int  # index of the file it came from
    line: int  # its first sample's line
    gauges: dict[str, float] = field(default_factory=dict)
    counters: dict[tuple, float] = field(default_factory=dict)  # (name, sorted labels) -> value


@dataclass
class HostRows:
    rows: pa.Table  # host_metrics columns
    sources: np.ndarray  # per row, the index of its file
    lines: np.ndarray  # per row, its scrape's first line in that file
    base_scrapes: int  # first scrapes of a host whose counters only start its rates


def scrapes(samples: list[Sample], default_ts_ms: int, source: int, mapping: LogMapping) -> list[Scrape]:
    """Group one file's samples into scrapes, keeping only the metrics host_metrics uses."""
    found: dict[tuple[str, int], Scrape] = {}
    for s in samples:
        if s.name not in USED:
            continue
        host = _host(s.labels, mapping)
        if host is None:
            raise UserError(
                f"line {s.line}: sample {s.name} has no `host` or `instance` label: give --host for a file "
                "saved from one host's exporter"
            )
        ts = s.timestamp_ms if s.timestamp_ms is not None else default_ts_ms
        scrape = found.get((host, ts))
        if scrape is None:
            scrape = found[(host, ts)] = Scrape(host, ts, None, source, s.line)
        scrape.role = scrape.role or s.labels.get("role") or mapping.role
        if s.name in COUNTERS:
            key = (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k not in ("host", "role"))))
            scrape.counters[key] = s.value
        else:
            scrape.gauges[s.name] = s.value
    for scrape in found.values():
        if scrape.role is None:
            raise UserError(f"host {scrape.host} has no `role` label: give --role (web, api, db, cache, ...)")
    return list(found.values())


def host_rows(all_scrapes: list[Scrape]) -> HostRows:
    """One row per scrape, in host and time order; counters turned into rates against the previous scrape."""
    by_host: dict[str, list[Scrape]] = defaultdict(list)
    for s in all_scrapes:
        by_host[s.host].append(s)
    columns: dict[str, list] = {c: [] for c in ("ts", "host", "role", *VALUES)}
    sources, lines, base = [], [], 0
    for host in sorted(by_host):
        previous: Scrape | None = None
        for scrape in sorted(by_host[host], key=lambda s: s.ts_ms):
            values = _values(scrape, previous)
            previous = scrape
            if values is None:
                base += 1
                continue
            columns["ts"].append(scrape.ts_ms * 1000)
            columns["host"].append(host)
            columns["role"].append(scrape.role)
            for c in VALUES:
                columns[c].append(values[c])
            sources.append(scrape.source)
            lines.append(scrape.line)
    rows = pa.table(
        {
            "ts": pa.array(columns["ts"], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "host": pa.array(columns["host"], pa.string()),
            "role": pa.array(columns["role"], pa.string()),
            **{c: pa.array(columns[c], pa.float64()) for c in VALUES},
        }
    )
    return HostRows(rows, np.array(sources, dtype=np.int64), np.array(lines, dtype=np.int64), base)


def _values(scrape: Scrape, previous: Scrape | None) -> dict[str, float | None] | None:
    """The row's values; None when only the missing previous scrape keeps a column from being known."""
    values: dict[str, float | None] = {c: None for c in VALUES}
    for name, column in GAUGES.items():
        if name in scrape.gauges:
            values[column] = scrape.gauges[name]
    if values["mem_pct"] is None and MEM_AVAILABLE in scrape.gauges and MEM_TOTAL in scrape.gauges:
        total = scrape.gauges[MEM_TOTAL]
        values["mem_pct"] = 100.0 * (1.0 - scrape.gauges[MEM_AVAILABLE] / total) if total > 0 else None
    wants_rate = False
    if values["cpu_pct"] is None and _has(scrape, CPU):
        wants_rate = True
        values["cpu_pct"] = _cpu(scrape, previous)
    for name, column in NET.items():
        if values[column] is None and _has(scrape, name):
            wants_rate = True
            values[column] = _mbps(scrape, previous, name)
    if wants_rate and (previous is None or previous.ts_ms >= scrape.ts_ms):
        return None
    return values


def _has(scrape: Scrape, name: str) -> bool:
    return any(key[0] == name for key in scrape.counters)


def _increases(scrape: Scrape, previous: Scrape | None, name: str) -> list[tuple[dict, float]]:
    """(labels, increase since the previous scrape) per series; a series new in this scrape is left out."""
    if previous is None:
        return []
    out = []
    for key, value in scrape.counters.items():
        if key[0] != name or key not in previous.counters:
            continue
        before = previous.counters[key]
        out.append((dict(key[1]), value - before if value >= before else value))  # reset: all of it is new
    return out


def _cpu(scrape: Scrape, previous: Scrape | None) -> float | None:
    increases = _increases(scrape, previous, CPU)
    total = sum(d for _, d in increases)
    if total <= 0:
        return None
    idle = sum(d for labels, d in increases if labels.get("mode") == "idle")
    return 100.0 * (1.0 - idle / total)


def _mbps(scrape: Scrape, previous: Scrape | None, name: str) -> float | None:
    increases = _increases(scrape, previous, name)
    if previous is None or scrape.ts_ms <= previous.ts_ms or not increases:
        return None
    seconds = (scrape.ts_ms - previous.ts_ms) / 1000.0
    octets = sum(d for labels, d in increases if labels.get("device") != LOOPBACK)
    return octets * 8 / seconds / 1e6


def _host(labels: dict[str, str], mapping: LogMapping) -> str | None:
    if labels.get("host"):
        return labels["host"]
    instance = labels.get("instance")
    if instance:
        host, sep, port = instance.rpartition(":")
        return host if sep and port.isdigit() and host else instance
    return mapping.host
