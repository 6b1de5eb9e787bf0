"""Visits and their click stream: who comes, from which channel and device, what they view, favourite
and add to cart, and which visits turn their cart into an order.

Funnel assumptions (per phase of the calendar; the ranges tests hold the output to):
- views per visit: geometric, mean 5 (at most 40); 85% of views stay in the visit's category.
- view -> favourite 2.5-10% (highest late in pre-sale, when shoppers bookmark deals for the 11th);
- view -> cart 6-13% before the channel's multiplier (search and live streams higher, ads lower), rising
  through pre-sale; target for cart events / view events overall: 5-15%;
- a visit with a cart orders with probability 35-62% (x channel multiplier, at most 95%); it orders all
  its distinct carted SKUs, so order events / cart events land at 20-50%.
Gaps: views ~35 s apart, a favourite or cart add ~5-8 s after its view, the order ~1.5 min after the
last cart add.
"""

from dataclasses import dataclass

import numpy as np

from warroom.simulate import calendar as calmod
from warroom.simulate.calendar import CATEGORY_GIVEN_HOUR, US, Calendar
from warroom.simulate.catalog import L1_NAMES, L1_WEIGHTS, Catalog
from warroom.simulate.channels import CART_MULT, DEVICE_MIX, GROUP_OF, ORDER_MULT, channel_shares
from warroom.simulate.customers import Customers
from warroom.simulate.incidents import HOT_LATER_BOOST, HOT_LAUNCH_BOOST, MISPRICED_BOOST, Plan

# Per phase: presale, wave, quiet, climax, after. Pre-sale values are for its start; they rise with it.
P_FAV = np.array([0.05, 0.03, 0.04, 0.025, 0.03])
P_FAV_PRESALE_RISE = 0.05
P_CART = np.array([0.06, 0.10, 0.08, 0.12, 0.07])
P_CART_PRESALE_RISE = 0.04
P_ORDER = np.array([0.35, 0.55, 0.45, 0.62, 0.40])
VIEW_GEOMETRIC_P = 0.2  # mean 5 views per visit
MAX_VIEWS = 40
SAME_CATEGORY = 0.85
VIEW_GAP_S, FAV_GAP_S, CART_GAP_S, ORDER_GAP_S = 35.0, 5.0, 8.0, 90.0
# Expected events per visit with the parameters above, measured over the default period at scale 1
# (1.03M events from 169k visits at seed 7); the calendar's rate is normalised with it.
EVENTS_PER_VISIT = 6.09


@dataclass
class Visits:
    start_us: np.ndarray
    customer: np.ndarray  # index into Customers
    channel: np.ndarray
    device: np.ndarray
    category: np.ndarray  # L1 index
    phase: np.ndarray


@dataclass
class Clicks:
    """One entry per view; favourite and cart adds hang off the view they follow."""

    visit: np.ndarray
    ts: np.ndarray
    sku: np.ndarray  # catalog index
    fav: np.ndarray  # bool
    cart: np.ndarray  # bool
    fav_ts: np.ndarray
    cart_ts: np.ndarray


@dataclass
class Candidates:
    """Orders the visits would place (before stock limits), in time order, and their lines."""

    visit: np.ndarray
    ts: np.ndarray
    line_order: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray


class Shelf:
    """Draws SKUs by popularity within a category with one searchsorted: the catalog is grouped by L1 and
    the cumulative popularity of category c runs from c to c + 1."""

    def __init__(self, catalog: Catalog, hidden: int) -> None:
        pop = catalog.popularity.copy()
        pop[hidden] = 0.0  # the hot SKU is not on sale before its launch; views reach it by boost only
        cdf = np.empty(len(pop))
        for c in range(len(L1_NAMES)):
            idx = np.flatnonzero(catalog.l1 == c)
            part = np.cumsum(pop[idx])
            cdf[idx] = c + part / part[-1]
            cdf[idx[-1]] = c + 1.0
        self.cdf = cdf

    def draw(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.cdf, category + rng.random(len(category)), side="right")


def make_visits(
    rng: np.random.Generator, cal: Calendar, customers: Customers, minutes: np.ndarray, expected: np.ndarray
) -> Visits:
    counts = rng.poisson(expected)
    start = np.repeat(minutes, counts) + rng.integers(0, 60 * US, int(counts.sum()))
    start.sort()
    n = len(start)
    hour = cal.hour(start)
    cum = np.cumsum(CATEGORY_GIVEN_HOUR, axis=1)[hour]
    category = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1)
    phase = cal.phase(start)
    shares = np.cumsum(channel_shares(np.isin(phase, (calmod.WAVE, calmod.CLIMAX))), axis=1)
    channel = (rng.random(n)[:, None] > shares[:, :-1]).sum(axis=1)
    dev_cum = np.cumsum(DEVICE_MIX, axis=1)[GROUP_OF[channel]]
    device = (rng.random(n)[:, None] > dev_cum[:, :-1]).sum(axis=1)
    registered = customers.count_registered(start)
    customer = (rng.random(n) * registered).astype(np.int64)
    return Visits(start, customer, channel, device, category, phase)


def make_clicks(
    rng: np.random.Generator, cal: Calendar, catalog: Catalog, shelf: Shelf, visits: Visits, plan: Plan
) -> Clicks:
    n_views = np.minimum(rng.geometric(VIEW_GEOMETRIC_P, len(visits.start_us)), MAX_VIEWS)
    visit = np.repeat(np.arange(len(n_views)), n_views)
    gaps = rng.exponential(VIEW_GAP_S * US, len(visit))
    csum = np.cumsum(gaps)
    first = np.cumsum(n_views) - n_views
    ts = visits.start_us[visit] + (csum - np.repeat(csum[first] - gaps[first], n_views)).astype(np.int64)

    category = visits.category[visit].copy()
    wander = rng.random(len(visit)) > SAME_CATEGORY
    weights = np.asarray(L1_WEIGHTS) / sum(L1_WEIGHTS)
    category[wander] = rng.choice(len(L1_NAMES), size=int(wander.sum()), p=weights)
    sku = shelf.draw(rng, category)
    u = rng.random(len(visit))
    beauty, electronics = L1_NAMES.index("美妆"), L1_NAMES.index("数码")
    sku[plan.mispriced.holds(ts) & (category == beauty) & (u < MISPRICED_BOOST)] = plan.mispriced_sku
    hot_share = np.where(plan.hot_launch.holds(ts), HOT_LAUNCH_BOOST, HOT_LATER_BOOST)
    sku[plan.hot_day.holds(ts) & (category == electronics) & (u < hot_share)] = plan.hot_sku

    phase = visits.phase[visit]
    rise = np.where(phase == calmod.PRESALE, cal.presale_progress(ts), 0.0)
    p_fav = P_FAV[phase] + P_FAV_PRESALE_RISE * rise
    p_cart = np.minimum((P_CART[phase] + P_CART_PRESALE_RISE * rise) * CART_MULT[visits.channel[visit]], 0.3)
    fav = rng.random(len(visit)) < p_fav
    cart = rng.random(len(visit)) < p_cart
    fav_ts = ts + 1 * US + rng.exponential(FAV_GAP_S * US, len(visit)).astype(np.int64)
    cart_ts = ts + 1 * US + rng.exponential(CART_GAP_S * US, len(visit)).astype(np.int64)
    return Clicks(visit, ts, sku, fav, cart, fav_ts, cart_ts)


def order_candidates(
    rng: np.random.Generator, catalog: Catalog, visits: Visits, clicks: Clicks
) -> Candidates:
    carted = np.flatnonzero(clicks.cart)
    c_visit, c_sku, c_ts = clicks.visit[carted], clicks.sku[carted], clicks.cart_ts[carted]
    n = len(visits.start_us)
    has_cart = np.bincount(c_visit, minlength=n) > 0
    p_order = np.minimum(P_ORDER[visits.phase] * ORDER_MULT[visits.channel], 0.95)
    orders = has_cart & (rng.random(n) < p_order)
    keep = orders[c_visit]
    c_visit, c_sku, c_ts = c_visit[keep], c_sku[keep], c_ts[keep]
    # One line per distinct SKU carted in the visit.
    key = c_visit * (len(catalog) + 1) + c_sku
    _, first = np.unique(key, return_index=True)
    first.sort()
    l_visit, l_sku = c_visit[first], c_sku[first]
    last_cart = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_cart, c_visit, c_ts)
    order_visit = np.flatnonzero(orders)
    order_ts = (
        last_cart[order_visit]
        + 10 * US
        + rng.exponential(ORDER_GAP_S * US, len(order_visit)).astype(np.int64)
    )
    by_time = np.argsort(order_ts, kind="stable")
    order_visit, order_ts = order_visit[by_time], order_ts[by_time]
    rank = np.empty(n, dtype=np.int64)
    rank[order_visit] = np.arange(len(order_visit))
    line_order = rank[l_visit]
    lines = np.argsort(line_order, kind="stable")
    line_order, l_sku = line_order[lines], l_sku[lines]
    return Candidates(order_visit, order_ts, line_order, l_sku, _quantities(rng, catalog, l_sku))


# Extra units per line, binomial(2, p) by L1: food and baby goods are bought several at a time.
_EXTRA_UNIT_P = {"食品": 0.35, "母婴": 0.25, "家居": 0.10}


def _quantities(rng: np.random.Generator, catalog: Catalog, sku: np.ndarray) -> np.ndarray:
    p = np.array([_EXTRA_UNIT_P.get(name, 0.04) for name in L1_NAMES])[catalog.l1[sku]]
    return 1 + rng.binomial(2, p)
