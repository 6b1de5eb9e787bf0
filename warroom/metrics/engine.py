"""Running metric queries and dataset queries on the warehouse: the I/O edge of the metric layer.

Each call compiles its Ibis expression to DuckDB SQL and runs it on its own cursor of the warehouse (DuckDB
connections are per thread); the SQL is returned with the rows for "show me the SQL".
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from warroom.config import get_settings
from warroom.errors import UserError
from warroom.metrics import access, view
from warroom.metrics import expr as ex
from warroom.metrics.access import Forbidden, Principal
from warroom.metrics.catalog import Catalog, load_catalog
from warroom.metrics.compile import compile_query
from warroom.metrics.query import Filter, MetricQuery
from warroom.schema import TABLES
from warroom.warehouse import Warehouse

# Columns only a principal allowed 'finance' metrics may read row by row (unit costs reveal margins).
FINANCE_COLUMNS = {"products.unit_cost", "order_items.unit_cost"}
MAX_DATASET_ROWS = 1_000_000


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    kind: str  # time | dimension | metric | compare | change | column
    label_zh: str
    label_en: str
    unit: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class QueryResult:
    rows: pa.Table
    columns: list[ColumnMeta]
    sql: str


def _execute(warehouse: Warehouse, sql: str) -> pa.Table:
    cursor = warehouse.cursor()
    try:
        # Buckets truncate and epochs cast TIMESTAMPTZ in the session zone: UTC, as Ibis assumes. SET here
        # is per cursor (session), so no other reader or writer of the warehouse is affected.
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor.sql(sql).to_arrow_table()
    finally:
        cursor.close()


def run_query(
    warehouse: Warehouse,
    query: MetricQuery,
    principal: Principal | None = None,
    *,
    catalog: Catalog | None = None,
    tz: ZoneInfo | None = None,
) -> QueryResult:
    """Answer a metric query under the principal's policy (None: internal, unrestricted).

    Raises UserError for a bad query and Forbidden (403) for what the principal may not see, before any
    data is read."""
    catalog = catalog or load_catalog()
    tz = tz or get_settings().tz
    sql = _compiled_sql(catalog, query, principal, tz)
    return QueryResult(_execute(warehouse, sql), _columns(catalog, query), sql)


# Measured (bench/metrics.py, empty warehouse, channel x hour query): building the Ibis expression takes
# ~20 ms and rendering its SQL ~24 ms, far above the 1-3 ms DESIGN.md assumed; so the SQL of a query already
# seen is reused (many screens and alert rules ask the same question), and it runs as compiled instead of
# letting Ibis compile it a second time. The key holds everything the SQL depends on.
_SQL_CACHE: OrderedDict[tuple, str] = OrderedDict()
_SQL_CACHE_SIZE = 512
_SQL_CACHE_LOCK = threading.Lock()


def _compiled_sql(catalog: Catalog, query: MetricQuery, principal: Principal | None, tz: ZoneInfo) -> str:
    key = (id(catalog), query.model_dump_json(), repr(principal), tz.key)
    with _SQL_CACHE_LOCK:
        sql = _SQL_CACHE.get(key)
        if sql is not None:
            _SQL_CACHE.move_to_end(key)
            return sql
    sql = str(ibis.to_sql(compile_query(catalog, query, principal, tz), dialect="duckdb"))
    with _SQL_CACHE_LOCK:
        _SQL_CACHE[key] = sql
        if len(_SQL_CACHE) > _SQL_CACHE_SIZE:
            _SQL_CACHE.popitem(last=False)
    return sql


def _columns(catalog: Catalog, query: MetricQuery) -> list[ColumnMeta]:
    out = [ColumnMeta("time", "time", "时间", "Time")] if query.grain else []
    for d in query.dimensions:
        dim = catalog.dimension(d)
        out.append(ColumnMeta(d, "dimension", dim.label_zh, dim.label_en))  # type: ignore[union-attr]
    for name in query.metrics:
        m = catalog.metrics[name]
        out.append(ColumnMeta(name, "metric", m.label_zh, m.label_en, m.unit, m.format))
    for name in query.metrics if query.compare else []:
        m = catalog.metrics[name]
        out.append(
            ColumnMeta(
                f"{name}_compare",
                "compare",
                f"{m.label_zh}(对比)",
                f"{m.label_en} (compare)",
                m.unit,
                m.format,
            )
        )
        out.append(
            ColumnMeta(
                f"{name}_change", "change", f"{m.label_zh}变化", f"{m.label_en} change", "ratio", "percent"
            )
        )
    return out


def dataset(
    warehouse: Warehouse,
    table: str,
    columns: list[str],
    filters: list[Filter],
    principal: Principal | None,
    limit: int | None = None,
    *,
    catalog: Catalog | None = None,
) -> pa.Table:
    """Rows of a canonical table with the asked columns: its own columns, dimensions (channel_group), or
    columns reached through joins (customers.phone). Filters name dimensions or the table's own columns.
    The principal's row filters apply, PII columns come back masked (138****1234), finance columns need
    the finance sensitivity."""
    catalog = catalog or load_catalog()
    if table not in TABLES:
        raise UserError(f"unknown table {table!r}; the tables are {', '.join(TABLES)}")
    if not columns:
        raise UserError(f"dataset of {table}: name at least one column")
    if limit is not None and not 1 <= limit <= MAX_DATASET_ROWS:
        raise UserError(f"dataset limit {limit} must be between 1 and {MAX_DATASET_ROWS}")
    rows = access.row_filters(catalog, principal, [table], f"dataset {table}")
    trees = {name: _column_tree(catalog, table, name) for name in columns}
    for f in [*filters, *rows]:
        trees.setdefault(f"__filter_{f.dimension}", _column_tree(catalog, table, f.dimension))
    t = view.joined(catalog, table, list(trees.values()))
    conditions = [
        view.predicate(
            view.compile_expr(catalog, t, trees[f"__filter_{f.dimension}"]), f, f"filter on {f.dimension}"
        )
        for f in [*filters, *rows]
    ]
    if conditions:
        t = t.filter(*conditions)
    out = {name: _guarded(catalog, t, table, name, trees[name], principal) for name in columns}
    expr = t.select(**out)
    return _execute(warehouse, str(ibis.to_sql(expr.limit(limit) if limit else expr, dialect="duckdb")))


def _column_tree(catalog: Catalog, table: str, name: str):
    """A dataset column name as an expression: a dimension, a column, or a join path."""
    dim = catalog.dimension(name)
    if dim is not None:
        if table not in dim.on:
            raise UserError(
                f"dimension {name!r} does not apply to table {table}; it is defined for {', '.join(sorted(dim.on))}"
            )
        return dim.on[table]
    try:
        tree = ex.parse(name)
        path = ex.names(tree)
    except ex.ExprError:
        path = []
    if len(path) != 1 or ex.ast.unparse(tree) != name:
        raise UserError(
            f"dataset column {name!r} is not a column, a dimension or a join path like customers.phone"
        )
    current = table
    for hop in path[0][:-1]:
        if (current, hop) not in catalog.joins:
            raise UserError(f"dataset column {name!r}: no join from {current} to {hop}")
        current = hop
    if not TABLES[current].has(path[0][-1]):
        raise UserError(f"dataset column {name!r}: table {current} has no column {path[0][-1]!r}")
    return tree


def _source(table: str, name: str) -> tuple[str, str]:
    """(table, column) a plain column or join path reads: customers.phone -> (customers, phone)."""
    parts = name.split(".")
    return (parts[-2] if len(parts) > 1 else table), parts[-1]


def _guarded(
    catalog: Catalog, t: ir.Table, table: str, name: str, tree, principal: Principal | None
) -> ir.Value:
    value = view.compile_expr(catalog, t, tree)
    if principal is None or catalog.dimension(name) is not None:
        return value
    source = _source(table, name)
    if ".".join(source) in FINANCE_COLUMNS and "finance" not in principal.allowed_sensitivities:
        raise Forbidden(f"{principal.name!r} may not read {'.'.join(source)} (finance-sensitive)")
    if principal.masks(*source):
        return mask(value)
    return value


def mask(value: ir.StringValue) -> ir.StringValue:
    """138****1234 for a phone; first character and *** for shorter text; null stays null."""
    text = value.cast("string")
    n = text.length()
    return ibis.cases(
        (n >= 8, text.substr(0, 3) + "****" + text.right(4)),
        (n >= 1, text.substr(0, 1) + "***"),
        else_=text,
    )
