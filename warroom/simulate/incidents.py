"""The known incidents planted in the data, and incidents.json that lists them for tests and demos.

Times are relative to 11 Nov 00:00 Shanghai (Calendar.at). An incident whose window lies outside the
simulated period is not listed. Each entry: id, kind, start, end (ISO 8601 UTC), touches (the table and
the column filters where it shows; `related` lists further tables), description.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from warroom.simulate.calendar import Calendar
from warroom.simulate.catalog import Catalog

PAYMENT_FAILURE_RATE = 0.40  # per attempt during the surge, against 5% normally; 80% of them TIMEOUT
PAYMENT_LATENCY_MULT = 8.0  # on the payment endpoints' median latency during the surge
ROI_SPEND_MULT = 6.0  # the runaway bid: six times the channel's usual spend for the same visits
REFUND_SPIKE_RATE = (
    0.20  # of the category's lines paid in the first wave, refunded on the spike day (~12x a normal day)
)
HOT_LAUNCH_BOOST = 0.5  # share of electronics views that go to the hot SKU in its launch flash sale
HOT_LATER_BOOST = 0.08  # ... and for the rest of 11 Nov
MISPRICED_BOOST = 0.3  # share of beauty views the mispriced deal draws while it lasts


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    start_us: int
    end_us: int

    def holds(self, t_us: np.ndarray) -> np.ndarray:
        return (t_us >= self.start_us) & (t_us < self.end_us)


@dataclass(frozen=True)
class Plan:
    payment_surge: Window
    mispriced: Window
    mispriced_sku: int  # catalog index
    roi_channel: str
    roi_collapse: Window
    hot_sku: int  # catalog index
    hot_launch: Window  # its flash sale; the SKU is on sale only from its start
    hot_day: Window
    refund_category: str
    refund_spike: Window
    refund_bought: Window  # the orders whose lines come back
    gap_service: str
    gap: Window


def make_plan(cal: Calendar, catalog: Catalog) -> Plan:
    at = cal.at
    return Plan(
        payment_surge=Window(at(0), at(0, 0, 30)),
        mispriced=Window(at(-10, 9), at(-10, 13)),
        mispriced_sku=catalog.top_sku("美妆", "精华"),
        roi_channel="ads_video",
        roi_collapse=Window(at(-9, 13), at(-9, 19)),
        hot_sku=catalog.top_sku("数码", "手机"),
        hot_launch=Window(at(0), at(0, 2)),
        hot_day=Window(at(0), at(1)),
        refund_category="家居",
        refund_spike=Window(at(-5), at(-4)),
        refund_bought=Window(at(-10), at(-7)),
        gap_service="search",
        gap=Window(at(-8, 15), at(-8, 15, 20)),
    )


def _iso(t_us: int) -> str:
    """Exact to the microsecond (a stock-out happens at an order's time, not on a whole second)."""
    return (_EPOCH + timedelta(microseconds=t_us)).isoformat().replace("+00:00", "Z")


def incidents_doc(plan: Plan, cal: Calendar, catalog: Catalog, hot_stockout_us: int | None) -> list[dict]:
    """incidents.json: only the incidents that happened inside the period."""
    mis_sku = int(catalog.sku_id[plan.mispriced_sku])
    hot_sku = int(catalog.sku_id[plan.hot_sku])
    items = [
        ("payment-latency-surge", "latency_and_failures", plan.payment_surge,
         {"table": "payments", "filters": {"status": "failed", "failure_code": "TIMEOUT"},
          "related": [{"table": "api_requests", "filters": {"service": "payment"}}]},
         "The payment service slows down at the midnight rush: p99 latency of the payment endpoints "
         f"rises about {PAYMENT_LATENCY_MULT:g}x and {PAYMENT_FAILURE_RATE:.0%} of payment attempts fail, "
         "mostly TIMEOUT; most buyers retry."),
        ("negative-margin-sku", "negative_margin", plan.mispriced,
         {"table": "order_items", "filters": {"sku_id": mis_sku, "promo_id": "DSC-MISPRICED"},
          "related": [{"table": "item_discounts", "filters": {"promo_id": ["DSC-MISPRICED", "CPN-MISPRICED"]}}]},
         f"SKU {mis_sku} sells below cost: a merchant discount to 110% of cost (DSC-MISPRICED) stacks with a "
         "单品券 typed ten times too large (CPN-MISPRICED), and the threshold discount can stack on top."),
        ("roi-collapse", "channel_roi", plan.roi_collapse,
         {"table": "marketing_spend", "filters": {"channel_id": plan.roi_channel},
          "related": [{"table": "orders", "filters": {"channel_id": plan.roi_channel}}]},
         f"A runaway bid on {plan.roi_channel}: spend {ROI_SPEND_MULT:g}x its usual level for six hours while "
         "visits and orders stay where they were."),
        ("refund-spike", "refund_spike", plan.refund_spike,
         {"table": "refunds", "filters": {"category_l1": plan.refund_category, "reason": ["quality", "damaged"]}},
         f"A quality problem in {plan.refund_category}: {REFUND_SPIKE_RATE:.0%} of the category's lines bought "
         "in the first wave come back as refunds on one day."),
        ("source-gap", "missing_data", plan.gap,
         {"table": "api_requests", "filters": {"service": plan.gap_service},
          "related": [{"table": "host_metrics", "filters": {"host_prefix": f"{plan.gap_service}-"}}]},
         f"The log shipper of the {plan.gap_service} service stops for 20 minutes: no api_requests and no "
         "host_metrics rows from it."),
    ]  # fmt: skip
    if hot_stockout_us is not None:
        stockout = Window(hot_stockout_us, cal.end_us)
        items.append(
            ("hot-sku-stockout", "stockout", stockout,
             {"table": "inventory", "filters": {"sku_id": hot_sku, "on_hand": 0},
              "related": [{"table": "order_items", "filters": {"sku_id": hot_sku}}]},
             f"SKU {hot_sku} launches in a flash sale (FLS-HOT) at 00:00 on 11 Nov with a third of the stock the "
             "launch could sell; it sells out and takes no orders afterwards.")
        )  # fmt: skip
    return [
        {
            "id": ident,
            "kind": kind,
            "start": _iso(w.start_us),
            "end": _iso(w.end_us),
            "touches": touches,
            "description": text,
        }
        for ident, kind, w, touches, text in items
        if w.end_us > cal.start_us and w.start_us < cal.end_us
    ]
