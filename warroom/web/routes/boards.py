"""Every board served the same way: its page, one snapshot as JSON, and its live stream (SSE)."""

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, nullcontext

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from warroom.errors import NotFound, UserError
from warroom.metrics import Forbidden
from warroom.web.auth import MetaDep, PageUserDep, UserDep, policy_key, principal_of
from warroom.web.boards import ALL, Board, BoardRequest
from warroom.web.boards.timerange import PARAMS, PRESETS, RangeSpec, parse_range
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.pages import render
from warroom.web.runtime import Runtime

router = APIRouter()


def find_board(name: str) -> Board:
    if name not in ALL:
        raise NotFound(f"no board {name!r}; the boards are: {', '.join(ALL)}")
    return ALL[name]


def _filters(board: Board, request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    accepted_keys = set(board.filters) | (set(PARAMS) if board.ranged else set())
    unknown = sorted(set(params) - accepted_keys)
    if unknown:
        accepted = ", ".join([*board.filters, *(PARAMS if board.ranged else ())]) or "none"
        raise UserError(f"board {board.name!r} has no filter {', '.join(unknown)}; it accepts: {accepted}")
    return {k: v for k, v in params.items() if v != "" and k in board.filters}


def _range(board: Board, request: Request, rt: Runtime) -> RangeSpec:
    if not board.ranged:
        return RangeSpec()
    return parse_range(request.query_params, rt.settings.tz, rt.now(), board.default_range)


def board_request(board: Board, request: Request, rt: Runtime, user, **extra: object) -> BoardRequest:
    """The snapshot request a page's query string asks for (filters and time range validated: 400 if bad)."""
    filters, spec = _filters(board, request), _range(board, request, rt)
    return BoardRequest(
        rt.warehouse, rt.now(), rt.settings.tz, principal_of(user), filters, spec,  # type: ignore[arg-type]
        sale_day=rt.settings.sale_month_day, **extra,
    )  # fmt: skip


@router.get("/api/v1/boards/{name}")
def board_snapshot(name: str, request: Request, rt: RuntimeDep, user: UserDep) -> dict:
    """One snapshot of a board, as its live stream would send it."""
    board = find_board(name)
    return board.snapshot(board_request(board, request, rt, user))


def live_key(board: Board, filters: dict[str, str], spec: RangeSpec, user) -> tuple:
    """Viewers with equal keys share one computation per refresh. The range is in it as asked ("last hour",
    not its times: it moves with the clock at each refresh), so viewers of different ranges never share."""
    return (board.name, tuple(sorted(filters.items())), spec.key(), policy_key(user))


@router.get("/api/v1/live/{name}")
async def board_live(
    name: str, request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep
) -> StreamingResponse:
    """Server-sent events: a snapshot at once, then one per refresh; shared by viewers with equal policies."""
    board = find_board(name)
    filters, spec = _filters(board, request), _range(board, request, rt)
    principal = principal_of(user)

    def compute() -> dict:
        return board.snapshot(
            BoardRequest(
                rt.warehouse,
                rt.now(),
                rt.settings.tz,
                principal,
                filters,
                spec,
                sale_day=rt.settings.sale_month_day,
            )
        )

    key = live_key(board, filters, spec, user)
    watching = rt.presence.watching(board.name, user.username, user.display_name)
    return await _sse(rt.hub.subscribe(key, compute), request, meta, watching)


@router.get("/api/v1/boards/{name}/presence")
def board_presence(name: str, rt: RuntimeDep, user: UserDep) -> dict:
    """Who is watching the board right now (its open live streams), each name once; for those who may see it."""
    board = find_board(name)
    if board.needs is not None and board.needs not in principal_of(user).allowed_sensitivities:
        raise Forbidden(f"board {name!r} shows {board.needs} figures, which your role may not see")
    return {"ok": True, "board": name, "viewers": rt.presence.viewers(name)}


async def _sse(
    stream: AsyncIterator[dict],
    request: Request,
    meta: Session,
    watching: AbstractContextManager | None = None,
) -> StreamingResponse:
    """The stream as server-sent events. Its first snapshot is taken before the response starts, so a
    viewer the snapshot refuses (Forbidden, a bad filter) gets that status in the envelope, not a 200 stream
    that never sends anything.

    The request's metadata session is closed first: the caller is known by now, and a viewer waiting for
    the first snapshot must not hold a pooled connection, since the snapshot itself may need one (the big
    screen's alert ticker). Held, 200 big screens opening at once took all 15 and waited on each other
    until the pool timed out (bench/fanout.py).

    `watching` (presence) is entered as the first snapshot goes out and left when the stream ends."""
    meta.close()
    first = await anext(stream)

    async def events() -> AsyncIterator[bytes]:
        try:
            with watching or nullcontext():
                # retry: tells EventSource how soon to reconnect after the connection drops (ms).
                yield b"retry: 1000\n\n"
                yield b"data: " + orjson.dumps(first, default=str) + b"\n\n"
                async for item in stream:
                    if await request.is_disconnected():
                        break
                    yield b"data: " + orjson.dumps(item, default=str) + b"\n\n"
        finally:
            await stream.aclose()  # type: ignore[attr-defined]  (leave the hub's topic now, not at GC)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def may_see_sql(rt: Runtime, user) -> bool:
    """Who may open a panel's SQL: the roles in WARROOM_SQL_ROLES (see config.py for why admin and tech)."""
    return user.role in rt.settings.sql_role_names


def _tools(board: Board, lang: str, rt: Runtime, user) -> dict:
    """What the page's panel tools need: which panels have a CSV (and SQL), and the fixed windows' notes."""
    return {
        "name": board.name,
        "ranged": board.ranged,
        "default_range": board.default_range,
        "panels": {k: (p.fixed[lang] if p.fixed else None) for k, p in board.panels.items()},
        "sql": may_see_sql(rt, user),
    }


def _page_route(board: Board):
    def page(request: Request, rt: RuntimeDep, lang: LangDep, user: PageUserDep) -> Response:
        _filters(board, request), _range(board, request, rt)
        page = render(
            request, board.template, lang, board=board, timezone=rt.settings.timezone, user=user,
            presets=PRESETS, board_tools=_tools(board, lang, rt, user),
        )  # fmt: skip
        if board.needs is not None and board.needs not in principal_of(user).allowed_sensitivities:
            # Its figures would be refused one by one: the status says so at once, and the page (not a JSON
            # envelope, since a person opened it) tells them why, from the snapshot's own refusal.
            page.status_code = 403
        return page

    return page


for _b in ALL.values():
    router.add_api_route(_b.path, _page_route(_b), methods=["GET"], response_class=HTMLResponse)
