import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.simulate.allocation import allocate


def test_hand_computed_split():
    # 50.00 over lines worth 100 and 200: 16.666.. and 33.333.. -> 1667 and 3333 fen (largest remainder).
    # 0.07 over three equal lines: 2 each and the one left over to the first (ties go to the earlier line).
    got = allocate(np.array([5000, 7, 0]), np.array([0, 0, 1, 1, 1, 2]), np.array([100, 200, 1, 1, 1, 5]))
    assert got.tolist() == [1667, 3333, 3, 2, 2, 0]


def test_nonzero_total_over_zero_weights_is_refused():
    with pytest.raises(ValueError):
        allocate(np.array([10]), np.array([0, 0]), np.array([0, 0]))


@given(
    st.lists(
        st.tuples(st.integers(0, 1_000_000), st.lists(st.integers(1, 10_000_000), min_size=1, max_size=8)),
        min_size=1,
        max_size=20,
    )
)
def test_parts_add_up_and_stay_within_a_fen_of_pro_rata(groups):
    totals = np.array([t for t, _ in groups])
    group = np.concatenate([np.full(len(ws), g) for g, (_, ws) in enumerate(groups)])
    weights = np.concatenate([np.array(ws) for _, ws in groups])
    got = allocate(totals, group, weights)
    assert np.array_equal(np.bincount(group, weights=got, minlength=len(totals)).astype(np.int64), totals)
    exact = totals[group] * weights / np.bincount(group, weights=weights)[group]
    assert np.all(np.abs(got - exact) < 1.0 + 1e-6)
    assert np.all(got >= 0)
