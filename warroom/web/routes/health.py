"""Liveness and what the server is doing (for people and for `make demo`'s readiness check)."""

from fastapi import APIRouter

from warroom import __version__
from warroom.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1")


@router.get("/health")
def health(rt: RuntimeDep) -> dict:
    replay = None
    if rt.replay is not None:
        loaded = rt.replay.replayer.loaded_until
        replay = {
            "loaded_until": loaded.isoformat() if loaded else None,
            "rows_ingested": rt.replay.replayer.rows_ingested,
            "speed": rt.replay.speed,
            "errors": rt.replay.errors[-5:],
        }
    return {"ok": True, "version": __version__, "now": rt.now().isoformat(), "replay": replay}
