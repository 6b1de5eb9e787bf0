"""Each mapping feature, and a bad mapping named key by key."""

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from warroom.errors import UserError
from warroom.ingest.files import ingest_file
from warroom.ingest.mapping import apply_mapping, load_mapping, parse_mapping


def mapped(doc, raw: dict, file_name="f.csv"):
    table = pa.table(raw)
    return apply_mapping(parse_mapping(doc), table, np.arange(1, table.num_rows + 1), file_name).to_pydict()


def test_rename_values_const_and_default():
    out = mapped(
        {
            "columns": {
                "customer_id": "uid",
                "event_type": {"from": "act", "values": {0: "view", "pv": "view", 2: "pay"}},
                "channel_id": {"const": "tmall"},
                "device": {"from": "dev", "default": "pc"},
            },
            "rest": "drop",
        },
        {"uid": ["5", "6", "7"], "act": ["0", "pv", "9"], "dev": ["ios", "", None], "junk": ["x", "y", "z"]},
    )
    assert out == {
        "customer_id": ["5", "6", "7"],
        "event_type": ["view", "view", "9"],  # an unmapped value passes on, for validation to reject
        "channel_id": ["tmall"] * 3,
        "device": ["ios", "pc", "pc"],
    }


def test_integer_values_map_by_their_text():
    out = mapped(
        {"columns": {"event_type": {"from": "act", "values": {0: "view", 3: "favorite"}}}},
        {"act": pa.array([0, 3], pa.int64())},
    )
    assert out["event_type"] == ["view", "favorite"]


def test_times_unix_format_and_parts():
    out = mapped(
        {
            "columns": {
                "ts": {"from": "t", "unix": "s"},
                "paid_at": {"from": "d", "format": "%Y/%m/%d"},
                "updated_at": {"date": {"year": 2015, "month": "m", "day": "d2", "hour": "h"}},
            }
        },
        {
            "t": ["1511539200", "x"],
            "d": ["2017/11/25", "25.11.2017"],
            "m": ["11", "1"],
            "d2": ["11", "2"],
            "h": ["9", "x"],
        },
    )
    assert out["ts"] == ["2017-11-24T16:00:00.000000+0000", "x"]
    assert out["paid_at"] == ["2017-11-25T00:00:00.000000", "25.11.2017"]
    assert out["updated_at"] == ["2015-11-11 09:00:00", "2015-01-02 0x:00:00"]


def test_hash_ids_are_stable_and_row_numbers_available():
    doc = {
        "columns": {
            "event_id": {"hash": ["_file", "_row"]},
            "session_id": {"hash": ["u"]},
            "sku_id": {"from": "_row"},
        }
    }
    raw = {"u": ["a", "a", "b"]}
    first, again, other_file = mapped(doc, raw), mapped(doc, raw), mapped(doc, raw, "g.csv")
    assert first == again
    assert len(set(first["event_id"])) == 3 and set(first["event_id"]).isdisjoint(other_file["event_id"])
    assert first["session_id"][0] == first["session_id"][1] != first["session_id"][2]
    assert all(0 <= v < 2**63 for v in first["event_id"])
    assert first["sku_id"] == [1, 2, 3]


def test_hash_is_md5_of_the_joined_text():
    import hashlib

    out = mapped({"columns": {"event_id": {"hash": ["a", "b"]}}}, {"a": ["x"], "b": [None]})
    digest = hashlib.md5(b"x\x1f\\N").digest()
    assert out["event_id"] == [int.from_bytes(digest[8:], "little") >> 1]


def test_round_fixes_binary_float_money_and_passes_the_rest_on():
    doc = {"table": "orders", "columns": {"paid_amount": {"from": "total", "round": 2}}, "rest": "drop"}
    raw = {"total": ["22.200000000000003", "1919.1399999999999", " 7 ", "2.5e1", "12,5", "", None]}
    assert mapped(doc, raw)["paid_amount"] == ["22.20", "1919.14", "7.00", "25.00", "12,5", "", None]
    with pytest.raises(UserError) as err:
        parse_mapping(
            {
                "table": "orders",
                "columns": {
                    "paid_amount": {"from": "t", "round": 9},
                    "list_amount": {"const": 1, "round": 2},
                    "discount_amount": {"from": "t", "unix": "s", "round": 2},
                },
            },
            "m.yaml",
        )
    message = str(err.value)
    assert "columns.paid_amount: round: 9 is not a number of decimals from 0 to 6" in message
    assert "columns.list_amount: round applies to a `from` column" in message
    assert "columns.discount_amount: round reads a number: give it without values, unix or format" in message


def test_bad_mapping_lists_every_problem_by_key():
    with pytest.raises(UserError) as err:
        parse_mapping(
            {
                "table": "events",
                "colums": {},
                "columns": {
                    "ts": {"fromm": "x"},
                    "colour": "c",
                    "event_type": {"from": "a", "values": ["view"]},
                    "event_id": {"hash": []},
                    "sku_id": {"from": "x", "unix": "minutes"},
                },
            },
            "m.yaml",
        )
    message = str(err.value)
    for expected in (
        "mapping m.yaml",
        "unknown key 'colums'",
        "columns.ts: unknown key 'fromm'",
        "columns.colour: table events has no such column",
        "columns.event_type: values: expected a mapping",
        "columns.event_id: hash: expected a non-empty list",
        "columns.sku_id: unix: 'minutes'",
    ):
        assert expected in message


def test_a_source_column_missing_from_the_file_is_named():
    with pytest.raises(UserError, match=r"columns nope are not in f\.csv"):
        mapped({"columns": {"customer_id": "nope"}}, {"uid": ["1"]})


def test_fixing_a_mapping_then_replaying_loads_the_rows(warehouse, tmp_path):
    from warroom.ingest import quarantine
    from warroom.ingest.replay import replay

    (tmp_path / "log.csv").write_text("1,pv,1511539200\n2,buy,1511539260\n")
    mapping = tmp_path / "m.yaml"
    body = """table: events
read: {{header: false, columns: [uid, what, t]}}
rest: drop
columns:
  event_id: {{hash: [_file, _row]}}
  ts: {{from: t, unix: s}}
  session_id: uid
  customer_id: uid
  channel_id: {{const: log}}
  device: {{const: pc}}
  event_type: {{from: what, values: {values}}}
"""
    mapping.write_text(body.format(values="{pv: view}"))  # forgot buy
    result = ingest_file(warehouse, tmp_path / "log.csv", "events", load_mapping(mapping))
    assert (result.report.accepted, result.report.rejected) == (1, 1)
    (entry,) = quarantine.entries(warehouse.cursor())
    assert entry.raw == {"uid": "2", "what": "buy", "t": "1511539260"} and entry.row_number == 2
    mapping.write_text(body.format(values="{pv: view, buy: pay}"))
    (report,) = replay(warehouse)
    assert report.accepted == 1
    con = warehouse.cursor()
    got = con.execute("SELECT customer_id, event_type, epoch(ts)::BIGINT FROM events ORDER BY 1").fetchall()
    assert got == [(1, "view", 1511539200), (2, "pay", 1511539260)]
    # the replayed row got the id it would have had on the first load: loading the file again adds nothing
    again = ingest_file(warehouse, tmp_path / "log.csv", "events", load_mapping(mapping))
    assert (again.report.duplicates, again.report.inserted) == (2, 0)
    assert datetime.fromtimestamp(1511539200, UTC).year == 2017
