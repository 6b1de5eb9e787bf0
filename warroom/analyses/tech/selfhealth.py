"""Warroom's own health: how fresh the data is, how fast rows arrive, what was rejected, how long queries
take; and the same figures in Prometheus' text format so an existing Prometheus can scrape them.

The server passes in what only it knows (PipelineState: the replay's position, the writer's counters); this
module asks the metric layer for freshness and times those queries (the query latency a viewer gets,
compilation included). Rejected rows are counted by the ingest layer's quarantine, the one owner of that
table.
"""

import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.analyses.tech.scope import Scope
from warroom.ingest import quarantine
from warroom.metrics import rollups
from warroom.metrics.catalog import load_catalog
from warroom.warehouse import Warehouse

FRESHNESS_WINDOW = timedelta(minutes=15)  # older than this and the feed counts as stopped (lag unknown)
# Freshness by table: the metric counting that table's rows.
FRESHNESS = {"events": "pv", "api_requests": "sampled_requests"}


@dataclass(frozen=True)
class PipelineState:
    """What the running server knows about its own pipeline (warroom/web/runtime.py's Runtime)."""

    now: datetime
    replay_loaded_until: datetime | None = None
    replay_rows: int | None = None  # rows the replay has ingested since the server started
    replay_errors: int = 0
    writer_flushes: int = 0  # transactions the live ingest writer committed
    writer_fallbacks: int = 0
    live: dict[str, int] = field(default_factory=dict)  # the live hub's totals (warroom/web/live.py)
    alert_eval_seconds: float | None = None  # the alerting thread's last evaluation of every rule
    alert_ticks: int = 0


class RateMeter:
    """Rate of a growing counter over the last `span` seconds, from samples the caller takes."""

    def __init__(self, span: float = 60.0) -> None:
        self.span = span
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, t: float, value: float) -> float | None:
        """Record (t seconds, counter value); returns the per-second rate over the span, None until 2 samples."""
        self._samples.append((t, value))
        while len(self._samples) > 2 and t - self._samples[1][0] >= self.span:
            self._samples.popleft()
        (t0, v0), (t1, v1) = self._samples[0], self._samples[-1]
        return (v1 - v0) / (t1 - t0) if t1 > t0 else None


def freshness(warehouse: Warehouse, now: datetime) -> list[dict]:
    """Per table: the end of the newest minute holding rows, the lag behind `now` in seconds (None when
    nothing arrived in FRESHNESS_WINDOW), and how long the metric query took (ms)."""
    scope = Scope(now - FRESHNESS_WINDOW, now)
    out = []
    for table, metric in FRESHNESS.items():
        started = time.perf_counter()
        rows = scope.ask(warehouse, [metric], grain="minute")
        took_ms = (time.perf_counter() - started) * 1000
        filled = [r["time"] for r in rows if r[metric]]
        newest = min(max(filled) + timedelta(minutes=1), now) if filled else None
        lag = (now - newest).total_seconds() if newest else None
        out.append({"table": table, "newest": newest, "lag_seconds": lag, "query_ms": took_ms})
    return out


def rejected_rows(warehouse: Warehouse) -> dict[str, int]:
    """table -> rows held in quarantine (rejected and not yet replayed)."""
    con = warehouse.cursor()
    try:
        counts: dict[str, int] = {}
        for table, _rule, _column, n, *_ in quarantine.summary(con):
            counts[table] = counts.get(table, 0) + int(n)
        return counts
    finally:
        con.close()


def pipeline_health(warehouse: Warehouse, state: PipelineState, ingest_rate: float | None = None) -> dict:
    """Everything the self-health panel and /metrics show, as plain numbers."""
    fresh = freshness(warehouse, state.now)
    replay_lag = (
        (state.now - state.replay_loaded_until).total_seconds() if state.replay_loaded_until else None
    )
    return {
        "now": state.now,
        "freshness": fresh,
        "query_ms": max(f["query_ms"] for f in fresh),
        "rejected_rows": rejected_rows(warehouse),
        "rollup_backlog_rows": rollups.for_warehouse(warehouse, load_catalog()).backlog(),
        "replay_lag_seconds": replay_lag,
        "replay_rows": state.replay_rows,
        "replay_errors": state.replay_errors,
        "ingest_rows_per_second": ingest_rate,
        "writer_flushes": state.writer_flushes,
        "writer_fallbacks": state.writer_fallbacks,
        "live": state.live,
        "alert_eval_seconds": state.alert_eval_seconds,
        "alert_ticks": state.alert_ticks,
    }


@dataclass(frozen=True)
class Sample:
    name: str
    help: str
    kind: str  # gauge | counter
    value: float
    labels: dict[str, str] = field(default_factory=dict)


def samples(health: dict) -> list[Sample]:
    """The health figures as Prometheus samples (counters end in _total, durations are in seconds)."""
    out: list[Sample] = []
    for f in health["freshness"]:
        if f["lag_seconds"] is not None:
            out.append(
                Sample("warroom_ingest_lag_seconds", "Now minus the newest minute holding rows.", "gauge",
                       f["lag_seconds"], {"table": f["table"]})
            )  # fmt: skip
        out.append(
            Sample("warroom_query_seconds", "Duration of the last freshness metric query.", "gauge",
                   f["query_ms"] / 1000, {"table": f["table"]})
        )  # fmt: skip
    for name, n in sorted(health.get("rollup_backlog_rows", {}).items()):
        out.append(
            Sample("warroom_rollup_backlog_rows", "Source rows added since the rollup's last refresh.", "gauge",
                   n, {"rollup": name})
        )  # fmt: skip
    for table, n in sorted(health["rejected_rows"].items()):
        out.append(Sample("warroom_rejected_rows", "Rows held in quarantine.", "gauge", n, {"table": table}))
    if health["replay_lag_seconds"] is not None:
        out.append(
            Sample("warroom_replay_lag_seconds", "Replay clock minus what the replay has loaded.", "gauge",
                   health["replay_lag_seconds"])
        )  # fmt: skip
    if health["replay_rows"] is not None:
        out.append(
            Sample(
                "warroom_replay_rows_total", "Rows ingested by the replay.", "counter", health["replay_rows"]
            )
        )
    out.append(
        Sample("warroom_replay_errors_total", "Replay steps that failed.", "counter", health["replay_errors"])
    )
    if health["ingest_rows_per_second"] is not None:
        out.append(
            Sample("warroom_ingest_rows_per_second", "Rows ingested per second over the last minute.", "gauge",
                   health["ingest_rows_per_second"])
        )  # fmt: skip
    out.append(
        Sample(
            "warroom_writer_flushes_total",
            "Live ingest transactions committed.",
            "counter",
            health["writer_flushes"],
        )
    )
    out.append(
        Sample("warroom_writer_fallbacks_total", "Flushes written push by push (a repeated key).", "counter",
               health["writer_fallbacks"])
    )  # fmt: skip
    if health.get("alert_eval_seconds") is not None:
        out.append(
            Sample("warroom_alert_eval_seconds", "Duration of the last evaluation of every alert rule.",
                   "gauge", health["alert_eval_seconds"])
        )  # fmt: skip
    out.append(
        Sample("warroom_alert_ticks_total", "Alert evaluations run.", "counter", health.get("alert_ticks", 0))
    )
    live = health.get("live") or {}
    for key, kind, text in _LIVE:
        if key in live:
            name = f"warroom_live_{key}" + ("_total" if kind == "counter" else "")
            out.append(Sample(name, text, kind, live[key]))
    return out


_LIVE = (  # the live hub's figures: queries per tick stays flat as viewers grow when they share refreshes
    ("ticks", "counter", "Passes of the live refresh loop."),
    ("refreshes", "counter", "Live snapshots computed."),
    ("queries", "counter", "Warehouse reads made by live snapshots."),
    ("topics", "gauge", "Live streams computed (viewers with equal permissions and filters share one)."),
    ("viewers", "gauge", "Open live connections."),
)


_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def prometheus_text(items: list[Sample]) -> str:
    """Prometheus text exposition format 0.0.4: HELP and TYPE once per metric family, then its samples."""
    lines: list[str] = []
    seen: set[str] = set()
    for s in sorted(items, key=lambda s: s.name):
        if not _NAME.match(s.name):
            raise ValueError(f"{s.name!r} is not a valid Prometheus metric name")
        if s.name not in seen:
            seen.add(s.name)
            lines.append(f"# HELP {s.name} {_escape(s.help)}")
            lines.append(f"# TYPE {s.name} {s.kind}")
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(s.labels.items()))
        lines.append(f"{s.name}{{{labels}}} {float(s.value)!r}" if labels else f"{s.name} {float(s.value)!r}")
    return "\n".join(lines) + "\n"
