"""Turning the visits' candidate orders into orders, lines, discounts, payments, refunds and stock moves.

Status as of the period's end: unpaid orders are cancelled 30 minutes after placing (or still `created`
if that is after the end); paid orders ship 4 h + exponential (mean 20 h) after payment; refunds make an
order `refunded` when every line came back in full, else `partially_refunded`. updated_at is the last of
these changes before the end. is_new_buyer marks a customer's first order ever (returning customers may
have bought before the period). 35% of orders carry the platform coupon.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from warroom.schema.tables import DEVICES, ORDER_STATUSES, PAYMENT_METHODS, REFUND_REASONS
from warroom.simulate.calendar import HOUR_US, MINUTE_US
from warroom.simulate.catalog import Catalog
from warroom.simulate.channels import CHANNEL_IDS, GROUP_OF
from warroom.simulate.customers import PROVINCE_NAMES, Customers
from warroom.simulate.incidents import Plan
from warroom.simulate.inventory import Stock
from warroom.simulate.payments import FAILURE_CODES, attempt_payments
from warroom.simulate.pricing import price_orders
from warroom.simulate.promotions import COUPON_HOLDER_SHARE, Promotion
from warroom.simulate.refunds import make_refunds
from warroom.simulate.sessions import Candidates, Visits

CANCEL_AFTER_US = 30 * MINUTE_US


@dataclass
class Book:
    """One chunk's rows per table (columns by name), and the order / pay moments for the click stream."""

    rows: dict[str, dict]
    order_visit: np.ndarray
    order_ts: np.ndarray
    pay_visit: np.ndarray
    pay_ts: np.ndarray
    attempt_ts: np.ndarray


@dataclass
class Ledger:
    """What carries over from chunk to chunk."""

    customers: Customers
    stock: Stock
    flash_sold: dict
    next_order_id: int
    next_refund_id: int


def _text(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    return pa.array(values).take(pa.array(codes))


def settle(
    rng: np.random.Generator, cand: Candidates, visits: Visits, catalog: Catalog, promos: list[Promotion],
    plan: Plan, end_us: int, ledger: Ledger,
) -> Book:  # fmt: skip
    got, snaps = ledger.stock.take(cand.line_sku, cand.line_qty, cand.ts[cand.line_order])
    keep = got > 0
    alive = np.bincount(cand.line_order[keep], minlength=len(cand.ts)) > 0
    new_index = np.cumsum(alive) - 1
    line_order, line_sku, qty = new_index[cand.line_order[keep]], cand.line_sku[keep], got[keep]
    visit, ts = cand.visit[alive], cand.ts[alive]
    n = len(ts)
    order_id = ledger.next_order_id + np.arange(n, dtype=np.int64)
    ledger.next_order_id += n
    customer = visits.customer[visit]
    channel = visits.channel[visit]
    holder = rng.random(n) < COUPON_HOLDER_SHARE
    priced = price_orders(
        line_order, line_sku, qty, ts, GROUP_OF[channel], holder, catalog, promos, ledger.flash_sold
    )

    attempts = attempt_payments(rng, ts, plan)
    paid_at = np.where(attempts.paid_at < end_us, attempts.paid_at, -1)
    line_net = catalog.list_fen[line_sku] * qty - priced.line_discount
    refunds = make_refunds(rng, line_sku, line_net, paid_at[line_order], catalog, plan)
    refund_id = ledger.next_refund_id + np.arange(len(refunds.line), dtype=np.int64)
    ledger.next_refund_id += len(refunds.line)

    # Status and updated_at as of the end of the period.
    status = np.full(n, ORDER_STATUSES.index("created"))
    updated = ts.copy()
    cancel = (paid_at < 0) & (ts + CANCEL_AFTER_US < end_us)
    status[cancel], updated[cancel] = ORDER_STATUSES.index("cancelled"), ts[cancel] + CANCEL_AFTER_US
    paid = paid_at >= 0
    status[paid], updated[paid] = ORDER_STATUSES.index("paid"), paid_at[paid]
    ship = paid_at + 4 * HOUR_US + rng.exponential(20 * HOUR_US, n).astype(np.int64)
    shipped = paid & (ship < end_us)
    status[shipped], updated[shipped] = ORDER_STATUSES.index("shipped"), ship[shipped]
    done = refunds.ts < end_us
    r_order = line_order[refunds.line[done]]
    np.maximum.at(updated, r_order, refunds.ts[done])
    any_refund = np.bincount(r_order, minlength=n) > 0
    full_lines = np.bincount(r_order[refunds.full[done]], minlength=n)
    status[any_refund] = ORDER_STATUSES.index("partially_refunded")
    status[full_lines == np.bincount(line_order, minlength=n)] = ORDER_STATUSES.index("refunded")

    # A customer's first order ever: earliest in this chunk, and none before.
    cust = ledger.customers
    first = np.zeros(n, dtype=bool)
    first[np.unique(customer, return_index=True)[1]] = True
    new_buyer = first & ~cust.bought_before[customer]
    cust.bought_before[customer] = True

    failed = attempts.failure >= 0
    pay_ok = paid_at >= 0
    rows = {
        "orders": {
            "order_id": order_id, "ts": ts, "customer_id": cust.customer_id[customer],
            "channel_id": _text(CHANNEL_IDS, channel), "province": _text(PROVINCE_NAMES, cust.province[customer]),
            "device": _text(DEVICES, visits.device[visit]), "status": _text(ORDER_STATUSES, status),
            "is_new_buyer": new_buyer, "list_amount": priced.list_amount, "discount_amount": priced.discount,
            "paid_amount": priced.paid, "shipping_fee": priced.shipping,
            "paid_at": pa.array(paid_at, mask=~pay_ok, type=pa.int64()), "updated_at": updated,
            "payment_method": pa.array(np.array(PAYMENT_METHODS)[np.maximum(attempts.paid_method, 0)], mask=~pay_ok),
        },
        "order_items": {
            "order_id": order_id[line_order], "line_no": _line_numbers(line_order),
            "sku_id": catalog.sku_id[line_sku], "quantity": qty, "list_price": catalog.list_fen[line_sku],
            "unit_price": priced.unit_fen, "promo_id": _promo_ids(promos, priced.line_promo),
            "discount_amount": priced.line_discount, "unit_cost": catalog.cost_fen[line_sku],
            "ts": ts[line_order],
        },
        "item_discounts": {
            "order_id": order_id[line_order[priced.item_line]],
            "line_no": _line_numbers(line_order)[priced.item_line],
            "promo_id": _promo_ids(promos, priced.item_promo), "amount": priced.item_amount,
            "ts": ts[line_order[priced.item_line]],
        },
        "payments": {
            "order_id": order_id[attempts.order], "ts": attempts.ts,
            "method": _text(PAYMENT_METHODS, attempts.method),
            "status": _text(("success", "failed"), failed.astype(np.int64)),
            "failure_code": pa.array(np.array(FAILURE_CODES)[np.maximum(attempts.failure, 0)], mask=~failed),
            "amount": priced.paid[attempts.order],
        },
        "refunds": {
            "refund_id": refund_id, "order_id": order_id[line_order[refunds.line]],
            "sku_id": catalog.sku_id[line_sku[refunds.line]], "ts": refunds.ts, "amount": refunds.amount,
            "reason": _text(REFUND_REASONS, refunds.reason),
            "kind": _text(("partial", "full"), refunds.full.astype(np.int64)),
        },
        "inventory": {"ts": snaps["ts"], "sku_id": catalog.sku_id[snaps["sku"]], "on_hand": snaps["on_hand"]},
    }  # fmt: skip
    return Book(rows, visit, ts, visit[pay_ok], paid_at[pay_ok], attempts.ts)


def _line_numbers(line_order: np.ndarray) -> np.ndarray:
    """1, 2, ... within each order (lines grouped by order)."""
    starts = np.flatnonzero(np.r_[True, line_order[1:] != line_order[:-1]]) if len(line_order) else line_order
    return np.arange(len(line_order)) - np.repeat(starts, np.diff(np.r_[starts, len(line_order)])) + 1


def _promo_ids(promos: list[Promotion], index: np.ndarray) -> pa.Array:
    ids = pa.array([*(p.promo_id for p in promos), None])
    return ids.take(pa.array(np.where(index < 0, len(promos), index)))
