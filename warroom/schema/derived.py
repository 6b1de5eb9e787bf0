"""Derived tables: computed inside the warehouse from canonical tables, never ingested, read by metrics.

- `landed_prices` (到手价): per SKU, what one unit costs a buyer bought on its own while promotions are
  live, after every promotion that stacks on it, beside its unit cost. A promotion prices a SKU below cost
  the moment it goes live, before any order comes in: the finance rule `promo_priced_below_cost` reads it.
  warroom/warehouse/landed.py computes it from `promotions` and `products`, in the same transaction that
  writes either. One row per SKU at each moment its set of live promotions changes and at every whole hour
  while any is live (an hourly rule window always holds a row); no row when none covers the SKU.
"""

from warroom.schema.model import Column, Table
from warroom.schema.types import ColumnType as T

landed_prices = Table(
    "landed_prices",
    "derived",
    "到手价: one unit's price bought on its own after every live promotion that stacks, and its unit cost.",
    (
        Column(
            "ts", T.TIMESTAMP, "From when this price holds (a change of live promotions, or an hour) (UTC)."
        ),
        Column("sku_id", T.ID, "SKU."),
        Column("list_price", T.MONEY, "List price per unit, CNY."),
        Column("landed_price", T.MONEY, "Lowest price one unit sells at on its own, any channel, CNY."),
        Column(
            "merchant_price",
            T.MONEY,
            "The same after the merchant-funded promotions only (the platform pays back what it funds), CNY.",
        ),
        Column("unit_cost", T.MONEY, "Cost of goods per unit, CNY; empty if unknown.", required=False),
        Column("promo_ids", T.TEXT, "The live promotions covering the SKU, comma-separated."),
        Column(
            "unpriced_promo_ids",
            T.TEXT,
            "Of those, the ones whose rule lacks its mechanic's parameters (not in the price).",
            required=False,
        ),
    ),
    key=("sku_id", "ts"),
    time_column="ts",
)

DERIVED: dict[str, Table] = {t.name: t for t in (landed_prices,)}
