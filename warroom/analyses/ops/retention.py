"""Repurchase and churn: the repurchase rate, weekly cohort retention, and each customer's churn risk from a
BG/NBD model (warroom.analyses.clv, cohorts).

Method: purchase days are local (Asia/Shanghai) days of paid orders (or, for a source that has a behaviour
log but no orders, of its pay events: `purchases="pay_events"`). Repurchase rate = customers with two or
more purchase days / customers. Retention: weekly first-purchase cohorts. BG/NBD: frequency (repeat
purchase days), recency and age in days at the calibration end (the last full day before `end`), fitted
by maximum likelihood (SciPy L-BFGS-B on log-parameters); churn risk = 1 - P(alive), and the expected
purchase days in the next `horizon_days` days.
"""

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from warroom.analyses.clv import customer_summary, fit_bgnbd
from warroom.analyses.cohorts import repurchase, retention
from warroom.analyses.ops.purchases import paid_orders, pay_events
from warroom.analyses.ops.scope import records
from warroom.errors import UserError
from warroom.metrics import Principal
from warroom.warehouse import Warehouse


def churn(
    warehouse: Warehouse,
    *,
    end: datetime,
    tz: ZoneInfo,
    principal: Principal | None = None,
    horizon_days: int = 30,
    purchases: Literal["orders", "pay_events"] = "orders",
    orders: pa.Table | None = None,
) -> dict:
    """{"repurchase": {customers, repeat_customers, rate}, "retention": [cohort rows], "model": {r, alpha, a,
    b, log_likelihood, customers}, "customers": Arrow table customer_id, frequency, recency, age, p_alive,
    churn_risk, expected_purchases (highest risk among repeat buyers first)}. `orders`: the purchase history
    already read (paid_orders(...)), to share one read with other analyses."""
    if purchases not in ("orders", "pay_events"):
        raise UserError(f"purchases {purchases!r}: use 'orders' or 'pay_events'")
    if orders is None:
        history = paid_orders if purchases == "orders" else pay_events
        orders = history(warehouse, end=end, tz=tz, principal=principal)
    again = repurchase(orders)
    cohorts = retention(orders, grain="week")
    calibration_end = (end - timedelta(microseconds=1)).astimezone(tz).date()
    summary = customer_summary(orders, calibration_end=calibration_end, unit="day")
    x, t_x, T = (summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "age"))
    model = fit_bgnbd(x, t_x, T)
    alive = model.p_alive(x, t_x, T)
    scored = summary.select(["customer_id", "frequency", "recency", "age"]).append_column(
        "p_alive", pa.array(alive)
    )
    scored = scored.append_column("churn_risk", pc.subtract(1.0, scored["p_alive"]))
    scored = scored.append_column(
        "expected_purchases", pa.array(model.expected_purchases(horizon_days, x, t_x, T))
    )
    scored = scored.sort_by([("churn_risk", "descending"), ("frequency", "descending")])
    return {
        "repurchase": {
            "customers": again.customers,
            "repeat_customers": again.repeat_customers,
            "rate": again.rate,
        },
        "retention": records(cohorts),
        "model": {
            "r": model.r,
            "alpha": model.alpha,
            "a": model.a,
            "b": model.b,
            "log_likelihood": model.log_likelihood,
            "customers": model.customers,
        },
        "customers": scored,
    }
