"""Live push over HTTP (in-process) and the coalescing writer's per-push accounting.

Expected counts are worked out by hand from the rows sent; the warehouse is read back with hand-written SQL.
"""

import threading

import orjson
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from warroom.access import create_token, create_user
from warroom.config import Settings
from warroom.ingest import quarantine
from warroom.ingest.writer import BatchWriter, Push, WriterClosed, prepare
from warroom.meta import open_metadata
from warroom.schema import TABLES
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.routes.ingest import INLINE_ARROW_BYTES, body_limit
from warroom.web.runtime import Runtime

from .conftest import event_row, order_row

JSONL = "application/x-ndjson"
ARROW = "application/vnd.apache.arrow.stream"


@pytest.fixture
def client(tmp_path):
    settings = Settings(home=tmp_path)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as s:
        create_user(s, username="pusher", password="pusher-pass-1", role="ops", actor="test")
        _, ingest_token = create_token(s, username="pusher", name="feed", scopes=["ingest"], actor="test")
        _, read_token = create_token(s, username="pusher", name="reader", scopes=["read"], actor="test")
    runtime = Runtime(settings, Warehouse(settings.warehouse_path), meta)
    with TestClient(create_app(runtime)) as c:
        c.headers["authorization"] = f"Bearer {ingest_token}"
        c.read_token = read_token
        c.warehouse = runtime.warehouse
        yield c
    runtime.warehouse.close()


def post(client, body: bytes, content_type: str, table: str = "events", **kw):
    return client.post(f"/api/v1/ingest/{table}", content=body, headers={"content-type": content_type}, **kw)


def sql(client, query):
    return client.warehouse.cursor().execute(query).fetchall()


def jsonl(rows) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in rows)


def arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def test_json_lines_push_stores_rows_and_lists_each_rejected_value(client):
    rows = [event_row(1), event_row(2, event_type="bogus"), event_row(3), event_row(4, ts="2026-13-01")]
    r = post(client, jsonl(rows), JSONL)
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("received", "accepted", "rejected", "duplicates", "updated")} == {
        "received": 4,
        "accepted": 2,
        "rejected": 2,
        "duplicates": 0,
        "updated": 0,
    }
    assert [(x["row"], x["column"], x["rule"]) for x in body["rejects"]] == [
        (2, "event_type", "enum"),
        (4, "ts", "type"),
    ]
    assert "bogus" in body["rejects"][0]["message"]
    assert sql(client, "SELECT event_id FROM events ORDER BY 1") == [(1,), (3,)]
    kept = sql(client, f"SELECT row_number, rule, source FROM {quarantine.TABLE} ORDER BY row_number")
    assert kept == [(2, "enum", "http:pusher"), (4, "type", "http:pusher")]


def test_json_array_csv_and_arrow_bodies_load_the_same_rows(client):
    array = orjson.dumps([event_row(1), event_row(2)])
    csv = b"event_id,ts,session_id,customer_id,channel_id,event_type,sku_id,device\n" + (
        b"3,2026-11-11 00:00:00,1,7,search,cart,100,ios\n4,2026-11-11 00:00:01,1,7,feed,pay,101,pc\n"
    )
    typed = pa.Table.from_pylist([event_row(5), event_row(6)]).cast(
        pa.schema([(f.name, pa.string()) for f in TABLES["events"].arrow_schema])
    )
    for body, kind in ((array, "application/json"), (csv, "text/csv; charset=utf-8"), (arrow(typed), ARROW)):
        r = post(client, body, kind)
        assert r.status_code == 200, r.text
        assert (r.json()["accepted"], r.json()["rejected"]) == (2, 0)
    assert sql(
        client, "SELECT event_id, event_type, device FROM events WHERE event_id IN (3, 4) ORDER BY 1"
    ) == [
        (3, "cart", "ios"),
        (4, "pay", "pc"),
    ]
    assert sql(client, "SELECT count(*), sum(event_id) FROM events") == [(6, 21)]


def test_gbk_csv_is_read_when_the_charset_says_so(client):
    csv = ",".join(order_row(9)) + "\n" + ",".join(str(v) for v in order_row(9).values()) + "\n"
    r = post(client, csv.encode("gbk"), "text/csv; charset=gbk", table="orders")
    assert r.status_code == 200, r.text
    assert sql(client, "SELECT province, paid_amount::VARCHAR FROM orders") == [("浙江", "90.00")]


def test_a_repeated_push_counts_duplicates_and_an_order_update_counts_as_updated(client):
    assert post(client, jsonl([event_row(1), event_row(2)]), JSONL).json()["duplicates"] == 0
    again = post(client, jsonl([event_row(2), event_row(3)]), JSONL).json()
    assert (again["accepted"], again["duplicates"]) == (2, 1)
    assert sql(client, "SELECT count(*) FROM events") == [(3,)]
    post(client, jsonl([order_row(1)]), JSONL, table="orders")
    paid = post(
        client, jsonl([order_row(1, status="paid", updated_at="2026-11-11 00:05:00")]), JSONL, table="orders"
    )
    assert (paid.json()["updated"], paid.json()["duplicates"]) == (1, 0)
    assert sql(client, "SELECT status FROM orders") == [("paid",)]


@pytest.mark.parametrize(
    ("table", "body", "kind", "status", "words"),
    [
        ("nope", b"{}", JSONL, 404, "unknown table 'nope'"),
        ("events", b"a,b\n1,2\n", "text/plain", 415, "text/plain"),
        (
            "events",
            jsonl([event_row(1)]) + b'\n{"event_id": 2,\n' + jsonl([event_row(3)]),
            JSONL,
            400,
            "line 2",
        ),
        ("events", b'[{"event_id": 1}, 7]', "application/json", 400, "element 2"),
        ("events", b'[{"event_id": 1}', "application/json", 400, "not valid JSON"),
        ("events", b"event_id,ts\n1,2026-11-11\n2\n", "text/csv", 400, "CSV line 3"),
        ("events", b"not arrow at all", ARROW, 400, "not an Arrow IPC stream"),
        ("events", jsonl([{**event_row(1), "colour": "red"}]), JSONL, 400, "colour"),
        ("events", b"", JSONL, 400, "no rows"),
        ("events", b'{"event_id": "\xff"}', JSONL, 400, "byte offset 14"),
    ],
)
def test_bad_requests_get_the_envelope_and_write_nothing(client, table, body, kind, status, words):
    r = post(client, body, kind, table=table)
    assert r.status_code == status
    assert r.json()["ok"] is False and r.json()["status"] == status
    assert words in r.json()["error"]
    assert sql(client, "SELECT count(*) FROM events") == [(0,)]


def test_tokens_are_required_and_need_the_ingest_scope(client):
    body = jsonl([event_row(1)])
    r = client.post(
        "/api/v1/ingest/events", content=body, headers={"content-type": JSONL, "authorization": ""}
    )
    assert r.status_code == 401 and "Bearer" in r.json()["error"]
    # A live token without the scope: 403 naming it; a token nobody issued: 401, as on every route.
    for token, status, says in (
        (client.read_token, 403, "lacks the 'ingest' scope"),
        ("wrt_forged", 401, "unknown"),
    ):
        headers = {"authorization": f"Bearer {token}", "content-type": JSONL}
        r = client.post("/api/v1/ingest/events", content=body, headers=headers)
        assert r.status_code == status and says in r.json()["error"]
    assert sql(client, "SELECT count(*) FROM events") == [(0,)]


def test_an_oversized_body_is_refused_with_413_whether_declared_or_streamed(client):
    client.app.dependency_overrides[body_limit] = lambda: 500
    big = jsonl([event_row(i) for i in range(1, 11)])
    assert len(big) > 500
    assert post(client, big, JSONL).status_code == 413

    def chunks():  # no Content-Length: the limit must hold while reading
        yield big[:400]
        yield big[400:]

    r = client.post("/api/v1/ingest/events", content=chunks(), headers={"content-type": JSONL})
    assert r.status_code == 413 and "500" in r.json()["error"]
    assert post(client, jsonl([event_row(1)]), JSONL).status_code == 200


def test_many_rejects_are_listed_up_to_the_cap_and_counted_beyond(client):
    rows = [event_row(i, device="fax") for i in range(1, 151)]
    body = post(client, jsonl(rows), JSONL).json()
    assert (body["rejected"], len(body["rejects"]), body["rejects_not_listed"]) == (150, 100, 50)
    assert sql(client, f"SELECT count(*) FROM {quarantine.TABLE}") == [(150,)]


# ---- the writer, without HTTP -------------------------------------------------------------------------


def _push(table, rows):
    return prepare(table, pa.Table.from_pylist(rows), "test", "Asia/Shanghai")


def test_queued_pushes_share_one_transaction_and_keep_their_own_counts(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        writer = BatchWriter(wh)
        pushes = [
            _push("events", [event_row(1), event_row(2), event_row(3)]),
            _push("events", [event_row(3), event_row(4), event_row(4)]),  # 3 is A's; 4 repeats itself
            _push("orders", [order_row(1)]),
            _push("orders", [order_row(1, status="paid", updated_at="2026-11-11 00:09:00")]),
            _push("events", [event_row(5), event_row(6, device="fax")]),
        ]
        futures = [writer.submit(p) for p in pushes]  # all queued before the thread starts
        writer.start()
        reports = [f.result(timeout=30) for f in futures]
        writer.stop()
        assert [(r.accepted, r.rejected, r.duplicates, r.updated) for r in reports] == [
            (3, 0, 0, 0),
            (3, 0, 2, 0),
            (1, 0, 0, 0),
            (1, 0, 0, 1),
            (1, 1, 0, 0),
        ]
        assert (writer.flushes, writer.fallbacks) == (1, 1)
        con = wh.cursor()
        assert con.execute("SELECT list(event_id ORDER BY event_id) FROM events").fetchall() == [
            ([1, 2, 3, 4, 5],)
        ]
        assert con.execute("SELECT order_id, status FROM orders").fetchall() == [(1, "paid")]


def test_new_rows_from_many_pushes_are_written_together_without_the_fallback(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        writer = BatchWriter(wh)
        futures = [
            writer.submit(_push("events", [event_row(k * 10 + i) for i in range(3)])) for k in range(5)
        ]
        writer.start()
        assert [f.result(timeout=30).duplicates for f in futures] == [0] * 5
        writer.stop()
        assert (writer.flushes, writer.fallbacks) == (1, 0)
        assert wh.cursor().execute("SELECT count(DISTINCT event_id) FROM events").fetchall() == [(15,)]


def test_a_push_that_fails_to_write_fails_alone(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        writer = BatchWriter(wh)
        good = _push("events", [event_row(1)])
        broken = Push("events", "test", 1, pa.table({"event_id": [2]}), [], {})  # not the table's columns
        futures = [writer.submit(good), writer.submit(broken)]
        writer.start()
        assert futures[0].result(timeout=30).accepted == 1
        with pytest.raises(Exception, match="nothing of this push was stored"):
            futures[1].result(timeout=30)
        writer.stop()
        assert wh.cursor().execute("SELECT event_id FROM events").fetchall() == [(1,)]


def test_a_stopped_writer_refuses_pushes_after_writing_what_was_queued(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        writer = BatchWriter(wh)
        writer.start()
        queued = writer.submit(_push("events", [event_row(1)]))
        writer.stop()
        assert queued.result(timeout=30).accepted == 1
        with pytest.raises(WriterClosed):
            writer.submit(_push("events", [event_row(2)]))


def test_concurrent_pushers_lose_and_double_nothing(client):
    def pusher(k):
        for b in range(10):
            ids = range(k * 1000 + b * 10, k * 1000 + b * 10 + 10)
            assert post(client, jsonl([event_row(i) for i in ids]), JSONL).json()["accepted"] == 10

    threads = [threading.Thread(target=pusher, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sql(client, "SELECT count(*), count(DISTINCT event_id) FROM events") == [(400, 400)]


def test_an_arrow_body_over_the_inline_size_is_validated_in_a_preparer_and_loads_the_same(client):
    """Arrow bodies up to INLINE_ARROW_BYTES are validated on the event loop, bigger ones in the pool: the two
    paths answer alike, rejects listed by row."""
    rows = [event_row(10 + i, event_type="bogus" if i == 7 else "view") for i in range(40_000)]
    big, small = arrow(pa.Table.from_pylist(rows)), arrow(pa.Table.from_pylist(rows[:20]))
    assert len(small) < INLINE_ARROW_BYTES < len(big)
    for body in (small, big):
        r = post(client, body, ARROW)
        assert r.status_code == 200, r.text
        assert [(x["row"], x["column"], x["rule"]) for x in r.json()["rejects"]] == [
            (8, "event_type", "enum")
        ]
    assert sql(client, "SELECT count(*) FROM events") == [(40_000 - 1,)]
    assert r.json()["duplicates"] == 19  # the small body's rows, sent again in the big one
