"""The tech board: traffic, latency, errors, hosts, capacity and Warroom's own health, live.

Every number comes from warroom.analyses.tech (and so from the metric layer). The time series (requests,
latency, its heatmap, error rates) follow the page's time range (default the last hour; per minute up to 6
hours, per hour beyond); the endpoint table keeps the last 15 minutes, hosts the last 5, burn rates the SLO's
windows and capacity the local day so far and the next hour: they are about now. Warroom's own health comes from GET /api/v1/tech/health
(warroom/web/routes/metrics_export.py), which reads the server's runtime.
"""

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from warroom.analyses.overview import day_start
from warroom.analyses.tech import Scope, capacity, errors, hosts, latency, sketch, traffic
from warroom.web.boards.board import Board, BoardRequest, Panel, composed

ENDPOINTS, HOSTS = timedelta(minutes=15), timedelta(minutes=5)
MINUTE_GRAIN_MAX = timedelta(hours=6)
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
    if hit and not req.fresh and time.monotonic() - hit[0] < SLOW_PANEL_SECONDS:
        return hit[1]
    value = {**compute(), "as_of": _t(req.now)}
    with _SLOW_LOCK:
        _SLOW[key] = (time.monotonic(), value)
    return value


def _t(value: datetime) -> str:
    return value.isoformat()


def _grain(req: BoardRequest) -> str:
    """Minutes up to MINUTE_GRAIN_MAX of range (360 points a series), hours beyond (168 for a week)."""
    return "minute" if req.window.span <= MINUTE_GRAIN_MAX else "hour"


def _buckets(req: BoardRequest) -> list[datetime]:
    """Every bucket of the range at its grain, from the one holding the range's start."""
    w, step = req.window, timedelta(minutes=1) if _grain(req) == "minute" else timedelta(hours=1)
    first = w.start.replace(second=0, microsecond=0, **({} if _grain(req) == "minute" else {"minute": 0}))
    return [first + i * step for i in range(int((w.end - first) / step) + 1)]


def _series(
    rows: list[dict], key: str, value: str, buckets: list[datetime], fill: float | None
) -> list[dict]:
    """One series per `key` over every bucket of the range; a bucket without rows gets `fill`
    (0 for a rate of requests: quiet; None for an error ratio: unknown, drawn as a gap)."""
    by: dict[str, dict[datetime, float]] = defaultdict(dict)
    for r in rows:
        by[r[key]][r["time"]] = r[value]
    return [
        {"name": name, "data": [[_t(m), points.get(m, fill)] for m in buckets]}
        for name, points in sorted(by.items())
    ]


def _scope(req: BoardRequest) -> Scope:
    return Scope(req.window.start, req.window.end, req.filters.get("service"), req.principal)


def _minutes(req: BoardRequest) -> list[dict]:
    return req.shared(
        "minutes", lambda: traffic.service_minutes(req.warehouse, _scope(req), grain=_grain(req))
    )  # type: ignore[arg-type]


def _latency(req: BoardRequest) -> dict:
    rows = latency.percentiles(req.warehouse, _scope(req), by=(), grain=_grain(req))  # type: ignore[arg-type]
    return {
        "series": [{"name": n, "data": [[_t(r["time"]), r[n]] for r in rows]} for n in latency.PERCENTILES],
        "exact": all(r["exact"] for r in rows),
        "bound": sketch.REL_ERROR,
    }


def _heatmap(req: BoardRequest) -> dict:
    cells = latency.heatmap(req.warehouse, _scope(req), grain=_grain(req))  # type: ignore[arg-type]
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


def _errors(req: BoardRequest) -> dict:
    minutes, buckets, service = _minutes(req), _buckets(req), req.filters.get("service")
    return {
        "rate_5xx": _series(minutes, "service", "error_rate_5xx", buckets, None),
        "rate_4xx": _series(minutes, "service", "error_rate_4xx", buckets, None),
        "burn": errors.burn_rates(req.warehouse, req.now, BURN, service, req.principal),
        "slo": BURN.target,
        "page_burn": BURN.page_burn,
    }


def _hosts(req: BoardRequest) -> dict:
    scope = Scope(req.now - HOSTS, req.now, req.filters.get("service"), req.principal)
    usage = hosts.host_usage(req.warehouse, scope)
    return {"rows": usage[:12], "hot": [r["host"] for r in hosts.near_saturation(usage)],
            "limits": hosts.Saturation().__dict__}  # fmt: skip


def _endpoints(req: BoardRequest) -> list[dict]:
    scope = Scope(req.now - ENDPOINTS, req.now, req.filters.get("service"), req.principal)
    return latency.slowest_endpoints(req.warehouse, scope)


def _capacity_panel(req: BoardRequest) -> dict:
    return req.shared("capacity", lambda: _slow(req, "capacity", lambda: _capacity(req, req.now)))


def _head(req: BoardRequest) -> dict:
    req.memo["started"] = time.perf_counter()
    return {"now": _t(req.now), "options": {"service": [r["service"] for r in _capacity_panel(req)["rows"]]}}


def _series_rows(series: list[dict], **extra: str) -> list[dict]:
    return [{**extra, "series": s["name"], "time": t, "value": v} for s in series for t, v in s["data"]]


def _t2(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


PANELS = {
    "rps": Panel(
        lambda req: _series(_minutes(req), "service", "qps", _buckets(req), 0.0), table=_series_rows
    ),
    "latency": Panel(_latency, table=lambda d: _series_rows(d["series"])),
    "heatmap": Panel(
        _heatmap,
        table=lambda d: [
            {"time": d["x"][x], "latency_from_ms": d["y"][y], "rows": n} for x, y, n in d["cells"]
        ],
    ),
    "endpoints": Panel(
        _endpoints,
        fixed=_t2("固定近15分钟:看当下哪个接口慢。", "Fixed to the last 15 min: which endpoint is slow now."),
    ),
    "errors": Panel(
        _errors,
        fixed=_t2(
            "错误率随时间范围;燃烧率固定为 SLO 的5分钟与1小时窗口。",
            "The error rate follows the range; burn rates keep the SLO's 5-minute and 1-hour windows.",
        ),
        table=lambda d: _series_rows(d["rate_5xx"], kind="5xx") + _series_rows(d["rate_4xx"], kind="4xx"),
    ),
    "hosts": Panel(
        _hosts, fixed=_t2("固定近5分钟:主机当下的负载。", "Fixed to the last 5 min: the hosts' load now.")
    ),
    "capacity": Panel(
        _capacity_panel,
        fixed=_t2(
            "固定:今日峰值与下一小时预测, 与所选范围无关。",
            "Fixed: today's peak and the next hour's forecast, whatever the range.",
        ),
        table=lambda d: d["rows"],
    ),
}


def _snapshot(req: BoardRequest) -> dict:
    snap = composed(_head, PANELS)(req)
    snap["took_ms"] = round((time.perf_counter() - req.memo["started"]) * 1000, 1)
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
    panels=PANELS,
    ranged=True,
    default_range="1h",
    text=TEXT,
    order=30,
)
