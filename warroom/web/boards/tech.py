"""The tech board: traffic, latency, errors, hosts, capacity and Warroom's own health, live.

Every number comes from warroom.analyses.tech (and so from the metric layer). Windows end at the room's
clock: the last hour for the time series, the last 15 minutes for the endpoint table, the last 5 for hosts,
the local day so far for the capacity peak. Warroom's own health comes from GET /api/v1/tech/health
(warroom/web/routes/metrics_export.py), which reads the server's runtime.
"""

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from warroom.analyses.overview import day_start
from warroom.analyses.tech import Scope, capacity, errors, hosts, latency, sketch, traffic
from warroom.web.boards.board import Board, BoardRequest

HOUR, ENDPOINTS, HOSTS = timedelta(hours=1), timedelta(minutes=15), timedelta(minutes=5)
BURN = errors.Slo(windows=(timedelta(minutes=5), timedelta(hours=1)))
FORECAST_DAYS = 2  # each past day is one more query per refresh; two already smooth out one odd day
# The capacity panel is an hour-scale figure that costs 6 queries (hosts, today's minutes, the last hour, two
# past days); measured on the demo data (bench: /tmp script over the 0.5-scale warehouse, 2 cores) it took
# 30-400 ms of a 110-900 ms snapshot depending on the machine's load. So it is recomputed at most every
# SLOW_PANEL_SECONDS of real time, and says when its figures are from.
SLOW_PANEL_SECONDS = 5.0
_SLOW: dict[tuple, tuple[float, dict]] = {}
_SLOW_LOCK = threading.Lock()


def _slow(req: BoardRequest, part: str, compute: Callable[[], dict]) -> dict:
    key = (id(req.warehouse), part, repr(req.principal), tuple(sorted(req.filters.items())))
    with _SLOW_LOCK:
        hit = _SLOW.get(key)
    if hit and time.monotonic() - hit[0] < SLOW_PANEL_SECONDS:
        return hit[1]
    value = {**compute(), "as_of": _t(req.now)}
    with _SLOW_LOCK:
        _SLOW[key] = (time.monotonic(), value)
    return value


def _t(value: datetime) -> str:
    return value.isoformat()


def _series(rows: list[dict], key: str, value: str, start: datetime, fill: float | None) -> list[dict]:
    """One series per `key` over every minute of the hour from `start`; a minute without rows gets `fill`
    (0 for a rate of requests: quiet; None for an error ratio: unknown, drawn as a gap)."""
    minutes = [start + timedelta(minutes=i) for i in range(int(HOUR.total_seconds() // 60) + 1)]
    by: dict[str, dict[datetime, float]] = defaultdict(dict)
    for r in rows:
        by[r[key]][r["time"]] = r[value]
    return [
        {"name": name, "data": [[_t(m), points.get(m, fill)] for m in minutes]}
        for name, points in sorted(by.items())
    ]


def _latency(req: BoardRequest, scope: Scope) -> dict:
    rows = latency.percentiles(req.warehouse, scope, by=(), grain="minute")
    return {
        "series": [{"name": n, "data": [[_t(r["time"]), r[n]] for r in rows]} for n in latency.PERCENTILES],
        "exact": all(r["exact"] for r in rows),
        "bound": sketch.REL_ERROR,
    }


def _heatmap(req: BoardRequest, scope: Scope) -> dict:
    cells = latency.heatmap(req.warehouse, scope)
    times = sorted({c["time"] for c in cells})
    buckets = sorted({c["latency_bucket"] for c in cells})
    col, row = {t: i for i, t in enumerate(times)}, {b: i for i, b in enumerate(buckets)}
    return {
        "x": [_t(t) for t in times],
        "y": [sketch.lower_bound(b) for b in buckets],
        "cells": [[col[c["time"]], row[c["latency_bucket"]], c["rows"]] for c in cells],
    }


def _capacity(req: BoardRequest, now: datetime) -> dict:
    plan = capacity.CapacityPlan.load()
    forecasts = capacity.forecast(req.warehouse, now, principal=req.principal, days=FORECAST_DAYS)
    today = Scope(min(day_start(now, req.tz), now - timedelta(minutes=1)), now, principal=req.principal)
    rows = capacity.capacity(req.warehouse, today, plan, forecasts)
    chosen = req.filters.get("service")
    picked = [f for name, f in forecasts.items() if chosen in (None, name)]
    minute = now.replace(second=0, microsecond=0)

    def total(key: str) -> list[float]:
        return [sum(v) for v in zip(*(f[key] for f in picked), strict=True)] if picked else []

    return {
        "rows": rows,
        "target": plan.target_utilisation,
        "recent": [[_t(minute - timedelta(minutes=60 - i)), v] for i, v in enumerate(total("recent"))],
        "forecast": [[_t(minute + timedelta(minutes=i)), v] for i, v in enumerate(total("forecast"))],
    }


def _snapshot(req: BoardRequest) -> dict:
    started = time.perf_counter()
    now, service, who = req.now, req.filters.get("service"), req.principal
    hour = Scope(now - HOUR, now, service, who)
    minutes = traffic.service_minutes(req.warehouse, hour)
    first = (now - HOUR).replace(second=0, microsecond=0)
    usage = hosts.host_usage(req.warehouse, Scope(now - HOSTS, now, service, who))
    cap = _slow(req, "capacity", lambda: _capacity(req, now))
    snap = {
        "now": _t(now),
        "options": {"service": [r["service"] for r in cap["rows"]]},
        "rps": _series(minutes, "service", "qps", first, 0.0),
        "latency": _latency(req, hour),
        "heatmap": _heatmap(req, hour),
        "endpoints": latency.slowest_endpoints(req.warehouse, Scope(now - ENDPOINTS, now, service, who)),
        "errors": {
            "rate_5xx": _series(minutes, "service", "error_rate_5xx", first, None),
            "rate_4xx": _series(minutes, "service", "error_rate_4xx", first, None),
            "burn": errors.burn_rates(req.warehouse, now, BURN, service, who),
            "slo": BURN.target,
            "page_burn": BURN.page_burn,
        },
        "hosts": {
            "rows": usage[:12],
            "hot": [r["host"] for r in hosts.near_saturation(usage)],
            "limits": hosts.Saturation().__dict__,
        },
        "capacity": cap,
    }
    snap["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return snap


TEXT = {
    "filter_service": {"zh": "服务", "en": "Service"},
    "rps": {"zh": "每秒请求数(按服务)", "en": "Requests per second by service"},
    "latency": {"zh": "延迟 P50 / P95 / P99(毫秒)", "en": "Latency p50 / p95 / p99 (ms)"},
    "heatmap": {
        "zh": "延迟分布热力图(每分钟采样请求数)",
        "en": "Latency heatmap (sampled requests per minute)",
    },
    "endpoints": {"zh": "最慢接口(近15分钟, 按P99)", "en": "Slowest endpoints (last 15 min, by p99)"},
    "errors": {"zh": "5xx 错误率与错误预算燃烧", "en": "5xx error rate and error-budget burn"},
    "hosts": {"zh": "主机负载(近5分钟)", "en": "Host load (last 5 min)"},
    "capacity": {"zh": "容量与下一小时预测", "en": "Capacity and next-hour forecast"},
    "selfhealth": {"zh": "Warroom 自身健康", "en": "Warroom's own health"},
    "service": {"zh": "服务", "en": "Service"},
    "endpoint": {"zh": "接口", "en": "Endpoint"},
    "host": {"zh": "主机", "en": "Host"},
    "role": {"zh": "角色", "en": "Role"},
    "cpu": {"zh": "CPU", "en": "CPU"},
    "mem": {"zh": "内存", "en": "Memory"},
    "net": {"zh": "网络入/出 Mbps", "en": "Net in/out Mbps"},
    "qps": {"zh": "QPS", "en": "QPS"},
    "apdex": {"zh": "Apdex", "en": "Apdex"},
    "rate_5xx": {"zh": "5xx率", "en": "5xx rate"},
    "hosts_n": {"zh": "主机数", "en": "Hosts"},
    "capacity_qps": {"zh": "容量QPS", "en": "Capacity QPS"},
    "peak_qps": {"zh": "今日峰值QPS", "en": "Today's peak QPS"},
    "headroom": {"zh": "余量", "en": "Headroom"},
    "forecast_peak": {"zh": "预测峰值", "en": "Forecast peak"},
    "hosts_to_add": {"zh": "需加机器", "en": "Hosts to add"},
    "actual": {"zh": "实际", "en": "Actual"},
    "forecast": {"zh": "预测", "en": "Forecast"},
    "burn": {"zh": "燃烧率", "en": "Burn rate"},
    "window": {"zh": "窗口", "en": "Window"},
    "paging": {"zh": "需告警", "en": "Page"},
    "slo": {"zh": "SLO 目标", "en": "SLO target"},
    "sketch_note": {"zh": "近似(对数分桶, 误差≤", "en": "approximate (log buckets, error ≤"},
    "near_saturation": {"zh": "接近饱和", "en": "near saturation"},
    "none_hot": {"zh": "无主机接近饱和", "en": "No host near saturation"},
    "not_configured": {"zh": "未配置", "en": "not configured"},
    "ingest_lag": {"zh": "数据延迟", "en": "Data lag"},
    "ingest_rate": {"zh": "入库速率(行/秒)", "en": "Ingest rate (rows/s)"},
    "rejected": {"zh": "隔离区拒收行", "en": "Rejected rows (quarantine)"},
    "replay_lag": {"zh": "回放延迟", "en": "Replay lag"},
    "query_ms": {"zh": "查询耗时", "en": "Query time"},
    "refresh_ms": {"zh": "本看板刷新耗时", "en": "This board's refresh time"},
    "alert_eval_ms": {"zh": "告警评估耗时", "en": "Alert evaluation"},
    "rollup_backlog": {"zh": "汇总表待汇总行", "en": "Rollup backlog (rows)"},
    "live_viewers": {"zh": "实时连接 / 计算流", "en": "Live viewers / streams"},
    "seconds": {"zh": "秒", "en": "s"},
    "no_data": {"zh": "暂无数据", "en": "No data"},
}

BOARD = Board(
    name="tech",
    path="/tech",
    template="tech.html",
    title={"zh": "技术", "en": "Tech"},
    snapshot=_snapshot,
    filters=("service",),
    text=TEXT,
    order=30,
)
