"""Minute rollups: per-minute aggregates of the hot metrics by the dimensions live boards group by, kept in
the warehouse beside the raw tables and refreshed incrementally, so a live board does not rescan raw events.

A rollup's rows are the metric layer's own answer to "these simple metrics by these dimensions per minute"
(compiled from the catalog, in UTC minutes), so a rollup can never define a number differently. compile.py
reads a rollup only where it answers exactly (see compile._rollup_for) and raw rows for the rest.

Tracking what changed: a high-water mark per source table, its largest DuckDB rowid at the last refresh.
Ingest appends; an upsert (orders) deletes the old row and appends the new one, so every changed row is
above the mark. A refresh re-aggregates every minute that a row above the mark falls in, whatever its
timestamp, so late and out-of-order rows correct their minute. Rows of the rollup's table reached through a
join (order lines timed by their order's paid_at) are found through the joined table's mark too. Assumed,
as ingest does it: an update moves no row out of a minute except from "no time" (unpaid) into one; a
dimension table (products, channels) that changes, or marks that go backwards (rows deleted and rowids
renumbered), make a full rebuild.
Where every metric is an integer or decimal count or sum, or a distinct count, over a table that only
appends (events, payments), a refresh instead aggregates only the rows above the mark and adds them into
their minutes (_add_new_rows); a distinct count grows by the values its minute had not seen, which the
rollup keeps beside it (rollup_<name>__<metric>: minute, dims, value). Its cost follows what arrived, not
what the minutes hold. Percentiles, float sums and upserted or joined facts still re-aggregate their
touched minutes.
Measured (scale 10, 10M events): finding the minutes of the rows above a mark costs 2-9 ms, where comparing
per-minute counts of the whole table costs 420 ms (and date_trunc on TIMESTAMPTZ 7 s, so minutes are found
by epoch arithmetic).
"""

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import ibis
import ibis.expr.types as ir

from warroom.errors import UserError
from warroom.metrics import expr as ex
from warroom.metrics.cache import Compiled
from warroom.metrics.catalog import Catalog
from warroom.metrics.compile import bound_values, compile_query, distinct_values
from warroom.metrics.query import MetricQuery
from warroom.schema import TABLES
from warroom.warehouse import Warehouse

STATE_TABLE = "rollup_state"
LAYOUT = 2  # what a rollup stores beside its table; a change rebuilds every rollup (2: distinct values kept)


@dataclass(frozen=True)
class Rollup:
    """Simple metrics of one table and time per minute, by `dims`."""

    name: str
    metrics: tuple[str, ...]
    dims: tuple[str, ...]
    table: str = ""  # filled by declared(): the metrics' table
    time: str = ""  # and their time expression's text

    @property
    def table_name(self) -> str:
        return f"rollup_{self.name}"

    def source_query(self, time_from: datetime | None = None, time_to: datetime | None = None) -> MetricQuery:
        return MetricQuery(
            metrics=list(self.metrics), dimensions=list(self.dims), grain="minute",
            time_from=time_from, time_to=time_to,
        )  # fmt: skip

    def ibis_table(self, catalog: Catalog) -> ir.Table:
        return ibis.table(_schema(catalog, self), name=self.table_name)

    def signature(self) -> str:
        key = (self.metrics, self.dims, self.table, self.time, LAYOUT)
        return hashlib.sha256(repr(key).encode()).hexdigest()[:16]

    def seen_table(self, metric: str) -> str:
        """Where an addable rollup keeps the distinct values a count_distinct metric has counted."""
        return f"{self.table_name}__{metric}"


# The hot metrics of the team boards. One dimension per rollup: at scale 10 a minute holds ~210 events, so
# a rollup by channel x category x device x province would have about as many rows as the events themselves.
# Distinct counts and percentiles sit in the rollups by no dimension / by service, where "per minute by
# exactly these dimensions" is a question the boards ask (UV per minute, p99 per service per minute).
_FUNNEL = ("pv", "cart_adds", "favorites", "order_events")
_SALES = ("gmv_paid", "paid_list_value", "units", "gmv_with_promo", "cogs")
_PAYMENTS = ("payment_attempts", "payment_successes", "payment_failures", "payments_received")
_REQUESTS = (
    "requests",
    "requests_4xx",
    "requests_5xx",
    "apdex_satisfied",
    "apdex_tolerating",
    "sampled_requests",
)
ROLLUPS = (
    Rollup("events", (*_FUNNEL, "uv", "sessions", "viewers", "cart_users", "order_users", "paying_buyers"), ()),
    Rollup("events_by_channel", _FUNNEL, ("channel",)),
    Rollup("events_by_category", _FUNNEL, ("category_l1",)),
    Rollup("events_by_device", _FUNNEL, ("device",)),
    Rollup("sales", (*_SALES, "orders", "buyers"), ()),
    Rollup("sales_by_channel", _SALES, ("channel",)),
    Rollup("sales_by_category", _SALES, ("category_l1",)),
    Rollup("sales_by_province", _SALES, ("province",)),
    Rollup("payments", _PAYMENTS, ("payment_method", "failure_code")),
    Rollup("requests_by_service", (*_REQUESTS, "latency_p50", "latency_p95", "latency_p99"), ("service",)),
    Rollup("requests_by_endpoint", _REQUESTS, ("service", "endpoint")),
)  # fmt: skip


def declared(catalog: Catalog) -> tuple[Rollup, ...]:
    """ROLLUPS checked against the catalog, each with its table and time filled in."""
    out = []
    for r in ROLLUPS:
        leaves = [catalog.metrics.get(m) for m in r.metrics]
        if any(leaf is None or leaf.type != "simple" for leaf in leaves):
            raise UserError(
                f"rollup {r.name}: every metric must be a simple metric of the catalog ({r.metrics})"
            )
        places = {(leaf.table, leaf.text["time"]) for leaf in leaves}  # type: ignore[union-attr]
        if len(places) != 1:
            raise UserError(
                f"rollup {r.name}: its metrics must share one table and time, not {sorted(places)}"
            )
        table, time = places.pop()
        out.append(Rollup(r.name, r.metrics, r.dims, table, time))  # type: ignore[arg-type]
    return tuple(out)


_SCHEMAS: dict[tuple[int, Rollup], ibis.Schema] = {}
_COMPILED: dict[tuple[int, Rollup, bool], Compiled] = {}


def _schema(catalog: Catalog, rollup: Rollup) -> ibis.Schema:
    key = (id(catalog), rollup)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = compile_query(catalog, rollup.source_query(), None, ZoneInfo("UTC")).schema()
    return _SCHEMAS[key]


def _compiled(catalog: Catalog, rollup: Rollup, ranged: bool) -> Compiled:
    """The rollup's rows from raw data, all time (ranged=False) or for [$from, $to); compiled once."""
    key = (id(catalog), rollup, ranged)
    if key not in _COMPILED:
        query = rollup.source_query(*((_EPOCH, _EPOCH + timedelta(minutes=1)) if ranged else (None, None)))
        expr = compile_query(catalog, query, None, ZoneInfo("UTC"), as_slots=True)
        _COMPILED[key] = Compiled.of(expr)
    return _COMPILED[key]


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sources:
    """The tables a rollup reads: its own, facts joined in one hop (with the join columns), dimensions."""

    table: str
    time_sql: str  # the time expression over aliases b (the table) and h0, h1... (the joined facts)
    facts: tuple[tuple[str, tuple[str, ...]], ...]
    dimensions: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return (self.table, *(f for f, _ in self.facts), *self.dimensions)


def sources(catalog: Catalog, rollup: Rollup) -> Sources:
    trees = [catalog.dimensions[d].on[rollup.table] for d in rollup.dims]
    for m in rollup.metrics:
        leaf = catalog.metrics[m]
        trees += [t for t in (leaf.expr, leaf.filter, leaf.time) if t is not None]
    reached = {name[:-1] for tree in trees for name in ex.names(tree) if len(name) > 1}
    tables = {hop[-1] for hop in reached}
    facts = sorted(t for t in tables if TABLES[t].kind == "fact")
    time_path = ex.names(catalog.metrics[rollup.metrics[0]].time)[0]  # type: ignore[arg-type]
    if any(len(hop) > 1 for hop in reached if hop[-1] in facts) or len(time_path) > 2:
        raise UserError(f"rollup {rollup.name}: only facts joined in one hop are tracked")
    joined = tuple((f, tuple(catalog.joins[(rollup.table, f)].on)) for f in facts)
    alias = "b" if len(time_path) == 1 else f"h{facts.index(time_path[0])}"
    return Sources(rollup.table, f"{alias}.{time_path[-1]}", joined, tuple(sorted(tables - set(facts))))


class Maintainer:
    """Keeps a warehouse's rollups current; `current(tables)` says which may answer now (refreshing the stale
    ones first). One per warehouse (for_warehouse); refreshes are serialised by the warehouse's rollup lock."""

    def __init__(self, warehouse: Warehouse, catalog: Catalog) -> None:
        self.warehouse = warehouse
        self.catalog = catalog
        self.rollups = declared(catalog)
        self.sources = {r: sources(catalog, r) for r in self.rollups}
        self.writable = True
        self._state: dict[str, dict] | None = None  # rollup_state as last read or written here

    def current(self, tables: set[str]) -> tuple[Rollup, ...]:
        """The rollups over `tables` that hold every row now in the warehouse (after refreshing if needed)."""
        wanted = [r for r in self.rollups if r.table in tables]
        if not wanted:
            return ()
        cursor = self.warehouse.cursor()
        try:
            if self._state is None:
                self._state = _read_state(cursor)
            stale = _stale(cursor, wanted, self.sources, self._state)
            if stale and self.writable:
                try:
                    with self.warehouse.rollup_lock:
                        for r in stale:
                            refresh(self.warehouse, self.catalog, r, self.sources[r])
                    stale = []
                except duckdb.Error as exc:  # a read-only warehouse (CLI query) answers from raw tables
                    if "read-only" not in str(exc).lower():
                        raise
                    self.writable = False
                self._state = _read_state(cursor)
            return tuple(r for r in wanted if r not in stale)
        finally:
            cursor.close()

    def backlog(self) -> dict[str, int]:
        """Per rollup, the source rows added since its last refresh (0: current). Rollups refresh when a
        query reads them, so this is the work the next live read will do: Warroom's own "rollup lag"."""
        cursor = self.warehouse.cursor()
        try:
            state = _read_state(cursor)
            tables = sorted({t for r in self.rollups for t in self.sources[r].all})
            tops = _marks(cursor, tuple(tables))
        finally:
            cursor.close()
        out = {}
        for r in self.rollups:
            marks = state.get(r.name, {}).get("marks", {})
            out[r.name] = sum(max(0, tops[t] - marks.get(t, -1)) for t in self.sources[r].all)
        return out

    def refresh_all(self) -> None:
        with self.warehouse.rollup_lock:
            for r in self.rollups:
                refresh(self.warehouse, self.catalog, r, self.sources[r])


_MAINTAINERS: dict[tuple[int, int], Maintainer] = {}
_MAINTAINERS_LOCK = threading.Lock()


def for_warehouse(warehouse: Warehouse, catalog: Catalog) -> Maintainer:
    key = (id(warehouse), id(catalog))
    with _MAINTAINERS_LOCK:
        if key not in _MAINTAINERS:
            _MAINTAINERS[key] = Maintainer(warehouse, catalog)
        return _MAINTAINERS[key]


def _read_state(cursor) -> dict[str, dict]:
    found = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'", [STATE_TABLE]
    ).fetchone()[0]
    if not found:
        return {}
    rows = cursor.execute(f"SELECT name, signature, marks FROM {STATE_TABLE}").fetchall()
    return {name: {"signature": sig, "marks": json.loads(marks)} for name, sig, marks in rows}


def _stale(cursor, wanted: list[Rollup], srcs: dict[Rollup, Sources], state: dict[str, dict]) -> list[Rollup]:
    """The rollups with rows above a mark: one round trip probing each table above its lowest mark (rowid
    filters are pushed into the scan, ~2 ms at 10M rows), then per rollup only if something is new."""
    stale = [r for r in wanted if r.name not in state or state[r.name]["signature"] != r.signature()]
    fresh = [r for r in wanted if r not in stale]
    lowest: dict[str, int] = {}
    for r in fresh:
        for t in srcs[r].all:
            lowest[t] = min(lowest.get(t, state[r.name]["marks"][t]), state[r.name]["marks"][t])
    if not lowest:
        return stale
    probe = ", ".join(f"(SELECT max(rowid) FROM {t} WHERE rowid > ?)" for t in lowest)
    tops = dict(zip(lowest, cursor.execute(f"SELECT {probe}", list(lowest.values())).fetchone(), strict=True))
    return stale + [
        r for r in fresh
        if any(tops[t] is not None and tops[t] > state[r.name]["marks"][t] for t in srcs[r].all)
    ]  # fmt: skip


def _marks(cursor, tables: tuple[str, ...]) -> dict[str, int]:
    return {t: cursor.execute(f"SELECT coalesce(max(rowid), -1) FROM {t}").fetchone()[0] for t in tables}


def refresh(warehouse: Warehouse, catalog: Catalog, rollup: Rollup, src: Sources | None = None) -> int:
    """Bring one rollup up to date; returns the minutes refreshed (-1: rebuilt whole). Call under the
    warehouse's rollup lock."""
    src = src or sources(catalog, rollup)
    cursor = warehouse.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name TEXT PRIMARY KEY, signature TEXT, marks TEXT)"
    )
    # One transaction: the marks and the aggregation see the same snapshot, and a reader sees the rollup
    # either before or after the refresh.
    cursor.execute("BEGIN TRANSACTION")
    try:
        state = _read_state(cursor).get(rollup.name)
        marks = _marks(cursor, src.all)
        rebuild = (
            state is None or state["signature"] != rollup.signature()
            or any(marks[t] != state["marks"].get(t) for t in src.dimensions)
            or any(marks[t] < state["marks"].get(t, -1) for t in src.all)
        )  # fmt: skip
        if rebuild:
            cursor.execute(
                f"CREATE OR REPLACE TABLE {rollup.table_name} AS {_compiled(catalog, rollup, False).sql}"
            )
            if _addable(catalog, rollup, src):
                for m in _distinct(catalog, rollup):
                    cursor.execute(
                        f"CREATE OR REPLACE TABLE {rollup.seen_table(m)} AS {_values_sql(catalog, rollup, m)}"
                    )
            done = -1
        elif _addable(catalog, rollup, src):
            done = _add_new_rows(cursor, catalog, rollup, state["marks"][src.table])  # type: ignore[index]
        else:
            minutes = _touched(cursor, src, state["marks"])  # type: ignore[index]
            ranged = _compiled(catalog, rollup, True)
            for start, end in _runs(minutes):
                values = bound_values(rollup.source_query(start, end), ZoneInfo("UTC"))
                params = {k: values[k] for k in ranged.params}
                cursor.execute(f"DELETE FROM {rollup.table_name} WHERE time >= ? AND time < ?", [start, end])
                cursor.execute(f"INSERT INTO {rollup.table_name} {ranged.sql}", params)
            done = len(minutes)
        cursor.execute(
            f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?)",
            [rollup.name, rollup.signature(), json.dumps(marks)],
        )
        cursor.execute("COMMIT")
        return done
    except Exception:
        cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()


def _addable(catalog: Catalog, rollup: Rollup, src: Sources) -> bool:
    """Whether new rows can be added to the rollup rather than their minutes re-aggregated: every metric an
    integer or decimal count or sum (exact in any order; a float sum would differ in its last bits from the
    raw tables' answer) or a distinct count (its values kept, see _add_new_rows), over a table that only ever
    appends (a key that upserts replaces rows below the mark) and reaches no other fact, timed by a required
    column (no NULL minute)."""
    spec = TABLES[rollup.table]
    if src.facts or spec.upsert or not spec.column(src.time_sql.rpartition(".")[2]).required:
        return False
    types = _schema(catalog, rollup)
    return all(
        catalog.metrics[m].agg == "count_distinct"
        or (catalog.metrics[m].agg in ("count", "sum") and (types[m].is_integer() or types[m].is_decimal()))
        for m in rollup.metrics
    )


def _distinct(catalog: Catalog, rollup: Rollup) -> list[str]:
    return [m for m in rollup.metrics if catalog.metrics[m].agg == "count_distinct"]


_VALUES: dict[tuple[int, Rollup, str], str] = {}


def _values_sql(catalog: Catalog, rollup: Rollup, metric: str) -> str:
    key = (id(catalog), rollup, metric)
    if key not in _VALUES:
        _VALUES[key] = Compiled.of(distinct_values(catalog, rollup.table, rollup.dims, metric)).sql
    return _VALUES[key]


def _add_new_rows(cursor, catalog: Catalog, rollup: Rollup, mark: int) -> int:
    """Aggregate only the rows above the mark and add them into their minutes; returns the minutes.

    The rollup's own SQL runs over the new rows by shadowing the table's name with a CTE of them (the rowid
    filter is pushed into the scan), so the delta is defined exactly as the rollup is. A refresh then costs
    what arrived since the last one, not what its minutes hold: at 500k events/s a minute holds 30M rows,
    and re-aggregating it on every live read would never catch up."""
    table, target = rollup.table, rollup.table_name
    new_rows = f'WITH "{table}" AS NOT MATERIALIZED (SELECT * FROM main."{table}" WHERE rowid > {int(mark)})'
    distinct = _distinct(catalog, rollup)
    # The new rows' distinct counts are not what a minute grows by (_count_unseen is): leave them out of the
    # aggregate, where they cost 150-200 ms of 500k new events against 9 ms for the counts (/tmp probe).
    counts = [m for m in rollup.metrics if m not in distinct]
    delta = Rollup(rollup.name, tuple(counts), rollup.dims, rollup.table, rollup.time) if counts else rollup
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE _rollup_new AS {new_rows} SELECT * FROM ({_compiled(catalog, delta, False).sql})"
    )
    for m in distinct:
        _count_unseen(cursor, catalog, rollup, m, new_rows)
    keys = ", ".join(f'"{k}"' for k in ("time", *rollup.dims))
    sums = ", ".join(f'sum("{m}") AS "{m}"' for m in rollup.metrics)
    columns = ", ".join(f'"{c}"' for c in _schema(catalog, rollup).names)
    minutes = "SELECT DISTINCT time FROM _rollup_new"
    cursor.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rollup_sum AS SELECT {keys}, {sums} FROM (
              SELECT {columns} FROM {target} WHERE time IN ({minutes})
              UNION ALL SELECT {columns} FROM _rollup_new) GROUP BY ALL"""
    )
    cursor.execute(f"DELETE FROM {target} WHERE time IN ({minutes})")
    cursor.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM _rollup_sum")
    (done,) = cursor.execute(f"SELECT count(*) FROM ({minutes})").fetchone()
    cursor.execute("DROP TABLE _rollup_new; DROP TABLE _rollup_sum")
    return done


def _count_unseen(cursor, catalog: Catalog, rollup: Rollup, metric: str, new_rows: str) -> None:
    """Give _rollup_new a `metric` column counting only the values its minute had not seen, and keep them.

    A distinct count cannot be added up, but the values behind it can: the new rows' distinct (minute, dims,
    value) less those the rollup's seen-table holds are exactly what each minute's count grows by. The
    anti join reads only the touched minutes of the seen-table (constant bounds: its row groups are skipped
    by their min/max), so a refresh costs the new rows and those minutes' values, not the minutes' rows."""
    seen, keys = rollup.seen_table(metric), ("time", *rollup.dims)
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE _seen_new AS {new_rows} SELECT * FROM ({_values_sql(catalog, rollup, metric)})"
    )
    lo, hi = cursor.execute("SELECT min(time), max(time) FROM _seen_new").fetchone()
    same = " AND ".join(f'n."{k}" IS NOT DISTINCT FROM s."{k}"' for k in (*keys, "value"))
    cursor.execute(
        f"""CREATE OR REPLACE TEMP TABLE _seen_fresh AS SELECT n.* FROM _seen_new n
            ANTI JOIN (SELECT * FROM {seen} WHERE time BETWEEN ? AND ?) s ON {same}""",
        [lo, hi],
    )
    cursor.execute(f"INSERT INTO {seen} SELECT * FROM _seen_fresh")
    match = " AND ".join(f'r."{k}" IS NOT DISTINCT FROM c."{k}"' for k in keys)
    listed = ", ".join(f'"{k}"' for k in keys)
    cursor.execute(f'ALTER TABLE _rollup_new ADD COLUMN IF NOT EXISTS "{metric}" BIGINT')
    cursor.execute(f'UPDATE _rollup_new SET "{metric}" = 0')
    cursor.execute(
        f"""UPDATE _rollup_new r SET "{metric}" = c.n
            FROM (SELECT {listed}, count(*) AS n FROM _seen_fresh GROUP BY ALL) c WHERE {match}"""
    )
    cursor.execute("DROP TABLE _seen_new; DROP TABLE _seen_fresh")


def _touched(cursor, src: Sources, marks: dict[str, int]) -> list[datetime]:
    """The minutes holding a row above a mark: new rows of the table, and rows whose joined fact is new."""
    joins = " ".join(
        f"LEFT JOIN {f} h{i} ON " + " AND ".join(f"b.{k} = h{i}.{k}" for k in keys)
        for i, (f, keys) in enumerate(src.facts)
    )
    parts = [f"b.rowid > {int(marks[src.table])}"]
    parts += [f"h{i}.rowid > {int(marks[f])}" for i, (f, _) in enumerate(src.facts)]
    # One SELECT per mark (an OR across the join defeats the rowid pushdown: 224 ms vs a few ms).
    selects = [
        f"SELECT DISTINCT epoch_us({src.time_sql}) // 60000000 AS m FROM {src.table} b {joins} "
        f"WHERE {p} AND {src.time_sql} IS NOT NULL"
        for p in parts
    ]
    rows = cursor.execute(" UNION ".join(selects) + " ORDER BY m").fetchall()
    return [datetime.fromtimestamp(m * 60, UTC) for (m,) in rows]


def _runs(minutes: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted minutes as contiguous [start, end) ranges."""
    out: list[tuple[datetime, datetime]] = []
    step = timedelta(minutes=1)
    for m in minutes:
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0], m + step)
        else:
            out.append((m, m + step))
    return out
