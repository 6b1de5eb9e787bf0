"""Validation rules one by one: a bad value in each column kind is rejected with its column and rule named,
and the other rows of the batch are accepted."""

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.errors import SchemaError
from warroom.ingest.validate import validate
from warroom.schema import TABLES

from .conftest import event_row, order_row

EVENTS, ORDERS, ITEMS = TABLES["events"], TABLES["orders"], TABLES["order_items"]


def item_row(**overrides) -> dict:
    row = {
        "order_id": "1",
        "line_no": "1",
        "sku_id": "5",
        "quantity": "2",
        "list_price": "12.30",
        "unit_price": "10.00",
        "promo_id": "",
        "discount_amount": "4.60",
        "unit_cost": "6",
    }
    row.update(overrides)
    return row


def rejects_of(table, rows):
    result = validate(table, pa.Table.from_pylist(rows))
    return result, [(r.row_number, r.column, r.rule) for r in result.rejects]


@pytest.mark.parametrize(
    ("table", "make", "column", "bad", "rule"),
    [
        (ITEMS, item_row, "order_id", "12a", "type"),  # id
        (ITEMS, item_row, "quantity", "1.5", "type"),  # int
        (ITEMS, item_row, "quantity", "0", "minimum"),
        (ITEMS, item_row, "quantity", "10001", "maximum"),
        (ITEMS, item_row, "list_price", "12.345", "money_precision"),
        (ITEMS, item_row, "list_price", "12,30", "type"),
        (ITEMS, item_row, "list_price", "-1", "minimum"),
        (ITEMS, item_row, "list_price", "10000000.01", "maximum"),
        (ITEMS, item_row, "sku_id", "", "required"),
        (ORDERS, lambda: order_row(1), "status", "shipped!", "enum"),
        (ORDERS, lambda: order_row(1), "is_new_buyer", "maybe", "type"),  # bool
        (ORDERS, lambda: order_row(1), "ts", "2026-11-31 00:00:00", "type"),  # timestamp
        (ORDERS, lambda: order_row(1), "ts", "1999-12-31 23:00:00", "time_window"),
        (ORDERS, lambda: order_row(1), "updated_at", "2100-01-02", "time_window"),
        (EVENTS, lambda: event_row(1), "event_type", "pv", "enum"),
        (EVENTS, lambda: event_row(1), "device", None, "required"),
    ],
)
def test_each_rule_rejects_its_value_and_keeps_the_other_rows(table, make, column, bad, rule):
    rows = [make(), make(), make()]
    rows[1][column] = bad
    result, rejects = rejects_of(table, rows)
    assert rejects == [(2, column, rule)]
    assert result.accepted.num_rows == 2
    assert result.accepted.schema == table.arrow_schema
    assert result.rejects[0].raw_row[column] == bad
    assert column in result.rejects[0].message and "row 2" in result.rejects[0].message


def test_float_rule_rejects_nan_and_bounds():
    rows = [
        {
            "ts": "2026-11-11 00:00:00",
            "host": "h",
            "role": "web",
            "cpu_pct": v,
            "mem_pct": 1.0,
            "net_in_mbps": 1.0,
            "net_out_mbps": 1.0,
        }
        for v in (50.0, float("nan"), 100.5, -0.1)
    ]
    _, rejects = rejects_of(TABLES["host_metrics"], rows)
    assert rejects == [(2, "cpu_pct", "type"), (3, "cpu_pct", "maximum"), (4, "cpu_pct", "minimum")]


def test_money_values_are_exact_from_text_floats_and_ints():
    rows = [item_row(list_price=v) for v in ("12.300", "0.1", "7")] + [item_row()]
    rows[-1]["list_price"] = "19.99"
    result = validate(ITEMS, pa.Table.from_pylist(rows))
    assert result.accepted.column("list_price").to_pylist() == [
        Decimal("12.30"),
        Decimal("0.10"),
        Decimal("7.00"),
        Decimal("19.99"),
    ]
    floats = pa.table(
        {**{k: [v] * 3 for k, v in item_row().items()}, "list_price": [12.34, 0.1 + 0.2, 12.345]}
    )
    result = validate(ITEMS, floats)
    assert result.accepted.column("list_price").to_pylist() == [Decimal("12.34"), Decimal("0.30")]
    assert [(r.row_number, r.rule) for r in result.rejects] == [(3, "money_precision")]


def test_money_from_an_integer_column():
    # JSON and Parquet give whole amounts as int64, which Arrow will not cast to DECIMAL(18,2) directly.
    ints = pa.table(
        {**{k: [v] * 3 for k, v in item_row().items()}, "list_price": pa.array([7, 0, 10**17], pa.int64())}
    )
    result = validate(ITEMS, ints)
    assert result.accepted.column("list_price").to_pylist() == [Decimal("7.00"), Decimal("0.00")]
    assert [(r.row_number, r.column, r.rule) for r in result.rejects] == [(3, "list_price", "type")]


def test_timestamps_without_zone_are_shanghai_time_stored_utc():
    rows = [
        event_row(i, ts=ts)
        for i, ts in enumerate(
            [
                "2026-11-11 00:00:00",
                "2026-11-11T08:30:00+08:00",
                "2026-11-10T16:00:00Z",
                "2026-11-11",
                "2026-11-11 01:02:03.5",
            ]
        )
    ]
    result = validate(EVENTS, pa.Table.from_pylist(rows), "Asia/Shanghai")
    assert result.accepted.column("ts").to_pylist() == [
        datetime(2026, 11, 10, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 11, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 10, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 10, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 10, 17, 2, 3, 500000, tzinfo=UTC),
    ]


def test_naive_arrow_timestamps_are_local_and_zoned_ones_kept():
    naive = pa.array([datetime(2026, 11, 11, 0, 0)], pa.timestamp("s"))
    zoned = pa.array([datetime(2026, 11, 11, 0, 0, tzinfo=UTC)], pa.timestamp("ms", tz="UTC"))
    base = {k: [v] for k, v in event_row(1).items() if k != "ts"}
    for ts, expected in (
        (naive, datetime(2026, 11, 10, 16, tzinfo=UTC)),
        (zoned, datetime(2026, 11, 11, tzinfo=UTC)),
    ):
        result = validate(EVENTS, pa.table({**base, "ts": ts}))
        assert result.accepted.column("ts").to_pylist() == [expected]


def test_unknown_and_missing_columns_are_batch_errors_naming_them():
    rows = [event_row(1)]
    rows[0]["colour"] = "red"
    with pytest.raises(SchemaError, match="colour"):
        validate(EVENTS, pa.Table.from_pylist(rows))
    del rows[0]["colour"], rows[0]["device"], rows[0]["ts"]
    with pytest.raises(SchemaError, match="missing: ts, device"):
        validate(EVENTS, pa.Table.from_pylist(rows))


def test_optional_columns_may_be_absent():
    rows = [event_row(1)]
    del rows[0]["sku_id"]
    result = validate(EVENTS, pa.Table.from_pylist(rows))
    assert result.accepted.column("sku_id").to_pylist() == [None]


def test_ids_up_to_int64_max_and_not_beyond():
    rows = [event_row(v) for v in ("9223372036854775807", "9223372036854775808", "-5", "+6", " 7 ")]
    result, rejects = rejects_of(EVENTS, rows)
    assert rejects == [(2, "event_id", "type")]
    assert result.accepted.column("event_id").to_pylist() == [9223372036854775807, -5, 6, 7]


@given(fen=st.integers(min_value=0, max_value=10**9), extra=st.integers(min_value=1, max_value=9))
def test_money_text_is_exact_or_rejected_never_rounded(fen, extra):
    yuan = f"{fen // 100}.{fen % 100:02d}"
    result = validate(
        ITEMS, pa.Table.from_pylist([item_row(list_price=yuan), item_row(list_price=f"{yuan}{extra}")])
    )
    assert result.accepted.column("list_price").to_pylist() == [Decimal(fen) / 100]
    assert [(r.row_number, r.rule) for r in result.rejects] == [(2, "money_precision")]


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_float_money_accepted_only_when_it_is_whole_fen(value):
    result = validate(ITEMS, pa.table({**{k: [v] for k, v in item_row().items()}, "list_price": [value]}))
    whole_fen = abs(value * 100 - round(value * 100)) <= 1e-3
    assert result.accepted.num_rows == (1 if whole_fen else 0)
    if whole_fen:
        assert result.accepted.column("list_price")[0].as_py() == Decimal(round(value * 100)) / 100


def test_decimal_columns_exact_or_rejected():
    from decimal import Decimal as D

    base = {k: [v] * 3 for k, v in item_row().items() if k != "list_price"}
    exact = pa.array([D("12.30"), D("0.01"), D("9999999.99")], pa.decimal128(18, 2))
    assert validate(ITEMS, pa.table({**base, "list_price": exact})).accepted.num_rows == 3
    wide = pa.array([D("12.3400"), D("12.3456"), D("1.0000")], pa.decimal128(38, 4))
    result = validate(ITEMS, pa.table({**base, "list_price": wide}))
    assert result.accepted.column("list_price").to_pylist() == [D("12.34"), D("1.00")]
    assert [(r.row_number, r.rule) for r in result.rejects] == [(2, "money_precision")]
