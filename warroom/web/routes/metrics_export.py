"""Warroom's own health: GET /metrics in Prometheus' text format (for an existing Prometheus or Grafana to
scrape) and GET /api/v1/tech/health as JSON (the tech board's panel). Both read this server's runtime.

/metrics needs no login, as scrapers expect: it carries pipeline figures only (lags, counts of rows,
durations), no business number and nothing a policy restricts.
"""

import threading
import time

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from warroom.analyses.tech import selfhealth
from warroom.web.auth import UserDep
from warroom.web.deps import RuntimeDep
from warroom.web.runtime import Runtime

router = APIRouter()
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# One meter per running server (tests run several in one process), fed by each scrape or panel poll.
_METERS: dict[int, selfhealth.RateMeter] = {}
_LOCK = threading.Lock()


def _state(rt: Runtime) -> selfhealth.PipelineState:
    replay = rt.replay
    return selfhealth.PipelineState(
        now=rt.now(),
        replay_loaded_until=replay.replayer.loaded_until if replay else None,
        replay_rows=replay.replayer.rows_ingested if replay else None,
        replay_errors=len(replay.errors) if replay else 0,
        writer_flushes=rt.writer.flushes,
        writer_fallbacks=rt.writer.fallbacks,
        live=rt.hub.totals(),
        alert_eval_seconds=rt.alerts.last_eval_seconds if rt.alerts else None,
        alert_ticks=rt.alerts.ticks if rt.alerts else 0,
    )


def pipeline_of(rt: Runtime) -> dict:
    state = _state(rt)
    rate = None
    if state.replay_rows is not None:
        with _LOCK:
            meter = _METERS.setdefault(id(rt), selfhealth.RateMeter())
            rate = meter.add(time.monotonic(), state.replay_rows)
    return selfhealth.pipeline_health(rt.warehouse, state, rate)


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def prometheus(rt: RuntimeDep) -> PlainTextResponse:
    """Warroom's pipeline health in Prometheus text exposition format 0.0.4."""
    text = selfhealth.prometheus_text(selfhealth.samples(pipeline_of(rt)))
    return PlainTextResponse(text, media_type=PROMETHEUS_TYPE)


@router.get("/api/v1/tech/health")
def health(rt: RuntimeDep, user: UserDep) -> dict:
    """The same figures as /metrics, as JSON for the tech board."""
    return {"ok": True, **pipeline_of(rt)}
