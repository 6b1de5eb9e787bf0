"""The profit waterfall: list-price GMV -> discounts (by funder) -> paid GMV -> refunds -> net revenue ->
cost of goods -> logistics -> payment fees -> commission -> contribution profit -> marketing -> net profit.

Every step is one catalog metric, asked in ONE metric query (per dimension value or day). The subtotals
(paid GMV, net revenue, contribution profit, net profit) are metrics of their own, not sums made here, so
`gaps()` is a real check: a discount without a funder, or lines whose discount differs from their
item_discounts, shows as a gap instead of disappearing into a plug.

By a dimension, a step whose metric cannot be split that way (marketing by category, refunds by a line's
promotion) is not attributable: the waterfall stops at the last subtotal all its steps can reach. The same
holds for a filter's dimension. By category, logistics counts an order once in each category it holds (the
catalog's `orders`), so the categories' logistics add up to more than the whole sale's.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, Principal, load_catalog, run_query
from warroom.metrics.query import check_applies
from warroom.warehouse import Warehouse

Kind = Literal["start", "minus", "subtotal"]

# (metric, kind) in the order finance reads it; each subtotal = the previous subtotal minus the steps between.
STEPS: tuple[tuple[str, Kind], ...] = (
    ("paid_list_value", "start"),
    ("discount_merchant", "minus"),
    ("discount_platform", "minus"),
    ("gmv_paid", "subtotal"),
    ("refund_amount", "minus"),
    ("net_revenue", "subtotal"),
    ("cogs", "minus"),
    ("logistics_cost", "minus"),
    ("payment_fees", "minus"),
    ("commission", "minus"),
    ("contribution_profit", "subtotal"),
    ("spend", "minus"),
    ("net_profit", "subtotal"),
)
# The dimensions finance looks at the waterfall by; `line_promo` is the campaign that headed the line.
BY = ("channel", "category_l1", "line_promo")


@dataclass(frozen=True)
class Step:
    metric: str
    kind: Kind
    amount: Decimal
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Waterfall:
    key: dict[str, object]  # {} for the whole sale; {"time": ...} by day; {dimension: value} by dimension
    steps: list[Step]


def attributable_steps(*dimensions: str | None) -> list[tuple[str, Kind]]:
    """The steps up to the last subtotal whose every step can be split (or filtered) by all `dimensions`."""
    catalog = load_catalog()
    out: list[tuple[str, Kind]] = []
    pending: list[tuple[str, Kind]] = []
    for metric, kind in STEPS:
        try:
            for dim in filter(None, map(catalog.dimension, filter(None, dimensions))):
                check_applies(
                    catalog, metric, dim.name
                )  # an unknown name fails in the query, with its message
        except UserError:
            break
        pending.append((metric, kind))
        if kind == "subtotal":
            out += pending
            pending = []
    return out


def gaps(steps: list[Step]) -> list[str]:
    """Where a subtotal is not the previous subtotal minus the steps between (exact, in DECIMAL)."""
    out = []
    running: Decimal | None = None
    for step in steps:
        if step.kind == "start":
            running = step.amount
        elif step.kind == "minus" and running is not None:
            running -= step.amount
        elif step.kind == "subtotal":
            if running is not None and running != step.amount:
                out.append(f"{step.metric}: steps give {running}, the metric is {step.amount}")
            running = step.amount
    return out


def waterfall(
    warehouse: Warehouse,
    *,
    time_from: datetime,
    time_to: datetime,
    principal: Principal | None = None,
    by: str | None = None,
    grain: Literal["day"] | None = None,
    filters: list[Filter] | tuple[Filter, ...] = (),
) -> list[Waterfall]:
    """The waterfall over [time_from, time_to): one for the whole range, or one per day (grain='day') or per
    value of `by` (channel, category_l1 or line_promo), largest paid GMV first."""
    if by is not None and by not in BY:
        raise UserError(f"waterfall by {by!r}: use one of {', '.join(BY)} (or none for the whole sale)")
    if by is not None and grain is not None:
        raise UserError("waterfall: ask by a dimension or by day, not both")
    steps = attributable_steps(by, *[f.dimension for f in filters])
    query = MetricQuery(
        metrics=[m for m, _ in steps],
        dimensions=[by] if by else [],
        filters=list(filters),
        time_from=time_from,
        time_to=time_to,
        grain=grain,
        order_by=["time"] if grain else (["-gmv_paid"] if by else []),
    )
    catalog = load_catalog()
    out = []
    for row in run_query(warehouse, query, principal).rows.to_pylist():
        key = {"time": row["time"]} if grain else ({by: row[by]} if by else {})
        out.append(
            Waterfall(
                key,
                [
                    Step(m, kind, _exact(row[m]), catalog.metrics[m].label_zh, catalog.metrics[m].label_en)
                    for m, kind in steps
                ],
            )
        )
    return out


def _exact(value: object) -> Decimal:
    """Money comes back DECIMAL; an empty bucket (no refunds that day) is 0."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal):
        raise TypeError(f"waterfall step is {type(value).__name__}, expected DECIMAL money")
    return value
