"""Server-sent events: pages subscribe to a topic and receive a snapshot at every refresh."""

from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from warroom.analyses.overview import snapshot
from warroom.web.auth import UserDep, policy_key, principal_of
from warroom.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1")


def _sse(stream: AsyncIterator[dict], request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        # retry: tells EventSource how soon to reconnect after the connection drops (ms).
        yield b"retry: 1000\n\n"
        async for item in stream:
            if await request.is_disconnected():
                break
            yield b"data: " + orjson.dumps(item) + b"\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/overview")
def overview(rt: RuntimeDep, user: UserDep) -> dict:
    """Today's headline figures, once (the live stream below sends the same, at every refresh)."""
    return snapshot(rt.warehouse, rt.now(), rt.settings.tz, principal_of(user))


@router.get("/live/overview")
async def live_overview(request: Request, rt: RuntimeDep, user: UserDep) -> StreamingResponse:
    principal = principal_of(user)

    def compute() -> dict:
        return snapshot(rt.warehouse, rt.now(), rt.settings.tz, principal)

    return _sse(rt.hub.subscribe(("overview", policy_key(user)), compute), request)
