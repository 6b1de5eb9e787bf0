"""Splitting an order-level amount over its lines pro rata, exactly in fen (largest remainder)."""

import numpy as np


def allocate(totals: np.ndarray, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split totals[g] over the lines i with group[i] == g in proportion to weights[i].

    Each line gets floor(total * w / W) fen; the fen left over go one each to the lines with the largest
    remainders (ties to the earlier line), so every group's parts add up to its total exactly. A group
    whose weights sum to 0 must have a total of 0. All int64; total * weight must fit (< 9.2e18).
    """
    totals = np.asarray(totals, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.int64)
    wsum = np.bincount(group, weights=weights, minlength=len(totals)).astype(np.int64)
    if np.any((wsum == 0) & (totals != 0)):
        raise ValueError("allocate: a non-zero total over lines whose weights sum to 0")
    num = totals[group] * weights
    den = np.maximum(wsum[group], 1)
    share = num // den
    remainder = num - share * den
    left = totals - np.bincount(group, weights=share, minlength=len(totals)).astype(np.int64)
    # Rank lines within their group by remainder, largest first, earlier line first on ties.
    order = np.lexsort((np.arange(len(group)), -remainder, group))
    first = np.searchsorted(group[order], np.arange(len(totals)))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - first[group[order]]
    return share + (rank < left[group])
