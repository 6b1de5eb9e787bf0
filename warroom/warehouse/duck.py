"""Opening the DuckDB warehouse and creating its tables from the schema."""

import contextlib
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from warroom.schema import READABLE, TABLES, Table
from warroom.warehouse import landed

_THREAD = threading.local()

# Warehouse.read runs a statement with execute() and takes its rows as Arrow, which DuckDB 2.0 warns "makes an
# extra copy of the rows". Measured faster all the same (bench/metrics.py's queries, scale 10): the relation
# path con.sql(...).to_arrow_table() parses and binds each statement once to describe it and again to run it:
# 0.5-1.9 ms of a metric query's 1.8-4.9 ms of fixed cost (its SQL over an empty range); and 100 / 10k / 1M
# rows came back in 1.0 / 2.0 / 49.5 ms this way vs 1.2 / 2.9 / 68.8 ms through a relation.
ARROW_COPY_WARNING = "Arrow output on a DB-API result"
warnings.filterwarnings("ignore", ARROW_COPY_WARNING, UserWarning, __name__)


def reads_in_this_thread() -> int:
    """How many Warehouse.read calls the calling thread has made (any warehouse)."""
    return getattr(_THREAD, "reads", 0)


@contextlib.contextmanager
def recording_reads() -> Iterator[list[dict]]:
    """Inside the block, every Warehouse.read the calling thread makes appends {sql, params} to the yielded
    list: the statements that produced a figure, exactly as they ran ("show the SQL" on a board's panel)."""
    previous = getattr(_THREAD, "record", None)
    statements: list[dict] = []
    _THREAD.record = statements
    try:
        yield statements
    finally:
        _THREAD.record = previous


def create_table_sql(table: Table) -> str:
    cols = ",\n  ".join(f"{c.name} {c.type.duckdb}{' NOT NULL' if c.required else ''}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {cols}\n);"


def create_tables_sql() -> str:
    return "\n".join(create_table_sql(t) for t in READABLE.values())


def relax_not_null(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop NOT NULL from columns the schema has since made optional (products.list_price, unit_cost), so a
    warehouse file created by an older version accepts what validation now accepts. Returns table.column of
    each one changed. CREATE TABLE IF NOT EXISTS never alters an existing table, hence this step."""
    optional = {(t.name, c.name) for t in TABLES.values() for c in t.columns if not c.required}
    strict = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND is_nullable = 'NO'"
    ).fetchall()
    changed = [(t, c) for t, c in strict if (t, c) in optional]
    for table, column in changed:
        con.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP NOT NULL')
    return [f"{t}.{c}" for t, c in changed]


def add_missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add the optional columns the schema has gained since a warehouse file was made (orders.payment_method),
    at the end of their table, where the schema puts them. Returns table.column of each one added."""
    present = set(con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall())
    added = []
    for t in TABLES.values():
        names = [c.name for c in t.columns]
        for c in t.columns:
            if (t.name, c.name) not in present and (t.name, names[0]) in present:
                if c.required:
                    raise RuntimeError(f"{t.name}.{c.name} is required and missing from this warehouse file")
                con.execute(f'ALTER TABLE "{t.name}" ADD COLUMN "{c.name}" {c.type.duckdb}')
                added.append(f"{t.name}.{c.name}")
    return added


class Warehouse:
    """The warehouse file, and the locks that serialise its writers and its rollup refreshes in this process.

    DuckDB connections are not safe to share between threads; each thread takes its own cursor()
    from the one database connection, which shares the same database instance.
    """

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path), read_only=read_only)
        self.write_lock = threading.Lock()
        # Rollup refreshes take their own lock, so a refresh (seconds, when a backlog builds) never holds up
        # live pushes. Safe because every appender holds write_lock: an append still uncommitted when a
        # refresh takes its snapshot gets rowids above every committed row, so it stays above the marks
        # the refresh records (warroom/metrics/rollups.py) and is counted by the next one.
        self.rollup_lock = threading.Lock()
        self._reader = threading.local()
        self._readers: list[tuple[threading.Thread, duckdb.DuckDBPyConnection]] = []
        self._readers_lock = threading.Lock()
        if not read_only:
            self._con.execute(create_tables_sql())
            add_missing_columns(self._con)
            relax_not_null(self._con)
            landed.build_if_missing(self._con)

    def read(self, sql: str, params: dict | None = None) -> pa.Table:
        """The rows of one SELECT, on a cursor of its own, counted in `reads_in_this_thread` (the live hub
        counts what each refresh asks, so 200 viewers can be seen to cost the queries of one)."""
        cursor = self._reader_cursor()
        cursor.execute(sql, params)
        try:
            rows = cursor.to_arrow_table()
        except BaseException:
            cursor.abort()  # a result left open would refuse the thread's next read
            raise
        _THREAD.reads = reads_in_this_thread() + 1
        record = getattr(_THREAD, "record", None)
        if record is not None:
            record.append({"sql": sql, "params": dict(params or {})})
        return rows

    def _reader_cursor(self) -> duckdb.DuckDBPyConnection:
        """The calling thread's reading cursor, made once: a cursor and its SET per read were a fifth of
        a small metric query's time (bench/metrics.py)."""
        cursor = getattr(self._reader, "cursor", None)
        if cursor is None:
            cursor = self.cursor()
            # Buckets truncate and epochs cast TIMESTAMPTZ in the session zone: UTC, as Ibis assumes. SET is
            # per cursor (session), so no other reader or writer of the warehouse is affected.
            cursor.execute("SET TimeZone = 'UTC'")
            self._reader.cursor = cursor
            with self._readers_lock:
                for _, old in [r for r in self._readers if not r[0].is_alive()]:
                    old.close()  # its thread has ended
                self._readers = [r for r in self._readers if r[0].is_alive()]
                self._readers.append((threading.current_thread(), cursor))
        return cursor

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for the calling thread (cheap: shares the open database)."""
        return self._con.cursor()

    def close(self) -> None:
        with self._readers_lock:
            for _, cursor in self._readers:
                cursor.close()
            self._readers = []
        self._con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
