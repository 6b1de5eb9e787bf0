"""Payment attempts: method, outcome, failure code, retries.

Assumptions: 92% of placed orders go on to pay (the rest abandon and are cancelled after 30 minutes);
an attempt fails 5% of the time (INSUFFICIENT_FUNDS 35%, BANK_ERROR 30%, RISK_REJECTED 20%, TIMEOUT 15%),
40% during the payment surge incident (80% of those TIMEOUT, each taking the 30 s gateway timeout); 75%
of failed attempts are retried, 60% with the same method, up to 3 attempts. Methods: alipay 42%, wechat
25%, huabei 20%, card 8%, unionpay 5%. So order -> pay lands around 88-91% outside the incident.
"""

from dataclasses import dataclass

import numpy as np

from warroom.schema.tables import PAYMENT_METHODS
from warroom.simulate.calendar import US
from warroom.simulate.incidents import PAYMENT_FAILURE_RATE, Plan

P_ATTEMPT = 0.92
P_FAIL = 0.05
P_RETRY = 0.75
P_SAME_METHOD = 0.60
MAX_ATTEMPTS = 3
METHOD_P = np.array([0.42, 0.25, 0.20, 0.08, 0.05])
FAILURE_CODES = ("INSUFFICIENT_FUNDS", "BANK_ERROR", "RISK_REJECTED", "TIMEOUT")
FAILURE_P = np.array([0.35, 0.30, 0.20, 0.15])
SURGE_FAILURE_P = np.array([0.08, 0.07, 0.05, 0.80])
TIMEOUT_US = 30 * US


@dataclass
class Attempts:
    order: np.ndarray  # index of the order paid for
    ts: np.ndarray  # when the attempt finished
    method: np.ndarray  # index into PAYMENT_METHODS
    failure: np.ndarray  # index into FAILURE_CODES, -1 on success
    paid_at: np.ndarray  # per order: the successful attempt's time, -1 if none
    paid_method: np.ndarray  # per order: the successful attempt's method, -1 if none


def attempt_payments(rng: np.random.Generator, order_ts: np.ndarray, plan: Plan) -> Attempts:
    n = len(order_ts)
    active = np.flatnonzero(rng.random(n) < P_ATTEMPT)
    t = order_ts[active] + 5 * US + rng.exponential(40 * US, len(active)).astype(np.int64)
    method = rng.choice(len(PAYMENT_METHODS), size=len(active), p=METHOD_P)
    paid_at = np.full(n, -1, dtype=np.int64)
    paid_method = np.full(n, -1, dtype=np.int64)
    parts: list[tuple[np.ndarray, ...]] = []
    for attempt in range(MAX_ATTEMPTS):
        surge = plan.payment_surge.holds(t)
        fail = rng.random(len(active)) < np.where(surge, PAYMENT_FAILURE_RATE, P_FAIL)
        normal_code = rng.choice(len(FAILURE_CODES), size=len(active), p=FAILURE_P)
        surge_code = rng.choice(len(FAILURE_CODES), size=len(active), p=SURGE_FAILURE_P)
        code = np.where(fail, np.where(surge, surge_code, normal_code), -1)
        took = np.where(
            code == FAILURE_CODES.index("TIMEOUT"), TIMEOUT_US, rng.integers(US, 3 * US, len(active))
        )
        done = t + took
        parts.append((active, done, method, code))
        paid_at[active[~fail]] = done[~fail]
        paid_method[active[~fail]] = method[~fail]
        if attempt == MAX_ATTEMPTS - 1:
            break
        retry = fail & (rng.random(len(active)) < P_RETRY)
        switch = rng.random(len(active)) >= P_SAME_METHOD
        new_method = rng.choice(len(PAYMENT_METHODS), size=len(active), p=METHOD_P)
        method = np.where(switch, new_method, method)
        t = done + 10 * US + rng.exponential(30 * US, len(active)).astype(np.int64)
        active, t, method = active[retry], t[retry], method[retry]
    order, ts, meth, failure = (np.concatenate(col) for col in zip(*parts, strict=True))
    return Attempts(order, ts, meth, failure, paid_at, paid_method)
