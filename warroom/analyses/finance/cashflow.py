"""Cash flow by day: money in when the payment institutions settle (T+N by method), money out for refunds,
marketing, logistics and payment fees; and a forecast of the next days' net cash and funding need.

Forecast method (shown on the finance page):
- settlements already owed: payments received in the last N days that settle on a future day (known);
- new sales: each future day receives the mean daily payments of the last `lookback` full days, in the
  same mix of methods, settling T+N like the rest;
- refunds: the refund rate observed over the last `refund_window` days (refunds / paid GMV) times the mean
  daily paid GMV of the lookback days;
- marketing, logistics and payment fees: their mean per day over the lookback days;
- funding need: the deepest point of the cumulative forecast net cash below zero (0 if it never dips).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, Principal, run_query
from warroom.schema.tables import PAYMENT_METHODS
from warroom.warehouse import Warehouse

# Settlement cycles by method (days after payment the money reaches the merchant's account): Alipay and
# WeChat Pay settle merchants T+1 by default, Huabei instalments are paid to the merchant like Alipay,
# bank cards through an acquirer T+2 and UnionPay T+3 (typical acquirer terms; set your contract's).
SETTLEMENT_DAYS: dict[str, int] = {"alipay": 1, "wechat": 1, "huabei": 1, "card": 2, "unionpay": 3}
OUT_METRICS = ("refund_amount", "spend", "logistics_cost", "payment_fees")
FEN = Decimal("0.01")


@dataclass(frozen=True)
class CashDay:
    day: date
    inflow: Decimal  # settlements landing that day
    refunds: Decimal
    marketing: Decimal
    logistics: Decimal
    fees: Decimal
    forecast: bool = False

    @property
    def outflow(self) -> Decimal:
        return self.refunds + self.marketing + self.logistics + self.fees

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class CashFlow:
    days: list[CashDay]  # actual days, then forecast days
    funding_need: Decimal
    refund_rate: float | None  # observed, used by the forecast
    settlement_days: dict[str, int] = field(default_factory=dict)
    pending: Decimal = Decimal(0)  # received but not yet settled at the end of the actual days


def settle(received: dict[tuple[date, str], Decimal], settlement_days: dict[str, int]) -> dict[date, Decimal]:
    """Money landing per day: each (payment day, method) amount moved forward by the method's T+N."""
    out: dict[date, Decimal] = defaultdict(Decimal)
    for (day, method), amount in received.items():
        out[day + timedelta(days=settlement_days[method])] += amount
    return dict(out)


def forecast_days(
    *,
    last_actual: date,
    horizon: int,
    received: dict[tuple[date, str], Decimal],
    history: list[CashDay],
    paid_gmv: dict[date, Decimal],
    refund_rate: float | None,
    settlement_days: dict[str, int],
    lookback: int,
) -> list[CashDay]:
    """The next `horizon` days after last_actual (pure: see the module docstring for the method)."""
    window = [last_actual - timedelta(days=i) for i in range(1, lookback + 1)]  # full days before the last
    n = Decimal(len(window))
    future_received = dict(received)
    for method in settlement_days:
        mean = sum((received.get((d, method), Decimal(0)) for d in window), Decimal(0)) / n
        for i in range(1, horizon + 1):
            future_received[(last_actual + timedelta(days=i), method)] = mean
    # today's payments so far are in `received`; the rest of today is not extrapolated (no partial-day guess)
    landing = settle(future_received, settlement_days)
    recent = [h for h in history if h.day in window]

    def mean_of(attr: str) -> Decimal:
        return (sum((getattr(h, attr) for h in recent), Decimal(0)) / n).quantize(FEN, ROUND_HALF_UP)

    gmv = sum((paid_gmv.get(d, Decimal(0)) for d in window), Decimal(0)) / n
    refunds = (gmv * Decimal(str(refund_rate or 0))).quantize(FEN, ROUND_HALF_UP)
    return [
        CashDay(
            day,
            landing.get(day, Decimal(0)).quantize(FEN, ROUND_HALF_UP),
            refunds,
            mean_of("marketing"),
            mean_of("logistics"),
            mean_of("fees"),
            forecast=True,
        )
        for day in (last_actual + timedelta(days=i) for i in range(1, horizon + 1))
    ]


def funding_need(days: list[CashDay]) -> Decimal:
    """How far the cumulative net cash of `days` falls below zero at its lowest (0 if never)."""
    running, lowest = Decimal(0), Decimal(0)
    for d in days:
        running += d.net
        lowest = min(lowest, running)
    return -lowest


def cash_flow(
    warehouse: Warehouse,
    *,
    time_from: datetime,
    now: datetime,
    tz: ZoneInfo,
    principal: Principal | None = None,
    filters: list[Filter] | tuple[Filter, ...] = (),
    settlement_days: dict[str, int] | None = None,
    horizon: int = 3,
    lookback: int = 3,
    refund_window: int = 7,
) -> CashFlow:
    """Actual cash days from time_from's day to now's day (today so far), then `horizon` forecast days."""
    days_by_method = {**SETTLEMENT_DAYS, **(settlement_days or {})}
    unknown = sorted(set(days_by_method) - set(PAYMENT_METHODS))
    if unknown:
        raise UserError(f"settlement days for unknown payment method(s) {unknown}; use {PAYMENT_METHODS}")
    if any(v < 0 for v in days_by_method.values()) or horizon < 1 or lookback < 1 or refund_window < 1:
        raise UserError("settlement days must be >= 0, and horizon, lookback and refund window >= 1")
    first = time_from.astimezone(tz).date()
    today = now.astimezone(tz).date()
    if first > today:
        raise UserError(f"cash flow from {first} starts after now ({today})")
    early = min(first - timedelta(days=max(days_by_method.values())), today - timedelta(days=refund_window))
    start = datetime.combine(min(early, today - timedelta(days=lookback)), time(0), tzinfo=tz)

    def daily(metrics: list[str], dims: list[str]) -> list[dict]:
        query = MetricQuery(
            metrics=metrics, dimensions=dims, filters=list(filters), time_from=start, time_to=now, grain="day"
        )
        return run_query(warehouse, query, principal).rows.to_pylist()

    def local(t: datetime) -> date:
        return t.astimezone(tz).date()

    received = {
        (local(r["time"]), r["payment_method"]): r["payments_received"] or Decimal(0)
        for r in daily(["payments_received"], ["payment_method"])
    }
    outs = {local(r["time"]): r for r in daily([*OUT_METRICS, "gmv_paid"], [])}
    landing = settle(received, days_by_method)

    def money(row: dict | None, metric: str) -> Decimal:
        value = (row or {}).get(metric)
        return Decimal(0) if value is None else Decimal(value).quantize(FEN, ROUND_HALF_UP)

    every = [start.date() + timedelta(days=i) for i in range((today - start.date()).days + 1)]
    history = [
        CashDay(
            d,
            landing.get(d, Decimal(0)),
            money(outs.get(d), "refund_amount"),
            money(outs.get(d), "spend"),
            money(outs.get(d), "logistics_cost"),
            money(outs.get(d), "payment_fees"),
        )
        for d in every
    ]
    paid_gmv = {d: money(r, "gmv_paid") for d, r in outs.items()}
    rate_days = [today - timedelta(days=i) for i in range(1, refund_window + 1)]
    gmv_window = sum((paid_gmv.get(d, Decimal(0)) for d in rate_days), Decimal(0))
    refunds_window = sum((h.refunds for h in history if h.day in rate_days), Decimal(0))
    refund_rate = float(refunds_window / gmv_window) if gmv_window else None
    ahead = forecast_days(
        last_actual=today,
        horizon=horizon,
        received=received,
        history=history,
        paid_gmv=paid_gmv,
        refund_rate=refund_rate,
        settlement_days=days_by_method,
        lookback=lookback,
    )
    pending = sum(
        (a for (d, m), a in received.items() if d + timedelta(days=days_by_method[m]) > today), Decimal(0)
    )
    return CashFlow(
        days=[h for h in history if h.day >= first] + ahead,
        funding_need=funding_need(ahead),
        refund_rate=refund_rate,
        settlement_days=days_by_method,
        pending=pending,
    )
