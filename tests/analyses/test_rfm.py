"""RFM: the UCI Online Retail figures against an independent csv computation, and hand-computed scores."""

import csv
import itertools
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.analyses.rfm import (
    SEGMENT_GRID,
    SEGMENTS,
    quintile_scores,
    rfm_summary,
    score_rfm,
    segment_of,
    segment_sizes,
)
from warroom.errors import UserError
from warroom.schema import fen_to_money

REFERENCE = date(2011, 12, 10)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def retail_rows(shared_data) -> list[dict]:
    path = shared_data / "uci_online_retail" / "online_retail.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: the RFM reproduction needs the UCI Online Retail file")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_uci_online_retail(retail_rows):
    table = pa.table(
        {
            "customer_id": [int(r["CustomerID"]) for r in retail_rows],
            "order_id": [r["InvoiceNo"] for r in retail_rows],
            "ts": pa.array([date.fromisoformat(r["InvoiceDate"]) for r in retail_rows], pa.date32()),
            "paid_amount": fen_to_money(np.array([round(float(r["TotalPrice"]) * 100) for r in retail_rows])),
        }
    )
    got = {row["customer_id"]: row for row in rfm_summary(table, reference_date=REFERENCE).to_pylist()}

    # The oracle: plain Python over the csv rows, Decimal money.
    last: dict[int, date] = {}
    invoices: dict[int, set] = defaultdict(set)
    spent: dict[int, Decimal] = defaultdict(Decimal)
    for r in retail_rows:
        c, d = int(r["CustomerID"]), date.fromisoformat(r["InvoiceDate"])
        last[c] = max(last.get(c, d), d)
        invoices[c].add(r["InvoiceNo"])
        spent[c] += Decimal(r["TotalPrice"]).quantize(CENT)
    assert len(got) == len(last) == 4338
    assert sum(len(v) for v in invoices.values()) == 18532
    assert sum(row["monetary"] for row in got.values()) == sum(spent.values()) == Decimal("8911407.90")
    for c, row in got.items():
        assert (row["recency_days"], row["frequency"], row["monetary"]) == (
            (REFERENCE - last[c]).days,
            len(invoices[c]),
            spent[c],
        ), c
    # The figures published with the data.
    assert (got[12346]["recency_days"], got[12346]["frequency"], got[12346]["monetary"]) == (
        326,
        1,
        Decimal("77183.60"),
    )
    assert (got[12347]["recency_days"], got[12347]["frequency"], got[12347]["monetary"]) == (
        3,
        7,
        Decimal("4310.00"),
    )

    sizes = segment_sizes(score_rfm(rfm_summary(table, reference_date=REFERENCE)))
    assert sum(sizes["customers"].to_pylist()) == 4338
    assert sum(sizes["monetary"].to_pylist()) == Decimal("8911407.90")


def test_summary_counts_orders_not_lines():
    table = pa.table(
        {
            "customer_id": [1, 1, 1, 2],
            "order_id": [10, 10, 11, 12],  # order 10 has two lines
            "ts": pa.array([date(2024, 11, 1), date(2024, 11, 1), date(2024, 11, 9), date(2024, 11, 11)]),
            "paid_amount": [3.5, 1.5, 10.0, 7.0],
        }
    )
    assert rfm_summary(table, reference_date=date(2024, 11, 12)).to_pylist() == [
        {"customer_id": 1, "recency_days": 3, "frequency": 2, "monetary": 15.0},
        {"customer_id": 2, "recency_days": 1, "frequency": 1, "monetary": 7.0},
    ]
    with pytest.raises(UserError, match="after the reference date 2024-11-10"):
        rfm_summary(table, reference_date=date(2024, 11, 10))
    with pytest.raises(UserError, match="'order_id'"):
        rfm_summary(table.drop_columns(["order_id"]), reference_date=date(2024, 11, 12))


@pytest.mark.parametrize(
    ("values", "higher_is_better", "scores"),
    [
        (list(range(1, 11)), True, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),  # ten distinct values: exact quintiles
        (list(range(1, 11)), False, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]),  # recency: fewer days is better
        # Six tied at 1: mid-rank (0 + 6/2)/10 = 0.3 -> 2. Then 2: 6.5/10 -> 4; 3: 7.5/10 -> 4; 4, 5 -> 5.
        ([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], True, [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]),
        ([42], True, [3]),  # a lone customer sits in the middle
        ([7, 7, 7], True, [3, 3, 3]),  # so does a value everyone shares
        ([1, 2], True, [2, 4]),  # mid-ranks 0.25 and 0.75
        ([5, 1, 3, 2, 4], True, [5, 1, 3, 2, 4]),  # row order does not matter
    ],
)
def test_quintile_scores_by_hand(values, higher_is_better, scores):
    assert quintile_scores(np.array(values), higher_is_better=higher_is_better).tolist() == scores


def test_quintile_scores_of_decimal_money():
    money = fen_to_money(np.array([100, 100, 250, 999, 5]))
    assert quintile_scores(money, higher_is_better=True).tolist() == [3, 3, 4, 5, 1]


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=60))
def test_scores_follow_the_values_whatever_the_order(values):
    scores = quintile_scores(np.array(values), higher_is_better=True)
    shuffled = values[:]
    random.Random(len(values)).shuffle(shuffled)
    again = dict(
        zip(shuffled, quintile_scores(np.array(shuffled), higher_is_better=True).tolist(), strict=True)
    )
    assert [again[v] for v in values] == scores.tolist()  # ties share a score, independent of row order
    by_value = sorted(zip(values, scores.tolist(), strict=True))
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(by_value))  # monotone
    assert set(scores.tolist()) <= {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("r", "fm", "segment"),
    [
        (5, 5, "champions"),
        (5, 4, "champions"),
        (4, 4, "loyal"),
        (3, 5, "loyal"),
        (5, 2, "potential_loyalist"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (3, 1, "need_attention"),
        (3, 3, "need_attention"),
        (2, 3, "at_risk"),
        (1, 4, "at_risk"),
        (1, 5, "cannot_lose"),
        (2, 5, "cannot_lose"),
        (2, 2, "hibernating"),
        (1, 1, "lost"),
    ],
)
def test_segment_rule_table(r, fm, segment):
    assert segment_of(np.array([r]), np.array([fm])).tolist() == [segment]


def test_grid_covers_every_cell_with_a_documented_segment():
    assert sorted(SEGMENT_GRID) == [1, 2, 3, 4, 5]
    used = {name for row in SEGMENT_GRID.values() for name in row}
    assert used == set(SEGMENTS)  # every segment reachable, none undocumented
    with pytest.raises(UserError):
        segment_of(np.array([0]), np.array([3]))


def test_score_rfm_by_hand():
    # Five customers with distinct values: scores are ranks. FM is the mean of F and M rounded half up.
    summary = pa.table(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "recency_days": [1, 2, 30, 90, 200],
            "frequency": [9, 1, 4, 8, 2],
            "monetary": [900.0, 10.0, 500.0, 300.0, 20.0],
        }
    )
    got = score_rfm(summary).select(["r_score", "f_score", "m_score", "fm_score", "segment"]).to_pylist()
    assert [tuple(row.values()) for row in got] == [
        (5, 5, 5, 5, "champions"),
        (4, 1, 1, 1, "promising"),
        (3, 3, 4, 4, "loyal"),  # (3 + 4) / 2 = 3.5 -> 4
        (2, 4, 3, 4, "at_risk"),
        (1, 2, 2, 2, "lost"),
    ]
    sizes = {row["segment"]: row["customers"] for row in segment_sizes(score_rfm(summary)).to_pylist()}
    assert list(sizes) == list(SEGMENTS)
    assert sizes == {
        s: (1 if s in {"champions", "promising", "loyal", "at_risk", "lost"} else 0) for s in SEGMENTS
    }
