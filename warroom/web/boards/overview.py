"""The overview board: the day's headline numbers (see warroom.analyses.overview)."""

from warroom.analyses.overview import snapshot
from warroom.web.boards.board import Board, BoardRequest


def _snapshot(req: BoardRequest) -> dict:
    return snapshot(req.warehouse, req.now, req.tz, req.principal)


BOARD = Board(
    name="overview",
    path="/",
    template="home.html",
    title={"zh": "总览", "en": "Overview"},
    snapshot=_snapshot,
    order=0,
)
