"""Cohorts, retention, repurchase and the buyer mix: hand-computed cases and the Taobao sample."""

import csv
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from warroom.analyses.cohorts import BuyerMix, as_days, buyer_mix, classify_buyers, repurchase, retention
from warroom.errors import UserError


def _purchases(rows: list[tuple[int, str]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [c for c, _ in rows],
            "ts": pa.array([date.fromisoformat(d) for _, d in rows], pa.date32()),
        }
    )


MONTHLY = _purchases(
    [
        (1, "2024-01-05"),
        (1, "2024-01-20"),
        (1, "2024-03-02"),
        (2, "2024-01-31"),
        (2, "2024-02-01"),
        (3, "2024-02-10"),
        (3, "2024-02-11"),
        (3, "2024-04-01"),
    ]
)


def test_monthly_retention_by_hand():
    got = [tuple(r.values()) for r in retention(MONTHLY, grain="month").to_pylist()]
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    assert got == [
        # January: customers 1 and 2. February: 2 came back; March: 1; April: nobody.
        (jan, 0, 2, 2, 1.0),
        (jan, 1, 2, 1, 0.5),
        (jan, 2, 2, 1, 0.5),
        (jan, 3, 2, 0, 0.0),
        # February: customer 3, silent in March, back in April (the last observed month).
        (feb, 0, 1, 1, 1.0),
        (feb, 1, 1, 0, 0.0),
        (feb, 2, 1, 1, 1.0),
    ]


def test_retention_end_cuts_the_observation():
    got = retention(MONTHLY, grain="month", end=date(2024, 2, 29))
    assert got.select(["cohort", "period", "customers"]).to_pylist() == [
        {"cohort": date(2024, 1, 1), "period": 0, "customers": 2},
        {"cohort": date(2024, 1, 1), "period": 1, "customers": 1},
        {"cohort": date(2024, 2, 1), "period": 0, "customers": 1},
    ]
    assert retention(MONTHLY, end=date(2023, 12, 31)).num_rows == 0


def test_weeks_start_on_monday():
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday: the second purchase is in the next week.
    table = _purchases([(1, "2024-01-07"), (1, "2024-01-08"), (2, "2024-01-01")])
    got = retention(table, grain="week").to_pylist()
    assert [(r["cohort"], r["period"], r["cohort_size"], r["customers"]) for r in got] == [
        (date(2024, 1, 1), 0, 2, 2),
        (date(2024, 1, 1), 1, 2, 1),
    ]


def test_repurchase_counts_distinct_days():
    table = _purchases(
        [(1, "2024-11-01"), (1, "2024-11-11"), (2, "2024-11-11"), (2, "2024-11-11"), (3, "2024-11-05")]
    )
    got = repurchase(table)
    assert (got.customers, got.repeat_customers) == (3, 1)  # two orders on one day are not a repurchase
    assert got.rate == pytest.approx(1 / 3)


def test_buyer_classification_by_hand():
    table = _purchases(
        [
            (1, "2024-11-11"),  # new: nothing before the window
            (2, "2024-10-20"),
            (2, "2024-11-11"),  # returning: gap 22 days
            (3, "2024-06-01"),
            (3, "2024-11-05"),  # reactivated: gap 157 days
            (4, "2024-10-01"),  # no purchase in the window: not listed
            (5, "2024-11-12"),  # on the exclusive end: not listed
            (6, "2024-10-02"),
            (6, "2024-11-01"),
            (6, "2024-11-03"),  # gap exactly 30: returning (reactivated needs more than 30)
            (7, "2024-10-01"),
            (7, "2024-11-01"),  # gap 31: reactivated
        ]
    )
    got = classify_buyers(table, start=date(2024, 11, 1), end=date(2024, 11, 12), gap_days=30)
    assert [(r["customer_id"], r["status"], r["gap_days"]) for r in got.to_pylist()] == [
        (1, "new", None),
        (2, "returning", 22),
        (3, "reactivated", 157),
        (6, "returning", 30),
        (7, "reactivated", 31),
    ]
    assert buyer_mix(got) == BuyerMix(new=1, returning=2, reactivated=2)


def test_days_follow_the_timestamps_time_zone():
    utc = pa.array([datetime(2024, 11, 10, 16, 30, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    assert as_days(utc, "ts").to_pylist() == [date(2024, 11, 10)]
    assert as_days(utc.cast(pa.timestamp("us", tz="Asia/Shanghai")), "ts").to_pylist() == [date(2024, 11, 11)]


def test_bad_input_names_the_column():
    with pytest.raises(UserError, match="'paid_at'"):
        repurchase(MONTHLY, day="paid_at")
    with pytest.raises(UserError, match="'ts' is string"):
        repurchase(pa.table({"customer_id": [1], "ts": ["2024-11-11"]}))
    with pytest.raises(UserError, match="grain 'day'"):
        retention(MONTHLY, grain="day")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="end is exclusive"):
        classify_buyers(MONTHLY, start=date(2024, 2, 1), end=date(2024, 2, 1), gap_days=30)


def test_taobao_repurchase_in_china_days(shared_data):
    path = shared_data / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: this check needs the Taobao UserBehavior sample")
    with path.open(newline="") as f:
        buys = [(int(r[0]), int(r[4])) for r in csv.reader(f) if len(r) == 5 and r[3] == "buy"]
    china = timezone(timedelta(hours=8))
    days: dict[int, set] = defaultdict(set)
    for user, ts in buys:
        days[user].add(datetime.fromtimestamp(ts, china).date())
    table = pa.table(
        {
            "customer_id": [u for u, _ in buys],
            "ts": pa.array([t * 1_000_000 for _, t in buys], pa.timestamp("us", tz="UTC")).cast(
                pa.timestamp("us", tz="Asia/Shanghai")
            ),
        }
    )
    got = repurchase(table)
    assert got.customers == len(days)
    assert got.repeat_customers == sum(len(d) >= 2 for d in days.values())
