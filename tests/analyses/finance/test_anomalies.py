from datetime import UTC, datetime, timedelta

from tests.analyses.finance.conftest import PERIOD_FROM, PERIOD_TO, SHANGHAI
from warroom.analyses.finance.anomalies import anomalies, failure_anomalies, flag, refund_anomalies

DAY = [datetime(2026, 11, 1, 16, tzinfo=UTC) + timedelta(days=i) for i in range(20)]


def test_flag_by_hand():
    # P(X >= 3 | n=3, p=0.01) = 1e-6: far out of band. The band's top is 2 of 3: P(X > 2) = 1e-6 <= 1e-4
    # while P(X > 1) = 3 * 0.01^2 * 0.99 + 1e-6 ~ 3e-4 is not.
    hit, p_value, upper = flag(3, 3, 0.01)
    assert hit and abs(p_value - 1e-6) < 1e-12 and upper == 2 / 3
    assert not flag(2, 2, 0.001)[0]  # two of two is never enough (MIN_COUNT 3)
    assert flag(5, 100, 0.05)[:2] == (False, 1.0)  # exactly what the baseline expects
    hit, p_value, _ = flag(12, 100, 0.05)  # P(X >= 12) ~ 0.0043: unusual, but not 1 in 10,000
    assert not hit and 0.003 < p_value < 0.006


def test_refund_spike_in_one_category_is_flagged_but_a_wave_across_all_is_not():
    counts = {}
    for day in DAY[:14]:
        counts[(day, "女装")] = 4
        counts[(day, "家居")] = 1
    counts[(DAY[14], "女装")] = 40  # every category ten times up: the wave after a sale peak
    counts[(DAY[14], "家居")] = 10
    counts[(DAY[15], "女装")] = 4
    counts[(DAY[15], "家居")] = 12  # only 家居
    found = refund_anomalies(counts)
    assert [(a.time, a.key["category_l1"]) for a in found] == [(DAY[15], "家居")]
    (a,) = found
    assert (a.count, a.total) == (12, 16) and a.baseline < 0.25 < a.rate


def test_payment_failures_by_method_and_code():
    attempts = {(DAY[0] + timedelta(hours=h), "alipay"): 20 for h in range(48)}
    failures = {(DAY[0] + timedelta(hours=h), "alipay", "BANK_ERROR"): 1 for h in range(47)}
    surge = DAY[0] + timedelta(hours=47)
    failures[(surge, "alipay", "TIMEOUT")] = 8
    found = failure_anomalies(failures, attempts)
    assert {(a.time, a.key["payment_method"], a.key["failure_code"]) for a in found} == {
        (surge, "alipay", None),
        (surge, "alipay", "TIMEOUT"),
    }


def test_the_simulated_refund_spike_and_payment_surge_are_found_and_nothing_else(sim_wh, incidents):
    found = anomalies(sim_wh, time_from=PERIOD_FROM, time_to=PERIOD_TO, tz=SHANGHAI)
    spike = incidents["refund-spike"]
    spike_day = datetime.fromisoformat(spike["start"])
    refunds = [a for a in found if a.kind == "refunds"]
    assert [(a.time, a.key["category_l1"]) for a in refunds] == [
        (spike_day, spike["touches"]["filters"]["category_l1"])
    ]
    surge = incidents["payment-latency-surge"]
    start, end = datetime.fromisoformat(surge["start"]), datetime.fromisoformat(surge["end"])
    failures = [a for a in found if a.kind == "payment_failures"]
    assert failures and all(start - timedelta(hours=1) < a.time < end for a in failures)
    assert any(a.key["failure_code"] == "TIMEOUT" for a in failures)
