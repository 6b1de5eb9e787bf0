"""Hand-made warehouses for the metric tests: `random_sale` (a seeded, varied few hundred rows, checked
against hand-written SQL) and rows for the small hand-computed cases."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from warroom.schema import TABLES
from warroom.warehouse import Warehouse, landed

# The sale day in Asia/Shanghai is [2026-11-10 16:00Z, 2026-11-11 16:00Z); rows start 4 h before it and
# end 2 h after, so every window check also checks the edges.
DAY_START = datetime(2026, 11, 10, 16, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
CHANNELS = [
    ("search", "Search", "搜索", "search"),
    ("feed", "Feed", "信息流", "feed"),
    ("live", "Live", "直播", "live_stream"),
]
PROMOS = [  # (id, name, mechanic, funder, rule): the rules price the landed_prices table
    ("P1", "thr", "threshold", "merchant", '{"every": 300, "off": 50}'),
    ("P2", "cpn", "coupon", "platform", '{"min_spend": 200, "off": 20}'),
    ("P3", "fs", "flash_sale", "merchant", '{"price": 30, "sku_ids": [101, 104]}'),
]
CATEGORIES = [("女装", "裙装"), ("数码", "手机"), ("食品", "零食")]
PROVINCES = ["浙江", "江苏", "广东", "北京"]


def insert(warehouse: Warehouse, table: str, rows: list[dict]) -> None:
    """Rows through Arrow with the canonical schema (what the ingest layer will do, without depending on it)."""
    if not rows:
        return
    schema = TABLES[table].arrow_schema
    data = pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows], schema=schema)
    cur = warehouse.cursor()
    cur.register("batch", data)
    cur.execute(f"INSERT INTO {table} SELECT * FROM batch")
    cur.unregister("batch")


def fen(rng: random.Random, lo: int, hi: int) -> Decimal:
    return Decimal(rng.randint(lo * 100, hi * 100)) / 100


def stock_snapshots() -> list[dict]:
    """Stock snapshots for the stock metrics (random_sale writes none): every 3 h, falling, and some
    outside the day to check the window's edges."""
    return [
        {"ts": DAY_START + timedelta(hours=h), "sku_id": sku, "on_hand": max(0, 30 + 2 * (sku - 100) - h)}
        for sku in range(100, 112)
        for h in range(-2, 27, 3)
    ]


def random_sale(path: Path, seed: int = 7) -> Warehouse:
    rng = random.Random(seed)
    methods = random.Random(seed + 1)  # its own stream, so adding it left every other drawn value as it was
    wh = Warehouse(path)
    insert(
        wh,
        "channels",
        [dict(zip(("channel_id", "name", "name_zh", "channel_group"), c, strict=True)) for c in CHANNELS],
    )
    t0 = DAY_START - timedelta(hours=4)
    insert(wh, "promotions", [
        {"promo_id": p, "name": n, "promo_type": k, "funded_by": f, "starts_at": t0, "ends_at": DAY_END, "rule": r}
        for p, n, k, f, r in PROMOS
    ])  # fmt: skip
    products = []
    for sku in range(100, 112):
        l1, l2 = CATEGORIES[sku % 3]
        price = fen(rng, 20, 500)
        products.append({
            "sku_id": sku, "spu_id": sku // 2, "sku_name": f"sku{sku}", "category_l1": l1, "category_l2": l2,
            "brand": f"brand{sku % 4}", "list_price": price, "unit_cost": (price * Decimal("0.55")).quantize(Decimal("0.01")),
        })  # fmt: skip
    insert(wh, "products", products)
    cursor = wh.cursor()
    landed.rebuild(cursor)  # what ingest does when it writes promotions or products
    cursor.close()
    customers = [
        {"customer_id": c, "registered_at": t0 - timedelta(days=c), "province": PROVINCES[c % 4],
         "member_level": ("regular", "gold", "vip88")[c % 3], "name": f"张{c}", "phone": f"1380000{c:04d}"}
        for c in range(1, 31)
    ]  # fmt: skip
    insert(wh, "customers", customers)
    span = int((DAY_END + timedelta(hours=2) - t0).total_seconds())
    orders, items, discounts, payments, refunds = [], [], [], [], []
    seen: set[int] = set()
    for oid in range(1, 121):
        ts = t0 + timedelta(seconds=rng.randrange(span))
        cust = rng.randint(1, 30)
        paid = rng.random() < 0.75
        paid_at = ts + timedelta(minutes=rng.randint(1, 90)) if paid else None
        list_total = disc_total = Decimal(0)
        for line in range(1, rng.randint(1, 3) + 1):
            p = rng.choice(products)
            qty = rng.randint(1, 3)
            line_disc = Decimal(0)
            promos = rng.sample(PROMOS, rng.randint(0, 2))
            for promo in promos:
                amount = fen(rng, 1, 20)
                line_disc += amount
                discounts.append({"order_id": oid, "line_no": line, "promo_id": promo[0], "amount": amount})
            items.append({
                "order_id": oid, "line_no": line, "sku_id": p["sku_id"], "quantity": qty, "list_price": p["list_price"],
                "unit_price": (p["list_price"] - line_disc / qty).quantize(Decimal("0.01")), "promo_id": promos[0][0] if promos else None,
                "discount_amount": line_disc, "unit_cost": p["unit_cost"],
            })  # fmt: skip
            list_total += p["list_price"] * qty
            disc_total += line_disc
        orders.append({
            "order_id": oid, "ts": ts, "customer_id": cust, "channel_id": rng.choice(CHANNELS)[0],
            "province": PROVINCES[cust % 4], "device": rng.choice(["ios", "android", "pc"]),
            "status": "paid" if paid else "created", "is_new_buyer": cust not in seen, "list_amount": list_total,
            "discount_amount": disc_total, "paid_amount": list_total - disc_total + 5, "shipping_fee": Decimal(5),
            "paid_at": paid_at, "updated_at": paid_at or ts,
            "payment_method": methods.choice(["alipay", "wechat", "huabei", "card", "unionpay", None]) if paid else None,
        })  # fmt: skip
        seen.add(cust)
        for attempt in range(rng.randint(1, 2)):
            ok = (paid and attempt == 0) or rng.random() < 0.3
            payments.append({
                "payment_id": oid * 10 + attempt, "order_id": oid, "ts": ts + timedelta(minutes=attempt + 1),
                "method": rng.choice(["alipay", "wechat", "card"]), "status": "success" if ok else "failed",
                "failure_code": None if ok else rng.choice(["INSUFFICIENT", "TIMEOUT"]), "amount": list_total,
            })  # fmt: skip
        if paid and rng.random() < 0.25:
            line = rng.choice([i for i in items if i["order_id"] == oid])
            refunds.append({
                "refund_id": oid, "order_id": oid, "sku_id": line["sku_id"] if rng.random() < 0.8 else None,
                "ts": paid_at + timedelta(hours=rng.randint(0, 10)), "amount": fen(rng, 5, 60),
                "reason": "quality", "kind": "partial",
            })  # fmt: skip
    for table, rows in (("orders", orders), ("order_items", items), ("item_discounts", discounts),
                        ("payments", payments), ("refunds", refunds)):  # fmt: skip
        insert(wh, table, rows)
    spend = []
    for h in range(32):
        for ch in CHANNELS:
            spend.append({"hour": t0 + timedelta(hours=h), "channel_id": ch[0],
                          "promo_id": rng.choice([None, "P1", "P2"]), "spend": fen(rng, 10, 200)})  # fmt: skip
    insert(wh, "marketing_spend", spend)
    events = []
    for eid in range(1, 1501):
        events.append({
            "event_id": eid, "ts": t0 + timedelta(seconds=rng.randrange(span)), "session_id": rng.randint(1, 200),
            "customer_id": rng.randint(1, 30), "channel_id": rng.choice(CHANNELS)[0],
            "event_type": rng.choices(["view", "favorite", "cart", "order", "pay"], [60, 5, 20, 10, 5])[0],
            "sku_id": rng.choice(products)["sku_id"], "device": rng.choice(["ios", "android", "pc"]),
        })  # fmt: skip
    insert(wh, "events", events)
    requests = []
    for _ in range(800):
        requests.append({
            "ts": t0 + timedelta(seconds=rng.randrange(span)), "service": rng.choice(["cart", "pay"]),
            "endpoint": rng.choice(["/a", "/b"]), "method": "GET", "status_code": rng.choice([200] * 8 + [404, 503]),
            "latency_ms": round(rng.lognormvariate(5, 0.8), 3), "host": rng.choice(["h1", "h2"]),
            "sample_rate": rng.choice([1.0, 0.5, 0.1]),
        })  # fmt: skip
    insert(wh, "api_requests", requests)
    hosts = [
        {"ts": t0 + timedelta(minutes=15 * i), "host": h, "role": "api", "cpu_pct": rng.uniform(5, 95),
         "mem_pct": rng.uniform(20, 90), "net_in_mbps": rng.uniform(1, 900), "net_out_mbps": rng.uniform(1, 900)}
        for i in range(128) for h in ("h1", "h2")
    ]  # fmt: skip
    insert(wh, "host_metrics", hosts)
    return wh
