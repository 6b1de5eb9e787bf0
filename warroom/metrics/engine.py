"""Running metric queries and dataset queries on the warehouse: the I/O edge of the metric layer.

Each call compiles its Ibis expression to SQL in the dialect of the engine WARROOM_ENGINE names (DuckDB on the
warehouse, or Spark on its Parquet export: warroom/metrics/backends.py) and runs it there; the SQL is returned
with the rows for "show me the SQL".
"""

import ast
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from warroom.config import get_settings
from warroom.errors import UserError
from warroom.metrics import access, rollups, view
from warroom.metrics import expr as ex
from warroom.metrics.access import Forbidden, Principal
from warroom.metrics.backends import Backend, DuckDBBackend, backend_for
from warroom.metrics.cache import Compiled, ShapeCache, bind_literals, portable
from warroom.metrics.catalog import Catalog, load_catalog
from warroom.metrics.compile import Values, _offset, bound_values, compile_query
from warroom.metrics.query import Filter, MetricQuery, validate_query
from warroom.schema import TABLES
from warroom.warehouse import Warehouse

# Columns only a principal allowed 'finance' metrics may read row by row (unit costs reveal margins).
FINANCE_COLUMNS = {"products.unit_cost", "order_items.unit_cost", "landed_prices.unit_cost"}
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


def _backend(warehouse: Warehouse | Backend) -> Backend:
    """The engine a query runs on: a Backend passed in (the Spark parity suite passes its own), else the one
    WARROOM_ENGINE names over this warehouse."""
    if isinstance(warehouse, Backend):
        return warehouse
    return backend_for(warehouse, get_settings())


def run_query(
    warehouse: Warehouse | Backend,
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
    backend = _backend(warehouse)
    rows, sql = _answer(backend, catalog, query, principal, tz)
    return QueryResult(rows, _columns(catalog, query), sql)


# Measured: building a query's Ibis expression and rendering its SQL takes 28-66 ms. A query's values are
# bound as parameters (warroom/metrics/cache.py), so the SQL is compiled once per SHAPE and every later query
# of that shape (a board refreshing with time_to = now) only binds its values.
_SHAPES = ShapeCache()


def _answer(
    backend: Backend, catalog: Catalog, query: MetricQuery, principal: Principal | None, tz: ZoneInfo
) -> tuple[pa.Table, str]:
    """The query's rows and the SQL that gave them (with its parameters' values as a trailing comment)."""
    validate_query(query, catalog)  # the values are checked on every call, cached shape or not
    current: tuple[rollups.Rollup, ...] = ()
    if backend.rollups and isinstance(backend, DuckDBBackend):
        tables = {leaf.table for m in query.metrics for leaf, _ in catalog.leaves(m)}
        current = rollups.for_warehouse(backend.warehouse, catalog).current(tables)
    key = (
        id(catalog), _shape(query), repr(principal), tz.key, _offset(tz, query.time_from, query.time_to),
        tuple(r.name for r in current),
    )  # fmt: skip
    compiled = _SHAPES.get_or_compile(
        key, lambda: compile_query(catalog, query, principal, tz, as_slots=True, rollups=current)
    )
    values = compiled.values(bound_values(query, tz), lambda k, v, t: _coerce(query.filters, k, v, t))
    return _execute(backend, compiled, values)


def _execute(backend: Backend, compiled: Compiled, values: dict) -> tuple[pa.Table, str]:
    """Run a compiled shape with its values bound; the rows and the SQL (parameters as a trailing comment)."""
    if isinstance(backend, DuckDBBackend):
        rows = backend.warehouse.read(compiled.sql, values)
        shown = ", ".join(f"${k} = {_shown(v)}" for k, v in sorted(values.items()))
        return rows, compiled.sql + (f"\n-- parameters: {shown}" if values else "")
    # Engines without named parameters (Spark) get the cached expression with the values as literals.
    sql = str(ibis.to_sql(portable(bind_literals(compiled.expr, values)), dialect=backend.dialect))
    return backend.execute(sql), sql


def _shown(value: object) -> str:
    """A parameter's value as SQL text reads it, for "show me the SQL" (never executed)."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _shape(query: MetricQuery) -> str:
    """The query without its values: what its compiled SQL depends on."""
    shape = query.model_dump(mode="json", exclude={"filters", "time_from", "time_to", "baseline_date"})
    shape["filters"] = _filter_shapes(query.filters)
    shape["range"] = (query.time_from is not None, query.time_to is not None)
    return repr(shape)


def _filter_shapes(filters: list[Filter]) -> list[tuple]:
    return [(f.dimension, f.op, len(f.value) if isinstance(f.value, list) else None) for f in filters]


_FILTER_KEY = re.compile(r"f(\d+)(?:_\d+)?")  # compile.bound_values' keys of filter values


def _coerce(filters: list[Filter], key: str, value: object, dtype: dt.DataType) -> object:
    """A filter value as its column's type (UserError naming the filter); window values pass as computed."""
    found = _FILTER_KEY.fullmatch(key)
    if found is None:
        return value
    f = filters[int(found[1])]
    return view.coerce(value, ibis.literal(None, type=dtype.copy(nullable=True)), f"filter on {f.dimension}")


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


# A dataset's SQL is cached per shape too (table, columns, filters without their values, principal, limit):
# an analysis asking for one customer's purchases after another binds a new customer_id, nothing more.
_DATASETS = ShapeCache()


def dataset(
    warehouse: Warehouse | Backend,
    table: str,
    columns: list[str],
    filters: list[Filter],
    principal: Principal | None,
    limit: int | None = None,
    *,
    catalog: Catalog | None = None,
) -> pa.Table:
    """Rows of a canonical table with the asked columns: its own columns, dimensions (channel_group), or
    columns reached through joins (customers.phone). Filters name dimensions or the table's own columns (not
    finance or masked ones: a filter tells a column's values by the rows it returns).
    The principal's row filters apply, PII columns come back masked (138****1234), finance columns need
    the finance sensitivity. Filter values are bound as parameters, so the SQL is compiled once per shape."""
    catalog = catalog or load_catalog()
    if table not in TABLES:
        raise UserError(f"unknown table {table!r}; the tables are {', '.join(TABLES)}")
    if not columns:
        raise UserError(f"dataset of {table}: name at least one column")
    if limit is not None and not 1 <= limit <= MAX_DATASET_ROWS:
        raise UserError(f"dataset limit {limit} must be between 1 and {MAX_DATASET_ROWS}")
    every = [*filters, *access.row_filters(catalog, principal, [table], f"dataset {table}")]
    key = (id(catalog), table, tuple(columns), repr(_filter_shapes(every)), repr(principal), limit)
    compiled = _DATASETS.get_or_compile(
        key, lambda: _dataset_expr(catalog, table, columns, every, principal, limit)
    )
    bound: dict[str, object] = {}
    for i, f in enumerate(every):
        if isinstance(f.value, list):
            bound.update({f"f{i}_{j}": v for j, v in enumerate(f.value)})
        else:
            bound[f"f{i}"] = f.value
    values = compiled.values(bound, lambda k, v, t: _coerce(every, k, v, t))
    return _execute(_backend(warehouse), compiled, values)[0]


def _dataset_expr(
    catalog: Catalog,
    table: str,
    columns: list[str],
    filters: list[Filter],
    principal: Principal | None,
    limit: int | None,
) -> ir.Table:
    """The dataset's expression, each filter value a slot f<i> (f<i>_<j> for a list) bound when it runs."""
    resolved = {name: _column_tree(catalog, table, name) for name in columns}
    trees = {name: tree for name, (tree, _) in resolved.items()}
    for f in filters:
        trees.setdefault(f"__filter_{f.dimension}", _column_tree(catalog, table, f.dimension)[0])
    t = view.joined(catalog, table, list(trees.values()))
    slots = Values({}, as_slots=True)
    conditions = [
        slots.predicate(
            view.compile_expr(catalog, t, trees[f"__filter_{f.dimension}"]),
            f,
            f"f{i}",
            f"filter on {f.dimension}",
        )
        for i, f in enumerate(filters)
    ]
    if conditions:
        t = t.filter(*conditions)
    for f in filters:
        _check_filter(catalog, table, f.dimension, principal)
    out = {
        name: _guarded(catalog, t, table, name, tree, principal, is_dimension)
        for name, (tree, is_dimension) in resolved.items()
    }
    expr = t.select(**out)
    return expr.limit(limit) if limit else expr


def _column_tree(catalog: Catalog, table: str, name: str) -> tuple[ast.expr, bool]:
    """A dataset column name as (expression, is a dimension): a dimension that applies to the table, else a
    column of the table itself or a join path. A table's own column wins over a dimension that does not
    apply to it: promotions.promo_id, not the promo dimension (alias promo_id) of the order lines."""
    dim = catalog.dimension(name)
    if dim is not None and table in dim.on:
        return dim.on[table], True
    if dim is not None and not TABLES[table].has(name):
        raise UserError(
            f"dimension {name!r} does not apply to table {table}; it is defined for {', '.join(sorted(dim.on))}"
        )
    try:
        tree = ex.parse(name)
        path = ex.names(tree)
    except ex.ExprError:
        path = []
    # A plain column or join path only: an expression over one (`unit_cost + 0`, `phone + ''`) would read
    # the column without being recognised as it by the finance and PII guards below.
    if len(path) != 1 or not isinstance(tree, ex.ast.Name | ex.ast.Attribute) or ex.ast.unparse(tree) != name:
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
    return tree, False


def _source(table: str, name: str) -> tuple[str, str]:
    """(table, column) a plain column or join path reads: customers.phone -> (customers, phone)."""
    parts = name.split(".")
    return (parts[-2] if len(parts) > 1 else table), parts[-1]


def _guarded(
    catalog: Catalog,
    t: ir.Table,
    table: str,
    name: str,
    tree: ast.expr,
    principal: Principal | None,
    is_dimension: bool,
) -> ir.Value:
    value = view.compile_expr(catalog, t, tree)
    if principal is None or is_dimension:
        return value
    source = _source(table, name)
    if ".".join(source) in FINANCE_COLUMNS and "finance" not in principal.allowed_sensitivities:
        raise Forbidden(f"{principal.name!r} may not read {'.'.join(source)} (finance-sensitive)")
    if principal.masks(*source):
        return mask(value)
    return value


def _check_filter(catalog: Catalog, table: str, name: str, principal: Principal | None) -> None:
    """Forbidden for a filter on a column the principal may not read in clear: a filter is an oracle
    (`unit_cost:>:50`, `customers.phone:=:138...` tell a column's values by which rows come back)."""
    if principal is None or _column_tree(catalog, table, name)[1]:
        return  # a dimension: the catalog's own access rules apply to it
    source = _source(table, name)
    if ".".join(source) in FINANCE_COLUMNS and "finance" not in principal.allowed_sensitivities:
        raise Forbidden(f"{principal.name!r} may not filter on {'.'.join(source)} (finance-sensitive)")
    if principal.masks(*source):
        raise Forbidden(
            f"{principal.name!r} may not filter on {'.'.join(source)}: it is masked for them (PII)"
        )


def mask(value: ir.StringValue) -> ir.StringValue:
    """138****1234 for a phone; first character and *** for shorter text; null stays null."""
    text = value.cast("string")
    n = text.length()
    return ibis.cases(
        (n >= 8, text.substr(0, 3) + "****" + text.right(4)),
        (n >= 1, text.substr(0, 1) + "***"),
        else_=text,
    )
