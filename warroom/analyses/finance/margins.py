"""Margins by category, channel, promotion and SKU against a normal day, and negative-margin lines (毛利倒挂).

The margin here is the catalog's `sales_margin` (paid GMV - cost of goods, before refunds): unlike the
contribution, it splits exactly by SKU and by a line's main promotion, which is what a buyer changes when a
deal sells below cost. Discounts are already allocated to lines in item_discounts (order-level threshold,
coupon and cashback amounts pro rata to line value; see warroom.simulate.allocation), so a SKU's margin
carries its share of every stacked promotion.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, Principal, dataset, run_query
from warroom.warehouse import Warehouse

BY = ("category_l1", "channel", "line_promo", "sku")
MARGIN_METRICS = ["gmv_paid", "cogs", "sales_margin", "sales_margin_rate"]


def margins(
    warehouse: Warehouse,
    *,
    by: str,
    time_from: datetime,
    time_to: datetime,
    baseline_date: date | None = None,
    principal: Principal | None = None,
    filters: list[Filter] | tuple[Filter, ...] = (),
    limit: int | None = None,
) -> list[dict]:
    """Rows {by, gmv_paid, cogs, sales_margin, sales_margin_rate[, *_compare, *_change]} largest GMV first.

    With baseline_date, each row also has the same clock window on that day (a normal day), so a margin that
    collapsed on the sale day stands out."""
    if by not in BY:
        raise UserError(f"margins by {by!r}: use one of {', '.join(BY)}")
    query = MetricQuery(
        metrics=MARGIN_METRICS,
        dimensions=[by],
        filters=list(filters),
        time_from=time_from,
        time_to=time_to,
        compare="baseline_day" if baseline_date else None,
        baseline_date=baseline_date,
        order_by=["-gmv_paid"],
        limit=limit,
    )
    return run_query(warehouse, query, principal).rows.to_pylist()


@dataclass(frozen=True)
class NegativeMargin:
    """A SKU sold under one main promotion (or none) below cost, and the discounts stacked on those lines."""

    sku: int
    line_promo: str | None
    units: int
    gmv_paid: Decimal
    cogs: Decimal
    loss: Decimal  # cogs - paid GMV so far: what selling these units cost, before logistics and fees
    stack: list[tuple[str, Decimal]]  # (promotion, its discount on these lines), largest first
    sku_name: str | None = None
    category_l1: str | None = None


def negative_margins(
    warehouse: Warehouse,
    *,
    time_from: datetime,
    time_to: datetime,
    principal: Principal | None = None,
    filters: list[Filter] | tuple[Filter, ...] = (),
) -> list[NegativeMargin]:
    """Every (SKU, main promotion) whose paid lines sold below cost, largest loss first, with its stack."""
    by_line = MetricQuery(
        metrics=["units", "gmv_paid", "cogs", "sales_margin"],
        dimensions=["sku", "line_promo"],
        filters=list(filters),
        time_from=time_from,
        time_to=time_to,
    )
    rows = [r for r in run_query(warehouse, by_line, principal).rows.to_pylist() if r["sales_margin"] < 0]
    if not rows:
        return []
    skus = sorted({r["sku"] for r in rows})
    stack_query = MetricQuery(
        metrics=["discount_amount"],
        dimensions=["sku", "line_promo", "promo"],
        filters=[*filters, Filter(dimension="sku", op="in", value=skus)],
        time_from=time_from,
        time_to=time_to,
        order_by=["-discount_amount"],
    )
    stacks: dict[tuple, list[tuple[str, Decimal]]] = {}
    for r in run_query(warehouse, stack_query, principal).rows.to_pylist():
        if r["discount_amount"]:
            stacks.setdefault((r["sku"], r["line_promo"]), []).append((r["promo"], r["discount_amount"]))
    # Names through order_items: on `products` the column sku_id is shadowed by the dimension alias `sku`,
    # which is not defined there, so dataset() refuses it. Lines repeat a SKU; the dict keeps one.
    names = {
        r["sku"]: r
        for r in dataset(
            warehouse,
            "order_items",
            ["sku", "products.sku_name", "category_l1"],
            [Filter(dimension="sku", op="in", value=skus)],
            principal,
        ).to_pylist()
    }
    out = [
        NegativeMargin(
            sku=r["sku"],
            line_promo=r["line_promo"],
            units=int(r["units"]),
            gmv_paid=r["gmv_paid"],
            cogs=r["cogs"],
            loss=-r["sales_margin"],
            stack=stacks.get((r["sku"], r["line_promo"]), []),
            sku_name=names.get(r["sku"], {}).get("products.sku_name"),
            category_l1=names.get(r["sku"], {}).get("category_l1"),
        )
        for r in rows
    ]
    return sorted(out, key=lambda n: n.loss, reverse=True)


def default_baseline(day: date) -> date:
    """A normal day to compare with: one week before (same weekday, before the pre-sale waves)."""
    return day - timedelta(days=7)
