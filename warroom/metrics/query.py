"""A metric query as the web, CLI and analyses send it, and its validation against the catalog.

Validation happens before any data is touched (the Ibis habit: errors when the expression is built), and
each message says what is wrong and what would be right.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warroom.errors import UserError
from warroom.metrics.catalog import Catalog

Op = Literal["=", "!=", "in", "not_in", "<", "<=", ">", ">="]
Scalar = str | int | float | bool
MAX_LIMIT = 100_000  # a page or export asking for more rows wants a dataset(), not a metric query


class Filter(BaseModel):
    """`dimension op value`: in / not_in take a list, the others one value."""

    model_config = ConfigDict(frozen=True)
    dimension: str
    op: Op = "="
    value: Scalar | list[Scalar]

    @model_validator(mode="after")
    def _arity(self) -> "Filter":
        is_list = isinstance(self.value, list)
        if self.op in ("in", "not_in") and not is_list:
            raise ValueError(f"filter on {self.dimension}: op {self.op} takes a list of values")
        if self.op not in ("in", "not_in") and is_list:
            raise ValueError(f"filter on {self.dimension}: op {self.op} takes one value; use 'in' for a list")
        if is_list and not self.value:
            raise ValueError(f"filter on {self.dimension}: the list of values is empty")
        return self


class MetricQuery(BaseModel):
    """Metrics by dimensions over [time_from, time_to), optionally per time bucket and against a comparison."""

    model_config = ConfigDict(frozen=True)
    metrics: list[str] = Field(min_length=1)
    dimensions: list[str] = []
    filters: list[Filter] = []
    time_from: datetime | None = None
    time_to: datetime | None = None
    grain: Literal["minute", "hour", "day"] | None = None
    compare: Literal["previous_period", "baseline_day"] | None = None
    baseline_date: date | None = None
    order_by: list[str] = []  # output column names; a leading '-' sorts descending
    limit: int | None = Field(None, ge=1, le=MAX_LIMIT)


def validate_query(query: MetricQuery, catalog: Catalog) -> list[str]:
    """Check the query against the catalog; returns the dimensions' canonical names (aliases resolved)."""
    unknown = [m for m in query.metrics if m not in catalog.metrics]
    if unknown:
        raise UserError(f"unknown metric(s) {unknown}; `warroom metrics` lists them")
    if len(set(query.metrics)) != len(query.metrics):
        raise UserError(f"metrics {query.metrics} name one metric twice")
    dims = [_dimension(catalog, d, "dimension") for d in query.dimensions]
    if len(set(dims)) != len(dims):
        raise UserError(f"dimensions {query.dimensions} name one dimension twice")
    for f in query.filters:
        _dimension(catalog, f.dimension, "filter dimension")
    for metric in query.metrics:
        for name in dims + [catalog.dimension(f.dimension).name for f in query.filters]:  # type: ignore[union-attr]
            check_applies(catalog, metric, name)
    for t, label in ((query.time_from, "time_from"), (query.time_to, "time_to")):
        if t is not None and t.tzinfo is None:
            raise UserError(f"{label} {t.isoformat()} has no time zone; add one, e.g. +08:00")
    if query.time_from and query.time_to and query.time_from >= query.time_to:
        raise UserError(
            f"time range is backwards or empty: time_from {query.time_from.isoformat()} is not before "
            f"time_to {query.time_to.isoformat()} (the range is [from, to))"
        )
    if query.compare and not (query.time_from and query.time_to):
        raise UserError(f"compare={query.compare} needs both time_from and time_to")
    if query.compare == "baseline_day" and query.baseline_date is None:
        raise UserError("compare=baseline_day needs baseline_date (the day to compare with, e.g. 2026-11-10)")
    if query.baseline_date is not None and query.compare != "baseline_day":
        raise UserError("baseline_date is only used with compare=baseline_day")
    cumulative = [m for m in query.metrics if catalog.metrics[m].type == "cumulative"]
    if cumulative and query.grain is None and query.time_from is None:
        raise UserError(
            f"{cumulative} without a grain need time_from (the total runs from that day's midnight)"
        )
    columns = {"time", *query.dimensions, *query.metrics}
    if query.compare:
        columns |= {f"{m}_{suffix}" for m in query.metrics for suffix in ("compare", "change")}
    for key in query.order_by:
        if key.lstrip("-") not in columns:
            raise UserError(f"order_by {key!r} is not an output column; use one of {sorted(columns)}")
    return dims


def _dimension(catalog: Catalog, name: str, what: str) -> str:
    if name == "time":
        raise UserError(f"{what} 'time': use grain (minute, hour, day) and time_from/time_to instead")
    dim = catalog.dimension(name)
    if dim is None:
        raise UserError(f"unknown {what} {name!r}; the dimensions are {', '.join(catalog.dimensions)}")
    return dim.name


def check_applies(catalog: Catalog, metric: str, dimension: str) -> None:
    """UserError if `dimension` cannot be computed for every table `metric` reads."""
    dim = catalog.dimensions[dimension]
    for leaf, ignore in catalog.leaves(metric):
        if dimension in ignore:  # a share-of-total denominator computed without this dimension
            continue
        if leaf.table not in dim.on:
            raise UserError(
                f"dimension {dimension!r} does not apply to metric {metric!r}: it reads table {leaf.table} "
                f"(through {leaf.name}), and {dimension} is defined for {', '.join(sorted(dim.on))}"
            )
