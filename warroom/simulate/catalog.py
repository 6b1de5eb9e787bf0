"""The product catalog: a two-level category tree, brands, SPUs with size/colour/spec variants as SKUs.

Assumptions: list prices are log-normal around a typical price per L2 category (sigma 0.45) and end in 9
yuan as shop prices do; gross margin on the list price is drawn per SPU from its L1 range (apparel and
beauty 45-60%, electronics 18-28%, food 20-35%: the 20-60% a marketplace seller typically runs);
popularity within a category is Zipf-like (weight 1/rank), so a few SKUs draw most views.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from warroom.schema import fen_to_money

# L1 category: (share of traffic, gross margin range on list price, brands, L2: (name, typical price, kg)).
TREE: dict[str, tuple[float, tuple[float, float], tuple[str, ...], tuple[tuple[str, int, float], ...]]] = {
    "女装": (0.18, (0.45, 0.60), ("云裳", "素衣坊", "蔓妮", "轻岚"),
             (("连衣裙", 259, 0.4), ("毛呢外套", 599, 1.2), ("针织衫", 199, 0.4), ("牛仔裤", 179, 0.6))),
    "男装": (0.10, (0.40, 0.55), ("卓尚", "北极狐", "简行", "墨客"),
             (("羽绒服", 699, 1.2), ("夹克", 399, 0.9), ("衬衫", 169, 0.3), ("休闲裤", 199, 0.5))),
    "美妆": (0.15, (0.45, 0.60), ("花间集", "雪颜", "珀之泉", "凝萃"),
             (("精华", 399, 0.15), ("面霜", 299, 0.2), ("口红", 199, 0.05), ("面膜", 129, 0.3))),
    "数码": (0.16, (0.18, 0.28), ("星耀", "极光", "微米", "雷霆"),
             (("手机", 3999, 0.5), ("耳机", 599, 0.2), ("平板", 2999, 0.7), ("充电器", 99, 0.2))),
    "家居": (0.12, (0.30, 0.45), ("木语", "暖居", "净界", "素舍"),
             (("四件套", 399, 2.5), ("收纳", 79, 1.0), ("台灯", 159, 1.2), ("厨具", 259, 2.0))),
    "食品": (0.12, (0.20, 0.35), ("良品坊", "三只熊", "果园记", "老街坊"),
             (("坚果", 89, 1.0), ("零食礼包", 129, 1.5), ("牛奶", 69, 6.0), ("咖啡", 99, 0.5))),
    "母婴": (0.08, (0.25, 0.40), ("贝乐", "小象", "安心宝", "萌芽"),
             (("纸尿裤", 159, 3.0), ("奶粉", 329, 1.0), ("童装", 129, 0.4), ("玩具", 199, 0.8))),
    "运动": (0.09, (0.35, 0.50), ("疾风", "跃动", "山野", "飞羽"),
             (("跑鞋", 499, 0.9), ("瑜伽垫", 99, 1.2), ("运动服", 259, 0.5), ("背包", 199, 0.7))),
}  # fmt: skip
L1_NAMES: tuple[str, ...] = tuple(TREE)
L1_WEIGHTS: tuple[float, ...] = tuple(v[0] for v in TREE.values())
APPAREL = ("女装", "男装")
_VARIANTS = {
    "女装": ("S", "M", "L", "XL"),
    "男装": ("M", "L", "XL", "XXL"),
    "运动": ("标准款", "加大款"),
    "数码": ("标准版", "高配版", "旗舰版"),
}
_DEFAULT_VARIANTS = ("标准装", "大容量装", "家庭装")
MIN_SKUS = 1_000
SKU_ID_BASE = 100_000
SPU_ID_BASE = 50_000


@dataclass(frozen=True)
class Catalog:
    """One entry per SKU, in sku_id order. Money in fen."""

    sku_id: np.ndarray
    spu_id: np.ndarray
    name: list[str]
    l1: np.ndarray  # index into L1_NAMES
    l2_name: list[str]
    brand: list[str]
    list_fen: np.ndarray
    cost_fen: np.ndarray
    weight_kg: np.ndarray
    popularity: np.ndarray  # relative view weight within its L1 category

    def __len__(self) -> int:
        return len(self.sku_id)

    def top_sku(self, l1_name: str, l2_name: str) -> int:
        """Index of the most popular SKU of an L2 category: where incidents strike."""
        l1 = L1_NAMES.index(l1_name)
        mask = (self.l1 == l1) & (np.asarray(self.l2_name) == l2_name)
        idx = np.flatnonzero(mask)
        return int(idx[np.argmax(self.popularity[idx])])

    def to_arrow(self, schema: pa.Schema) -> pa.Table:
        return pa.Table.from_arrays(
            [
                pa.array(self.sku_id),
                pa.array(self.spu_id),
                pa.array(self.name),
                pa.array([L1_NAMES[i] for i in self.l1]),
                pa.array(self.l2_name),
                pa.array(self.brand),
                fen_to_money(self.list_fen),
                fen_to_money(self.cost_fen),
                pa.array(self.weight_kg),
            ],
            schema=schema,
        )


def sku_count(scale: float) -> int:
    """1,200 SKUs at scale 1, growing with the square root of scale (a bigger shop lists more, not
    proportionally more), never fewer than 1,000."""
    return max(MIN_SKUS, round(1200 * scale**0.5))


def make_catalog(rng: np.random.Generator, n_skus: int) -> Catalog:
    cols: dict[str, list] = {k: [] for k in ("spu", "name", "l1", "l2", "brand", "list", "cost", "kg", "pop")}
    spu = SPU_ID_BASE
    for l1, (share, (m_lo, m_hi), brands, l2s) in enumerate(TREE.values()):
        l1_name = L1_NAMES[l1]
        variants = _VARIANTS.get(l1_name, _DEFAULT_VARIANTS)
        target = int(np.ceil(n_skus * share / sum(L1_WEIGHTS)))
        made = 0
        while made < target:
            l2_name, typical, kg = l2s[spu % len(l2s)]
            brand = brands[int(rng.integers(len(brands)))]
            price_yuan = max(9, round(typical * rng.lognormal(0.0, 0.45) / 10.0) * 10 - 1)
            margin = rng.uniform(m_lo, m_hi)
            n_var = min(int(rng.integers(1, len(variants) + 1)), target - made)
            for v in range(n_var):
                step = 1.0 + 0.2 * v if l1_name == "数码" else 1.0  # higher specs cost more
                list_fen = round(price_yuan * step) * 100
                cols["spu"].append(spu)
                cols["name"].append(f"{brand} {l2_name} {variants[v]}")
                cols["l1"].append(l1)
                cols["l2"].append(l2_name)
                cols["brand"].append(brand)
                cols["list"].append(list_fen)
                cols["cost"].append(round(list_fen * (1.0 - margin)))
                cols["kg"].append(round(kg * rng.uniform(0.8, 1.25), 3))
            made += n_var
            spu += 1
    l1 = np.array(cols["l1"], dtype=np.int64)
    pop = np.empty(len(l1))
    for c in range(len(L1_NAMES)):
        idx = np.flatnonzero(l1 == c)
        pop[idx] = 1.0 / (1.0 + rng.permutation(len(idx)))
    return Catalog(
        sku_id=SKU_ID_BASE + np.arange(len(l1), dtype=np.int64),
        spu_id=np.array(cols["spu"], dtype=np.int64),
        name=cols["name"],
        l1=l1,
        l2_name=cols["l2"],
        brand=cols["brand"],
        list_fen=np.array(cols["list"], dtype=np.int64),
        cost_fen=np.array(cols["cost"], dtype=np.int64),
        weight_kg=np.array(cols["kg"], dtype=np.float64),
        popularity=pop,
    )
