"""Minute rollups answer exactly what the raw tables answer, also after late and out-of-order rows arrive.

Oracles are hand-written SQL over the raw tables; each check also asserts the metric layer's SQL read a
rollup, so a silent fallback to raw tables would not pass for a rollup test."""

import threading
from datetime import timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import DAY_START, insert, random_sale
from warroom.ingest.load import ingest_batch
from warroom.metrics import MetricQuery, load_catalog, run_query
from warroom.metrics import rollups as ru

# Unaligned on purpose: the first and last partial minutes come from raw rows, the rest from a rollup.
FROM = DAY_START + timedelta(hours=2, seconds=17)
TO = DAY_START + timedelta(hours=20, minutes=3, seconds=41)


@pytest.fixture
def wh(tmp_path):
    warehouse = random_sale(tmp_path / "w.duckdb")
    yield warehouse
    warehouse.close()


def sql(wh, text, *params):
    cur = wh.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    return cur.execute(text, list(params)).fetchall()


def pv_by_channel(wh):
    got = run_query(
        wh, MetricQuery(metrics=["pv"], dimensions=["channel"], time_from=FROM, time_to=TO), tz=SHANGHAI
    )
    assert "rollup_events_by_channel" in got.sql
    return sorted(zip(got.rows["channel"].to_pylist(), got.rows["pv"].to_pylist(), strict=True))


def pv_by_channel_oracle(wh):
    return sorted(
        sql(wh, """SELECT channel_id, count(*) FROM events WHERE event_type = 'view' AND ts >= ? AND ts < ?
                   GROUP BY 1""", FROM, TO)
    )  # fmt: skip


def gmv_by_category_hour(wh):
    got = run_query(
        wh,
        MetricQuery(
            metrics=["gmv_paid"], dimensions=["category_l1"], grain="hour", time_from=FROM, time_to=TO
        ),
        tz=SHANGHAI,
    )
    assert "rollup_sales_by_category" in got.sql
    r = got.rows
    return sorted(
        zip(r["time"].to_pylist(), r["category_l1"].to_pylist(), r["gmv_paid"].to_pylist(), strict=True)
    )


def gmv_oracle(wh):
    # Local hours of Asia/Shanghai (+08:00, whole hours) are UTC hours.
    return sorted(
        sql(wh, """SELECT time_bucket(INTERVAL 1 HOUR, o.paid_at), p.category_l1,
                          sum(i.list_price * i.quantity - i.discount_amount)
                   FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (sku_id)
                   WHERE o.paid_at >= ? AND o.paid_at < ? GROUP BY 1, 2""", FROM, TO)
    )  # fmt: skip


def p99_by_service_minute(wh):
    query = MetricQuery(
        metrics=["latency_p99", "requests"],
        dimensions=["service"],
        grain="minute",
        time_from=FROM,
        time_to=TO,
    )
    got = run_query(wh, query, tz=SHANGHAI)
    assert "rollup_requests_by_service" in got.sql
    r = got.rows
    return sorted(
        (t, s, round(p, 6), round(n, 6))
        for t, s, p, n in zip(r["time"].to_pylist(), r["service"].to_pylist(), r["latency_p99"].to_pylist(),
                              r["requests"].to_pylist(), strict=True)
    )  # fmt: skip


def p99_oracle(wh):
    rows = sql(wh, """SELECT time_bucket(INTERVAL 1 MINUTE, ts), service,
                             quantile_cont(latency_ms::DOUBLE, 0.99), sum(1.0 / sample_rate)
                      FROM api_requests WHERE ts >= ? AND ts < ? GROUP BY 1, 2""", FROM, TO)  # fmt: skip
    return sorted((t, s, round(p, 6), round(float(n), 6)) for t, s, p, n in rows)


CHECKS = [
    (pv_by_channel, pv_by_channel_oracle),
    (gmv_by_category_hour, gmv_oracle),
    (p99_by_service_minute, p99_oracle),
]


@pytest.mark.parametrize(("ask", "oracle"), CHECKS, ids=["pv", "gmv", "p99"])
def test_a_rollup_answers_as_the_raw_tables_do(wh, ask, oracle):
    expected = oracle(wh)
    assert expected, "the sale must have rows in the window"
    assert ask(wh) == expected


def late_rows(wh):
    """A late view two hours back, an order paid now for a minute long refreshed (an upsert), a request
    from an hour back: each lands in a minute the rollups already hold."""
    old = DAY_START + timedelta(hours=5, minutes=7, seconds=5)
    insert(wh, "events", [{"event_id": 10**9, "ts": old, "session_id": 1, "customer_id": 1, "channel_id": "feed",
                            "event_type": "view", "sku_id": 100, "device": "ios"}])  # fmt: skip
    cur = wh.cursor()
    unpaid = cur.execute("""SELECT o.order_id FROM orders o WHERE paid_at IS NULL
                            AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id) LIMIT 1""").fetchone()  # fmt: skip
    assert unpaid is not None, "the sale must hold an unpaid order with lines"
    row = cur.execute("SELECT * FROM orders WHERE order_id = ?", [unpaid[0]]).fetchall()[0]
    names = [d[0] for d in cur.description]
    order = dict(zip(names, row, strict=True)) | {"paid_at": old + timedelta(minutes=3), "status": "paid"}
    cur.execute("DELETE FROM orders WHERE order_id = ?", [unpaid[0]])  # what ingest's upsert does
    insert(wh, "orders", [order])
    insert(wh, "api_requests", [{"ts": old + timedelta(minutes=50), "service": "order", "endpoint": "/late",
                                  "method": "GET", "status_code": 200, "latency_ms": 99999.0, "host": "h1",
                                  "sample_rate": 1.0}])  # fmt: skip


@pytest.mark.parametrize(("ask", "oracle"), CHECKS, ids=["pv", "gmv", "p99"])
def test_late_and_out_of_order_rows_correct_the_rollup(wh, ask, oracle):
    before = ask(wh)  # builds the rollups
    late_rows(wh)
    after = ask(wh)
    assert after == oracle(wh)
    assert after != before, "the late rows must change the answer, or this test checks nothing"


def test_a_refresh_reaggregates_only_the_minutes_that_received_rows(wh):
    catalog = load_catalog()
    events = next(r for r in ru.declared(catalog) if r.name == "events_by_channel")
    assert ru.refresh(wh, catalog, events) == -1  # first refresh builds it whole
    assert ru.refresh(wh, catalog, events) == 0
    late = [DAY_START + timedelta(minutes=m, seconds=30) for m in (3, 4, 90)]
    insert(wh, "events", [{"event_id": 2 * 10**9 + i, "ts": t, "session_id": 1, "customer_id": 1,
                            "channel_id": "search", "event_type": "view", "sku_id": 101, "device": "pc"}
                           for i, t in enumerate(late)])  # fmt: skip
    assert ru.refresh(wh, catalog, events) == 3
    stored = sql(wh, "SELECT sum(pv) FROM rollup_events_by_channel WHERE channel = 'search'")[0][0]
    raw = sql(wh, "SELECT count(*) FROM events WHERE channel_id = 'search' AND event_type = 'view'")[0][0]
    assert stored == raw


def test_a_distinct_count_is_read_from_a_rollup_only_at_its_own_grain(wh):
    day = MetricQuery(metrics=["uv"], time_from=FROM, time_to=TO)
    minute = MetricQuery(metrics=["uv"], grain="minute", time_from=FROM, time_to=TO)
    assert "rollup_" not in run_query(wh, day, tz=SHANGHAI).sql
    got = run_query(wh, minute, tz=SHANGHAI)
    assert "rollup_events" in got.sql
    expected = sql(wh, """SELECT time_bucket(INTERVAL 1 MINUTE, ts), count(DISTINCT customer_id) FROM events
                          WHERE ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1""", FROM, TO)  # fmt: skip
    assert list(zip(got.rows["time"].to_pylist(), got.rows["uv"].to_pylist(), strict=True)) == expected


def test_a_read_only_warehouse_answers_from_raw_tables(tmp_path):
    from warroom.warehouse import Warehouse

    random_sale(tmp_path / "w.duckdb").close()
    with Warehouse(tmp_path / "w.duckdb", read_only=True) as ro:
        got = run_query(
            ro, MetricQuery(metrics=["pv"], dimensions=["channel"], time_from=FROM, time_to=TO), tz=SHANGHAI
        )
        assert "rollup_" not in got.sql
        assert sorted(
            zip(got.rows["channel"].to_pylist(), got.rows["pv"].to_pylist(), strict=True)
        ) == pv_by_channel_oracle(ro)


def test_the_declared_rollups_fit_the_catalog():
    declared = ru.declared(load_catalog())
    assert {r.name for r in declared} == {r.name for r in ru.ROLLUPS}
    assert next(r for r in declared if r.name == "sales").time == "orders.paid_at"


def test_new_rows_added_into_their_minutes_give_what_a_rebuild_gives(wh):
    """The additive refresh (counts, exact sums and distinct counts over append-only tables) against the
    rollup's own SQL over every row: late rows into old minutes, rows into new minutes, two refreshes in a
    row, values a minute has seen before and values it has not."""
    catalog = load_catalog()
    addable = [r for r in ru.declared(catalog) if ru._addable(catalog, r, ru.sources(catalog, r))]
    assert {r.name for r in addable} >= {"events", "events_by_channel", "events_by_device", "payments"}
    assert "requests_by_service" not in {r.name for r in addable}, "percentiles cannot be added"
    for r in addable:
        ru.refresh(wh, catalog, r)
    for k, minutes in enumerate(((3, 90, 600), (90, 1441))):
        insert(wh, "events", [{"event_id": 3 * 10**9 + 10 * k + i, "ts": DAY_START + timedelta(minutes=m, seconds=7),
                                "session_id": 10**8 + i % 3, "customer_id": 1 + i % 2, "channel_id": "live", "event_type": t,
                                "sku_id": 100, "device": "android"}
                               for i, (m, t) in enumerate((m, t) for m in minutes for t in ("view", "cart"))])  # fmt: skip
        insert(wh, "payments", [{"payment_id": 3 * 10**9 + 10 * k + i, "order_id": 1, "ts": DAY_START + timedelta(minutes=m),
                                  "method": "alipay", "amount": Decimal("12.34"), "status": "failed", "failure_code": "timeout"}
                                 for i, m in enumerate(minutes)])  # fmt: skip
        for r in addable:
            assert ru.refresh(wh, catalog, r) > 0, r.name
    for r in addable:
        columns = ", ".join(f'"{c}"' for c in ru._schema(catalog, r).names)
        stored = sql(wh, f"SELECT {columns} FROM {r.table_name} ORDER BY ALL")
        rebuilt = sql(wh, f"SELECT * FROM ({ru._compiled(catalog, r, False).sql}) ORDER BY ALL")
        assert stored == rebuilt, r.name


def test_a_push_is_written_while_a_refresh_runs_and_the_next_refresh_counts_it(wh, monkeypatch):
    """A refresh takes the rollup lock, not the ingest write lock: a push commits in the middle of it (a
    refresh can take seconds while a backlog builds), and its rows are above the marks that refresh took."""
    catalog = load_catalog()
    maintainer = ru.for_warehouse(wh, catalog)
    maintainer.current({"events"})  # built
    view = {"session_id": 1, "customer_id": 1, "channel_id": "social", "event_type": "view", "sku_id": 100,
            "device": "ios"}  # fmt: skip
    insert(wh, "events", [view | {"event_id": 4 * 10**9, "ts": DAY_START + timedelta(minutes=9)}])
    inside, release = threading.Event(), threading.Event()
    add = ru._add_new_rows

    def paused(*args):
        inside.set()
        release.wait(30)
        return add(*args)

    monkeypatch.setattr(ru, "_add_new_rows", paused)
    refreshing = threading.Thread(target=maintainer.current, args=({"events"},))
    refreshing.start()
    try:
        assert inside.wait(30), "the refresh never reached the additive step"
        pushed = threading.Thread(target=ingest_batch, args=(wh, "events", pa.Table.from_pylist(
            [view | {"event_id": 4 * 10**9 + 1, "ts": DAY_START + timedelta(minutes=9, seconds=30)}]), "test"))  # fmt: skip
        pushed.start()
        pushed.join(30)
        assert not pushed.is_alive(), "the push waited for the refresh"
    finally:
        release.set()
        refreshing.join(30)
    monkeypatch.setattr(ru, "_add_new_rows", add)
    maintainer.current({"events"})
    stored = sql(wh, "SELECT sum(pv) FROM rollup_events_by_channel WHERE channel = 'social'")[0][0]
    raw = sql(wh, "SELECT count(*) FROM events WHERE channel_id = 'social' AND event_type = 'view'")[0][0]
    assert stored == raw
