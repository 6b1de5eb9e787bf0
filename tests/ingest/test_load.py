"""Loading: idempotent by key, upserts keep the newest row, append-only tables, the quarantine.

Every expectation is counted by hand from the rows written here, and the warehouse is read back with
hand-written SQL."""

import threading

import pyarrow as pa

from warroom.ingest import ingest_batch, quarantine
from warroom.ingest.replay import replay

from .conftest import event_row, order_row


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_same_batch_twice_counts_once_and_reports_duplicates(warehouse):
    batch = pa.Table.from_pylist([event_row(1), event_row(2), event_row(2), event_row(3)])
    first = ingest_batch(warehouse, "events", batch, "test")
    assert (first.received, first.accepted, first.rejected, first.duplicates, first.inserted) == (
        4,
        4,
        0,
        1,
        3,
    )
    second = ingest_batch(warehouse, "events", batch, "test")
    assert (second.duplicates, second.inserted) == (4, 0)
    con = warehouse.cursor()
    assert rows(con, "SELECT event_id, count(*) FROM events GROUP BY 1 ORDER BY 1") == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]


def test_a_repeat_with_other_values_is_still_a_duplicate_for_facts(warehouse):
    ingest_batch(warehouse, "events", pa.Table.from_pylist([event_row(1)]), "test")
    again = ingest_batch(warehouse, "events", pa.Table.from_pylist([event_row(1, event_type="cart")]), "test")
    assert again.duplicates == 1
    assert rows(warehouse.cursor(), "SELECT event_type FROM events") == [("view",)]


def test_order_status_change_updates_and_the_latest_updated_at_wins(warehouse):
    first = ingest_batch(
        warehouse,
        "orders",
        pa.Table.from_pylist(
            [
                order_row(1, "created", "2026-11-11 00:00:00"),
                order_row(1, "paid", "2026-11-11 00:05:00"),
                order_row(2, "created", "2026-11-11 00:00:00"),
            ]
        ),
        "test",
    )
    # order 1: inserted once, its earlier version superseded in the batch (updated); order 2 inserted
    assert (first.inserted, first.updated, first.duplicates) == (2, 1, 0)
    later = ingest_batch(
        warehouse,
        "orders",
        pa.Table.from_pylist(
            [
                order_row(1, "refunded", "2026-11-12 10:00:00"),  # newer: replaces
                order_row(
                    2, "cancelled", "2026-11-10 23:00:00"
                ),  # older than stored: a stale message, ignored
                order_row(3, "paid", "2026-11-11 00:00:00"),
            ]
        ),
        "test",
    )
    assert (later.inserted, later.updated, later.duplicates) == (1, 1, 1)
    con = warehouse.cursor()
    assert rows(con, "SELECT order_id, status FROM orders ORDER BY 1") == [
        (1, "refunded"),
        (2, "created"),
        (3, "paid"),
    ]
    resent = ingest_batch(warehouse, "orders", pa.Table.from_pylist([order_row(3, "paid")]), "test")
    assert (resent.duplicates, resent.updated) == (1, 0)


def test_dimension_rows_are_replaced_by_the_last_to_arrive(warehouse):
    def channel(name):
        return {"channel_id": "live", "name": name, "channel_group": "live_stream"}

    ingest_batch(warehouse, "channels", pa.Table.from_pylist([channel("Live")]), "test")
    report = ingest_batch(
        warehouse, "channels", pa.Table.from_pylist([channel("Live 2"), channel("Live 3")]), "t"
    )
    assert (report.updated, report.inserted) == (2, 0)
    assert rows(warehouse.cursor(), "SELECT name FROM channels") == [("Live 3",)]


def test_nullable_key_column_matches_null_to_null(warehouse):
    spend = [{"hour": "2026-11-11 00:00:00", "channel_id": "feed", "promo_id": None, "spend": "10.00"}]
    ingest_batch(warehouse, "marketing_spend", pa.Table.from_pylist(spend), "test")
    spend[0]["spend"] = "12.50"
    report = ingest_batch(warehouse, "marketing_spend", pa.Table.from_pylist(spend), "test")
    assert report.updated == 1
    assert rows(warehouse.cursor(), "SELECT spend::VARCHAR FROM marketing_spend") == [("12.50",)]


def test_append_only_table_keeps_every_row(warehouse):
    request = {
        "ts": "2026-11-11 00:00:00",
        "service": "cart",
        "endpoint": "/cart",
        "method": "GET",
        "status_code": 200,
        "latency_ms": 12.5,
        "host": "h1",
        "sample_rate": 0.01,
    }
    batch = pa.Table.from_pylist([request, request])
    ingest_batch(warehouse, "api_requests", batch, "test")
    report = ingest_batch(warehouse, "api_requests", batch, "test")
    assert (report.inserted, report.duplicates) == (2, 0)
    assert rows(warehouse.cursor(), "SELECT count(*) FROM api_requests") == [(4,)]


def test_rejected_rows_go_to_quarantine_and_replay_after_a_fix(warehouse):
    batch = pa.Table.from_pylist(
        [event_row(1), event_row(2, event_type="pv"), event_row(3, ts="2026-11-11 25:00")]
    )
    report = ingest_batch(warehouse, "events", batch, "feed-a")
    assert (report.accepted, report.rejected) == (1, 2)
    con = warehouse.cursor()
    stored = quarantine.entries(con)
    assert [(e.row_number, e.column_name, e.rule, e.source) for e in stored] == [
        (2, "event_type", "enum", "feed-a"),
        (3, "ts", "type", "feed-a"),
    ]
    assert stored[0].raw["event_type"] == "pv"
    # Nothing fixed yet: replaying leaves both in place.
    (result,) = replay(warehouse)
    assert (result.accepted, result.still_rejected) == (0, 2)
    # Fix one row in place (as an operator would after correcting the data) and replay it.
    con.execute(
        "UPDATE _quarantine SET raw = replace(raw, '\"pv\"', '\"view\"') WHERE id = ?", [stored[0].id]
    )
    (result,) = replay(warehouse, ids=[stored[0].id, stored[1].id])
    assert (result.accepted, result.still_rejected) == (1, 1)
    assert rows(con, "SELECT event_id FROM events ORDER BY 1") == [(1,), (2,)]
    assert [e.id for e in quarantine.entries(con)] == [stored[1].id]


def test_a_failed_write_leaves_nothing_behind(warehouse, monkeypatch):
    from warroom.ingest import load

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load.quarantine, "add", broken)
    batch = pa.Table.from_pylist([event_row(1), event_row(2, event_type="pv")])
    try:
        ingest_batch(warehouse, "events", batch, "test")
    except RuntimeError:
        pass
    assert rows(warehouse.cursor(), "SELECT count(*) FROM events") == [(0,)]


def test_writers_in_threads_do_not_lose_or_double_rows(warehouse):
    def push(start):
        for k in range(5):
            ids = range(start + k * 10, start + k * 10 + 20)  # overlaps the next push by 10 ids
            ingest_batch(warehouse, "events", pa.Table.from_pylist([event_row(i) for i in ids]), "t")

    threads = [threading.Thread(target=push, args=(s,)) for s in (0, 1000, 2000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each thread covers ids start .. start+59
    assert rows(warehouse.cursor(), "SELECT count(*), count(DISTINCT event_id) FROM events") == [(180, 180)]
