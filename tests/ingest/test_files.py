"""Each file format, encodings, and damaged files: what can be read is loaded, the rest is named."""

import csv

import openpyxl
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.files import ingest_file
from warroom.ingest.readers import ReadOptions, read_file

from .conftest import event_row

HEADER = list(event_row(1))


def write_csv(path, rows, encoding="utf-8", delimiter=","):
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows([[r[h] for h in HEADER] for r in rows])


def loaded(warehouse):
    return warehouse.cursor().execute("SELECT event_id, channel_id FROM events ORDER BY 1").fetchall()


def test_csv_and_tsv(warehouse, tmp_path):
    write_csv(tmp_path / "a.csv", [event_row(1), event_row(2)])
    write_csv(tmp_path / "b.tsv", [event_row(3)], delimiter="\t")
    for name in ("a.csv", "b.tsv"):
        ingest_file(warehouse, tmp_path / name, "events")
    assert [r[0] for r in loaded(warehouse)] == [1, 2, 3]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_bom_csv_are_detected(warehouse, tmp_path, encoding):
    write_csv(
        tmp_path / "cn.csv", [event_row(1, channel_id="直播"), event_row(2, channel_id="搜索")], encoding
    )
    result = ingest_file(warehouse, tmp_path / "cn.csv", "events")
    assert result.report.accepted == 2
    assert loaded(warehouse) == [(1, "直播"), (2, "搜索")]


def test_wrong_encoding_given_is_a_clear_error(warehouse, tmp_path):
    write_csv(tmp_path / "cn.csv", [event_row(1, channel_id="直播")], "gbk")
    with pytest.raises(UserError, match=r"cn.csv: not valid"):
        ingest_file(warehouse, tmp_path / "cn.csv", "events", options=ReadOptions(encoding="utf-8"))


def test_truncated_csv_loads_the_good_rows_and_names_the_broken_one(warehouse, tmp_path):
    path = tmp_path / "cut.csv"
    write_csv(path, [event_row(1), event_row(2), event_row(3)])
    text = path.read_text()
    path.write_text(text[: text.rindex("search") - 3])  # the last line cut off in the middle
    result = ingest_file(warehouse, path, "events")
    assert result.malformed == [3]
    assert (result.report.accepted, result.report.rejected) == (2, 1)
    (entry,) = quarantine.entries(warehouse.cursor())
    assert (entry.row_number, entry.rule) == (3, "malformed")


def test_row_numbers_count_the_malformed_rows_between(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b\n1,2\n3\n4,5\n6\n7\n8,9\n")
    chunks = list(read_file(path))
    numbers = [n for c in chunks for n in c.row_numbers.tolist()]
    assert numbers == [1, 3, 6]
    assert [m for c in chunks for m, _ in c.malformed] == [2, 4, 5]


def test_json_lines_with_a_broken_line(warehouse, tmp_path):
    path = tmp_path / "e.jsonl"
    lines = [orjson.dumps(event_row(1)), b"{not json", b"", orjson.dumps({**event_row(3), "event_id": 3})]
    path.write_bytes(b"\n".join(lines))
    result = ingest_file(warehouse, path, "events")
    assert result.malformed == [2]
    assert [r[0] for r in loaded(warehouse)] == [1, 3]


def test_parquet_and_a_truncated_parquet(warehouse, tmp_path):
    pq.write_table(pa.Table.from_pylist([event_row(1), event_row(2)]), tmp_path / "e.parquet")
    assert ingest_file(warehouse, tmp_path / "e.parquet", "events").report.accepted == 2
    data = (tmp_path / "e.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=r"cut\.parquet: not a readable Parquet file"):
        ingest_file(warehouse, tmp_path / "cut.parquet", "events")


def test_excel_with_native_types(warehouse, tmp_path):
    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in (1, 2):
        row = event_row(i)
        row.update(
            event_id=i, session_id=1.0, ts=datetime(2026, 11, 11, 8, 0)
        )  # Excel stores numbers as floats
        sheet.append([row[h] for h in HEADER])
    book.save(tmp_path / "e.xlsx")
    result = ingest_file(warehouse, tmp_path / "e.xlsx", "events")
    assert result.report.accepted == 2
    ts = (
        warehouse.cursor()
        .execute("SELECT DISTINCT strftime(ts AT TIME ZONE 'UTC', '%H:%M') FROM events")
        .fetchall()
    )
    assert ts == [("00:00",)]  # 08:00 in Shanghai


def test_unknown_file_type_and_missing_file(warehouse, tmp_path):
    (tmp_path / "e.xml").write_text("<x/>")
    with pytest.raises(UserError, match=r"unknown file type \.xml"):
        ingest_file(warehouse, tmp_path / "e.xml", "events")
    with pytest.raises(UserError, match="no such file"):
        ingest_file(warehouse, tmp_path / "nope.csv", "events")
