"""The sale's promotions, one or more of each mechanic in the schema, with their rules as JSON.

Assumptions (Tmall-style): a cross-store threshold discount 每满300减50 funded by the platform in the first
wave and the climax; merchant percentage discounts in the beauty and apparel venues; flash sales (秒杀) at
a fixed price with limited promotional stock; group buys (拼团) for social-channel orders; a platform coupon
满200减20 held by 35% of buyers (a coupon scoped to SKUs, 单品券, is claimed on the product page by
every buyer); 5% cashback (max 30 yuan) on live-stream orders. A misconfigured discount
and 单品券 on one SKU are an incident: stacked, they price it below cost for four hours (incidents.py).

Money in rules is in yuan, as a merchant types it; pricing.py works in fen.
"""

from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa

from warroom.simulate.calendar import Calendar
from warroom.simulate.catalog import L1_NAMES, Catalog
from warroom.simulate.incidents import Plan

LINE_LEVEL = ("discount", "flash_sale", "group_buy")  # set the unit price; a line gets the best one
COUPON_HOLDER_SHARE = 0.35


@dataclass(frozen=True)
class Promotion:
    promo_id: str
    name: str
    promo_type: str
    funded_by: str
    starts_us: int
    ends_us: int
    rule: dict = field(hash=False)

    def rule_json(self) -> str:
        return orjson.dumps(self.rule, option=orjson.OPT_SORT_KEYS).decode()


def hot_launch_stock(expected_launch_lines: float) -> int:
    """Launch stock of the hot SKU: a third of what the launch would sell, so it sells out early on 11 Nov."""
    return max(5, round(expected_launch_lines / 3))


def make_promotions(cal: Calendar, catalog: Catalog, plan: Plan, hot_stock: int) -> list[Promotion]:
    at = cal.at
    mis, hot = plan.mispriced_sku, plan.hot_sku
    food = catalog.top_sku("食品", "零食礼包")
    # Priced at 90% of cost once the misconfigured percentage applies: anything stacked on top goes lower.
    # The merchant meant a deal at 110% of cost, and a 单品券 of a tenth of what it typed: together they sell
    # every unit below cost (up to 3 units per line: the coupon is per order).
    mis_pct = int(np.floor(100 * (1 - 1.1 * catalog.cost_fen[mis] / catalog.list_fen[mis])))
    mis_off = max(1, round(0.5 * catalog.cost_fen[mis] / 100))
    yuan = lambda fen: round(int(fen) / 100, 2)  # noqa: E731
    promos = [
        Promotion("THR-W1", "跨店满减 每满300减50 (第一波)", "threshold", "platform",
                  at(-11, 20), at(-7), {"every": 300, "off": 50}),
        Promotion("THR-CX", "跨店满减 每满300减50 (狂欢夜)", "threshold", "platform",
                  at(-1, 20), at(1), {"every": 300, "off": 50}),
        Promotion("DSC-BEAUTY", "美妆会场 8.5折", "discount", "merchant",
                  at(-10), at(1), {"percent_off": 15, "category_l1": ["美妆"]}),
        Promotion("DSC-APPAREL-W1", "服饰会场 8折 (第一波)", "discount", "merchant",
                  at(-10), at(-7), {"percent_off": 20, "category_l1": ["女装", "男装"]}),
        Promotion("DSC-APPAREL-CX", "服饰会场 8折 (狂欢夜)", "discount", "merchant",
                  at(-1, 20), at(1), {"percent_off": 20, "category_l1": ["女装", "男装"]}),
        Promotion("DSC-MISPRICED", f"{catalog.name[mis]} 限时{(100 - mis_pct) / 10:g}折", "discount", "merchant",
                  plan.mispriced.start_us, plan.mispriced.end_us, {"percent_off": mis_pct, "sku_ids": [int(catalog.sku_id[mis])]}),
        Promotion("CPN-MISPRICED", f"{catalog.name[mis]} 单品券 无门槛减{mis_off}", "coupon", "merchant",
                  plan.mispriced.start_us, plan.mispriced.end_us,
                  {"min_spend": 0, "off": mis_off, "sku_ids": [int(catalog.sku_id[mis])]}),
        Promotion("FLS-HOT", f"秒杀 {catalog.name[hot]} 0点首发", "flash_sale", "merchant",
                  plan.hot_launch.start_us, plan.hot_launch.end_us,
                  {"price": yuan(catalog.list_fen[hot] * 0.85), "stock": max(1, hot_stock // 2),
                   "sku_ids": [int(catalog.sku_id[hot])]}),
        Promotion("FLS-FOOD-10", f"秒杀 {catalog.name[food]} 10点场", "flash_sale", "platform", at(-10, 10),
                  at(-10, 11), {"price": yuan(catalog.list_fen[food] * 0.5), "stock": 30,
                                "sku_ids": [int(catalog.sku_id[food])]}),
        Promotion("FLS-FOOD-20", f"秒杀 {catalog.name[food]} 20点场", "flash_sale", "platform", at(-10, 20),
                  at(-10, 21), {"price": yuan(catalog.list_fen[food] * 0.5), "stock": 30,
                                "sku_ids": [int(catalog.sku_id[food])]}),
        Promotion("GRP-SOCIAL", "拼团 2人团 8折", "group_buy", "merchant", cal.start_us, at(1),
                  {"group_size": 2, "percent_off": 20, "category_l1": ["食品", "家居", "母婴"],
                   "channel_group": "social"}),
        Promotion("CPN-PLATFORM", "平台券 满200减20", "coupon", "platform", at(-10), at(1),
                  {"min_spend": 200, "off": 20}),
        Promotion("CBK-LIVE", "直播间返现 5% 最高30元", "cashback", "platform", at(-10), at(1),
                  {"percent": 5, "cap": 30, "channel_group": "live_stream"}),
    ]  # fmt: skip
    return [p for p in promos if p.ends_us > cal.start_us and p.starts_us < cal.end_us]


def in_scope(p: Promotion, catalog_l1: np.ndarray, sku_id: np.ndarray) -> np.ndarray:
    """Which lines (by their SKU's L1 index and id) the promotion's rule covers."""
    out = np.ones(len(sku_id), dtype=bool)
    if "category_l1" in p.rule:
        out &= np.isin(catalog_l1, [L1_NAMES.index(c) for c in p.rule["category_l1"]])
    if "sku_ids" in p.rule:
        out &= np.isin(sku_id, p.rule["sku_ids"])
    return out


def promotions_table(promos: list[Promotion], schema: pa.Schema) -> pa.Table:
    ts = schema.field("starts_at").type
    return pa.Table.from_arrays(
        [
            pa.array([p.promo_id for p in promos]),
            pa.array([p.name for p in promos]),
            pa.array([p.promo_type for p in promos]),
            pa.array([p.funded_by for p in promos]),
            pa.array(np.array([p.starts_us for p in promos], dtype=np.int64), type=ts),
            pa.array(np.array([p.ends_us for p in promos], dtype=np.int64), type=ts),
            pa.array([p.rule_json() for p in promos]),
        ],
        schema=schema,
    )


# Marketing budget of a promotion's placement on the main venue, fen per main-venue visit it is shown to.
PROMO_SPEND_PER_VISIT_FEN = {"threshold": 5, "coupon": 4, "flash_sale": 6, "cashback": 3}
