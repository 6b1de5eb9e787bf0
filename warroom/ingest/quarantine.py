"""The quarantine: rejected rows kept in the warehouse with their reasons, never dropped (DESIGN.md).

One row per rejected input row, holding the row as it arrived (before any mapping, as JSON), the first
failing column and rule, and a message listing every problem of the row. `mapping` records the mapping
file the row went through, so `warroom quarantine replay` can run it again after the file is fixed.
The table is Warroom's own, not the schema's: created here on first use.
"""

import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import orjson
import pyarrow as pa

from warroom.ingest.validate import Reject

TABLE = "_quarantine"

DDL = f"""
CREATE SEQUENCE IF NOT EXISTS {TABLE}_id;
CREATE TABLE IF NOT EXISTS {TABLE} (
  id BIGINT NOT NULL DEFAULT nextval('{TABLE}_id'),
  received_at TIMESTAMPTZ NOT NULL,
  table_name VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  row_number BIGINT,
  column_name VARCHAR,
  rule VARCHAR NOT NULL,
  message VARCHAR NOT NULL,
  raw VARCHAR NOT NULL,
  mapping VARCHAR
);
"""

_COLUMNS = (
    "received_at",
    "table_name",
    "source",
    "row_number",
    "column_name",
    "rule",
    "message",
    "raw",
    "mapping",
)
_ready: "weakref.WeakSet" = weakref.WeakSet()  # warehouses whose quarantine table exists


@dataclass(frozen=True)
class Entry:
    """A quarantined row as stored."""

    id: int
    received_at: datetime
    table_name: str
    source: str
    row_number: int | None
    column_name: str | None
    rule: str
    message: str
    raw: dict
    mapping: str | None


def ensure(warehouse: object, con: duckdb.DuckDBPyConnection) -> None:
    if warehouse not in _ready:
        con.execute(DDL)
        _ready.add(warehouse)


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [TABLE]
    ).fetchall()
    return rows[0][0] > 0


def add(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    rejects: list[Reject],
    raw_rows: dict[int, dict],
    mapping: str | None,
) -> int:
    """Store the rejected rows (several rejects of one row become one entry); returns how many rows."""
    by_row: dict[int, list[Reject]] = {}
    for r in rejects:
        by_row.setdefault(r.row_number, []).append(r)
    if not by_row:
        return 0
    now = datetime.now(UTC)
    rows = []
    for number, problems in by_row.items():
        first = problems[0]
        rows.append(
            (
                now,
                table,
                source,
                number,
                first.column,
                first.rule,
                "; ".join(p.message for p in problems),
                orjson.dumps(raw_rows.get(number, first.raw_row), default=str).decode(),
                mapping,
            )
        )
    batch = pa.table(list(zip(*rows, strict=True)), names=list(_COLUMNS))
    con.register("_quarantine_new", batch)
    try:
        con.execute(f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) SELECT * FROM _quarantine_new").fetchall()
    finally:
        con.unregister("_quarantine_new")
    return len(rows)


def summary(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(table, rule, column, rows, first id, last received) per table and rule, most rows first."""
    if not exists(con):
        return []
    # Through Arrow: DuckDB's own conversion of TIMESTAMPTZ to Python needs pytz, which we do not ship.
    result = con.sql(
        f"""SELECT table_name, rule, column_name, count(*) AS n, min(id), max(received_at)
            FROM {TABLE} GROUP BY ALL ORDER BY n DESC, table_name, rule, column_name"""
    ).to_arrow_table()
    return [tuple(row.values()) for row in result.to_pylist()]


def entries(
    con: duckdb.DuckDBPyConnection, ids: list[int] | None = None, table: str | None = None
) -> list[Entry]:
    if not exists(con):
        return []
    where, params = [], []
    if ids is not None:
        where.append("list_contains(?, id)")
        params.append(ids)
    if table is not None:
        where.append("table_name = ?")
        params.append(table)
    sql = f"SELECT * FROM {TABLE}" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    rows = con.sql(sql, params=params).to_arrow_table().to_pylist()
    return [Entry(**{**row, "raw": orjson.loads(row["raw"])}) for row in rows]


def remove(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    if ids:
        con.execute(f"DELETE FROM {TABLE} WHERE list_contains(?, id)", [ids]).fetchall()


def update_reasons(con: duckdb.DuckDBPyConnection, reasons: list[tuple[int, str | None, str, str]]) -> None:
    """Bring (id, column, rule, message) up to date for rows a replay rejected again."""
    if not reasons:
        return
    ids, columns, rules, messages = (list(x) for x in zip(*reasons, strict=True))
    new = pa.table(
        {"id": ids, "column_name": pa.array(columns, pa.string()), "rule": rules, "message": messages}
    )
    con.register("_quarantine_reasons", new)
    try:
        con.execute(
            f"""UPDATE {TABLE} q SET column_name = r.column_name, rule = r.rule, message = r.message
                FROM _quarantine_reasons r WHERE q.id = r.id"""
        ).fetchall()
    finally:
        con.unregister("_quarantine_reasons")
