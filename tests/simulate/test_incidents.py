"""Every incident in incidents.json is really in the data: independent DuckDB queries per incident."""

import json

import pytest

from .conftest import one, rows


@pytest.fixture(scope="module")
def incidents(sim) -> dict[str, dict]:
    out, _ = sim
    return {i["id"]: i for i in json.loads((out / "incidents.json").read_text(encoding="utf-8"))}


def _window(incident: dict) -> tuple[str, str]:
    return incident["start"], incident["end"]


def test_payment_latency_surge(db, incidents):
    start, end = _window(incidents["payment-latency-surge"])
    timeout_share = """SELECT avg(coalesce(failure_code = 'TIMEOUT', false)::INT) FROM payments
                       WHERE ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ"""
    inside = one(db, timeout_share, start, end)
    before = one(db, timeout_share, "2026-10-19 16:00Z", start)
    assert inside > 0.2 and inside > 10 * before
    p99 = """SELECT quantile_cont(latency_ms, 0.99) FROM api_requests
             WHERE service = 'payment' AND ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ"""
    assert one(db, p99, start, end) > 10 * one(db, p99, "2026-11-10 12:00Z", start)
    # Most failed attempts in the window are retried.
    retried = """SELECT avg(((SELECT count(*) FROM payments q WHERE q.order_id = p.order_id AND q.ts > p.ts) > 0)::INT)
                 FROM payments p WHERE status = 'failed' AND ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ"""
    assert one(db, retried, start, end) > 0.5


def test_negative_margin_sku(db, incidents):
    item = incidents["negative-margin-sku"]
    start, end = _window(item)
    sku = item["touches"]["filters"]["sku_id"]
    lines = rows(
        db,
        """SELECT (i.list_price * i.quantity - i.discount_amount) / i.quantity, i.unit_cost, i.promo_id,
                  o.ts >= ?::TIMESTAMPTZ AND o.ts < ?::TIMESTAMPTZ
           FROM order_items i JOIN orders o USING (order_id) WHERE i.sku_id = ?""",
        start,
        end,
        sku,
    )
    inside = [(net, cost, promo) for net, cost, promo, w in lines if w]
    assert len(inside) >= 3
    assert all(net < cost and promo == "DSC-MISPRICED" for net, cost, promo in inside)
    assert all(net > cost for net, cost, _, w in lines if not w)
    # Both misconfigured promotions stack on every line in the window.
    stacked = """SELECT count(*) FROM order_items i JOIN orders o USING (order_id)
                 WHERE i.sku_id = ? AND o.ts >= ?::TIMESTAMPTZ AND o.ts < ?::TIMESTAMPTZ AND (
                   SELECT count(*) FROM item_discounts d WHERE d.order_id = i.order_id AND d.line_no = i.line_no
                   AND d.promo_id IN ('DSC-MISPRICED', 'CPN-MISPRICED')) = 2"""
    assert one(db, stacked, sku, start, end) == len(inside)


def test_roi_collapse(db, incidents):
    item = incidents["roi-collapse"]
    start, end = _window(item)
    channel = item["touches"]["filters"]["channel_id"]

    def spend_and_visits(lo: str, hi: str) -> tuple[float, int]:
        spend = one(
            db,
            """SELECT sum(spend) FROM marketing_spend WHERE channel_id = ? AND promo_id IS NULL
               AND hour >= ?::TIMESTAMPTZ AND hour < ?::TIMESTAMPTZ""",
            channel,
            lo,
            hi,
        )
        visits = one(
            db,
            """SELECT count(DISTINCT session_id) FROM events
               WHERE channel_id = ? AND ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ""",
            channel,
            lo,
            hi,
        )
        return float(spend), visits

    spend, visits = spend_and_visits(start, end)
    # The same six hours one day earlier (the first wave's first day, busier than the second).
    day_before = [one(db, "SELECT (?::TIMESTAMPTZ - INTERVAL 1 DAY)::VARCHAR", t) for t in (start, end)]
    spend_then, visits_then = spend_and_visits(*day_before)
    assert visits > 20 and visits_then > 20
    assert spend / visits > 3 * spend_then / visits_then  # spend up, the traffic it buys is not
    assert visits < 1.5 * visits_then


def test_hot_sku_stockout(db, incidents):
    item = incidents["hot-sku-stockout"]
    start, end = _window(item)
    sku = item["touches"]["filters"]["sku_id"]
    zero_at = one(db, "SELECT min(ts)::VARCHAR FROM inventory WHERE sku_id = ? AND on_hand = 0", sku)
    assert zero_at is not None
    assert one(db, "SELECT ?::TIMESTAMPTZ = ?::TIMESTAMPTZ", zero_at, start)
    sold_before = """SELECT count(*) FROM order_items JOIN orders USING (order_id)
                     WHERE sku_id = ? AND ts <= ?::TIMESTAMPTZ"""
    assert one(db, sold_before, sku, start) >= 3
    after = "SELECT count(*) FROM order_items JOIN orders USING (order_id) WHERE sku_id = ? AND ts > ?::TIMESTAMPTZ"
    assert one(db, after, sku, start) == 0
    # People still look for it and try: views and cart adds after it sold out.
    assert one(db, "SELECT count(*) FROM events WHERE sku_id = ? AND ts > ?::TIMESTAMPTZ", sku, start) > 0
    # It sells out on 11 Nov, in the first hours.
    assert "2026-11-10T16:00:00Z" <= start < "2026-11-11T04:00:00Z" and end == "2026-11-11T16:00:00Z"


def test_refund_spike(db, incidents):
    item = incidents["refund-spike"]
    start, end = _window(item)
    category = item["touches"]["filters"]["category_l1"]
    per_day = dict(
        rows(
            db,
            """SELECT date_trunc('day', r.ts AT TIME ZONE 'Asia/Shanghai')::DATE::VARCHAR, count(*)
               FROM refunds r JOIN products p USING (sku_id) WHERE p.category_l1 = ? GROUP BY 1""",
            category,
        )
    )
    spike_day = one(db, "SELECT (?::TIMESTAMPTZ AT TIME ZONE 'Asia/Shanghai')::DATE::VARCHAR", start)
    others = [n for d, n in per_day.items() if d != spike_day]
    assert per_day[spike_day] > 4 * max(others)
    reasons = {r for (r,) in rows(db, "SELECT DISTINCT reason FROM refunds r JOIN products USING (sku_id) "
                                       "WHERE category_l1 = ? AND r.ts >= ?::TIMESTAMPTZ AND r.ts < ?::TIMESTAMPTZ",
                                  category, start, end)}  # fmt: skip
    assert {"quality", "damaged"} <= reasons


def test_source_gap(db, incidents):
    item = incidents["source-gap"]
    start, end = _window(item)
    service = item["touches"]["filters"]["service"]
    count = (
        "SELECT count(*) FROM api_requests WHERE service = ? AND ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ"
    )
    assert one(db, count, service, start, end) == 0
    # Sampled requests are sparse at test scale: look two hours either side for rows of the service.
    assert (
        one(db, count, service, one(db, "SELECT (?::TIMESTAMPTZ - INTERVAL 2 HOUR)::VARCHAR", start), start)
        > 0
    )
    assert (
        one(db, count, service, end, one(db, "SELECT (?::TIMESTAMPTZ + INTERVAL 2 HOUR)::VARCHAR", end)) > 0
    )
    scrapes = """SELECT count(*) FROM host_metrics WHERE host LIKE ? AND ts >= ?::TIMESTAMPTZ AND ts < ?::TIMESTAMPTZ"""
    assert one(db, scrapes, f"{service}-%", start, end) == 0
    minute_before = one(db, "SELECT (?::TIMESTAMPTZ - INTERVAL 1 MINUTE)::VARCHAR", start)
    assert one(db, scrapes, f"{service}-%", minute_before, start) > 0
    assert (
        one(
            db,
            scrapes,
            f"{service}-%",
            end,
            one(db, "SELECT (?::TIMESTAMPTZ + INTERVAL 1 MINUTE)::VARCHAR", end),
        )
        > 0
    )
    assert one(db, scrapes, "gateway-%", start, end) > 0
