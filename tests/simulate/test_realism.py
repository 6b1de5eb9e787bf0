"""Distributions the simulator promises (module docstrings), checked with hand-written DuckDB queries."""

from .conftest import one, rows

LOCAL = "(ts AT TIME ZONE 'Asia/Shanghai')"  # a naive Shanghai wall-clock time


def _funnel(db, where: str = "TRUE") -> dict[str, int]:
    return dict(rows(db, f"SELECT event_type, count(*) FROM events WHERE {where} GROUP BY 1"))


def test_funnel_ratios_in_their_stated_ranges(db):
    phases = {
        "pre-sale": f"{LOCAL} < '2026-11-01'",
        "first wave": f"{LOCAL} >= '2026-11-01' AND {LOCAL} < '2026-11-04'",
        "quiet": f"{LOCAL} >= '2026-11-04' AND {LOCAL} < '2026-11-10 20:00'",
        "climax": f"{LOCAL} >= '2026-11-10 20:00'",
        "all": "TRUE",
    }
    for phase, where in phases.items():
        f = _funnel(db, where)
        assert 0.05 <= f["cart"] / f["view"] <= 0.15, phase
        assert 0.20 <= f["order"] / f["cart"] <= 0.50, phase
        assert 0.70 <= f["pay"] / f["order"] <= 0.95, phase
        assert 0.01 <= f["favorite"] / f["view"] <= 0.12, phase


def test_presale_interest_rises(db):
    def rate(day: str, kind: str) -> float:
        f = _funnel(db, f"{LOCAL}::DATE BETWEEN {day}")
        return f[kind] / f["view"]

    early, late = "'2026-10-20' AND '2026-10-23'", "'2026-10-28' AND '2026-10-31'"
    assert rate(late, "cart") > rate(early, "cart") * 1.3
    assert rate(late, "favorite") > rate(early, "favorite") * 1.3


def test_daily_shape_of_the_sale(db):
    per_day = dict(rows(db, f"SELECT {LOCAL}::DATE::VARCHAR, count(*) FROM events GROUP BY 1"))
    assert max(per_day, key=per_day.get) == "2026-11-11"
    presale = [n for d, n in per_day.items() if d < "2026-11-01"]
    quiet = [per_day[f"2026-11-0{d}"] for d in range(4, 10)]
    wave = [per_day[f"2026-11-0{d}"] for d in range(1, 4)]
    assert min(wave) > max(quiet) and min(wave) > max(presale)
    assert per_day["2026-11-11"] > 1.5 * max(wave)
    assert per_day["2026-10-31"] > per_day["2026-10-20"]


def test_two_daily_peaks_at_ten_and_in_the_evening(db):
    by_hour = dict(rows(db, f"SELECT hour({LOCAL}), count(*) FROM events GROUP BY 1"))
    assert max(by_hour, key=by_hour.get) in (20, 21, 22)
    assert by_hour[10] > max(by_hour[h] for h in (7, 8, 9, 11, 12, 13))


def test_category_peak_hours_differ(db):
    def peak(category: str) -> int:
        return one(
            db,
            f"SELECT hour({LOCAL}) FROM events JOIN products USING (sku_id) "
            "WHERE event_type = 'view' AND category_l1 = ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
            category,
        )

    assert peak("女装") == 10
    assert peak("男装") in (21, 22, 23)


def test_busiest_minute_is_just_after_midnight_on_the_eleventh(db):
    minute, n = rows(
        db,
        f"SELECT date_trunc('minute', {LOCAL})::VARCHAR m, count(*) n FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )[0]
    assert "2026-11-11 00:00:00" <= minute < "2026-11-11 00:15:00"
    evening = one(
        db,
        f"SELECT max(n) FROM (SELECT count(*) n FROM events WHERE {LOCAL} >= '2026-11-11 19:00' "
        f"AND {LOCAL} < '2026-11-11 23:00' GROUP BY date_trunc('minute', ts))",
    )
    assert n > 1.3 * evening


def test_order_amounts_add_up(db):
    assert (
        one(
            db,
            "SELECT count(*) FROM orders WHERE paid_amount <> list_amount - discount_amount + shipping_fee",
        )
        == 0
    )
    bad_lines = """
        SELECT count(*) FROM order_items i
        LEFT JOIN (SELECT order_id, line_no, sum(amount) s FROM item_discounts GROUP BY 1, 2) d USING (order_id, line_no)
        WHERE i.discount_amount <> coalesce(d.s, 0)"""
    assert one(db, bad_lines) == 0
    bad_orders = """
        SELECT count(*) FROM orders o JOIN (
            SELECT order_id, sum(list_price * quantity) l, sum(discount_amount) d FROM order_items GROUP BY 1
        ) i USING (order_id)
        WHERE o.list_amount <> i.l OR o.discount_amount <> i.d"""
    assert one(db, bad_orders) == 0


def test_threshold_discount_is_floor_of_eligible_over_300_times_50(db):
    # Every line is eligible for the cross-store threshold; eligible = value after the line-level price.
    checked = rows(
        db,
        """
        SELECT o.order_id, sum(i.unit_price * i.quantity) eligible,
               (SELECT coalesce(sum(amount), 0) FROM item_discounts d
                WHERE d.order_id = o.order_id AND d.promo_id LIKE 'THR-%') thr
        FROM orders o JOIN order_items i USING (order_id)
        WHERE (o.ts >= '2026-10-31 12:00+00' AND o.ts < '2026-11-03 16:00+00') OR o.ts >= '2026-11-10 12:00+00'
        GROUP BY 1
        """,
    )
    assert len(checked) > 300
    assert sum(1 for _, e, _ in checked if e >= 300) > 50
    for order_id, eligible, thr in checked:
        assert thr == (eligible // 300) * 50, order_id
    outside = """SELECT count(*) FROM item_discounts d JOIN orders o USING (order_id)
                 WHERE d.promo_id LIKE 'THR-%' AND o.ts < '2026-10-31 12:00+00'"""
    assert one(db, outside) == 0


def test_line_level_and_stacked_promotions(db):
    # A line-level discount is exactly (list - unit) x quantity; coupons are 20.00 per order, cashback
    # at most 30.00 and only on live-stream orders; flash sales never beyond their promotional stock.
    assert (
        one(
            db,
            """SELECT count(*) FROM item_discounts d JOIN order_items i USING (order_id, line_no)
               JOIN promotions p ON p.promo_id = d.promo_id
               WHERE p.promo_type IN ('discount', 'flash_sale', 'group_buy')
                 AND d.amount <> (i.list_price - i.unit_price) * i.quantity""",
        )
        == 0
    )
    coupons = rows(
        db,
        "SELECT DISTINCT sum(amount) FROM item_discounts WHERE promo_id = 'CPN-PLATFORM' GROUP BY order_id",
    )
    assert [float(c) for (c,) in coupons] == [20.0]
    cashback = """SELECT max(s), bool_and(channel_id IN ('live_top', 'live_store')) FROM (
                    SELECT order_id, sum(amount) s FROM item_discounts WHERE promo_id = 'CBK-LIVE' GROUP BY 1
                  ) JOIN orders USING (order_id)"""
    top, live_only = rows(db, cashback)[0]
    assert top <= 30 and live_only
    flash = """SELECT i.promo_id, sum(quantity), any_value(json_extract(p.rule, '$.stock')::INT)
               FROM order_items i JOIN promotions p USING (promo_id) WHERE p.promo_type = 'flash_sale' GROUP BY 1"""
    for promo, units, stock in rows(db, flash):
        assert units <= stock, promo
    stacked = """SELECT count(*) FROM (SELECT order_id, line_no FROM item_discounts GROUP BY 1, 2 HAVING count(*) >= 3)"""
    assert one(db, stacked) > 20


def test_each_order_and_pay_event_matches_an_order_and_a_successful_payment(db):
    orphans = """SELECT count(*) FROM events e WHERE event_type = 'order' AND NOT EXISTS (
                   SELECT 1 FROM orders o WHERE o.ts = e.ts AND o.customer_id = e.customer_id)"""
    assert one(db, orphans) == 0
    unpaid = """SELECT count(*) FROM events e WHERE event_type = 'pay' AND NOT EXISTS (
                  SELECT 1 FROM payments p JOIN orders o USING (order_id)
                  WHERE p.status = 'success' AND p.ts = e.ts AND o.customer_id = e.customer_id)"""
    assert one(db, unpaid) == 0
    assert one(db, "SELECT count(*) FROM events WHERE event_type = 'order'") == one(
        db, "SELECT count(*) FROM orders"
    )
    assert one(db, "SELECT count(*) FROM events WHERE event_type = 'pay'") == one(
        db, "SELECT count(*) FROM payments WHERE status = 'success'"
    )


def test_statuses_agree_with_payments_and_refunds(db):
    paid_without_payment = """SELECT count(*) FROM orders o WHERE (o.paid_at IS NOT NULL) <> EXISTS (
                                SELECT 1 FROM payments p WHERE p.order_id = o.order_id AND p.status = 'success')"""
    assert one(db, paid_without_payment) == 0
    assert (
        one(
            db, "SELECT count(*) FROM orders WHERE status IN ('created', 'cancelled') AND paid_at IS NOT NULL"
        )
        == 0
    )
    assert (
        one(
            db, "SELECT count(*) FROM orders WHERE status NOT IN ('created', 'cancelled') AND paid_at IS NULL"
        )
        == 0
    )
    refunded = """SELECT count(*) FROM orders o WHERE (status IN ('refunded', 'partially_refunded'))
                  <> EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.order_id)"""
    assert one(db, refunded) == 0
    assert one(db, "SELECT count(*) FROM orders WHERE updated_at < ts OR paid_at < ts") == 0
    over = """SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(amount) s FROM refunds GROUP BY 1) r
              USING (order_id) WHERE r.s > o.paid_amount - o.shipping_fee"""
    assert one(db, over) == 0
    failures = dict(
        rows(db, "SELECT failure_code, count(*) FROM payments WHERE status = 'failed' GROUP BY 1")
    )
    assert set(failures) == {"INSUFFICIENT_FUNDS", "RISK_REJECTED", "TIMEOUT", "BANK_ERROR"}
    retried = """SELECT avg((n > 1)::INT) FROM (SELECT order_id, count(*) n, bool_or(status = 'failed') f
                 FROM payments GROUP BY 1) WHERE f"""
    assert one(db, retried) > 0.5


def test_new_buyer_flag_is_on_the_first_order_only(db):
    assert (
        one(db, "SELECT max(n) FROM (SELECT count(*) n FROM orders WHERE is_new_buyer GROUP BY customer_id)")
        == 1
    )
    later = """SELECT count(*) FROM orders o WHERE is_new_buyer AND EXISTS (
                 SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.ts < o.ts)"""
    assert one(db, later) == 0
    assert 0.2 <= one(db, "SELECT avg(is_new_buyer::INT) FROM orders") <= 0.8


def test_refunds_run_higher_in_apparel(db):
    rate = dict(
        rows(
            db,
            f"""SELECT category_l1 IN ('女装', '男装'), count(r.refund_id) / count(*)
               FROM order_items i JOIN orders o USING (order_id) JOIN products USING (sku_id)
               LEFT JOIN refunds r ON r.order_id = i.order_id AND r.sku_id = i.sku_id
                    AND {LOCAL.replace("ts", "r.ts")}::DATE <> '2026-11-06'
               WHERE o.paid_at IS NOT NULL GROUP BY 1""",
        )
    )
    assert rate[True] > 2 * rate[False]
    assert {k for (k,) in rows(db, "SELECT DISTINCT kind FROM refunds")} == {"full", "partial"}


def test_inventory_falls_with_sales(db):
    # Start level minus units sold equals the last snapshot, SKU by SKU (up to 23:00 on the 11th: the
    # snapshot for the last hour would fall on the period's end).
    bad = """
        WITH first AS (SELECT sku_id, arg_min(on_hand, ts) s FROM inventory GROUP BY 1),
             last AS (SELECT sku_id, arg_max(on_hand, ts) e FROM inventory
                      WHERE ts <= '2026-11-11 15:00+00' GROUP BY 1),
             sold AS (SELECT sku_id, sum(quantity) q FROM order_items JOIN orders USING (order_id)
                      WHERE orders.ts < '2026-11-11 15:00+00' GROUP BY 1)
        SELECT count(*) FROM first JOIN last USING (sku_id) LEFT JOIN sold USING (sku_id)
        WHERE s - coalesce(q, 0) <> e"""
    assert one(db, bad) == 0
    assert one(db, "SELECT count(DISTINCT sku_id) FROM inventory WHERE on_hand = 0") >= 1


def test_api_load_follows_traffic(db):
    per_hour = rows(
        db,
        f"""SELECT hour({LOCAL}), sum(1 / sample_rate) FROM api_requests WHERE service = 'product' GROUP BY 1""",
    )
    load = dict(per_hour)
    assert load[21] > 5 * load[4]
    cpu = dict(
        rows(
            db, f"SELECT hour({LOCAL}), avg(cpu_pct) FROM host_metrics WHERE host LIKE 'gateway-%' GROUP BY 1"
        )
    )
    assert cpu[21] > cpu[4] + 5
    scrapes = dict(
        rows(db, "SELECT host LIKE 'search-%', count(*) / count(DISTINCT host) FROM host_metrics GROUP BY 1")
    )
    assert scrapes == {False: 23 * 24 * 60, True: 23 * 24 * 60 - 20}  # every minute, but the search gap
