"""BG/NBD and Gamma-Gamma: published CDNOW figures, hand-computed values, and an independent quadrature."""

import math
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest
from scipy.integrate import quad

from warroom.analyses.clv import (
    BgNbd,
    GammaGamma,
    bgnbd_log_likelihood,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    score_customers,
)
from warroom.errors import UserError


def _one(v: float) -> np.ndarray:
    return np.array([float(v)])


@pytest.fixture(scope="module")
def cdnow(shared_data) -> pa.Table:
    path = shared_data / "cdnow" / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent: the CDNOW reproduction needs the Fader-Hardie sample file")
    ids, days, dollars = [], [], []
    for line in path.read_text().splitlines():
        customer, _, day, _cds, amount = line.split()
        ids.append(int(customer))
        days.append(date(int(day[:4]), int(day[4:6]), int(day[6:])))
        dollars.append(float(amount))
    return pa.table({"customer_id": ids, "ts": pa.array(days, pa.date32()), "amount": dollars})


@pytest.fixture(scope="module")
def cdnow_summary(cdnow) -> pa.Table:
    return customer_summary(cdnow, calibration_end=date(1997, 9, 30), unit="week", amount="amount")


def test_cdnow_fit_reproduces_fader_hardie_lee(cdnow_summary):
    s = cdnow_summary
    assert s.num_rows == 2357
    model = fit_bgnbd(s["frequency"].to_numpy(), s["recency"].to_numpy(), s["age"].to_numpy())
    published = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
    for name, value in published.items():
        assert getattr(model, name) == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # the paper's LL for BG/NBD


def test_cdnow_worked_example(cdnow_summary):
    """Fader & Hardie's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks."""
    model = BgNbd(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258, log_likelihood=0.0, customers=0)
    expected = model.expected_purchases(39, _one(2), _one(30.43), _one(38.86))[0]
    assert expected == pytest.approx(1.226, abs=0.001)


def test_cdnow_gamma_gamma(cdnow_summary):
    s = cdnow_summary
    spend = fit_gamma_gamma(s["frequency"].to_numpy(), s["monetary"].to_numpy(zero_copy_only=False))
    assert spend.customers == 946
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.45}.items():
        assert getattr(spend, name) == pytest.approx(value, rel=0.01), name


def test_summary_by_hand():
    # Customer 1: two orders on day 0 (one purchase day), then days 7 and 21; day 35 is after the calibration
    # end (day 28) and left out. Customer 2: one purchase on day 14.
    d0 = date(2024, 1, 1)
    days = [0, 0, 7, 21, 35, 14]
    table = pa.table(
        {
            "customer_id": [1, 1, 1, 1, 1, 2],
            "ts": pa.array([date.fromordinal(d0.toordinal() + d) for d in days], pa.date32()),
            "amount": [5.0, 5.0, 10.0, 30.0, 99.0, 8.0],
        }
    )
    end = date(2024, 1, 29)  # day 28
    weeks = customer_summary(table, calibration_end=end, unit="week", amount="amount").to_pylist()
    assert weeks == [
        {"customer_id": 1, "frequency": 2, "recency": 3.0, "age": 4.0, "monetary": 20.0},
        {"customer_id": 2, "frequency": 0, "recency": 0.0, "age": 2.0, "monetary": None},
    ]
    in_days = customer_summary(table, calibration_end=end, unit="day").to_pylist()
    assert in_days[0] == {"customer_id": 1, "frequency": 2, "recency": 21.0, "age": 28.0}


def test_summary_counts_days_in_the_timestamps_time_zone():
    # 20:00 UTC on Jan 1 and 01:00 UTC on Jan 2 are both Jan 2 in Shanghai: one purchase day, not two.
    utc = pa.array(
        [datetime(2024, 1, 1, 20, tzinfo=UTC), datetime(2024, 1, 2, 1, tzinfo=UTC)],
        pa.timestamp("us", tz="UTC"),
    )
    shanghai = utc.cast(pa.timestamp("us", tz="Asia/Shanghai"))
    in_utc = customer_summary(pa.table({"customer_id": [7, 7], "ts": utc}), calibration_end=date(2024, 1, 3))
    in_cn = customer_summary(
        pa.table({"customer_id": [7, 7], "ts": shanghai}), calibration_end=date(2024, 1, 3)
    )
    assert in_utc["frequency"].to_pylist() == [1]
    assert in_cn["frequency"].to_pylist() == [0]


def test_log_likelihood_by_hand():
    # r = α = a = 1, b = 2. x = 0, T = 3: L = (α/(α+T))^r = 1/4.
    # x = 1, t_x = 1, T = 3: B(1,3)/B(1,2) · Γ(2)/(Γ(1)·4²) + B(2,2)/B(1,2) · Γ(2)/(Γ(1)·2²)
    #                      = (2/3)(1/16) + (1/3)(1/4) = 1/24 + 2/24 = 1/8.
    ll = bgnbd_log_likelihood(
        1.0, 1.0, 1.0, 2.0, np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([3.0, 3.0])
    )
    assert ll == pytest.approx([math.log(1 / 4), math.log(1 / 8)])


def test_p_alive_by_hand():
    model = BgNbd(r=1.0, alpha=1.0, a=1.0, b=2.0, log_likelihood=0.0, customers=0)
    # x = 0: under BG/NBD nobody drops out before a repeat purchase, so P(alive) is exactly 1.
    assert model.p_alive(np.zeros(3), np.zeros(3), np.array([0.0, 5.0, 500.0])).tolist() == [1.0, 1.0, 1.0]
    # x = 1, t_x = 1, T = 3: odds of having dropped out = a/(b+x-1) · ((α+T)/(α+t_x))^(r+x) = 1/2 · 4 = 2.
    assert model.p_alive(_one(1), _one(1), _one(3))[0] == pytest.approx(1 / 3)
    # Bought at the very end (t_x = T): odds a/(b+x-1) = 1/2, P = 2/3.
    assert model.p_alive(_one(1), _one(3), _one(3))[0] == pytest.approx(2 / 3)


def _by_quadrature(model: BgNbd, t: float, x: float, t_x: float, T: float) -> float:
    """E[purchases in (T, T+t] | x, t_x, T] integrating λ out in closed form and p numerically.

    Alive at T with (λ, p): weight (1-p)^x λ^x e^(-λT), and then (1 - e^(-λpt))/p purchases expected;
    dropped out after t_x: weight p (1-p)^(x-1) λ^x e^(-λ t_x). Gamma(r, α) over λ turns λ^x e^(-λs) into
    Γ(r+x)/Γ(r) α^r (α+s)^-(r+x); the Beta(a, b) kernel is quad's algebraic weight. (α+T)^-(r+x) is divided
    out of both integrals.
    """
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    k = r + x

    def gained(p: float) -> float:
        if p == 0:  # the limit as p -> 0: k t / (α+T)
            return k * t / (alpha + T)
        return (1 - p) ** x / p * -math.expm1(-k * math.log1p(p * t / (alpha + T)))

    def weight(p: float) -> float:
        dead = p * (1 - p) ** (x - 1) * ((alpha + T) / (alpha + t_x)) ** k if x > 0 else 0.0
        return (1 - p) ** x + dead

    opts = {"weight": "alg", "wvar": (a - 1, b - 1), "epsabs": 0, "epsrel": 1e-11, "limit": 200}
    return quad(gained, 0, 1, **opts)[0] / quad(weight, 0, 1, **opts)[0]


@pytest.mark.parametrize(
    "model",
    [
        BgNbd(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258, log_likelihood=0.0, customers=0),  # a < 1
        BgNbd(r=1.7, alpha=12.0, a=2.5, b=6.0, log_likelihood=0.0, customers=0),  # a > 1
        BgNbd(
            r=0.5, alpha=5.0, a=1.0, b=2.0, log_likelihood=0.0, customers=0
        ),  # a = 1: the closed form's pole
    ],
)
@pytest.mark.parametrize(
    ("t", "x", "t_x", "T"),
    [(39, 0, 0, 0), (39, 0, 0, 38.9), (39, 2, 30.43, 38.86), (10, 1, 2, 30), (52, 40, 50, 52), (5, 7, 7, 7)],
)
def test_expected_purchases_matches_quadrature(model, t, x, t_x, T):
    closed_form = model.expected_purchases(t, _one(x), _one(t_x), _one(T))[0]
    assert closed_form == pytest.approx(_by_quadrature(model, t, x, t_x, T), rel=1e-7)


def test_new_customer_expectation_starts_at_rate_r_over_alpha():
    # For small t, E[X(t)] ≈ E[λ] t = (r/α) t: nobody has had time to drop out.
    model = BgNbd(r=0.5, alpha=5.0, a=0.8, b=2.5, log_likelihood=0.0, customers=0)
    assert model.expected_purchases_new(1e-4) == pytest.approx(0.5 / 5.0 * 1e-4, rel=1e-3)


def test_expected_purchases_grow_with_frequency_and_fall_with_silence():
    model = BgNbd(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258, log_likelihood=0.0, customers=0)
    x = np.arange(1, 30, dtype=float)
    recent = model.expected_purchases(39, x, np.full_like(x, 38.0), np.full_like(x, 38.0))
    assert (np.diff(recent) > 0).all()
    # Same frequency, the last purchase further back: less likely alive, fewer purchases expected.
    t_x = np.linspace(38, 1, 20)
    quiet = model.expected_purchases(39, np.full_like(t_x, 3.0), t_x, np.full_like(t_x, 38.0))
    alive = model.p_alive(np.full_like(t_x, 3.0), t_x, np.full_like(t_x, 38.0))
    assert (np.diff(quiet) < 0).all() and (np.diff(alive) < 0).all()


def test_gamma_gamma_expected_value_by_hand():
    spend = GammaGamma(p=2.0, q=3.0, v=4.0, log_likelihood=0.0, customers=0)
    # p (γ + x m_x) / (p x + q - 1) = 2 (4 + 2·10) / (4 + 2) = 8; x = 0 gets the population mean p γ/(q-1) = 4.
    assert spend.expected_value(np.array([2.0, 0.0]), np.array([10.0, np.nan])).tolist() == [8.0, 4.0]
    assert spend.population_mean == 4.0


def test_score_customers_multiplies_purchases_by_value():
    summary = pa.table(
        {
            "customer_id": [1, 2],
            "frequency": [2, 0],
            "recency": [3.0, 0.0],
            "age": [4.0, 2.0],
            "monetary": [20.0, None],
        }
    )
    model = BgNbd(r=1.0, alpha=1.0, a=1.5, b=2.0, log_likelihood=0.0, customers=0)
    spend = GammaGamma(p=2.0, q=3.0, v=4.0, log_likelihood=0.0, customers=0)
    scored = score_customers(summary, model, horizon=10, spend=spend)
    assert scored["p_alive"][1].as_py() == 1.0
    revenue = np.array(scored["expected_purchases"]) * np.array(scored["expected_value"])
    assert scored["expected_revenue"].to_pylist() == pytest.approx(revenue.tolist())
    assert scored["expected_value"].to_pylist() == pytest.approx([2 * (4 + 2 * 20) / (2 * 2 + 3 - 1), 4.0])


def test_bad_histories_are_refused():
    with pytest.raises(UserError, match="recency <= age"):
        fit_bgnbd(np.array([1, 2]), np.array([5.0, 3.0]), np.array([4.0, 6.0]))
    with pytest.raises(UserError, match="repeat purchases"):
        fit_bgnbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
    with pytest.raises(UserError, match="unit"):
        customer_summary(
            pa.table({"customer_id": [1], "ts": pa.array([date(2024, 1, 1)])}),
            calibration_end=date(2024, 2, 1),
            unit="month",
        )  # type: ignore[arg-type]
