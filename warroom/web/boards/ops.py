"""The operations board: traffic, funnel, promotions, leaderboards, hourly peaks, channel ROI and stock-outs
(see warroom.analyses.ops). Windows: today so far (Asia/Shanghai) against yesterday at the same clock time;
promotion uplift and the hour-of-day heatmap over the last 7 days (a day holds too few comparable hours);
ROI per hour over the last 24 hours. Segments and churn read every customer's history (boards/ops_customers.py):
computed every 10 minutes; per customer, `warroom ops segments|churn`."""

from datetime import timedelta

from warroom.analyses.ops.funnel import funnel
from warroom.analyses.ops.leaderboards import leaderboard
from warroom.analyses.ops.peaks import peaks
from warroom.analyses.ops.promotions import promotions
from warroom.analyses.ops.roi import channel_roi
from warroom.analyses.ops.stock import stock_levels, stockouts
from warroom.analyses.ops.traffic import traffic
from warroom.analyses.overview import day_start
from warroom.web.boards.board import Board, BoardRequest
from warroom.web.boards.ops_customers import TEXT as CUSTOMER_TEXT
from warroom.web.boards.ops_customers import customer_panels

HISTORY = timedelta(days=7)
STOCK_HOURS = (
    3  # sell rate over the last 3 hours: recent enough to see a flash sale, long enough to be steady
)
STOCKOUT_WITHIN_H = 24
TOP = 10
CHANNELS = ["search", "feed", "live_top", "live_store", "social", "ads_search", "ads_video", "main_venue"]
CATEGORIES = ["女装", "男装", "美妆", "数码", "家居", "食品", "母婴", "运动"]
PROMO_TYPES = ["threshold", "discount", "flash_sale", "group_buy", "coupon", "cashback"]


def _snapshot(req: BoardRequest) -> dict:
    wh, now, tz, who, f = req.warehouse, req.now, req.tz, req.principal, req.filters
    today = day_start(now, tz)
    yesterday = (today - timedelta(days=1)).date()
    week = now - HISTORY
    levels = stock_levels(wh, now=now, hours=STOCK_HOURS, principal=who, filters=f)
    flow = traffic(wh, start=today, end=now, baseline_date=yesterday, principal=who, filters=f)
    return {
        "now": now.isoformat(),
        "options": {"channel": CHANNELS, "category_l1": CATEGORIES, "promo_type": PROMO_TYPES},
        "traffic": flow,
        "mix": {"mix": flow["mix"], "per_minute": flow["per_minute"]},
        "funnel_user": funnel(
            wh, start=today, end=now, basis="user", baseline_date=yesterday, principal=who, filters=f
        ),
        "funnel_session": funnel(
            wh, start=today, end=now, basis="session", baseline_date=yesterday, principal=who, filters=f
        ),
        "promotions": promotions(wh, start=week, end=now, tz=tz, principal=who, filters=f),
        "leaders_sku": leaderboard(
            wh,
            by="sku",
            start=today,
            end=now,
            tz=tz,
            limit=TOP,
            principal=who,
            filters=f,
            stock_hours=STOCK_HOURS,
        ),
        "leaders_category": leaderboard(
            wh, by="category_l1", start=today, end=now, tz=tz, principal=who, filters=f
        ),
        "leaders_brand": leaderboard(
            wh, by="brand", start=today, end=now, tz=tz, limit=TOP, principal=who, filters=f
        ),
        "heatmap": peaks(wh, start=week, end=now, tz=tz, principal=who, filters=f),
        "roi": channel_roi(wh, start=now - timedelta(hours=24), end=now, principal=who, filters=f),
        "stockouts": stockouts(levels, within_hours=STOCKOUT_WITHIN_H)[:20],
        **customer_panels(req),
    }


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


TEXT = {
    "traffic": _t("渠道流量 今日 vs 昨日同时段", "Traffic by channel, today vs yesterday same hour"),
    "traffic_note": _t(
        "浏览量(PV)=商品浏览事件;访客(UV)=有任意行为的去重客户;虚线为昨日同一小时的总浏览量。",
        "PV = product views; UV = distinct customers with any event; dashed: yesterday's total PV in the same hour.",
    ),
    "mix": _t("渠道占比(访客)与每分钟浏览", "Channel mix (UV) and PV per minute"),
    "mix_note": _t("访客不可跨小时相加, 占比按今日整段去重。", "UV is distinct over today, not summed over hours."),
    "funnel_user": _t("转化漏斗(按人)", "Funnel (people)"),
    "funnel_user_note": _t(
        "按人:窗口内有浏览/加购/下单/支付行为的去重客户;括号内为较上一步的流失及较昨日同时段的变化(百分点)。",
        "User-based: distinct customers who viewed / carted / ordered / paid today; drop from the previous step "
        "and its change vs yesterday same time (points).",
    ),
    "funnel_session": _t("转化漏斗(按会话)", "Funnel (sessions)"),
    "funnel_session_note": _t(
        "按会话:有各步行为的去重访问(session)。", "Session-based: distinct visits with each step's event."
    ),
    "promotions": _t("促销类型对比(近7天)", "Promotion types compared (last 7 days)"),
    "promotions_note": _t(
        "订单/GMV按订单行主促销;优惠含叠加。提升=被覆盖的小时×类目×渠道组的转化(支付订单/访问) 对比 同一钟点、同类目、"
        "同渠道组未被该类型覆盖时的转化;单品秒杀/单品券无可比单元。",
        "Orders / GMV by the line's main promotion; discounts include stacked ones. Uplift: conversion (paid "
        "orders / visits) of the hour x category x channel-group cells a type covered vs the same hour of day, "
        "category and group when it did not; SKU-scoped flash sales and coupons have no comparable cells.",
    ),
    "leaders_sku": _t("商品榜(今日)", "Top SKUs today"),
    "leaders_sku_note": _t(
        "增长较昨日同时段;售罄率=今日销量/(今日销量+现有库存);可售小时=库存/近3小时每小时销量。",
        "Growth vs yesterday same time; sell-through = units today / (units today + on hand); hours left = on "
        "hand / units per hour over the last 3 hours.",
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
    "col_growth": _t("较昨日", "vs yesterday"), "col_sell_through": _t("售罄率", "Sell-through"),
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
    snapshot=_snapshot,
    filters=("channel", "category_l1", "promo_type"),
    text={**TEXT, **CUSTOMER_TEXT},
    order=10,
)
