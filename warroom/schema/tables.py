"""The canonical tables: the one source of truth for the simulator, ingest validation, warehouse DDL,
the API's models and `warroom schema`.

Refinements of DESIGN.md's starting point, and why:
- `item_discounts` (one row per order line and promotion) records stacked promotions: a line can carry a
  flash-sale price, a share of a threshold discount and a coupon at once, each funded by someone else.
  `order_items.discount_amount` is their sum; finance allocates and splits by funder from here.
- `orders.updated_at` lets a status change (paid, refunded) replace the earlier row by order_id, and is
  the watermark for incremental pulls.
- `orders.device` and `orders.is_new_buyer` keep the order's context without joining the click stream.
- `orders.payment_method` (as order exports give it) prices each order's payment fee by its method; the
  payments table keeps every attempt.
- `products.list_price` and `unit_cost` may be empty: third-party product lists (a behaviour log's items)
  often have no prices, and order lines carry the price and cost that money figures sum.
- `listing_snapshots` is market data: the sales counters a marketplace shows on listings (the shop's own
  and its competitors'), as a crawler or a data service records them each day. The simulator makes the
  shop's own trade, not the market, so this table is the one it leaves empty (`simulated=False`).
"""

from warroom.schema.model import Column, Table
from warroom.schema.types import ColumnType as T

EVENT_TYPES = ("view", "favorite", "cart", "order", "pay")
DEVICES = ("ios", "android", "mini_program", "h5", "pc")
CHANNEL_GROUPS = ("search", "feed", "live_stream", "social", "offsite_ads", "main_venue")
MEMBER_LEVELS = ("regular", "silver", "gold", "platinum", "vip88")
ORDER_STATUSES = ("created", "paid", "cancelled", "shipped", "refunded", "partially_refunded")
PROMO_TYPES = ("threshold", "discount", "flash_sale", "group_buy", "coupon", "cashback")
FUNDERS = ("merchant", "platform")
PAYMENT_METHODS = ("alipay", "wechat", "huabei", "card", "unionpay")
PAYMENT_STATUSES = ("success", "failed")
REFUND_KINDS = ("full", "partial")
REFUND_REASONS = ("size_fit", "quality", "not_as_described", "changed_mind", "late_delivery", "damaged")
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

_MONEY_MAX = 10_000_000.0  # a single row over 10M CNY is a unit mix-up (fen sent as yuan), not a sale


def _ts(name: str, description: str, required: bool = True) -> Column:
    return Column(name, T.TIMESTAMP, description, required=required)


def _money(name: str, description: str, required: bool = True) -> Column:
    return Column(name, T.MONEY, description, required=required, minimum=0, maximum=_MONEY_MAX)


customers = Table(
    "customers",
    "dimension",
    "Buyers, with where they live and their membership.",
    (
        Column("customer_id", T.ID, "Customer identifier."),
        _ts("registered_at", "When the account was created (UTC)."),
        Column("province", T.TEXT, "Province of the default address."),
        Column("city", T.TEXT, "City of the default address.", required=False),
        Column("age_band", T.TEXT, "Age band such as 18-24.", required=False),
        Column("member_level", T.TEXT, "Membership level.", enum=MEMBER_LEVELS),
        Column("name", T.TEXT, "Real name (PII).", required=False, pii=True),
        Column("phone", T.TEXT, "Mobile number (PII).", required=False, pii=True),
    ),
    key=("customer_id",),
    upsert=True,
)

products = Table(
    "products",
    "dimension",
    "SKUs in a two-level category tree, with list price and unit cost.",
    (
        Column("sku_id", T.ID, "SKU identifier."),
        Column("spu_id", T.ID, "Product (SPU) the SKU belongs to."),
        Column("sku_name", T.TEXT, "Display name."),
        Column("category_l1", T.TEXT, "Top-level category."),
        Column("category_l2", T.TEXT, "Second-level category."),
        Column("brand", T.TEXT, "Brand."),
        # Optional: a behaviour log (Tmall's) names items, categories and brands but no prices. Nothing sums
        # these two (order lines carry the price and cost at the time of sale); empty beats a made-up 0.
        _money("list_price", "List price per unit, CNY; empty if the source has none.", required=False),
        _money(
            "unit_cost", "Cost of goods per unit, CNY (finance-sensitive); empty if unknown.", required=False
        ),
        Column("weight_kg", T.FLOAT, "Shipping weight per unit.", required=False, minimum=0, maximum=1000),
    ),
    key=("sku_id",),
    upsert=True,
)

channels = Table(
    "channels",
    "dimension",
    "Traffic channels.",
    (
        Column("channel_id", T.TEXT, "Channel identifier."),
        Column("name", T.TEXT, "English name."),
        Column("name_zh", T.TEXT, "Chinese name.", required=False),
        Column("channel_group", T.TEXT, "Channel group.", enum=CHANNEL_GROUPS),
    ),
    key=("channel_id",),
    upsert=True,
)

promotions = Table(
    "promotions",
    "dimension",
    "Promotions and their mechanics.",
    (
        Column("promo_id", T.TEXT, "Promotion identifier."),
        Column("name", T.TEXT, "Display name."),
        Column("promo_type", T.TEXT, "Mechanic.", enum=PROMO_TYPES),
        Column("funded_by", T.TEXT, "Who pays for the discount.", enum=FUNDERS),
        _ts("starts_at", "Start (UTC)."),
        _ts("ends_at", "End (UTC)."),
        # Read by warroom/warehouse/landed.py (the landed prices): a rule without its parameters is kept, unpriced.
        Column(
            "rule",
            T.TEXT,
            "The mechanic's parameters as JSON, money in yuan: discount and group_buy {percent_off}, flash_sale "
            "{price}, threshold {every, off}, coupon {off, min_spend}, cashback {percent, cap}; optionally "
            'narrowed by category_l1 [..], sku_ids [..], channel_group. E.g. {"every": 300, "off": 50}.',
        ),
    ),
    key=("promo_id",),
    upsert=True,
)

events = Table(
    "events",
    "fact",
    "The click stream: one row per view, favourite, cart add, order or payment.",
    (
        Column("event_id", T.ID, "Event identifier; a repeat is a duplicate."),
        _ts("ts", "When it happened (UTC)."),
        Column("session_id", T.ID, "Visit the event belongs to."),
        Column("customer_id", T.ID, "Who."),
        Column("channel_id", T.TEXT, "Channel the visit came from."),
        Column("event_type", T.TEXT, "What happened.", enum=EVENT_TYPES),
        Column("sku_id", T.ID, "Which SKU.", required=False),
        Column("device", T.TEXT, "Device.", enum=DEVICES),
    ),
    key=("event_id",),
    time_column="ts",
)

orders = Table(
    "orders",
    "fact",
    "Orders, one row per order in its latest status.",
    (
        Column("order_id", T.ID, "Order identifier."),
        _ts("ts", "When the order was placed (UTC)."),
        Column("customer_id", T.ID, "Buyer."),
        Column("channel_id", T.TEXT, "Channel of the visit that ordered."),
        Column("province", T.TEXT, "Delivery province."),
        Column("device", T.TEXT, "Device.", enum=DEVICES),
        Column("status", T.TEXT, "Latest status.", enum=ORDER_STATUSES),
        Column("is_new_buyer", T.BOOL, "First order of this customer ever."),
        _money("list_amount", "Sum of list price times quantity."),
        _money("discount_amount", "All discounts on the order, by any funder."),
        _money("paid_amount", "What the buyer pays: list - discount + shipping."),
        _money("shipping_fee", "Shipping charged to the buyer."),
        _ts("paid_at", "When payment succeeded (UTC); empty if unpaid.", required=False),
        _ts("updated_at", "Last status change (UTC)."),
        # Last, so a warehouse file made before it gains it by ALTER TABLE ADD COLUMN in the same position.
        Column(
            "payment_method",
            T.TEXT,
            "Method of the successful payment; empty if unpaid or unknown.",
            required=False,
            enum=PAYMENT_METHODS,
        ),
    ),
    key=("order_id",),
    time_column="ts",
    upsert=True,
)

order_items = Table(
    "order_items",
    "fact",
    "Order lines.",
    (
        Column("order_id", T.ID, "Order."),
        Column("line_no", T.INT, "Line number within the order, from 1.", minimum=1, maximum=1000),
        Column("sku_id", T.ID, "SKU."),
        Column("quantity", T.INT, "Units.", minimum=1, maximum=10_000),
        _money("list_price", "List price per unit."),
        _money("unit_price", "Price per unit after line-level discounts."),
        Column("promo_id", T.TEXT, "The line's main promotion.", required=False),
        _money("discount_amount", "All discounts allocated to the line (sum of its item_discounts)."),
        _money("unit_cost", "Cost of goods per unit at the time of sale."),
    ),
    key=("order_id", "line_no"),
)

item_discounts = Table(
    "item_discounts",
    "fact",
    "Each promotion's discount on each order line: stacked promotions give several rows per line.",
    (
        Column("order_id", T.ID, "Order."),
        Column("line_no", T.INT, "Order line.", minimum=1, maximum=1000),
        Column("promo_id", T.TEXT, "Promotion."),
        _money("amount", "Discount this promotion gives this line, CNY."),
    ),
    key=("order_id", "line_no", "promo_id"),
)

payments = Table(
    "payments",
    "fact",
    "Payment attempts.",
    (
        Column("payment_id", T.ID, "Payment attempt identifier."),
        Column("order_id", T.ID, "Order paid for."),
        _ts("ts", "When the attempt finished (UTC)."),
        Column("method", T.TEXT, "Payment method.", enum=PAYMENT_METHODS),
        Column("status", T.TEXT, "Outcome.", enum=PAYMENT_STATUSES),
        Column("failure_code", T.TEXT, "Why it failed; empty on success.", required=False),
        _money("amount", "Amount attempted."),
    ),
    key=("payment_id",),
    time_column="ts",
)

refunds = Table(
    "refunds",
    "fact",
    "Refunds, full or partial.",
    (
        Column("refund_id", T.ID, "Refund identifier."),
        Column("order_id", T.ID, "Order refunded."),
        Column("sku_id", T.ID, "SKU refunded.", required=False),
        _ts("ts", "When the refund was made (UTC)."),
        _money("amount", "Amount refunded."),
        Column("reason", T.TEXT, "Why.", enum=REFUND_REASONS),
        Column("kind", T.TEXT, "Full or partial.", enum=REFUND_KINDS),
    ),
    key=("refund_id",),
    time_column="ts",
)

marketing_spend = Table(
    "marketing_spend",
    "fact",
    "Marketing spend per hour and channel (and promotion where the spend is a promotion's).",
    (
        _ts("hour", "Start of the hour (UTC)."),
        Column("channel_id", T.TEXT, "Channel."),
        Column("promo_id", T.TEXT, "Promotion, if the spend is tied to one.", required=False),
        _money("spend", "Spend in the hour."),
    ),
    key=("hour", "channel_id", "promo_id"),
    time_column="hour",
    upsert=True,
)

inventory = Table(
    "inventory",
    "fact",
    "Stock on hand per SKU, a snapshot whenever it changes.",
    (
        _ts("ts", "Snapshot time (UTC)."),
        Column("sku_id", T.ID, "SKU."),
        Column("on_hand", T.INT, "Units on hand.", minimum=0, maximum=100_000_000),
    ),
    key=("ts", "sku_id"),
    time_column="ts",
    upsert=True,
)

api_requests = Table(
    "api_requests",
    "fact",
    "Sampled API requests of the shop's services.",
    (
        _ts("ts", "When the request finished (UTC)."),
        Column("service", T.TEXT, "Service."),
        Column("endpoint", T.TEXT, "Endpoint path template."),
        Column("method", T.TEXT, "HTTP method.", enum=HTTP_METHODS),
        Column("status_code", T.INT, "HTTP status.", minimum=100, maximum=599),
        Column("latency_ms", T.FLOAT, "Latency in milliseconds.", minimum=0, maximum=600_000),
        Column("host", T.TEXT, "Host that served it."),
        Column(
            "sample_rate",
            T.FLOAT,
            "Share of requests this row stands for (1/rate requests).",
            minimum=0.000001,
            maximum=1,
        ),
    ),
    key=(),
    time_column="ts",
)

host_metrics = Table(
    "host_metrics",
    "fact",
    "Host resource use, one row per host per scrape.",
    (
        _ts("ts", "Scrape time (UTC)."),
        Column("host", T.TEXT, "Host."),
        Column("role", T.TEXT, "Role such as web, api, db, cache."),
        Column("cpu_pct", T.FLOAT, "CPU use, percent.", minimum=0, maximum=100),
        Column("mem_pct", T.FLOAT, "Memory use, percent.", minimum=0, maximum=100),
        Column("net_in_mbps", T.FLOAT, "Network in, Mbit/s.", minimum=0, maximum=1_000_000),
        Column("net_out_mbps", T.FLOAT, "Network out, Mbit/s.", minimum=0, maximum=1_000_000),
    ),
    key=("ts", "host"),
    time_column="ts",
    upsert=True,
)

listing_snapshots = Table(
    "listing_snapshots",
    "fact",
    "Marketplace listings as seen at each snapshot: price and the listing's sales counter.",
    (
        _ts("ts", "Snapshot time (UTC)."),
        Column("listing_id", T.TEXT, "The marketplace's listing identifier."),
        Column("shop", T.TEXT, "Shop (or brand store) that sells the listing."),
        Column("title", T.TEXT, "Listing title.", required=False),
        _money("price", "Price shown at the snapshot, CNY.", required=False),
        # Cumulative as the marketplace shows it: sales in a period are differences between snapshots.
        Column(
            "sale_count",
            T.INT,
            "Sales counter shown on the listing.",
            required=False,
            minimum=0,
            maximum=10_000_000_000,
        ),
        Column(
            "comment_count",
            T.INT,
            "Review counter shown on the listing.",
            required=False,
            minimum=0,
            maximum=10_000_000_000,
        ),
    ),
    key=("ts", "listing_id"),
    time_column="ts",
    simulated=False,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        customers,
        products,
        channels,
        promotions,
        events,
        orders,
        order_items,
        item_discounts,
        payments,
        refunds,
        marketing_spend,
        inventory,
        api_requests,
        host_metrics,
        listing_snapshots,
    )
}
