"""Fewer SELECT layers in the DuckDB SQL Ibis renders, with the same rows: DuckDB binds every layer on every
run, and a metric query's SQL is cached per shape, so a layer saved is saved on each refresh.

Ibis puts a filter in a layer of its own, `(SELECT * FROM t WHERE c) AS t1`, under the aggregate that reads
it, and the ordering of an aggregate in one above it, `SELECT * FROM (aggregate) AS t2 ORDER BY t2.k`. Each
layer cost a requests-by-service query ~0.1 ms of a 1.5-2 ms fixed cost (bench/metrics.py's tech board, on
its SQL over an empty range). Only these two star layers are merged; any other shape is left as Ibis made it.
"""

import sqlglot.expressions as sge


def flatten(tree: sge.Expression) -> sge.Expression:
    """The statement with star filter layers merged into the SELECT that reads them, and a star ordering
    layer on top merged into the SELECT it orders (in place)."""
    # Innermost first, so a chain of layers folds into the SELECT that reads it, and a layer once merged is
    # never visited again (its nodes now belong to the SELECT above).
    for select in reversed(list(tree.find_all(sge.Select))):
        _merge_filter(select)
    return _merge_order(tree)


def _only(select: sge.Expression, *args: str) -> bool:
    """True for a SELECT * with nothing but the named clauses."""
    return (
        isinstance(select, sge.Select)
        and len(select.expressions) == 1
        and isinstance(select.expressions[0], sge.Star)
        and all(k in ("expressions", *args) for k, v in select.args.items() if v)
    )


def _merge_filter(outer: sge.Select) -> bool:
    """`... FROM (SELECT * FROM x AS a [WHERE c]) AS b` -> `... FROM x AS b [WHERE c]` (a renamed b, and'ed
    with the outer WHERE). Not under a join: an outer or right join keeps rows a WHERE would drop."""
    source = outer.args.get("from_")
    sub = source.this if source is not None else None
    if not isinstance(sub, sge.Subquery) or outer.args.get("joins") or not sub.alias:
        return False
    inner = sub.this
    if not _only(inner, "from_", "where") or not inner.args["from_"].this.alias:
        return False
    # Copies: Ibis shares one node between the places that read a relation twice (a CTE's references).
    table = inner.args["from_"].this.copy()
    where = inner.args.get("where")
    if where is not None:
        condition = where.this.copy()
        for column in condition.find_all(sge.Column):
            if column.table == table.alias:
                column.set("table", sge.to_identifier(sub.alias, quoted=True))
        outer.where(condition, append=True, copy=False)
    table.set("alias", sge.TableAlias(this=sge.to_identifier(sub.alias, quoted=True)))
    outer.set("from_", sge.From(this=table))
    return True


def _merge_order(tree: sge.Expression) -> sge.Expression:
    """`SELECT * FROM (s) AS a [ORDER BY a.k] [LIMIT n]` -> s [ORDER BY <k's position in s>] [LIMIT n]. A
    position, not the name: s may read a column of the same name that is not its output k."""
    if not _only(tree, "from_", "order", "limit", "with"):
        return tree
    sub = tree.args["from_"].this
    inner = sub.this if isinstance(sub, sge.Subquery) else None
    if not isinstance(inner, sge.Select) or any(
        inner.args.get(k) for k in ("order", "limit", "offset", "with")
    ):
        return tree
    names = [s.alias_or_name for s in inner.selects]
    order = tree.args.get("order")
    keys = order.expressions if order is not None else []
    positions = []
    for key in keys:
        column = key.this
        if not isinstance(column, sge.Column) or column.table != sub.alias or names.count(column.name) != 1:
            return tree
        positions.append(names.index(column.name) + 1)
    inner = inner.copy()
    for key, position in zip(keys, positions, strict=True):
        key.set("this", sge.Literal.number(position))
    for clause in ("order", "limit", "with"):
        inner.set(clause, tree.args.get(clause))
    return inner
