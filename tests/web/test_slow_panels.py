"""Slow panels (warroom/web/boards/slow.py) are computed again only when due: the room's clock moved far enough
and enough real time passed; per viewer policy and key; never cached for a request that asks to run everything."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.metrics.access import Principal
from warroom.web.boards.board import BoardRequest
from warroom.web.boards.slow import Slow

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 11, 10, 0, tzinfo=TZ)
OPS = Principal("ops", ("public",))


def counting(**kw):
    calls = []

    def compute(req: BoardRequest) -> int:
        calls.append(req.now)
        return len(calls)

    return Slow(compute, **kw), calls


def req(now=T0, principal=OPS, **kw) -> BoardRequest:
    return BoardRequest(None, now, TZ, principal, **kw)  # type: ignore[arg-type]


def test_recomputed_once_the_room_clock_moved_the_refresh():
    panel, calls = counting(refresh=timedelta(minutes=1), min_wall=0.0)
    assert [panel(req(T0 + timedelta(seconds=s))) for s in (0, 30, 59)] == [1, 1, 1]
    assert panel(req(T0 + timedelta(seconds=61))) == 2
    assert panel(req(T0 + timedelta(seconds=90))) == 2
    assert panel(req(T0 - timedelta(hours=1))) == 3  # the clock went back (a replay restarted): due at once
    assert len(calls) == 3


def test_not_before_the_real_seconds_have_passed():
    panel, calls = counting(refresh=timedelta(minutes=1), min_wall=3600.0)
    panel(req())
    assert panel(req(T0 + timedelta(hours=2))) == 1  # a fast replay: the room moved, the wall did not
    assert len(calls) == 1


def test_kept_per_viewer_policy_and_key_and_skipped_when_fresh():
    panel, calls = counting(
        refresh=timedelta(minutes=1), min_wall=0.0, key=lambda r: tuple(r.filters.items())
    )
    panel(req())
    panel(req(principal=Principal("finance", ("public", "finance"))))
    panel(req(filters={"channel": "live"}))
    panel(req(filters={"channel": "live"}))
    panel(req(fresh=True))
    assert len(calls) == 4
