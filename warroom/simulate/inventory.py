"""Stock on hand per SKU: orders take units first come, first served, and snapshots record the level.

Assumptions: each SKU starts the period with 1.5-4x its expected sales (3% of SKUs only 0.6-1x, so a few
sell out on their own); there is no restocking within the period. The hot launch SKU gets a third of what
its launch would sell (incidents.py). An order line takes min(quantity, units left); once a SKU is at 0,
lines for it are dropped (the buyer sees "sold out"). Snapshots: every SKU at the start, each SKU that
changed at the top of the next hour, and the moment a SKU reaches 0.
"""

from dataclasses import dataclass, field

import numpy as np

from warroom.simulate.calendar import HOUR_US


@dataclass
class Stock:
    on_hand: np.ndarray  # units per catalog index
    stockout_us: np.ndarray = field(init=False)  # first time each SKU reached 0, -1 if never

    def __post_init__(self) -> None:
        self.stockout_us = np.full(len(self.on_hand), -1, dtype=np.int64)

    def take(self, line_sku: np.ndarray, qty: np.ndarray, line_ts: np.ndarray) -> tuple[np.ndarray, dict]:
        """Units each line gets (lines in time order), and the snapshots (ts, sku, on_hand) this causes."""
        by_sku = np.lexsort((np.arange(len(line_sku)), line_sku))
        sku, q = line_sku[by_sku], qty[by_sku]
        cum = np.cumsum(q)
        starts = (
            np.flatnonzero(np.r_[True, sku[1:] != sku[:-1]]) if len(sku) else np.array([], dtype=np.int64)
        )
        lengths = np.diff(np.r_[starts, len(sku)])
        before = cum - q - np.repeat((cum - q)[starts], lengths)  # units wanted earlier in this batch
        got_sorted = np.clip(self.on_hand[sku] - before, 0, q)
        got = np.empty_like(got_sorted)
        got[by_sku] = got_sorted
        left_sorted = self.on_hand[sku] - before - got_sorted
        ts_sorted = line_ts[by_sku]
        # Snapshot at stock-out: the line that takes the last unit.
        out = (got_sorted > 0) & (left_sorted == 0)
        np.subtract.at(self.on_hand, line_sku, got)
        new_out = out & (self.stockout_us[sku] < 0)
        self.stockout_us[sku[new_out]] = ts_sorted[new_out]
        # Hourly snapshots: the last level of each SKU that changed in an hour, at the top of the next.
        moved = got_sorted > 0
        hour = ts_sorted[moved] // HOUR_US
        key = hour * len(self.on_hand) + sku[moved]
        last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
        snaps = {
            "ts": np.concatenate([ts_sorted[out], (hour[last] + 1) * HOUR_US]),
            "sku": np.concatenate([sku[out], sku[moved][last]]),
            "on_hand": np.concatenate([left_sorted[out], left_sorted[moved][last]]),
        }
        return got, snaps


def initial_stock(rng: np.random.Generator, expected_units: np.ndarray) -> np.ndarray:
    cover = rng.uniform(1.5, 4.0, len(expected_units))
    short = rng.random(len(expected_units)) < 0.03
    cover[short] = rng.uniform(0.6, 1.0, int(short.sum()))
    return np.ceil(expected_units * cover).astype(np.int64) + 3
