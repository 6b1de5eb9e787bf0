"""Promotion stacking on hand-computed orders (amounts in fen)."""

import numpy as np

from warroom.schema.tables import CHANNEL_GROUPS
from warroom.simulate.catalog import Catalog
from warroom.simulate.pricing import price_orders
from warroom.simulate.promotions import Promotion

T0, T1 = 0, 10**12
WOMENSWEAR, FOOD = 0, 5  # indices into L1_NAMES
LIVE, SEARCH = CHANNEL_GROUPS.index("live_stream"), CHANNEL_GROUPS.index("search")


def _catalog() -> Catalog:
    return Catalog(
        sku_id=np.array([1, 2, 3]),
        spu_id=np.array([1, 2, 3]),
        name=["dress", "nuts", "phone"],
        l1=np.array([WOMENSWEAR, FOOD, 3]),
        l2_name=["连衣裙", "坚果", "手机"],
        brand=["a", "b", "c"],
        list_fen=np.array([25_900, 8_900, 399_900]),
        cost_fen=np.array([10_000, 6_000, 300_000]),
        weight_kg=np.array([0.4, 1.0, 0.5]),
        popularity=np.ones(3),
    )


PROMOS = [
    Promotion("THR", "每满300减50", "threshold", "platform", T0, T1, {"every": 300, "off": 50}),
    Promotion("DSC", "女装8折", "discount", "merchant", T0, T1, {"percent_off": 20, "category_l1": ["女装"]}),
    Promotion("CPN", "满200减20", "coupon", "platform", T0, T1, {"min_spend": 200, "off": 20}),
    Promotion("CBK", "返现5%", "cashback", "platform", T0, T1, {"percent": 5, "cap": 30, "channel_group": "live_stream"}),
    Promotion("FLS", "秒杀", "flash_sale", "merchant", T0, T1, {"price": 2999, "stock": 2, "sku_ids": [3]}),
]  # fmt: skip


def test_stacked_promotions_hand_computed():
    # Order 0 (live stream, coupon holder): dress x1 at 8折 = 207.20, nuts x2 = 178.00; eligible 385.20 ->
    # threshold 50 split 26.90 / 23.10; coupon 20 on 335.20 -> 10.76 / 9.24; cashback 5% of 315.20 = 15.76
    # -> 8.48 / 7.28. Order 1 (search, no coupon): nuts x1 = 89.00, under every threshold, 6.00 shipping.
    p = price_orders(
        line_order=np.array([0, 0, 1]),
        line_sku=np.array([0, 1, 1]),
        qty=np.array([1, 2, 1]),
        order_ts=np.array([100, 200]),
        order_group=np.array([LIVE, SEARCH]),
        coupon_holder=np.array([True, False]),
        catalog=_catalog(),
        promos=PROMOS,
        flash_sold={},
    )
    assert p.unit_fen.tolist() == [20_720, 8_900, 8_900]
    assert p.line_discount.tolist() == [5_180 + 2_690 + 1_076 + 848, 2_310 + 924 + 728, 0]
    rows = sorted(
        zip(
            p.item_line.tolist(),
            [PROMOS[k].promo_id for k in p.item_promo],
            p.item_amount.tolist(),
            strict=True,
        )
    )
    assert rows == [
        (0, "CBK", 848), (0, "CPN", 1_076), (0, "DSC", 5_180), (0, "THR", 2_690),
        (1, "CBK", 728), (1, "CPN", 924), (1, "THR", 2_310),
    ]  # fmt: skip
    assert [PROMOS[k].promo_id if k >= 0 else None for k in p.line_promo] == ["DSC", "THR", None]
    assert p.list_amount.tolist() == [43_700, 8_900]
    assert p.discount.tolist() == [13_756, 0]
    assert p.shipping.tolist() == [0, 600]
    assert p.paid.tolist() == [29_944, 9_500]


def test_flash_sale_price_only_while_its_stock_lasts():
    sold = {"FLS": 1}
    p = price_orders(
        line_order=np.array([0, 1, 2]),
        line_sku=np.array([2, 2, 2]),
        qty=np.array([1, 1, 1]),
        order_ts=np.array([1, 2, 3]),
        order_group=np.array([SEARCH] * 3),
        coupon_holder=np.array([False] * 3),
        catalog=_catalog(),
        promos=PROMOS,
        flash_sold=sold,
    )
    # One unit of stock 2 went in an earlier call: only the first order here gets 2,999.00.
    assert p.unit_fen.tolist() == [299_900, 399_900, 399_900]
    assert sold == {"FLS": 2}
    # 2,999.00 -> threshold 9 x 50 = 450; 3,999.00 -> 13 x 50 = 650.
    assert p.discount.tolist() == [100_000 + 45_000, 65_000, 65_000]
