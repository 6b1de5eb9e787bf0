"""Hourly marketing spend per channel, and per promotion for the promotions placed on the main venue.

Assumptions: a channel's spend is its visits in the hour times its cost per visit (channels.py) with
log-normal noise (sigma 0.15), so spend follows traffic; a promotion's placement costs a few fen per
main-venue visit while it runs (promotions.py). The ROI-collapse incident multiplies one channel's spend
without bringing more visits.
"""

import numpy as np
import pyarrow as pa

from warroom.simulate.calendar import HOUR_US
from warroom.simulate.channels import CHANNEL_IDS, CPC_FEN, MAIN_VENUE
from warroom.simulate.incidents import ROI_SPEND_MULT, Plan
from warroom.simulate.promotions import PROMO_SPEND_PER_VISIT_FEN, Promotion


def marketing_spend(
    rng: np.random.Generator, hours: np.ndarray, visit_start: np.ndarray, visit_channel: np.ndarray,
    promos: list[Promotion], plan: Plan,
) -> dict:  # fmt: skip
    n_h, n_c = len(hours), len(CHANNEL_IDS)
    slot = (visit_start - hours[0]) // HOUR_US
    inside = (slot >= 0) & (slot < n_h)
    visits = np.bincount(slot[inside] * n_c + visit_channel[inside], minlength=n_h * n_c).reshape(n_h, n_c)
    spend = visits * CPC_FEN[None, :] * rng.lognormal(0.0, 0.15, (n_h, n_c))
    roi = CHANNEL_IDS.index(plan.roi_channel)
    spend[:, roi] *= np.where(plan.roi_collapse.holds(hours), ROI_SPEND_MULT, 1.0)
    hour_col = [np.repeat(hours, n_c)]
    channel_col = [np.tile(np.arange(n_c), n_h)]
    promo_col = [np.full(n_h * n_c, -1)]
    fen_col = [np.rint(spend).astype(np.int64).ravel()]
    for k, p in enumerate(promos):
        rate = PROMO_SPEND_PER_VISIT_FEN.get(p.promo_type)
        live = (hours >= p.starts_us) & (hours < p.ends_us)
        if rate is None or not live.any():
            continue
        hour_col.append(hours[live])
        channel_col.append(np.full(int(live.sum()), MAIN_VENUE))
        promo_col.append(np.full(int(live.sum()), k))
        fen_col.append(visits[live, MAIN_VENUE] * rate)
    promo_ids = pa.array([*(p.promo_id for p in promos), None])
    return {
        "hour": np.concatenate(hour_col),
        "channel_id": pa.array(np.array(CHANNEL_IDS)[np.concatenate(channel_col)]),
        "promo_id": promo_ids.take(pa.array(np.concatenate(promo_col) % (len(promos) + 1))),
        "spend": np.concatenate(fen_col).astype(np.int64),
    }
