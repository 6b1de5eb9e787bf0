from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.analyses.finance.conftest import SHANGHAI, sql
from warroom.analyses.finance.cashflow import CashDay, cash_flow, forecast_days, funding_need, settle
from warroom.errors import UserError

D = Decimal
NOV = [date(2026, 11, d) for d in range(1, 12)]


def _day(
    d: date, inflow: str, refunds: str = "0", marketing: str = "0", logistics: str = "0", fees: str = "0"
):
    return CashDay(d, D(inflow), D(refunds), D(marketing), D(logistics), D(fees))


def test_settle_moves_each_method_by_its_days():
    received = {(NOV[0], "alipay"): D("10.00"), (NOV[0], "card"): D("5.00"), (NOV[1], "alipay"): D("1.00")}
    assert settle(received, {"alipay": 1, "card": 2}) == {NOV[1]: D("10.00"), NOV[2]: D("6.00")}


def test_funding_need_is_the_deepest_cumulative_dip():
    days = [_day(NOV[0], "10", refunds="30"), _day(NOV[1], "0", marketing="5"), _day(NOV[2], "40")]
    assert funding_need(days) == D("25")  # -20, then -25, then +15
    assert funding_need([_day(NOV[0], "1")]) == D("0")


def test_forecast_by_hand():
    history = [_day(d, "0", marketing="3.00", logistics="1.00", fees="0.30") for d in NOV[6:10]]
    received = {(NOV[8], "alipay"): D("90.00"), (NOV[9], "alipay"): D("120.00"), (NOV[9], "card"): D("30.00")}
    ahead = forecast_days(
        last_actual=NOV[9], horizon=2, received=received, history=history,
        paid_gmv={NOV[8]: D("100.00"), NOV[9]: D("200.00")}, refund_rate=0.1,
        settlement_days={"alipay": 1, "card": 2}, lookback=2,
    )  # fmt: skip
    # lookback = 9 and 8 Nov: alipay mean (90 + 0) / 2 = 45 a day, card 0; paid GMV mean 50 -> refunds 5.
    # 11 Nov receives today's (10 Nov) alipay 120 (T+1); 12 Nov: 10 Nov's card 30 (T+2) + 11 Nov's alipay 45.
    assert [(d.day, d.inflow, d.refunds, d.marketing, d.logistics, d.fees) for d in ahead] == [
        (NOV[10], D("120.00"), D("5.00"), D("3.00"), D("1.00"), D("0.30")),
        (NOV[10] + timedelta(days=1), D("75.00"), D("5.00"), D("3.00"), D("1.00"), D("0.30")),
    ]
    assert all(d.forecast for d in ahead)


def test_actual_days_match_hand_written_sql(sim_wh):
    now = datetime(2026, 11, 11, 12, tzinfo=SHANGHAI)
    flow = cash_flow(
        sim_wh, time_from=datetime(2026, 11, 1, tzinfo=SHANGHAI), now=now, tz=SHANGHAI, horizon=3
    )
    actual = [d for d in flow.days if not d.forecast]
    assert [d.day for d in actual] == NOV and len(flow.days) == len(NOV) + 3
    settled = dict(
        sql(
            sim_wh,
            """SELECT (timezone('Asia/Shanghai', ts)::DATE + CASE method WHEN 'card' THEN 2 WHEN 'unionpay' THEN 3
                       ELSE 1 END)::DATE AS d, sum(amount)
               FROM payments WHERE status = 'success' AND ts < ? GROUP BY 1""",
            now,
        )
    )
    refunds = dict(
        sql(
            sim_wh,
            "SELECT timezone('Asia/Shanghai', ts)::DATE, sum(amount) FROM refunds WHERE ts < ? GROUP BY 1",
            now,
        )
    )
    for d in actual:
        assert d.inflow == settled.get(d.day, 0), d.day
        assert d.refunds == refunds.get(d.day, 0), d.day
    ((pending,),) = sql(
        sim_wh,
        """SELECT sum(amount) FROM payments WHERE status = 'success' AND ts < ? AND
           timezone('Asia/Shanghai', ts)::DATE + CASE method WHEN 'card' THEN 2 WHEN 'unionpay' THEN 3 ELSE 1 END
           > DATE '2026-11-11'""",
        now,
    )
    assert flow.pending == pending
    assert flow.refund_rate is not None and 0 < flow.refund_rate < 1


def test_settlement_days_are_configurable_and_checked(sim_wh):
    now = datetime(2026, 11, 5, tzinfo=SHANGHAI)
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    same_day = cash_flow(sim_wh, time_from=start, now=now, tz=SHANGHAI, settlement_days=dict.fromkeys(
        ("alipay", "wechat", "huabei", "card", "unionpay"), 0
    ))  # fmt: skip
    ((nov2,),) = sql(
        sim_wh,
        "SELECT sum(amount) FROM payments WHERE status = 'success' AND timezone('Asia/Shanghai', ts)::DATE = DATE '2026-11-02'",
    )
    assert next(d.inflow for d in same_day.days if d.day == NOV[1]) == nov2
    with pytest.raises(UserError, match="unknown payment method"):
        cash_flow(sim_wh, time_from=start, now=now, tz=SHANGHAI, settlement_days={"paypal": 1})
