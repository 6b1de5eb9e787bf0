"""The push path's fast paths give exactly what the general paths give, and step aside when they cannot.

Each fast path (one orjson call for a JSON-lines body, one cast for ISO instants, skipping masks of clean
columns) is compared here with the general path it shortcuts, on the inputs where they could part ways.
"""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from warroom.errors import UserError
from warroom.ingest.coerce import _ISO_INSTANT_RE, coerce
from warroom.ingest.readers import table_of_rows
from warroom.ingest.validate import validate
from warroom.schema import TABLES, ColumnType
from warroom.web.routes.ingest import _jsonl, _jsonl_at_once, _jsonl_line_by_line

from .conftest import event_row

TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1}\n{"a": 2}',
        b'{"a": 1}\r\n\r\n  \n{"a": 2}\r\n',  # CRLF and blank lines are skipped
        b'{"a": 1}\n',
        b'{"a": {"b": [1, 2]}}\n{"a": "x"}',
    ],
)
def test_well_formed_bodies_parse_the_same_at_once_and_line_by_line(body):
    assert _jsonl_at_once(body) == _jsonl_line_by_line(body)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"a": 1}\n{"a": 1},{"b": 2}', "line 2 is not valid JSON"),  # two objects on one line
        (b'{"x": 1},{"a": [[1\n2]]}', "line 1 is not valid JSON"),  # a value split over lines
        (b'{"a": 1}\n[1, 2]', "line 2 is a JSON array"),
        (b'{"a": 1}\n1, 2', "line 2 is not valid JSON"),
        (b'{"a": 1}\n"text"', "line 2 is a JSON string"),
        (b'{"a": 1}\n{"a": ', "line 2 is not valid JSON"),
    ],
)
def test_a_body_the_one_call_cannot_take_is_read_line_by_line_and_the_bad_line_named(body, words):
    assert _jsonl_at_once(body) is None
    with pytest.raises(UserError, match=words):
        _jsonl(body, "utf-8")


def test_rows_with_different_keys_get_the_union_of_columns_in_first_seen_order():
    table = table_of_rows([{"a": 1, "b": "x"}, {"c": 2.5, "a": 3}, {"b": None}])
    assert table.column_names == ["a", "b", "c"]
    assert table.to_pylist() == [
        {"a": 1, "b": "x", "c": None},
        {"a": 3, "b": None, "c": 2.5},
        {"a": None, "b": None, "c": None},
    ]


def test_a_column_of_mixed_or_nested_values_becomes_text():
    table = table_of_rows([{"a": 1, "n": {"k": [1]}}, {"a": "two", "n": None}])
    assert table.schema.types == [pa.string(), pa.string()]
    assert table.to_pylist() == [{"a": "1", "n": '{"k":[1]}'}, {"a": "two", "n": None}]


def _general(values: list) -> list:
    """The timestamps as the general path reads them: a first value it alone accepts keeps the fast path off."""
    mixed = pa.array(["2026-11-11 10:00", *values])  # no seconds: not an instant in the fast path's form
    return coerce(ColumnType.TIMESTAMP, mixed, TZ).values.to_pylist()[1:]


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-10T16:00:03Z",
        "2026-11-10 16:00:03Z",
        "2026-11-10T16:00:03.5+08:00",
        "2026-11-10T16:00:03.123456-05:30",
        "2026-11-10T16:00:03.123456789Z",  # nanoseconds: the us cast refuses, the general path parses
        "2026-02-30T16:00:03Z",  # no such day: rejected as a type error either way
    ],
)
def test_iso_instants_read_by_one_cast_equal_the_general_path(text):
    fast = coerce(ColumnType.TIMESTAMP, pa.array([text, "2026-11-11T00:00:00Z"]), TZ)
    assert fast.values.to_pylist() == _general([text, "2026-11-11T00:00:00Z"])
    assert [m.to_pylist() for _, m in fast.problems if m.true_count] == (
        [[True, False]] if fast.values[0].as_py() is None else []
    )


def test_the_fast_form_is_only_instants_with_seconds_and_a_zone():
    matches = pa.compute.match_substring_regex(
        pa.array(["2026-11-10T16:00:03Z", "2026-11-10T16Z", "2026-11-10T16:00Z", "2026-11-10 16:00:03"]),
        _ISO_INSTANT_RE,
    )
    assert matches.to_pylist() == [True, False, False, False]


def test_clean_and_dirty_batches_get_the_same_rows_and_reasons_as_row_by_row():
    rows = [event_row(i) for i in range(1, 6)]
    clean = validate(TABLES["events"], pa.Table.from_pylist(rows), TZ)
    assert clean.accepted.num_rows == 5 and clean.rejects == []
    rows[1]["device"] = "fax"
    rows[3]["ts"] = "1999-12-31T23:59:59Z"
    rows[4]["event_id"] = None
    dirty = validate(TABLES["events"], pa.Table.from_pylist(rows), TZ)
    assert [(r.row_number, r.column, r.rule) for r in dirty.rejects] == [
        (2, "device", "enum"),
        (4, "ts", "time_window"),
        (5, "event_id", "required"),
    ]
    assert dirty.accepted.column("event_id").to_pylist() == [1, 3]
    assert dirty.accepted.column("ts").to_pylist()[0].tzinfo is not None
    assert dirty.rejected_rows.tolist() == [1, 3, 4]


def test_a_window_bound_is_exclusive_at_2100_and_inclusive_at_2000():
    spec = TABLES["events"]
    rows = [
        event_row(1, ts=datetime(2000, 1, 1, tzinfo=UTC)),
        event_row(2, ts=datetime(2100, 1, 1, tzinfo=UTC)),
    ]
    result = validate(spec, pa.Table.from_pylist(rows), TZ)
    assert [(r.row_number, r.rule) for r in result.rejects] == [(2, "time_window")]
