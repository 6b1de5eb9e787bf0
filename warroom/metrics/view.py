"""A canonical table joined to what its expressions reach: `orders.channels.channel_group` on order_items
becomes a left join order_items -> orders -> channels, added only when an expression names it.

Joined columns are named hop__hop__column, so nothing collides and DuckDB prunes what is not read.
Every join is many-to-one onto a table's key (the catalog checks it), so joining never multiplies rows.
"""

import ast
from datetime import datetime
from functools import lru_cache
from typing import Any

import ibis
import ibis.expr.types as ir

from warroom.errors import UserError
from warroom.metrics import expr as ex
from warroom.metrics.catalog import Catalog
from warroom.metrics.query import Filter
from warroom.schema import READABLE


def column_name(path: tuple[str, ...]) -> str:
    return "__".join(path)


@lru_cache
def canonical(table: str) -> ir.Table:
    """An unbound Ibis table typed by the canonical schema: the warehouse's tables are created from it."""
    return ibis.table(ibis.Schema.from_pyarrow(READABLE[table].arrow_schema), name=table)


def joined(catalog: Catalog, table: str, trees: list[ast.expr | None]) -> ir.Table:
    """`table` left-joined along every hop path the expressions name, every table of the join (`table`
    too) narrowed to the columns named and the keys of its joins. DuckDB would prune the rest anyway, but
    it binds the join's select, with every column listed, on each run: narrowing the joined tables took a
    paid-GMV query at scale 10 from 10.8 to 8.3 ms (bench/metrics.py; 7.2 ms for the hand-written SQL), and
    narrowing `table` as well took the fixed cost of an hourly paid-list-value query (an empty range) from
    1.8 to 1.5 ms. Without a join, `table` stays as it is: a select of it would be one more to bind."""
    wanted: dict[tuple[str, ...], set[str]] = {(): set()}
    for tree in trees:
        for name in ex.names(tree) if tree is not None else ():
            wanted.setdefault(name[:-1], set()).add(name[-1])
    paths: list[tuple[str, ...]] = []
    for hop in sorted(wanted):  # every prefix, parents first
        paths += [hop[:i] for i in range(1, len(hop) + 1) if hop[:i] not in paths]
    joins = {path: catalog.joins[(path[-2] if len(path) > 1 else table, path[-1])] for path in paths}
    for path, join in joins.items():  # a hop reads its keys on both sides
        wanted.setdefault(path, set()).update(join.on)
        wanted[path[:-1]].update(join.on)
    view = canonical(table)
    kept = [c for c in view.columns if c in wanted[()]]  # schema order: the SQL reads the same each time
    for path in sorted(paths, key=len):
        join = joins[path]
        right = canonical(path[-1])
        right = right.select(
            **{column_name((*path, c)): right[c] for c in right.columns if c in wanted[path]}
        )
        predicates = [view[column_name((*path[:-1], k))] == right[column_name((*path, k))] for k in join.on]
        view = view.left_join(right, predicates).select(*kept, *right.columns)
        kept = view.columns
    return view


def resolver(view: ir.Table):
    return lambda path: view[column_name(path)]


def compile_expr(catalog: Catalog, view: ir.Table, tree: ast.expr) -> ir.Value:
    return ex.to_ibis(
        tree, resolver(view), lambda name: catalog.parameters[name], lambda name: catalog.parameter_by[name]
    )


def dimension_value(catalog: Catalog, view: ir.Table, table: str, dimension: str) -> ir.Value:
    dim = catalog.dimension(dimension)
    return compile_expr(catalog, view, dim.on[table])  # type: ignore[union-attr]


def coerce(value: Any, column: ir.Value, what: str) -> Any:
    """A filter value as the column's type, or a UserError naming the filter."""
    dtype = column.type()
    try:
        if dtype.is_boolean():
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, bool):
                return value
            raise ValueError
        if dtype.is_integer():
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if dtype.is_numeric():
            return float(value)
        if dtype.is_timestamp():
            out = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            if out.tzinfo is None:
                raise UserError(f"{what}: {value!r} has no time zone; add one, e.g. +08:00")
            return out
        return str(value)
    except (ValueError, TypeError):
        raise UserError(f"{what}: {value!r} is not a valid {dtype} value") from None


def predicate(column: ir.Value, f: Filter, what: str) -> ir.BooleanValue:
    """The Ibis predicate of one filter; values become Ibis literals, never SQL text."""
    if isinstance(f.value, list):
        values = [coerce(v, column, what) for v in f.value]
        return column.isin(values) if f.op == "in" else column.notin(values)
    value = coerce(f.value, column, what)
    ops = {
        "=": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
        ">": column.__gt__, ">=": column.__ge__,
    }  # fmt: skip
    return ops[f.op](ibis.literal(value, type=column.type()))
