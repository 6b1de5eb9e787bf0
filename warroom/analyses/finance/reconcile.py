"""Reconciliation of orders, payments and refunds: every mismatch with its reason, and totals that tie out.

    paid orders' total  =  successful payments' total  -  sum of the listed mismatches' differences

holds exactly by construction, because each order's payments are matched to it one by one: the first
successful payment (by time, then id) settles the order, a difference in amount is a mismatch, every further
successful payment is a double payment, a paid order without one is missing its payment, and a payment for
an order that is not paid (or unknown) is unmatched. Refunds above what was paid are listed too; they sit
outside the identity (they are money out, not in). The rows come from dataset() under the caller's policy.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from warroom.metrics import Filter, Principal, dataset, load_catalog
from warroom.metrics.access import check_metrics
from warroom.warehouse import Warehouse

REASONS = {
    "paid_without_payment": ("已支付订单无成功支付", "Paid order without a successful payment"),
    "payment_without_paid_order": ("成功支付无对应已付订单", "Successful payment for an order not paid"),
    "double_payment": ("重复支付", "Double payment"),
    "amount_mismatch": ("支付金额与订单不符", "Payment amount differs from the order's"),
    "refund_exceeds_paid": ("退款超过实付", "Refunds exceed what was paid"),
}


@dataclass(frozen=True)
class Mismatch:
    reason: str  # a key of REASONS
    order_id: int
    payment_id: int | None
    difference: Decimal  # payment side minus order side; for refunds: refunded minus paid
    detail: str


@dataclass(frozen=True)
class Reconciliation:
    orders_paid: Decimal  # total paid_amount of paid orders
    payments_succeeded: Decimal  # total of successful payments
    refunds: Decimal
    mismatches: list[Mismatch]

    @property
    def explained(self) -> Decimal:
        """What the listed payment mismatches account for (refund excesses are not part of the identity)."""
        return sum((m.difference for m in self.mismatches if m.reason != "refund_exceeds_paid"), Decimal(0))

    @property
    def ties_out(self) -> bool:
        return self.orders_paid == self.payments_succeeded - self.explained

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(REASONS, 0)
        for m in self.mismatches:
            out[m.reason] += 1
        return out


def match(orders: list[dict], payments: list[dict], refunds: list[dict]) -> Reconciliation:
    """The pure core. orders: {order_id, paid_at, paid_amount}; payments: {payment_id, order_id, ts, status,
    amount}; refunds: {order_id, amount}."""
    paid = {o["order_id"]: o["paid_amount"] for o in orders if o["paid_at"] is not None}
    known = {o["order_id"] for o in orders}
    succeeded: dict[int, list[dict]] = defaultdict(list)
    for p in sorted(payments, key=lambda p: (p["ts"], p["payment_id"])):
        if p["status"] == "success":
            succeeded[p["order_id"]].append(p)
    out: list[Mismatch] = []
    for order_id, amount in paid.items():
        found = succeeded.get(order_id, [])
        if not found:
            out.append(Mismatch("paid_without_payment", order_id, None, -amount, f"order paid {amount}"))
            continue
        first, *extra = found
        if first["amount"] != amount:
            out.append(
                Mismatch(
                    "amount_mismatch",
                    order_id,
                    first["payment_id"],
                    first["amount"] - amount,
                    f"payment {first['amount']} vs order {amount}",
                )
            )
        out += [
            Mismatch("double_payment", order_id, p["payment_id"], p["amount"], f"payment no. {i + 2} of {p['amount']}")
            for i, p in enumerate(extra)
        ]  # fmt: skip
    for order_id, found in succeeded.items():
        if order_id not in paid:
            state = "is not paid" if order_id in known else "is unknown"
            out += [
                Mismatch("payment_without_paid_order", order_id, p["payment_id"], p["amount"], f"order {state}")
                for p in found
            ]  # fmt: skip
    refunded: dict[int, Decimal] = defaultdict(Decimal)
    for r in refunds:
        refunded[r["order_id"]] += r["amount"]
    for order_id, amount in refunded.items():
        limit = paid.get(order_id, Decimal(0))
        if amount > limit:
            out.append(
                Mismatch(
                    "refund_exceeds_paid", order_id, None, amount - limit, f"refunded {amount}, paid {limit}"
                )
            )
    return Reconciliation(
        orders_paid=sum(paid.values(), Decimal(0)),
        payments_succeeded=sum((p["amount"] for ps in succeeded.values() for p in ps), Decimal(0)),
        refunds=sum(refunded.values(), Decimal(0)),
        mismatches=sorted(out, key=lambda m: (m.reason, m.order_id, m.payment_id or 0)),
    )


def reconcile(
    warehouse: Warehouse,
    *,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    principal: Principal | None = None,
) -> Reconciliation:
    """Orders placed in [time_from, time_to) (all when None), with their payments and refunds."""
    check_metrics(load_catalog(), principal, ["payments_received"])  # finance-sensitive, like the totals

    def placed(column: str) -> list[Filter]:
        out = []
        if time_from is not None:
            out.append(Filter(dimension=column, op=">=", value=time_from.isoformat()))
        if time_to is not None:
            out.append(Filter(dimension=column, op="<", value=time_to.isoformat()))
        return out

    orders = dataset(warehouse, "orders", ["order_id", "paid_at", "paid_amount"], placed("ts"), principal)
    payments = dataset(
        warehouse,
        "payments",
        ["payment_id", "order_id", "ts", "status", "amount"],
        placed("orders.ts"),
        principal,
    )
    refunds = dataset(warehouse, "refunds", ["order_id", "amount"], placed("orders.ts"), principal)
    return match(orders.to_pylist(), payments.to_pylist(), refunds.to_pylist())
