"""Database sources: named MySQL/MariaDB and PostgreSQL tables or queries, pulled into a canonical table.

A pull reads the rows through a server-side cursor (pymysql's SSCursor, a psycopg named cursor) in chunks of
`chunk_rows`, turns each chunk into Arrow straight from the driver's values (DECIMAL arrives as Decimal and
stays an exact Arrow decimal: no float on the way), maps it if the source has a mapping, and hands it to
`warroom.ingest.ingest_batch`. Only after a chunk is committed in the warehouse does the source's stored
position move to that chunk's last row, so a crash re-reads at most one chunk, whose rows the ingest layer
recognises by their key. Incremental pulls read the rows after the position in (watermark, key) order; see
watermarks.py for why a pair. Full pulls read everything (and also leave the position at the last row).
Quarantined rows name the source as `db:<name>` and their row number within the pull: a mapping that
derives ids should hash the source's key columns, not `_row`, which restarts at 1 on every pull.

Times: MySQL DATETIME and PostgreSQL `timestamp` carry no zone and are read by ingest as wall-clock time in
the settings zone (Asia/Shanghai), like a file's; MySQL TIMESTAMP and PostgreSQL timestamptz are instants
(the session runs in UTC so the driver hands them over as such).
"""

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pymysql
import pymysql.cursors
from pymysql.constants import FIELD_TYPE
from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from warroom.errors import NotFound, UserError
from warroom.ingest import IngestReport, ingest_batch
from warroom.ingest.files import target_table
from warroom.ingest.mapping import Mapping, apply_mapping, load_mapping
from warroom.ingest.validate import check_columns
from warroom.meta.sources import Source
from warroom.schema import Table, get_table
from warroom.sources import watermarks
from warroom.warehouse import Warehouse

# 10k-row chunks: DuckDB takes Arrow inserts at 1.9M rows/s at 10k rows vs 517k/s at 1k (DESIGN.md), and a
# crash re-reads at most one chunk.
DEFAULT_CHUNK_ROWS = 10_000
KINDS = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgresql", "postgres": "postgresql"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_CONNECT_TIMEOUT_S = 5
# MariaDB drops a streaming (SSCursor) query whose client has not read for net_write_timeout seconds (60 by
# default); between two fetches we load a chunk, and a slow disk or a big mapping must not kill the pull.
_MYSQL_WRITE_TIMEOUT_S = 3600
_PG_NUMERIC = 1700  # the type oid of numeric
_DECIMAL_DIGITS = 38  # decimal128's most

Ingest = Callable[..., IngestReport]


def kind_of(url: str) -> str:
    """mysql or postgresql, from the URL's scheme (mysql://, mariadb://, postgresql://, mysql+pymysql://...)."""
    backend = _parse_url(url).get_backend_name()
    if backend not in KINDS:
        raise UserError(
            f"URL scheme {backend!r} is not a database source: use mysql://, mariadb:// or postgresql://"
        )
    return KINDS[backend]


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, for anything shown to people."""
    return _parse_url(url).render_as_string(hide_password=True)


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise UserError(
            "the connection URL is not a URL: write it as mysql://user:password@host:3306/database "
            "or postgresql://user@host:5432/database"
        ) from None


# --- configuration -----------------------------------------------------------------------------------------


def add_source(
    session: Session,
    *,
    name: str,
    url: str,
    table: str | None,
    now: datetime,
    from_table: str | None = None,
    query: str | None = None,
    mapping: str | Path | None = None,
    watermark: str | None = None,
    key: Sequence[str] = (),
    check: bool = True,
) -> Source:
    """Store a named source. With check, connect first and make sure the query runs and has the watermark,
    key and mapped columns the target table needs: a source that cannot be pulled is not stored."""
    if not _NAME.match(name):
        raise UserError(
            f"source name {name!r}: use 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit"
        )
    if session.scalars(select(Source).where(Source.name == name)).first() is not None:
        raise UserError(f"source {name} exists already: `warroom sources remove {name}` first to replace it")
    kind = kind_of(url)
    if (from_table is None) == (query is None):
        raise UserError(
            f"source {name}: give either --from (a table or view) or --query (a SELECT), not both"
        )
    rules = load_mapping(mapping) if mapping else None
    spec = get_table(target_table(table, rules))
    if key and not watermark:
        raise UserError(f"source {name}: --key orders rows for incremental pulls; give --watermark with it")
    keys = tuple(key) or (_default_key(name, spec, rules) if watermark else ())
    source = Source(
        name=name,
        kind=kind,
        url=url,
        from_table=from_table,
        query=query.strip().rstrip(";").strip() if query else None,
        target_table=spec.name,
        mapping_path=str(Path(mapping).resolve()) if mapping else None,
        watermark_column=watermark,
        key_columns=list(keys),
        position=None,
        created_at=now,
    )
    if check:
        with open_reader(source) as reader:
            _check(source, reader.columns(_base_sql(source, reader.quote)), spec, rules)
    session.add(source)
    session.commit()
    return source


def _default_key(name: str, spec: Table, mapping: Mapping | None) -> tuple[str, ...]:
    """The target table's key, as the source names it: through the mapping's plain renames, if any."""
    if not spec.key:
        raise UserError(
            f"source {name}: table {spec.name} has no key, so give --key: the source columns that identify a "
            "row (an id), which order rows that share a watermark value"
        )
    keys = []
    for k in spec.key:
        rule = next((r for r in mapping.rules if r.target == k), None) if mapping else None
        if rule is not None and (rule.source is None or rule.values or rule.unix or rule.format):
            raise UserError(
                f"source {name}: key column {k} is computed by mapping {mapping.path if mapping else ''}, "
                "so give --key: the source columns that identify a row"
            )
        keys.append(rule.source if rule is not None else k)
    return tuple(keys)


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def get_source(session: Session, name: str) -> Source:
    source = session.scalars(select(Source).where(Source.name == name)).first()
    if source is None:
        raise NotFound(f"unknown source {name!r}: `warroom sources list` shows the sources")
    return source


def remove_source(session: Session, name: str) -> None:
    """Forget a source and its position; the rows it loaded stay in the warehouse."""
    session.delete(get_source(session, name))
    session.commit()


# --- pulling -----------------------------------------------------------------------------------------------


@dataclass
class PullReport:
    source: str
    full: bool
    report: IngestReport
    chunks: int
    position: str  # where the source now stands, for people ("" when it has no watermark)


def pull(
    session: Session,
    warehouse: Warehouse,
    name: str,
    *,
    now: datetime,
    full: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ingest: Ingest = ingest_batch,
    progress: Callable[[int], None] | None = None,
    timezone: str | None = None,
) -> PullReport:
    """Pull a source into its table: the rows after its position, or all of them with full (or when it has no
    watermark column). The pull's outcome is recorded on the source (last_pull_*), a failure included."""
    if chunk_rows < 1:
        raise UserError(f"chunk size {chunk_rows}: give a positive number of rows")
    source = get_source(session, name)
    full = full or not source.watermark_column
    source.last_pull_at, source.last_pull_status, source.last_pull_message = now, "running", None
    session.commit()
    label = f"db:{source.name}"
    report = IngestReport(source.target_table, label)
    chunks = 0
    try:
        rules = load_mapping(source.mapping_path) if source.mapping_path else None
        spec = get_table(source.target_table)
        after = None if full or source.position is None else watermarks.decode(source.position)
        with open_reader(source) as reader:
            base = _base_sql(source, reader.quote)
            names = reader.columns(base)
            _check(source, names, spec, rules)
            cursor_columns = [c for c in (source.watermark_column, *source.key_columns) if c]
            sql, params = watermarks.select_sql(
                base, [reader.quote(c) for c in cursor_columns], after=after, incremental=not full
            )
            indexes = [names.index(c) for c in cursor_columns]
            for rows in reader.chunks(sql, params, chunk_rows):
                # Encoded before loading, so a watermark of a type a position cannot hold stops the pull
                # before its first chunk, not after.
                position = watermarks.last_position(rows, indexes) if indexes else None
                encoded = _encode(source, position) if position is not None else source.position
                raw = reader.arrow(rows)
                numbers = np.arange(report.received + 1, report.received + len(rows) + 1, dtype=np.int64)
                batch = _shape(raw, rules, spec, cursor_columns, numbers, label)
                report += ingest(
                    warehouse,
                    spec.name,
                    batch,
                    label,
                    raw=raw,
                    row_numbers=numbers,
                    mapping=source.mapping_path,
                    timezone=timezone,
                )
                # The chunk is committed in the warehouse: only now may the position pass its rows.
                source.position = encoded
                session.commit()
                chunks += 1
                if progress:
                    progress(report.received)
    except BaseException as exc:
        session.rollback()
        message = str(exc) if isinstance(exc, UserError) else f"interrupted: {type(exc).__name__}: {exc}"
        source.last_pull_status = "failed"
        source.last_pull_message = f"after {report.received:,} rows: {message}"
        session.commit()
        raise
    source.last_pull_status = "ok"
    source.last_pull_message = (
        f"{report.received:,} rows read: {report.inserted:,} new, {report.updated:,} updated, "
        f"{report.duplicates:,} duplicates, {report.rejected:,} rejected"
    )
    session.commit()
    return PullReport(source.name, full, report, chunks, watermarks.describe(source.position))


def _base_sql(source: Source, quote: Callable[[str], str]) -> str:
    """The source's rows as SQL, %-escaped: the pull binds parameters, so a literal % must be written %%."""
    if source.query:
        return source.query.replace("%", "%%")
    table = ".".join(quote(part) for part in (source.from_table or "").split("."))
    return f"SELECT * FROM {table}".replace("%", "%%")


def _check(source: Source, names: list[str], spec: Table, mapping: Mapping | None) -> None:
    """Before any row is read: the query has the watermark and key columns, and its columns (after the
    mapping) fit the target table."""
    where = f"source {source.name}"
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"{where}: the query returns columns {', '.join(twice)} more than once; alias them")
    wanted = [("watermark", source.watermark_column)] + [("key", k) for k in source.key_columns]
    missing = [f"{role} column {c!r}" for role, c in wanted if c and c not in names]
    if missing:
        raise UserError(
            f"{where}: the {f'table {source.from_table}' if source.from_table else 'query'} has no {' and no '.join(missing)} (its columns: {', '.join(names)}); "
            f"`warroom sources remove {source.name}` and add it again with columns the query returns"
        )
    cursor_columns = [c for _, c in wanted if c]
    empty = pa.table({n: pa.nulls(0) for n in names})
    shaped = _shape(empty, mapping, spec, cursor_columns, np.empty(0, dtype=np.int64), f"db:{source.name}")
    check_columns(spec, shaped.column_names, where)


def _shape(
    raw: pa.Table,
    mapping: Mapping | None,
    spec: Table,
    cursor_columns: list[str],
    numbers: np.ndarray,
    label: str,
) -> pa.Table:
    """The chunk in canonical columns: mapped, then without the watermark and key columns the table does not
    have (they are there to order the pull, e.g. an auto-increment id or a products.updated_at)."""
    batch = apply_mapping(mapping, raw, numbers, label) if mapping else raw
    extra = [c for c in cursor_columns if c in batch.column_names and not spec.has(c)]
    return batch.drop_columns(extra) if extra else batch


def _encode(source: Source, position: watermarks.Position) -> dict[str, Any]:
    try:
        return watermarks.encode(position)
    except watermarks.UnsupportedValue as exc:
        column = [source.watermark_column, *source.key_columns][exc.index]
        raise UserError(
            f"source {source.name}: column {column} holds a {exc}, which cannot order a pull; "
            "use a date/time, number or text column as the watermark and key"
        ) from None


# --- reading: one small class per server kind, the differences kept inside ----------------------------------


@contextmanager
def open_reader(source: Source) -> Iterator["_Reader"]:
    reader = (_MySQL if source.kind == "mysql" else _Postgres)(source)
    try:
        yield reader
    finally:
        reader.close()


class _Reader:
    quote_char = '"'
    errors: tuple[type[Exception], ...] = ()

    def __init__(self, source: Source) -> None:
        self.source = source
        self.names: list[str] = []
        self.utc: set[int] = set()  # columns whose naive values are UTC instants (MySQL TIMESTAMP)
        self.scales: dict[int, int] = {}  # DECIMAL columns: their scale
        try:
            self.con = self._connect(_parse_url(source.url))
        except self.errors as exc:
            raise UserError(
                f"source {source.name}: cannot connect to {masked_url(source.url)}: {self._message(exc)}; "
                "check that the server runs and the URL's host, port, user, password and database"
            ) from None

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def columns(self, base: str) -> list[str]:
        """The query's column names, from a run that returns no rows (it fails here if the query is bad)."""
        try:
            cursor = self.con.cursor()
            cursor.execute(f"SELECT * FROM ({base}) AS _src WHERE 1 = 0", [])
            self._describe(cursor.description)
            cursor.close()
        except self.errors as exc:
            what = f"table {self.source.from_table}" if self.source.from_table else "query"
            raise UserError(
                f"source {self.source.name}: the {what} failed on the server: {self._message(exc)}; "
                f"fix it (`warroom sources remove {self.source.name}`, then add it again)"
            ) from None
        return self.names

    def chunks(self, sql: str, params: list[Any], size: int) -> Iterator[list[tuple]]:
        read = 0
        try:
            cursor = self._streaming_cursor()
            cursor.execute(sql, params)
            self._describe(cursor.description)
            while rows := cursor.fetchmany(size):
                yield rows
                read += len(rows)
            cursor.close()
        except self.errors as exc:
            raise UserError(
                f"source {self.source.name}: reading failed after {read:,} rows: {self._message(exc)}; the rows "
                "before were loaded and the position kept: pull again to go on from there"
            ) from None

    def arrow(self, rows: list[tuple]) -> pa.Table:
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(self.names)
        return pa.table(
            {
                n: _array(c, i in self.utc, self.scales.get(i))
                for i, (n, c) in enumerate(zip(self.names, columns, strict=True))
            }
        )

    def close(self) -> None:
        self.con.close()

    def _connect(self, url: URL) -> Any:
        raise NotImplementedError

    def _streaming_cursor(self) -> Any:
        raise NotImplementedError

    def _describe(self, description: Any) -> None:
        self.names = [d[0] for d in description]

    def _message(self, exc: Exception) -> str:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _MySQL(_Reader):
    quote_char = "`"
    errors = (pymysql.err.MySQLError,)

    def _connect(self, url: URL) -> Any:
        return pymysql.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            database=url.database,
            # The server converts GBK, latin1... columns to UTF-8 for us; 4 bytes for emoji.
            charset="utf8mb4",
            connect_timeout=_CONNECT_TIMEOUT_S,
            # UTC session: TIMESTAMP values come back as UTC wall time (DATETIME ones are never converted).
            init_command=f"SET time_zone = '+00:00', net_write_timeout = {_MYSQL_WRITE_TIMEOUT_S}",
        )

    def _streaming_cursor(self) -> Any:
        return self.con.cursor(pymysql.cursors.SSCursor)

    def _describe(self, description: Any) -> None:
        super()._describe(description)
        self.utc = {i for i, d in enumerate(description) if d[1] == FIELD_TYPE.TIMESTAMP}
        decimals = (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL)
        self.scales = {i: d[5] for i, d in enumerate(description) if d[1] in decimals}

    def _message(self, exc: Exception) -> str:
        if len(exc.args) == 2:  # (error code, message)
            return f"{exc.args[1]} (MySQL error {exc.args[0]})"
        return super()._message(exc)


class _Postgres(_Reader):
    errors = (psycopg.Error,)

    def _connect(self, url: URL) -> Any:
        con = psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
            connect_timeout=_CONNECT_TIMEOUT_S,
            options="-c TimeZone=UTC",
            **dict(url.query),  # libpq settings such as sslmode
        )
        con.read_only = True
        return con

    def _streaming_cursor(self) -> Any:
        return self.con.cursor(name="warroom_pull")

    def _describe(self, description: Any) -> None:
        super()._describe(description)
        # numeric(p, s) has a scale; a bare numeric has none, and its values are left to Arrow to size.
        self.scales = {
            i: d.scale
            for i, d in enumerate(description)
            if d.type_code == _PG_NUMERIC and d.scale is not None
        }


def _array(values: Sequence[Any], utc: bool, scale: int | None) -> pa.Array:
    if scale is not None:
        # Decimals with their type given: 3.5M values/s, against 75k/s when Arrow infers each one's precision
        # (measured here, 100k values). A value that does not fit (DECIMAL(65,30)) falls back to inference.
        try:
            return pa.array(values, pa.decimal128(_DECIMAL_DIGITS, scale))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    try:
        array = pa.array(values)
        if pa.types.is_nested(array.type):  # JSON, arrays: kept as text, for validation to judge
            raise pa.ArrowInvalid("nested")
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if utc and pa.types.is_timestamp(array.type) and array.type.tz is None:
        return array.cast(pa.timestamp(array.type.unit, tz="UTC"))  # the same instants, now marked UTC
    return array
