"""Boards: the live pages (overview, each team's dashboard, the big screen), one module per board.

A board is a snapshot function plus a template. The web layer serves every board the same way:
  GET /<path>                   the page (logged in)
  GET /api/v1/boards/<name>     one snapshot as JSON
  GET /api/v1/live/<name>       snapshots over server-sent events, computed once per refresh for every
                                viewer with the same effective policy and the same filters
Filters come from the query string (e.g. ?channel=live&category_l1=女装) and are passed to the snapshot
function, which validates them; every number comes from the metric layer under the viewer's principal.
To add a board: write boards/<name>.py defining BOARD (found here by itself), its template (extending
dashboard.html) and static/js/<name>.js.
"""

import importlib
import pkgutil

from warroom.web.boards.board import Board, BoardRequest


def _discover() -> dict[str, Board]:
    boards = []
    for module in pkgutil.iter_modules(__path__):
        found = getattr(importlib.import_module(f"{__name__}.{module.name}"), "BOARD", None)
        if isinstance(found, Board):
            boards.append(found)
    return {b.name: b for b in sorted(boards, key=lambda b: (b.order, b.name))}


ALL: dict[str, Board] = _discover()

__all__ = ["ALL", "Board", "BoardRequest"]
