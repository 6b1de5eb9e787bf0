"""The operations board: traffic, funnel, promotions, leaderboards, hourly peaks, channel ROI and stock-outs
(see warroom.analyses.ops). Windows: the page's time range (default today so far, Asia/Shanghai) against the
same clock hours a day earlier, for traffic, the funnels and the leaderboards; promotion uplift and the
hour-of-day heatmap keep the last 7 days (a day holds too few comparable hours), ROI per hour the last 24
hours, stock-outs the last 3 hours' sell rate (each panel says so on the page). Segments and churn read every
customer's whole history and are computed every 10 minutes (boards/ops_customers.py); per customer, `warroom
ops segments|churn`."""

from collections.abc import Callable
from datetime import date, timedelta

from warroom.analyses.ops.funnel import funnel
from warroom.analyses.ops.leaderboards import leaderboard
from warroom.analyses.ops.peaks import peaks
from warroom.analyses.ops.promotions import promotions
from warroom.analyses.ops.roi import channel_roi
from warroom.analyses.ops.stock import stock_levels, stockouts
from warroom.analyses.ops.traffic import traffic
from warroom.web.boards.board import Board, BoardRequest, Panel, composed
from warroom.web.boards.ops_customers import TEXT as CUSTOMER_TEXT
from warroom.web.boards.ops_customers import customer_panels
from warroom.web.boards.slow import Slow
from warroom.web.boards.tabulate import funnel_rows, hour_grid_rows

HISTORY = timedelta(days=7)
STOCK_HOURS = (
    3  # sell rate over the last 3 hours: recent enough to see a flash sale, long enough to be steady
)
STOCKOUT_WITHIN_H = 24
TOP = 10
CHANNELS = ["search", "feed", "live_top", "live_store", "social", "ads_search", "ads_video", "main_venue"]
CATEGORIES = ["女装", "男装", "美妆", "数码", "家居", "食品", "母婴", "运动"]
PROMO_TYPES = ["threshold", "discount", "flash_sale", "group_buy", "coupon", "cashback"]


def _stock(req: BoardRequest) -> list[dict]:
    return req.shared(
        "stock",
        lambda: stock_levels(
            req.warehouse, now=req.window.end, hours=STOCK_HOURS, principal=req.principal, filters=req.filters
        ),
    )


def _baseline(req: BoardRequest) -> date:
    """The day before the range's first day: each hour of the range is compared with the same clock hour."""
    return (req.window.start.astimezone(req.tz) - timedelta(days=1)).date()


def _traffic(req: BoardRequest) -> dict:
    w = req.window
    return req.shared(
        "traffic",
        lambda: traffic(
            req.warehouse, start=w.start, end=w.end, baseline_date=_baseline(req), principal=req.principal,
            filters=req.filters,
        ),
    )  # fmt: skip


def _funnel(basis: str) -> Callable[[BoardRequest], dict]:
    def compute(req: BoardRequest) -> dict:
        w = req.window
        return funnel(
            req.warehouse, start=w.start, end=w.end, basis=basis, baseline_date=_baseline(req),  # type: ignore[arg-type]
            principal=req.principal, filters=req.filters,
        )  # fmt: skip

    return compute


def _leaders(by: str, limit: int | None = TOP) -> Callable[[BoardRequest], dict]:
    def compute(req: BoardRequest) -> dict:
        w = req.window
        extra = {"limit": limit} if limit else {}
        return leaderboard(
            req.warehouse, by=by, start=w.start, end=w.end, tz=req.tz, principal=req.principal,  # type: ignore[arg-type]
            filters=req.filters, stock_hours=STOCK_HOURS, **extra,
        )  # fmt: skip

    return compute


def _compare_promotions(req: BoardRequest) -> dict:
    return promotions(
        req.warehouse, start=req.now - HISTORY, end=req.now, tz=req.tz, principal=req.principal,
        filters=req.filters,
    )  # fmt: skip


# Seven days of promotions compared, with the uplift's matched cells: 0.2-0.3 s, half of the board's refresh
# at scale 1 (/tmp probe timing each panel), for figures a minute of sale barely moves.
_promotions = Slow(
    _compare_promotions,
    refresh=timedelta(minutes=1),
    min_wall=10.0,
    key=lambda req: tuple(sorted(req.filters.items())),
)


def _head(req: BoardRequest) -> dict:
    return {
        "now": req.now.isoformat(),
        "options": {"channel": CHANNELS, "category_l1": CATEGORIES, "promo_type": PROMO_TYPES},
    }


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


WEEK_FIXED = _t(
    "固定近7天:一天里可比的小时太少(不随时间范围变化)。",
    "Fixed to the last 7 days: one day holds too few comparable hours (does not follow the time range).",
)
PANELS = {
    "traffic": Panel(_traffic),
    "mix": Panel(lambda req: {"mix": _traffic(req)["mix"], "per_minute": _traffic(req)["per_minute"]}),
    "funnel_user": Panel(_funnel("user"), table=funnel_rows),
    "funnel_session": Panel(_funnel("session"), table=funnel_rows),
    "promotions": Panel(_promotions, fixed=WEEK_FIXED),
    "leaders_sku": Panel(_leaders("sku")),
    "leaders_category": Panel(_leaders("category_l1", limit=None)),
    "leaders_brand": Panel(_leaders("brand")),
    "heatmap": Panel(
        lambda req: peaks(
            req.warehouse,
            start=req.now - HISTORY,
            end=req.now,
            tz=req.tz,
            principal=req.principal,
            filters=req.filters,
        ),
        fixed=WEEK_FIXED,
        table=hour_grid_rows,
    ),
    "roi": Panel(
        lambda req: channel_roi(
            req.warehouse,
            start=req.now - timedelta(hours=24),
            end=req.now,
            principal=req.principal,
            filters=req.filters,
        ),
        fixed=_t(
            "固定近24小时:下滑判断要拿最近3小时与此前的小时比。",
            "Fixed to the last 24 h: a falling ROI compares the last 3 hours with the hours before them.",
        ),
    ),
    "stockouts": Panel(
        lambda req: stockouts(_stock(req), within_hours=STOCKOUT_WITHIN_H)[:20],
        fixed=_t(
            "截至所选范围末尾的库存, 销速固定取其前3小时:足够近以看到秒杀, 又足够长而平稳。",
            "Stock at the end of the range, sold at the rate of its last 3 hours: recent enough to see a flash "
            "sale, long enough to be steady.",
        ),
    ),
    "segments": Panel(
        lambda req: customer_panels(req)["segments"],
        fixed=_t(
            "固定:全部历史, 截至当前;今日买家按今日。", "Fixed: the whole history up to now; buyers of today."
        ),
        table=lambda data: data["sizes"],
    ),
    "churn": Panel(
        lambda req: customer_panels(req)["churn"],
        fixed=_t("固定:全部历史, 截至当前。", "Fixed: the whole history up to now."),
        table=lambda data: data["at_risk"],
    ),
}


TEXT = {
    "traffic": _t("渠道流量 vs 前一天同时段", "Traffic by channel vs the same hours a day earlier"),
    "traffic_note": _t(
        "浏览量(PV)=商品浏览事件;访客(UV)=有任意行为的去重客户;虚线为昨日同一小时的总浏览量。",
        "PV = product views; UV = distinct customers with any event; dashed: yesterday's total PV in the same hour.",
    ),
    "mix": _t("渠道占比(访客)与每分钟浏览", "Channel mix (UV) and PV per minute"),
    "mix_note": _t("访客不可跨小时相加, 占比按所选时段整段去重。", "UV is distinct over the range, not summed over hours."),
    "funnel_user": _t("转化漏斗(按人)", "Funnel (people)"),
    "funnel_user_note": _t(
        "按人:所选时段内有浏览/加购/下单/支付行为的去重客户;括号内为较上一步的转化及较前一天同时段的变化(百分点)。",
        "User-based: distinct customers who viewed / carted / ordered / paid in the range; rate from the previous "
        "step and its change vs the same hours a day earlier (points).",
    ),
    "funnel_session": _t("转化漏斗(按会话)", "Funnel (sessions)"),
    "funnel_session_note": _t(
        "按会话:有各步行为的去重访问(session)。", "Session-based: distinct visits with each step's event."
    ),
    "promotions": _t("促销类型对比(近7天)", "Promotion types compared (last 7 days)"),
    "promotions_note": _t(
        "订单/GMV按订单行主促销;优惠含叠加。提升=被覆盖的小时×类目×渠道组的转化(支付订单/访问) 对比 同一钟点、同类目、"
        "同渠道组未被该类型覆盖时的转化;单品秒杀/单品券无可比单元。每分钟计算一次。",
        "Orders / GMV by the line's main promotion; discounts include stacked ones. Uplift: conversion (paid "
        "orders / visits) of the hour x category x channel-group cells a type covered vs the same hour of day, "
        "category and group when it did not; SKU-scoped flash sales and coupons have no comparable cells. "
        "Computed every minute.",
    ),
    "leaders_sku": _t("商品榜", "Top SKUs"),
    "leaders_sku_note": _t(
        "增长较前一天同时段;售罄率=时段销量/(时段销量+现有库存);可售小时=库存/近3小时每小时销量。",
        "Growth vs the same hours a day earlier; sell-through = units in the range / (those units + on hand); "
        "hours left = on hand / units per hour over the last 3 hours.",
    ),
    "leaders_category": _t("类目榜(支付GMV)", "Top categories (paid GMV)"),
    "leaders_brand": _t("品牌榜(支付GMV)", "Top brands (paid GMV)"),
    "heatmap": _t("小时×类目 浏览热力(近7天)", "Hour x category page views (last 7 days)"),
    "heatmap_note": _t("按当地钟点汇总近7天;每行标出高峰钟点。", "Summed by local hour over 7 days; the peak hour per row is listed."),
    "roi": _t("渠道ROI(近24小时, 每小时)", "Channel ROI (last 24 h, hourly)"),
    "roi_note": _t(
        "ROI=支付GMV(末次触点渠道)/花费;最近3小时ROI低于此前的60%标为下滑。",
        "ROI = paid GMV (last-touch channel) / spend; a channel whose last 3 hours' ROI is under 60% of its "
        "earlier ROI is flagged falling.",
    ),
    "falling": _t("ROI下滑渠道", "Channels with falling ROI"),
    "none": _t("无", "None"),
    "stockouts": _t("断货预警", "Stock-outs"),
    "stockouts_note": _t(
        "库存为0或按近3小时销速24小时内售罄的商品。", "SKUs out of stock or running out within 24 h at the last 3 hours' rate."
    ),
    "peak": _t("高峰", "Peak"),
    "col_sku": _t("商品", "SKU"), "col_gmv": _t("支付GMV", "Paid GMV"), "col_units": _t("销量", "Units"),
    "col_growth": _t("较前一天", "vs day before"), "col_sell_through": _t("售罄率", "Sell-through"),
    "col_hours_left": _t("可售小时", "Hours left"), "col_on_hand": _t("库存", "On hand"),
    "col_rate": _t("每小时销量", "Units / h"), "col_category": _t("类目", "Category"),
    "col_type": _t("类型", "Type"), "col_orders": _t("订单", "Orders"), "col_aov": _t("客单价", "AOV"),
    "col_discount": _t("优惠", "Discounts"), "col_conversion": _t("转化", "Conversion"),
    "col_uplift": _t("提升", "Uplift"), "col_cost_incr": _t("增量单成本", "Cost / incr. order"),
    "col_channel": _t("渠道", "Channel"), "col_roi_before": _t("此前ROI", "ROI before"),
    "col_roi_recent": _t("近3小时ROI", "ROI last 3 h"),
    "step_view": _t("浏览", "View"), "step_cart": _t("加购", "Cart"), "step_order": _t("下单", "Order"),
    "step_pay": _t("支付", "Pay"), "pv": _t("浏览量", "PV"), "yesterday_pv": _t("昨日浏览量", "PV yesterday"),
    "ignored": _t("此面板不适用的筛选:", "Filters that do not apply here:"),
    "promo_threshold": _t("满减", "Threshold"), "promo_discount": _t("折扣", "Discount"),
    "promo_flash_sale": _t("秒杀", "Flash sale"), "promo_group_buy": _t("拼团", "Group buy"),
    "promo_coupon": _t("优惠券", "Coupon"), "promo_cashback": _t("返现", "Cashback"),
}  # fmt: skip

BOARD = Board(
    name="ops",
    path="/ops",
    template="ops.html",
    title={"zh": "运营", "en": "Operations"},
    snapshot=composed(_head, PANELS),
    filters=("channel", "category_l1", "promo_type"),
    panels=PANELS,
    ranged=True,
    text={**TEXT, **CUSTOMER_TEXT},
    order=10,
)
