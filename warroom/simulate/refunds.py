"""Refunds of paid order lines: full returns and partial compensation, with reasons, after the sale.

Assumptions: the share of paid lines refunded by L1 category (apparel highest, from size and fit:
women's 22%, men's 15%, sports 10%, home 6%, beauty and baby 5%, electronics 4%, food 3%); 80% full
refunds of the line's paid value (shipping is not refunded), 20% partial (10-30% back as compensation or
price protection). A full refund comes 1 day + log-normal (median 3 days) after payment, a partial one
0.5 day + median 1.5 days. Refunds after the period's end are not in the data. The refund-spike incident
adds REFUND_SPIKE_RATE of one category's first-wave lines, all on one day, for quality or damage.
"""

from dataclasses import dataclass

import numpy as np

from warroom.schema.tables import REFUND_REASONS
from warroom.simulate.calendar import DAY_US
from warroom.simulate.catalog import APPAREL, L1_NAMES, Catalog
from warroom.simulate.incidents import REFUND_SPIKE_RATE, Plan

REFUND_RATE = {
    "女装": 0.22,
    "男装": 0.15,
    "运动": 0.10,
    "家居": 0.06,
    "美妆": 0.05,
    "母婴": 0.05,
    "数码": 0.04,
    "食品": 0.03,
}
PARTIAL_SHARE = 0.20
# Reason mix, columns in REFUND_REASONS order: size_fit, quality, not_as_described, changed_mind, late, damaged.
REASONS_APPAREL = np.array([0.50, 0.15, 0.10, 0.20, 0.03, 0.02])
REASONS_OTHER = np.array([0.00, 0.30, 0.20, 0.30, 0.08, 0.12])
SPIKE_REASONS = np.array([0.0, 0.6, 0.0, 0.0, 0.0, 0.4])


@dataclass
class RefundRows:
    line: np.ndarray  # index of the refunded order line
    ts: np.ndarray
    amount: np.ndarray  # fen
    reason: np.ndarray  # index into REFUND_REASONS
    full: np.ndarray  # bool


def make_refunds(
    rng: np.random.Generator, line_sku: np.ndarray, line_net: np.ndarray, line_paid_at: np.ndarray,
    catalog: Catalog, plan: Plan,
) -> RefundRows:  # fmt: skip
    n = len(line_sku)
    l1 = catalog.l1[line_sku]
    rate = np.array([REFUND_RATE[name] for name in L1_NAMES])[l1]
    paid = (line_paid_at >= 0) & (line_net > 0)
    refund = paid & (rng.random(n) < rate)
    full = rng.random(n) >= PARTIAL_SHARE
    days = np.where(full, 1.0 + rng.lognormal(np.log(3.0), 0.6, n), 0.5 + rng.lognormal(np.log(1.5), 0.6, n))
    ts = line_paid_at + (days * DAY_US).astype(np.int64)
    apparel = np.isin(l1, [L1_NAMES.index(c) for c in APPAREL])
    reason = np.where(
        apparel,
        rng.choice(len(REFUND_REASONS), size=n, p=REASONS_APPAREL),
        rng.choice(len(REFUND_REASONS), size=n, p=REASONS_OTHER),
    )
    spike = (
        paid
        & (l1 == L1_NAMES.index(plan.refund_category))
        & plan.refund_bought.holds(line_paid_at)
        & (rng.random(n) < REFUND_SPIKE_RATE)
    )
    spike_ts = rng.integers(plan.refund_spike.start_us, plan.refund_spike.end_us, n)
    spike &= spike_ts > line_paid_at
    refund |= spike
    full |= spike
    ts = np.where(spike, spike_ts, ts)
    reason = np.where(spike, rng.choice(len(REFUND_REASONS), size=n, p=SPIKE_REASONS), reason)
    part = np.maximum(1, (line_net * rng.uniform(0.1, 0.3, n)).astype(np.int64))
    amount = np.where(full, line_net, np.minimum(part, line_net))
    idx = np.flatnonzero(refund)
    return RefundRows(idx, ts[idx], amount[idx], reason[idx], full[idx])
