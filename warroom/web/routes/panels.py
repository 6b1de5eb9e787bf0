"""One panel of a board at a time: its data as JSON, as CSV (audited like every export) and the SQL it ran.

  GET /api/v1/boards/<name>/panels/<key>       {ok, board, panel, range, data, rows}
  GET /api/v1/boards/<name>/panels/<key>.csv   the rows as CSV; audited (`exported` / `export_refused`)
  GET /api/v1/boards/<name>/panels/<key>/sql   {ok, statements: [{sql, params}]}: every statement the
                                               metric layer ran for this panel, in order (WARROOM_SQL_ROLES)
All take the page's query string (its filters and time range) and run under the viewer's policy.
The panel is computed alone, not cut out of a snapshot: what it ran is exactly what produced it.
"""

from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Request, Response

from warroom.errors import NotFound
from warroom.meta import User
from warroom.metrics import Forbidden
from warroom.warehouse import recording_reads
from warroom.web.auth import MetaDep, UserDep, principal_of
from warroom.web.boards import Board, BoardRequest
from warroom.web.boards.board import Panel
from warroom.web.boards.tabulate import rows_of
from warroom.web.deps import RuntimeDep
from warroom.web.routes.boards import board_request, find_board, may_see_sql
from warroom.web.routes.export import _audited, _csv_response, to_csv
from warroom.web.runtime import Runtime

router = APIRouter(prefix="/api/v1/boards/{name}/panels")


def _panel(board: Board, key: str) -> Panel:
    if key not in board.panels:
        known = ", ".join(board.panels) or "none"
        raise NotFound(f"board {board.name!r} has no panel {key!r}; its panels are: {known}")
    return board.panels[key]


def _check_needs(board: Board, key: str, panel: Panel, user: User) -> None:
    need = panel.needs or board.needs
    if need is not None and need not in principal_of(user).allowed_sensitivities:
        raise Forbidden(f"panel {board.name}/{key} shows {need} figures, which your role may not see")


def _compute(board: Board, key: str, request: Request, rt: Runtime, user: User, fresh: bool = False) -> tuple:
    panel = _panel(board, key)
    req: BoardRequest = board_request(board, request, rt, user, fresh=fresh)
    _check_needs(board, key, panel, user)
    data = panel.compute(req)
    return panel, req, data


def _rows(panel: Panel, data: Any) -> list[dict]:
    return (panel.table or rows_of)(data)


@router.get("/{key}.csv", response_class=Response)
def panel_csv(
    name: str, key: str, request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep
) -> Response:
    """The panel's rows as CSV, under the viewer's policy; audited with the filters and range it used."""
    board = find_board(name)
    detail = {"board": name, "panel": key, "query": dict(request.query_params)}

    def run() -> pa.Table:
        panel, _, data = _compute(board, key, request, rt, user)
        rows = _rows(panel, data)
        return pa.Table.from_pylist(rows) if rows else pa.table({"empty": pa.array([], pa.string())})

    table = _audited(meta, user, request, f"export:panel:{name}.{key}", detail, run)
    return _csv_response(
        to_csv(table, rt.settings.timezone), f"{name}-{key}", rt.now().astimezone(rt.settings.tz)
    )


@router.get("/{key}/sql")
def panel_sql(name: str, key: str, request: Request, rt: RuntimeDep, user: UserDep) -> dict:
    """The SQL statements the panel's figures came from, as run (for the roles in WARROOM_SQL_ROLES)."""
    board = find_board(name)
    if not may_see_sql(rt, user):
        roles = ", ".join(sorted(rt.settings.sql_role_names)) or "none"
        raise Forbidden(f"showing a panel's SQL is for the roles {roles}; yours is {user.role}")
    with recording_reads() as statements:
        _compute(board, key, request, rt, user, fresh=True)
    return {"ok": True, "board": name, "panel": key, "statements": statements}


@router.get("/{key}")
def panel_json(name: str, key: str, request: Request, rt: RuntimeDep, user: UserDep) -> dict:
    """The panel's data as in a snapshot, and the same rows its CSV holds."""
    board = find_board(name)
    panel, req, data = _compute(board, key, request, rt, user)
    return {"ok": True, "board": name, "panel": key, "range": req.window.describe(), "data": data,
            "rows": _rows(panel, data)}  # fmt: skip
