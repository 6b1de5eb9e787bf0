"""Loading a simulator-shaped folder of Parquet files, with validation on and in chunks."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warroom.errors import UserError
from warroom.ingest.bulk import ingest_parquet_dir, load_order
from warroom.schema import TABLES

from .conftest import event_row


def test_dimensions_load_first():
    order = load_order()
    assert order.index("customers") < order.index("events") and order.index("channels") < order.index(
        "orders"
    )


def test_folder_loads_every_table_in_chunks_with_bad_rows_quarantined(warehouse, tmp_path):
    events = [event_row(i) for i in range(1, 26)]
    events[6]["event_type"] = "teleport"
    (tmp_path / "events").mkdir()
    pq.write_table(pa.Table.from_pylist(events[:10]), tmp_path / "events" / "part-00000.parquet")
    pq.write_table(pa.Table.from_pylist(events[10:]), tmp_path / "events" / "part-00001.parquet")
    (tmp_path / "channels").mkdir()
    channels = [{"channel_id": "search", "name": "Search", "name_zh": "搜索", "channel_group": "search"}]
    pq.write_table(
        pa.Table.from_pylist(channels).cast(TABLES["channels"].arrow_schema),
        tmp_path / "channels" / "part-00000.parquet",
    )
    seen = []
    reports = ingest_parquet_dir(
        warehouse, tmp_path, lambda t, done, total: seen.append((t, done, total)), chunk_rows=4
    )
    assert [(r.table, r.accepted, r.rejected) for r in reports] == [("channels", 1, 0), ("events", 24, 1)]
    assert seen[0] == ("channels", 1, 1) and seen[-1] == ("events", 25, 25)
    con = warehouse.cursor()
    assert con.execute("SELECT count(*), sum(event_id) FROM events").fetchall() == [
        (24, sum(range(1, 26)) - 7)
    ]
    assert con.execute(
        "SELECT row_number, source LIKE '%part-00000.parquet' FROM _quarantine"
    ).fetchall() == [(7, True)]


def test_a_folder_without_tables_is_an_error(warehouse, tmp_path):
    with pytest.raises(UserError, match=r"no <table>/\*\.parquet files"):
        ingest_parquet_dir(warehouse, tmp_path)
