"""Promotion mechanics: what each order line costs after stacked promotions, exactly in fen.

The stacking order (as on Tmall): first each line gets the single best line-level price (a percentage
discount, a flash-sale price while its promotional stock lasts, a group-buy price); then the order-level
promotions apply one after another, each on what is left after the previous ones: the threshold discount
(每满300减50: floor(eligible / 300) x 50 on the lines' discounted value), the coupons (满200减20), then
cashback (5%, at most 30 yuan), which is settled against the order. Each order-level amount is allocated
to the lines pro rata to their remaining value with largest remainders, so the parts add up exactly.
Shipping is free from 99 yuan of goods after discounts, else 6 yuan up to 1 kg and 10 yuan above.
"""

from dataclasses import dataclass

import numpy as np

from warroom.schema.tables import CHANNEL_GROUPS
from warroom.simulate.allocation import allocate
from warroom.simulate.catalog import Catalog
from warroom.simulate.promotions import LINE_LEVEL, Promotion, in_scope

FREE_SHIPPING_FEN = 9_900
SHIPPING_LIGHT_FEN, SHIPPING_HEAVY_FEN = 600, 1_000
ORDER_LEVEL = ("threshold", "coupon", "cashback")


@dataclass
class Priced:
    unit_fen: np.ndarray  # per line
    line_promo: np.ndarray  # per line: index into the promotions, -1 for none
    line_discount: np.ndarray  # per line: sum of its item discounts
    item_line: np.ndarray  # per item discount: line index
    item_promo: np.ndarray  # ... promotion index
    item_amount: np.ndarray  # ... fen
    list_amount: np.ndarray  # per order
    discount: np.ndarray
    shipping: np.ndarray
    paid: np.ndarray


def _sum_by(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    # float64 sums are exact below 2**53 fen (90 billion yuan) per order.
    return np.rint(np.bincount(group, weights=values, minlength=n)).astype(np.int64)


def price_orders(
    line_order: np.ndarray,
    line_sku: np.ndarray,
    qty: np.ndarray,
    order_ts: np.ndarray,
    order_group: np.ndarray,
    coupon_holder: np.ndarray,
    catalog: Catalog,
    promos: list[Promotion],
    flash_sold: dict[str, int],
) -> Priced:
    """Price lines grouped by order (line_order non-decreasing, orders in time order).

    `order_group` is the ordering visit's channel group index; `flash_sold` (promo_id -> units sold at
    the flash price so far) is updated in place, so flash stock runs out across calls.
    """
    n_orders, n_lines = len(order_ts), len(line_order)
    ts = order_ts[line_order]
    group = order_group[line_order]
    list_unit = catalog.list_fen[line_sku]
    l1, sku_id = catalog.l1[line_sku], catalog.sku_id[line_sku]
    unit = list_unit.copy()
    line_promo = np.full(n_lines, -1, dtype=np.int64)

    def applies(p: Promotion) -> np.ndarray:
        ok = (ts >= p.starts_us) & (ts < p.ends_us) & in_scope(p, l1, sku_id)
        if "channel_group" in p.rule:
            ok &= group == CHANNEL_GROUPS.index(p.rule["channel_group"])
        return ok

    for k, p in enumerate(promos):
        if p.promo_type not in LINE_LEVEL:
            continue
        ok = applies(p)
        if p.promo_type == "flash_sale":
            price = np.full(n_lines, round(p.rule["price"] * 100), dtype=np.int64)
            idx = np.flatnonzero(ok)  # lines are in time order: first come, first served
            within = np.cumsum(qty[idx]) + flash_sold.get(p.promo_id, 0) <= p.rule["stock"]
            ok[idx[~within]] = False
            flash_sold[p.promo_id] = flash_sold.get(p.promo_id, 0) + int(qty[idx[within]].sum())
        else:
            price = list_unit * (100 - p.rule["percent_off"]) // 100
        better = ok & (price < unit)
        unit[better] = price[better]
        line_promo[better] = k

    rows_line = [np.flatnonzero(line_promo >= 0)]
    rows_promo = [line_promo[rows_line[0]]]
    rows_amount = [((list_unit - unit) * qty)[rows_line[0]]]
    remaining = unit * qty
    for kind in ORDER_LEVEL:
        for k, p in enumerate(promos):
            if p.promo_type != kind:
                continue
            ok = applies(p)
            if kind == "coupon" and "sku_ids" not in p.rule:  # a 单品券 is claimed on the product page
                ok &= coupon_holder[line_order]
            idx = np.flatnonzero(ok)
            base = _sum_by(line_order[idx], remaining[idx], n_orders)
            if kind == "threshold":
                off = base // (p.rule["every"] * 100) * (p.rule["off"] * 100)
            elif kind == "coupon":
                usable = (base > 0) & (base >= p.rule["min_spend"] * 100)
                off = np.where(usable, np.minimum(p.rule["off"] * 100, base), 0)
            else:
                off = np.minimum(base * p.rule["percent"] // 100, p.rule["cap"] * 100)
            share = allocate(off, line_order[idx], remaining[idx])
            remaining[idx] -= share
            got = share > 0
            rows_line.append(idx[got])
            rows_promo.append(np.full(int(got.sum()), k, dtype=np.int64))
            rows_amount.append(share[got])
            first = idx[got & (line_promo[idx] < 0)]
            line_promo[first] = k

    item_line = np.concatenate(rows_line)
    order = np.argsort(item_line, kind="stable")
    line_discount = list_unit * qty - remaining
    list_amount = _sum_by(line_order, list_unit * qty, n_orders)
    discount = _sum_by(line_order, line_discount, n_orders)
    goods = list_amount - discount
    weight = np.bincount(line_order, weights=catalog.weight_kg[line_sku] * qty, minlength=n_orders)
    shipping = np.where(
        goods >= FREE_SHIPPING_FEN, 0, np.where(weight <= 1.0, SHIPPING_LIGHT_FEN, SHIPPING_HEAVY_FEN)
    )
    return Priced(
        unit_fen=unit,
        line_promo=line_promo,
        line_discount=line_discount,
        item_line=item_line[order],
        item_promo=np.concatenate(rows_promo)[order],
        item_amount=np.concatenate(rows_amount)[order],
        list_amount=list_amount,
        discount=discount,
        shipping=shipping.astype(np.int64),
        paid=goods + shipping,
    )
