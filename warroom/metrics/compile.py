"""A validated MetricQuery compiled to one Ibis expression: a pure function of the catalog, the query, the
principal and the time zone, over unbound tables typed by the canonical schema (no database needed).

The plan: the simple metrics a query needs are grouped by (table, time column, ignored dimensions,
cumulative); each group is one aggregation over its table, joined to what its dimensions and filters
reach. Groups with the same keys are stacked (UNION ALL) and folded per key, so a channel with spend but
no orders still gets a row; a group that ignores a dimension (a share of all attempts) is joined on the
keys it keeps. Ratios, derived and cumulative metrics are then columns over that one table.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
from ibis import _

from warroom.errors import UserError
from warroom.metrics import access, view
from warroom.metrics import expr as ex
from warroom.metrics.catalog import BUCKET_SECONDS, Catalog, Metric
from warroom.metrics.query import Filter, MetricQuery, validate_query

GRAIN_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_TRUNC = {"minute": "m", "hour": "h", "day": "D"}
_ADDITIVE = ("sum", "count", "count_distinct")  # no rows means 0, not unknown


@dataclass(frozen=True)
class Group:
    table: str
    time: str  # the time expression's text
    ignore: tuple[str, ...]
    cumulative: bool


@dataclass(frozen=True)
class Window:
    """The query's shape that every group shares."""

    dims: tuple[str, ...]
    filters: tuple[Filter, ...]
    row_filters: tuple[Filter, ...]
    time_from: datetime | None
    time_to: datetime | None
    grain: str | None
    offset: timedelta  # the display zone's UTC offset: buckets and days are local


def compile_query(
    catalog: Catalog, query: MetricQuery, principal: access.Principal | None, tz: ZoneInfo
) -> ir.Table:
    """The Ibis table answering `query`: columns time (if grain), the dimensions (named as asked), the metrics, and
    <metric>_compare / <metric>_change when comparing."""
    dims = validate_query(query, catalog)
    access.check_metrics(catalog, principal, query.metrics)
    tables = {leaf.table for m in query.metrics for leaf, _ in catalog.leaves(m)}
    rows = access.row_filters(catalog, principal, sorted(tables), f"metrics {', '.join(query.metrics)}")
    window = Window(
        tuple(dims), tuple(query.filters), tuple(rows), query.time_from, query.time_to, query.grain,
        _offset(tz, query.time_from, query.time_to),
    )  # fmt: skip
    keys = (["time"] if query.grain else []) + dims
    current = _metrics_table(catalog, query.metrics, window)
    if query.compare:
        shift = _shift(query, tz)
        before = Window(
            window.dims, window.filters, window.row_filters, window.time_from - shift, window.time_to - shift,  # type: ignore[operator]
            window.grain, window.offset,
        )  # fmt: skip
        past = _metrics_table(catalog, query.metrics, before)
        past = past.rename({f"{m}_compare": m for m in query.metrics})
        if query.grain:
            past = past.mutate(time=past.time + ibis.interval(seconds=int(shift.total_seconds())))
        past = past.rename({f"__k_{k}": k for k in keys})
        joined = current.left_join(past, [current[k].identical_to(past[f"__k_{k}"]) for k in keys])
        current = joined.select(*current.columns, *[f"{m}_compare" for m in query.metrics])
        current = current.mutate(
            **{
                f"{m}_change": (current[m].cast("float64") - current[f"{m}_compare"].cast("float64"))
                / current[f"{m}_compare"].cast("float64").nullif(0)
                for m in query.metrics
            }
        )
    # Dimensions come back under the name asked for (an alert rule's `by: [sku_id]` reads row["sku_id"]).
    current = current.rename(
        {asked: dim for dim, asked in zip(dims, query.dimensions, strict=True) if asked != dim}
    )
    keys = (["time"] if query.grain else []) + list(query.dimensions)
    order = [ibis.desc(k[1:]) if k.startswith("-") else ibis.asc(k) for k in query.order_by] or keys
    if order:
        current = current.order_by(order)
    return current.limit(query.limit) if query.limit else current


def _offset(tz: ZoneInfo, start: datetime | None, end: datetime | None) -> timedelta:
    """The zone's UTC offset, which must hold over the whole range (Asia/Shanghai: +08:00, no DST)."""
    instants = [t for t in (start, end) if t is not None] or [datetime.now(tz)]
    offsets = {t.astimezone(tz).utcoffset() for t in instants}
    if len(offsets) > 1:
        raise UserError(f"the range crosses a UTC offset change in {tz.key}; query each side separately")
    return offsets.pop()  # type: ignore[return-value]


def _shift(query: MetricQuery, tz: ZoneInfo) -> timedelta:
    if query.compare == "previous_period":
        return query.time_to - query.time_from  # type: ignore[operator]
    return timedelta(days=(query.time_from.astimezone(tz).date() - query.baseline_date).days)  # type: ignore[union-attr,operator]


def _metrics_table(catalog: Catalog, metrics: list[str], window: Window) -> ir.Table:
    measures: dict[
        tuple[str, tuple[str, ...], bool], str
    ] = {}  # (simple metric, ignore, cumulative) -> column
    values = {m: _value(catalog, m, (), False, measures) for m in metrics}
    groups: dict[Group, list[tuple[Metric, str]]] = {}
    for (name, ignore, cumulative), alias in measures.items():
        leaf = catalog.metrics[name]
        group = Group(leaf.table, leaf.text["time"], ignore, cumulative)  # type: ignore[arg-type]
        groups.setdefault(group, []).append((leaf, alias))
    keys = (["time"] if window.grain else []) + list(window.dims)
    full = [_aggregate(catalog, g, leaves, window) for g, leaves in groups.items() if not g.ignore]
    table = _stack(full, keys) if full else None
    for g, leaves in groups.items():
        if not g.ignore:
            continue
        part = _aggregate(catalog, g, leaves, window)
        kept = [k for k in keys if k not in g.ignore]
        if table is None:
            raise UserError("a query of only shares-of-total metrics is not supported; add their numerator")
        part = part.rename({f"__k_{k}": k for k in kept})
        joined = table.left_join(part, [table[k].identical_to(part[f"__k_{k}"]) for k in kept])
        table = joined.select(*table.columns, *[alias for _, alias in leaves])
    assert table is not None
    fill = {
        alias: ibis.coalesce(table[alias], 0)
        for (name, _ignore, _cum), alias in measures.items()
        if catalog.metrics[name].agg in _ADDITIVE
    }
    table = table.mutate(**fill)
    if any(
        BUCKET_SECONDS in str(catalog.metrics[m].text.get("expr", "")) for m in _all_deps(catalog, metrics)
    ):
        table = table.mutate(**{BUCKET_SECONDS: _bucket_seconds(window)})
    table = table.mutate(**values)
    return table.select(*keys, *metrics)


def _all_deps(catalog: Catalog, metrics: list[str]) -> set[str]:
    out: set[str] = set()
    todo = list(metrics)
    while todo:
        m = todo.pop()
        if m not in out:
            out.add(m)
            todo += catalog.depends_on(m)
    return out


def _value(catalog: Catalog, name: str, ignore: tuple[str, ...], cumulative: bool, measures: dict):
    """The metric as a deferred expression over the combined table; registers the measures it reads."""
    m = catalog.metrics[name]
    if m.type == "simple":
        key = (name, tuple(sorted(ignore)), cumulative)
        alias = measures.setdefault(key, f"__m{len(measures)}_{name}")
        return _[alias]
    if m.type == "cumulative":
        return _value(catalog, m.base, ignore, True, measures)  # type: ignore[arg-type]
    if m.type == "ratio":
        num = _value(catalog, m.numerator.metric, ignore + m.numerator.ignore, cumulative, measures)  # type: ignore[union-attr]
        den = _value(catalog, m.denominator.metric, ignore + m.denominator.ignore, cumulative, measures)  # type: ignore[union-attr]
        out = num.cast("float64") / den.cast("float64").nullif(0)
        return out.round(2) if m.format == "money" else out
    out = ex.to_ibis(
        m.expr,  # type: ignore[arg-type]
        lambda path: (
            _[BUCKET_SECONDS]
            if path[0] == BUCKET_SECONDS
            else _value(catalog, path[0], ignore, cumulative, measures)
        ),
        lambda p: catalog.parameters[p],
    )
    # Ibis and DuckDB disagree on the scale of DECIMAL products (8.50 x count, 0.006 x DECIMAL(38,2)); one
    # explicit type keeps money exact: scale 6 holds every product of a fen sum and the catalog's rates.
    return out.cast("decimal(38, 6)") if m.format == "money" and m.unit == "CNY" else out


def _bucket(ts: ir.TimestampValue, grain: str, offset: timedelta) -> ir.TimestampValue:
    shift = ibis.interval(seconds=int(offset.total_seconds()))
    # Ibis types the truncation as a zone-less timestamp; the session zone is UTC (set by Ibis), so the cast
    # back gives the bucket's UTC instant.
    return ((ts + shift).truncate(_TRUNC[grain]) - shift).cast("timestamp('UTC')")


def _bucket_start(t: datetime, grain: str, offset: timedelta) -> datetime:
    """The start (UTC) of the local bucket holding t."""
    local_clock = t.astimezone(UTC) + offset
    if grain == "minute":
        local_clock = local_clock.replace(second=0, microsecond=0)
    elif grain == "hour":
        local_clock = local_clock.replace(minute=0, second=0, microsecond=0)
    else:
        local_clock = local_clock.replace(hour=0, minute=0, second=0, microsecond=0)
    return local_clock - offset


def _bucket_seconds(window: Window):
    start, end = window.time_from, window.time_to
    if window.grain is None:
        if start is None or end is None:
            raise UserError("per-second metrics without a grain need time_from and time_to")
        return ibis.literal((end - start).total_seconds())
    bucket_end = _.time + ibis.interval(seconds=GRAIN_SECONDS[window.grain])
    lo = ibis.greatest(_.time, ibis.literal(start.astimezone(UTC))) if start else _.time
    hi = ibis.least(bucket_end, ibis.literal(end.astimezone(UTC))) if end else bucket_end
    return (hi.epoch_seconds() - lo.epoch_seconds()).cast("float64")


def _aggregate(catalog: Catalog, group: Group, leaves: list[tuple[Metric, str]], window: Window) -> ir.Table:
    """One table's aggregation: its measures by the window's keys (less the ignored dimensions)."""
    dims = [d for d in window.dims if d not in group.ignore]
    filters = [f for f in window.filters if catalog.dimension(f.dimension).name not in group.ignore]  # type: ignore[union-attr]
    filters += list(window.row_filters)
    dim_trees = [catalog.dimension(d).on[group.table] for d in dims + [f.dimension for f in filters]]  # type: ignore[union-attr]
    leaf_trees = [t for leaf, _ in leaves for t in (leaf.expr, leaf.filter, leaf.time)]
    t = view.joined(catalog, group.table, dim_trees + leaf_trees)
    ts = view.compile_expr(catalog, t, leaves[0][0].time)  # type: ignore[arg-type]
    start = window.time_from
    if group.cumulative and start is not None:  # the running total starts at local midnight
        start = _bucket_start(start, "day", window.offset)
    conditions = []
    if start is not None:
        conditions.append(ts >= ibis.literal(start.astimezone(UTC)))
    if window.time_to is not None:
        conditions.append(ts < ibis.literal(window.time_to.astimezone(UTC)))
    for f in filters:
        column = view.dimension_value(catalog, t, group.table, f.dimension)
        conditions.append(view.predicate(column, f, f"filter on {f.dimension}"))
    if conditions:
        t = t.filter(*conditions)
    by = {d: view.dimension_value(catalog, t, group.table, d) for d in dims}
    if window.grain:
        by = {"time": _bucket(ts, window.grain, window.offset), **by}
    aggs = {alias: _measure(catalog, t, leaf) for leaf, alias in leaves}
    out = t.group_by(**by).aggregate(**aggs) if by else t.aggregate(**aggs)
    if group.cumulative:
        out = _running_total(out, [alias for _, alias in leaves], dims, window)
    return out


def _measure(catalog: Catalog, t: ir.Table, leaf: Metric) -> ir.Scalar:
    where = view.compile_expr(catalog, t, leaf.filter) if leaf.filter is not None else None
    if leaf.agg == "count":
        return t.count(where=where)
    value = view.compile_expr(catalog, t, leaf.expr)  # type: ignore[arg-type]
    if leaf.agg == "count_distinct":
        return value.nunique(where=where)
    if leaf.agg == "percentile":
        return value.cast("float64").quantile(leaf.percentile, where=where)
    if leaf.agg == "avg":
        return value.mean(where=where)
    return getattr(value, leaf.agg)(where=where)


def _running_total(table: ir.Table, aliases: list[str], dims: list[str], window: Window) -> ir.Table:
    """Running sums since local midnight per key, then only the buckets the query asked for."""
    if not window.grain:
        return table
    shift = ibis.interval(seconds=int(window.offset.total_seconds()))
    day = (table.time + shift).truncate("D")
    w = ibis.cumulative_window(group_by=[day, *[table[d] for d in dims]], order_by=table.time)
    table = table.mutate(**{a: table[a].sum().over(w) for a in aliases})
    if window.time_from is None:
        return table
    return table.filter(
        table.time >= ibis.literal(_bucket_start(window.time_from, window.grain, window.offset))
    )


def _stack(parts: list[ir.Table], keys: list[str]) -> ir.Table:
    """Measures of several groups on one row per key: UNION ALL with nulls, then one value per key."""
    if len(parts) == 1:
        return parts[0]
    types = {name: dtype for p in parts for name, dtype in p.schema().items() if name not in keys}
    key_types = parts[0].schema()
    filled = [
        p.select(
            **{k: p[k].cast(key_types[k]) for k in keys},
            **{name: (p[name] if name in p.columns else ibis.null(dtype)) for name, dtype in types.items()},
        )
        for p in parts
    ]
    stacked = ibis.union(*filled, distinct=False)
    folded = {name: stacked[name].max() for name in types}
    return stacked.group_by(keys).aggregate(**folded) if keys else stacked.aggregate(**folded)
