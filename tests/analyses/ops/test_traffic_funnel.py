"""Traffic and the funnel against hand-written SQL on the simulated sale, and the step arithmetic by hand."""

from datetime import date, datetime

import pytest

from tests.analyses.ops.conftest import SHANGHAI, sql
from warroom.analyses.ops.funnel import funnel, steps_of
from warroom.analyses.ops.traffic import channel_mix, traffic
from warroom.errors import UserError

START, END = datetime(2026, 11, 11, tzinfo=SHANGHAI), datetime(2026, 11, 11, 6, tzinfo=SHANGHAI)
RANGE = "e.ts >= TIMESTAMPTZ '2026-11-11 00:00:00+08' AND e.ts < TIMESTAMPTZ '2026-11-11 06:00:00+08'"


def test_steps_by_hand():
    got = steps_of([100, 40, 10, 8], [50, 10, 5, 5])
    assert [s["rate"] for s in got] == [None, 0.4, 0.25, 0.8]
    assert got[1]["drop"] == pytest.approx(0.6)
    assert got[1]["baseline_rate"] == 0.2 and got[1]["rate_change"] == pytest.approx(0.2)
    assert got[3]["rate_change"] == pytest.approx(-0.2)
    assert steps_of([0, 0, None, 1])[1]["rate"] is None  # nothing to convert from


def test_channel_mix_by_hand():
    mix = channel_mix([{"channel": "a", "pv": 30, "uv": 1}, {"channel": "b", "pv": 10, "uv": 3}])
    assert [m["channel"] for m in mix] == ["b", "a"]
    assert mix[0]["uv_share"] == 0.75 and mix[1]["pv_share"] == 0.75


def test_traffic_against_sql(ops_wh):
    got = traffic(
        ops_wh, start=START, end=END, baseline_date=date(2026, 11, 10), filters={"promo_type": "coupon"}
    )
    want = sql(
        ops_wh,
        f"""SELECT date_trunc('hour', e.ts) AS h, channel_id, count(*) FILTER (event_type = 'view'),
                   count(DISTINCT customer_id) FROM events e WHERE {RANGE} GROUP BY 1, 2""",
    )
    assert {(r["time"], r["channel"]): (r["pv"], r["uv"]) for r in got["hourly"]} == {
        (h, c): (pv, uv) for h, c, pv, uv in want
    }
    base = dict(
        sql(
            ops_wh,
            """SELECT channel_id, count(*) FROM events WHERE event_type = 'view'
               AND ts >= TIMESTAMPTZ '2026-11-10 01:00:00+08' AND ts < TIMESTAMPTZ '2026-11-10 02:00:00+08'
               GROUP BY 1""",
        )
    )
    one = [r for r in got["hourly"] if r["time"].astimezone(SHANGHAI).hour == 1]
    assert {r["channel"]: r["pv_baseline"] for r in one if r["pv_baseline"]} == base
    assert got["ignored_filters"] == ["promo_type"]  # page views have no promotion


@pytest.mark.parametrize("basis", ["user", "session"])
def test_funnel_against_sql(ops_wh, basis):
    col = "customer_id" if basis == "user" else "session_id"
    got = funnel(ops_wh, start=START, end=END, basis=basis, by="device", filters={"channel": "search"})
    want = sql(
        ops_wh,
        f"""SELECT device, {", ".join(f"count(DISTINCT {col}) FILTER (event_type = '{s}')" for s in ("view", "cart", "order", "pay"))}
            FROM events e WHERE {RANGE} AND channel_id = 'search' GROUP BY 1""",
    )
    assert {g["group"]: tuple(s["count"] for s in g["steps"]) for g in got["groups"]} == {
        d: tuple(c) for d, *c in want
    }


def test_funnel_rejects_unknown_split(ops_wh):
    with pytest.raises(UserError, match="promo_type"):
        funnel(ops_wh, start=START, end=END, by="promo_type")
