"""Where a database pull stopped, and the query that resumes after it.

A position is the (watermark, key) of the last row durably ingested: the watermark column (such as
updated_at) and the columns that identify a row (such as order_id). Rows are read ordered by
(watermark, *key) and an incremental pull asks for the rows strictly after the position, compared as a
tuple. Why a pair rather than the watermark alone with `>=` and dedupe:
- Rows that tie on the watermark (a batch job stamps 50k orders with one updated_at) may straddle a chunk
  boundary. With `watermark > last` the tied rows after the boundary would be lost after a crash; with
  `watermark >= last` they are read again, but so is every row at the last value on every pull, and on an
  append-only table (api_requests has no key) each re-read row is a new duplicate row in the warehouse.
- The pair is exact: no row is read twice by pulls that succeed, none skipped, whatever the ties; a crash
  re-reads at most the chunk whose position was not yet stored, which the ingest layer's keys absorb.
Its price is that the source must have columns that identify a row (the table's key by default).

Positions are stored as JSON with each value tagged by its type, so a DECIMAL, a DATETIME(6) with
microseconds or a 19-digit id comes back exactly as the driver gave it, and binds back to the same value.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Position:
    """The last row ingested: its watermark value and key values, as the database driver returned them."""

    watermark: Any
    key: tuple[Any, ...]

    @property
    def values(self) -> tuple[Any, ...]:
        return (self.watermark, *self.key)


class UnsupportedValue(TypeError):
    """A watermark or key value of a type a position cannot hold (a TIME, a BLOB, JSON)."""

    def __init__(self, index: int, value: object) -> None:
        super().__init__(f"value {value!r} of type {type(value).__name__}")
        self.index = index  # 0: the watermark, 1..: the key columns


def encode(position: Position) -> dict[str, Any]:
    """A JSON document holding the position exactly; raises UnsupportedValue for other types."""
    return {"values": [_encode(i, v) for i, v in enumerate(position.values)]}


def decode(doc: dict[str, Any]) -> Position:
    values = [_decode(tag, text) for tag, text in doc["values"]]
    return Position(values[0], tuple(values[1:]))


def _encode(index: int, value: Any) -> list[str]:
    # bool before int (bool is an int); datetime before date (datetime is a date).
    if isinstance(value, bool):
        return ["bool", "1" if value else "0"]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, Decimal):
        return ["decimal", str(value)]
    if isinstance(value, float):
        return ["float", value.hex()]  # exact, unlike a decimal rendering
    if isinstance(value, datetime):
        return ["datetime", value.isoformat()]  # keeps the offset of an aware value, none for a naive one
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, str):
        return ["text", value]
    raise UnsupportedValue(index, value)


def _decode(tag: str, text: str) -> Any:
    match tag:
        case "bool":
            return text == "1"
        case "int":
            return int(text)
        case "decimal":
            return Decimal(text)
        case "float":
            return float.fromhex(text)
        case "datetime":
            return datetime.fromisoformat(text)
        case "date":
            return date.fromisoformat(text)
        case "text":
            return text
    raise ValueError(f"unknown position value tag {tag!r}")


def describe(doc: dict[str, Any] | None) -> str:
    """The position for people: `2025-11-11 00:00:05 / 1042`."""
    if doc is None:
        return ""
    return " / ".join(text.replace("T", " ") if tag == "datetime" else text for tag, text in doc["values"])


def last_position(rows: Sequence[Sequence[Any]], indexes: Sequence[int]) -> Position | None:
    """The position of the last row whose watermark and key are all present (rows come in position order).

    A NULL watermark or key cannot be compared, so such a row never becomes a position: incremental pulls
    do not read NULL watermarks at all, and a full pull moves the position only over complete rows.
    """
    for row in reversed(rows):
        values = [row[i] for i in indexes]
        if all(v is not None for v in values):
            return Position(values[0], tuple(values[1:]))
    return None


def select_sql(
    base: str, columns: Sequence[str], *, after: Position | None, incremental: bool
) -> tuple[str, list[Any]]:
    """The pull query around `base` (a SELECT or a quoted table, already %-escaped for the driver).

    columns: the quoted watermark column, then the quoted key columns; empty for a source with no
    watermark (read in full, in the server's order). Parameters are bound (%s), never pasted in.
    """
    sql = f"SELECT * FROM ({base}) AS _src"
    if not columns:
        return sql, []
    conditions, params = [], []
    if incremental:
        conditions.append(f"{columns[0]} IS NOT NULL")
        if after is not None:
            text, params = _after(columns, list(after.values))
            conditions.append(text)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"{sql}{where} ORDER BY {', '.join(columns)}", params


def _after(columns: Sequence[str], values: list[Any]) -> tuple[str, list[Any]]:
    """(c1, c2, ...) > (v1, v2, ...) spelled out, which MySQL, MariaDB and PostgreSQL all read the same.

    The leading `c1 >= v1` repeats what the tuple comparison implies so that an index on the watermark
    column is used as a range scan (row-value comparisons are not always planned that way on MariaDB).
    """

    def strictly_after(i: int) -> tuple[str, list[Any]]:
        if i == len(columns) - 1:
            return f"{columns[i]} > %s", [values[i]]
        rest, rest_params = strictly_after(i + 1)
        return (
            f"({columns[i]} > %s OR ({columns[i]} = %s AND {rest}))",
            [values[i], values[i], *rest_params],
        )

    text, params = strictly_after(0)
    return f"{columns[0]} >= %s AND {text}", [values[0], *params]
