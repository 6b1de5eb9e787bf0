"""A fixed log-bucket latency histogram: percentiles from bucket counts, with a stated error bound.

Why: DuckDB sums ~178M rows/s per thread but exact percentiles run at 10-15M rows/s (DESIGN.md), so beyond
a few million rows per refresh the exact p99 is too slow for a live page. Counting rows per bucket is a sum.

Buckets: bound j is 2^(j/4) ms rounded to 0.001 ms, j = 0..64 (1 ms .. 65.536 s); bucket k holds
[BOUNDS[k-1], BOUNDS[k]), bucket 0 everything under 1 ms and bucket 65 everything from 65.536 s. The catalog
dimension `latency_bucket` computes the same k in the warehouse. Counts from several windows or services
merge by adding.

Error bound: the estimate of a quantile is the geometric middle of the bucket that holds the rank-ceil(q n)
value (numpy's "inverted_cdf" quantile), so for values between 1 ms and 65.536 s it is within REL_ERROR
(9.07%) of that value, relatively. Interpolated percentiles (the metric layer's exact ones) lie between two
neighbouring order statistics and agree to the same bound when those share a bucket, as they do on the
simulated data (tests/analyses/tech/test_sketch.py).
"""

import math
from collections.abc import Mapping
from itertools import pairwise

import numpy as np

BOUNDS: tuple[float, ...] = tuple(round(2 ** (j / 4), 3) for j in range(65))
N_BUCKETS = len(BOUNDS) + 1
REL_ERROR = max(math.sqrt(hi / lo) for lo, hi in pairwise(BOUNDS)) - 1


def bucket_of(latency_ms: np.ndarray) -> np.ndarray:
    """The bucket index of each latency: how many bounds are <= it."""
    return np.searchsorted(np.asarray(BOUNDS), np.asarray(latency_ms, dtype=float), side="right")


def lower_bound(k: int) -> float:
    return 0.0 if k == 0 else BOUNDS[k - 1]


def estimate(k: int) -> float:
    """The value a bucket stands for: its geometric middle (the top bucket: its lower bound)."""
    if k == 0:
        return BOUNDS[0] / 2
    if k >= len(BOUNDS):
        return BOUNDS[-1]
    return math.sqrt(BOUNDS[k - 1] * BOUNDS[k])


def histogram(latency_ms: np.ndarray) -> dict[int, int]:
    """Counts per bucket of raw latencies (what the warehouse computes with the latency_bucket dimension)."""
    ks, counts = np.unique(bucket_of(latency_ms), return_counts=True)
    return dict(zip(ks.tolist(), counts.tolist(), strict=True))


def quantile(counts: Mapping[int, float], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) from bucket counts; None when there are no rows."""
    if not 0 < q <= 1:
        raise ValueError(f"quantile {q} is not in (0, 1]")
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = math.ceil(q * total - 1e-9)  # the rank-ceil(q n) row, as numpy's inverted_cdf
    seen = 0.0
    for k in sorted(counts):
        seen += counts[k]
        if seen >= rank:
            return estimate(k)
    return estimate(max(counts))
