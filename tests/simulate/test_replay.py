"""The live replay: an accelerated clock, history then steps, orders shown as they stood at each moment."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from warroom.simulate.replay import ReplayClock, Replayer
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 10, 23, 50, tzinfo=SHANGHAI)


def test_clock_runs_speed_times_faster_and_stops_at_the_end():
    clock = ReplayClock(T0, speed=60, real_start=100.0, sim_end=T0 + timedelta(hours=1))
    assert clock.sim_now(100.0) == T0
    assert clock.sim_now(101.5) == T0 + timedelta(seconds=90)
    assert clock.sim_now(10_000.0) == T0 + timedelta(hours=1)


@pytest.fixture
def replayed(small_sim, tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    replayer = Replayer(small_sim, wh)
    replayer.load_history(T0)
    yield small_sim, wh, replayer
    wh.close()


def _sim(small_sim) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{small_sim}/orders/*.parquet')")
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{small_sim}/events/*.parquet')")
    return con


def test_history_holds_exactly_the_rows_before_the_cut(replayed):
    small_sim, wh, _ = replayed
    sim = _sim(small_sim)
    expected = sim.execute("SELECT count(*) FROM events WHERE ts < ?", [T0]).fetchall()[0][0]
    got = wh.cursor().execute("SELECT count(*), max(ts) FROM events").fetchall()[0]
    assert got[0] == expected > 0
    assert got[1] < T0


def test_an_order_placed_before_the_cut_but_paid_after_shows_unpaid_until_paid(small_sim, tmp_path):
    sim = _sim(small_sim)
    # The order with the longest wait between placing and paying; cut the history in the middle of it.
    order_id, ts, paid_at = sim.execute(
        "SELECT order_id, ts, paid_at FROM orders WHERE paid_at IS NOT NULL ORDER BY paid_at - ts DESC LIMIT 1"
    ).fetchall()[0]
    assert paid_at - ts > timedelta(seconds=2)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        replayer = Replayer(small_sim, wh)
        replayer.load_history(ts + (paid_at - ts) / 2)
        con = wh.cursor()
        before = con.execute("SELECT status, paid_at FROM orders WHERE order_id = ?", [order_id]).fetchall()
        assert before == [("created", None)]
        replayer.step(paid_at + timedelta(seconds=1))
        after = con.execute("SELECT status, paid_at FROM orders WHERE order_id = ?", [order_id]).fetchall()
        assert after[0][0] in ("paid", "shipped", "refunded", "partially_refunded") and after[0][1] == paid_at


def test_stepping_to_the_end_gives_the_simulated_data_exactly(replayed):
    small_sim, wh, replayer = replayed
    end = datetime(2026, 11, 12, tzinfo=SHANGHAI)
    now = T0
    while now < end:  # uneven steps, as a replay's ticks are
        now = min(now + timedelta(minutes=47), end)
        replayer.step(now)
    sim = _sim(small_sim)
    final = sim.execute(
        "SELECT order_id, status, paid_at, updated_at, paid_amount FROM orders WHERE ts < ? ORDER BY order_id",
        [end.astimezone(UTC)],
    ).fetchall()
    got = (
        wh.cursor()
        .execute("SELECT order_id, status, paid_at, updated_at, paid_amount FROM orders ORDER BY order_id")
        .fetchall()
    )
    assert got == final
    assert (
        wh.cursor().execute("SELECT count(*) FROM events").fetchall()
        == sim.execute("SELECT count(*) FROM events").fetchall()
    )
