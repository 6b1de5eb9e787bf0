from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.analyses.finance.conftest import load, sql
from warroom.analyses.finance.reconcile import match, reconcile
from warroom.metrics import Forbidden, Principal

D = Decimal
T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _pay(pid: int, order: int, amount: str, status: str = "success", second: int = 0) -> dict:
    return {
        "payment_id": pid,
        "order_id": order,
        "ts": T0.replace(second=second),
        "status": status,
        "amount": D(amount),
    }


def test_match_by_hand():
    orders = [
        {"order_id": 1, "paid_at": T0, "paid_amount": D("100.00")},  # paid twice
        {"order_id": 2, "paid_at": T0, "paid_amount": D("50.00")},  # no payment
        {"order_id": 3, "paid_at": T0, "paid_amount": D("30.00")},  # paid 29.90
        {"order_id": 4, "paid_at": None, "paid_amount": D("20.00")},  # unpaid, yet a payment succeeded
        {"order_id": 5, "paid_at": T0, "paid_amount": D("10.00")},  # clean, one failed attempt before
    ]
    payments = [
        _pay(11, 1, "100.00", second=1),
        _pay(10, 1, "100.00", second=0),  # the earlier one settles the order
        _pay(12, 3, "29.90"),
        _pay(13, 4, "20.00"),
        _pay(14, 5, "10.00", "failed"),
        _pay(15, 5, "10.00", second=5),
        _pay(16, 9, "7.00"),  # an order nobody knows
    ]
    refunds = [{"order_id": 5, "amount": D("6.00")}, {"order_id": 5, "amount": D("4.01")}]
    rec = match(orders, payments, refunds)
    assert [(m.reason, m.order_id, m.payment_id, m.difference) for m in rec.mismatches] == [
        ("amount_mismatch", 3, 12, D("-0.10")),
        ("double_payment", 1, 11, D("100.00")),
        ("paid_without_payment", 2, None, D("-50.00")),
        ("payment_without_paid_order", 4, 13, D("20.00")),
        ("payment_without_paid_order", 9, 16, D("7.00")),
        ("refund_exceeds_paid", 5, None, D("0.01")),
    ]
    assert rec.orders_paid == D("190.00")
    assert rec.payments_succeeded == D("266.90")  # 100 + 100 + 29.90 + 20 + 10 + 7
    assert rec.explained == D("76.90")
    assert rec.ties_out and rec.refunds == D("10.01")


def test_clean_simulation_has_nothing_to_reconcile_and_totals_match_sql(sim_wh):
    rec = reconcile(sim_wh)
    assert rec.mismatches == [] and rec.ties_out
    ((paid,),) = sql(sim_wh, "SELECT sum(paid_amount) FROM orders WHERE paid_at IS NOT NULL")
    ((succeeded,),) = sql(sim_wh, "SELECT sum(amount) FROM payments WHERE status = 'success'")
    ((refunded,),) = sql(sim_wh, "SELECT sum(amount) FROM refunds")
    assert (rec.orders_paid, rec.payments_succeeded, rec.refunds) == (paid, succeeded, refunded)


def test_every_injected_mismatch_is_listed_and_nothing_else(small_sim, tmp_path):
    wh = load(small_sim, tmp_path / "broken.duckdb")
    try:
        clean = sql(
            wh,
            """SELECT o.order_id, o.paid_amount, y.payment_id FROM orders o JOIN payments y USING (order_id)
               WHERE o.paid_at IS NOT NULL AND y.status = 'success'
                 AND o.order_id NOT IN (SELECT order_id FROM refunds) ORDER BY o.order_id LIMIT 4""",
        )
        (a, _, a_pay), (b, b_amount, _), (c, _, c_pay), (e, e_amount, _) = clean
        ((d, d_amount),) = sql(wh, "SELECT order_id, paid_amount FROM orders WHERE paid_at IS NULL LIMIT 1")
        ((next_id,),) = sql(wh, "SELECT max(payment_id) + 1 FROM payments")
        cur = wh.cursor()
        cur.execute("DELETE FROM payments WHERE payment_id = ?", [a_pay])  # A: paid, payment lost
        cur.execute(  # B: paid twice, a minute apart
            """INSERT INTO payments SELECT ?, order_id, ts + INTERVAL 1 MINUTE, method, status, failure_code, amount
               FROM payments WHERE order_id = ? AND status = 'success'""",
            [next_id, b],
        )
        cur.execute(
            "UPDATE payments SET amount = amount + 1.00 WHERE payment_id = ?", [c_pay]
        )  # C: 1.00 too much
        cur.execute(  # D: unpaid order, yet a successful payment
            "INSERT INTO payments VALUES (?, ?, TIMESTAMPTZ '2026-11-11 00:00:00+00', 'alipay', 'success', NULL, ?)",
            [next_id + 1, d, d_amount],
        )
        cur.execute(  # E: refunded 0.01 more than paid
            "INSERT INTO refunds VALUES (?, ?, NULL, TIMESTAMPTZ '2026-11-11 00:00:00+00', ?, 'quality', 'full')",
            [10**9, e, e_amount + D("0.01")],
        )
        cur.close()
        rec = reconcile(wh)
    finally:
        wh.close()
    got = {(m.reason, m.order_id, m.payment_id, m.difference) for m in rec.mismatches}
    assert got == {
        ("paid_without_payment", a, None, -sql_amount(clean, a)),
        ("double_payment", b, next_id, b_amount),
        ("amount_mismatch", c, c_pay, D("1.00")),
        ("payment_without_paid_order", d, next_id + 1, d_amount),
        ("refund_exceeds_paid", e, None, D("0.01")),
    }
    assert rec.ties_out


def sql_amount(rows: list[tuple], order_id: int) -> Decimal:
    return next(amount for oid, amount, _ in rows if oid == order_id)


def test_reconciliation_is_finance_only(sim_wh):
    with pytest.raises(Forbidden, match="payments_received"):
        reconcile(sim_wh, principal=Principal("ops", allowed_sensitivities=["public"]))
    assert isinstance(reconcile(sim_wh, principal=Principal("fin", ["public", "finance"])).mismatches, list)
