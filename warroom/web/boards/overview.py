"""The overview board: the day's headline numbers (see warroom.analyses.overview).

Its parts are panels so that each can be downloaded as CSV (/api/v1/boards/overview/panels/<key>.csv);
they come from one computation per request, which the snapshot and a single panel share."""

from warroom.analyses.overview import snapshot
from warroom.web.boards.board import Board, BoardRequest, Panel, composed

PARTS = ("today", "yesterday_same_time", "today_by_hour", "yesterday_by_hour")


def _day(req: BoardRequest) -> dict:
    return req.shared("overview", lambda: snapshot(req.warehouse, req.now, req.tz, req.principal))


def _by_hour(values: list[float]) -> list[dict]:
    """An hourly series (24 local hours, paid GMV) as rows a spreadsheet can read: hour, gmv_paid."""
    return [{"hour": f"{h:02d}:00", "gmv_paid": v} for h, v in enumerate(values)]


def _part(key: str) -> Panel:
    return Panel(lambda req: _day(req)[key], table=_by_hour if key.endswith("_by_hour") else None)


BOARD = Board(
    name="overview",
    path="/",
    template="home.html",
    title={"zh": "总览", "en": "Overview"},
    snapshot=composed(lambda req: {"now": _day(req)["now"]}, {key: _part(key) for key in PARTS}),
    panels={key: _part(key) for key in PARTS},
    order=0,
)
