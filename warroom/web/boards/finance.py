"""The finance board: the profit waterfall, margins against a normal day, lines sold below cost, cash flow
with its forecast, reconciliation and refund / payment-failure anomalies (see warroom.analyses.finance).

Windows: the page's time range (default today so far, Asia/Shanghai) for the waterfall, margins (today:
against the whole day a week before, since the same few minutes after midnight hold too few sales to be a
baseline; a custom range against the same clock span that day) and reconciliation (orders placed in the
range); fixed, whatever the range: the last 30 days for lines sold below cost (the loss so far); the last 7
days of cash and 3 forecast days; anomalies since yesterday (their baselines read the 1-2 weeks before). Windows end at the next whole minute rather than `now`: the warehouse holds nothing
later, and the metric layer reuses a window's compiled SQL for a minute instead of compiling it every refresh.

Finance-sensitive: a viewer without the finance sensitivity gets 403 before anything is computed.
"""

from collections.abc import Callable
from datetime import timedelta

from warroom.analyses.finance.anomalies import anomalies
from warroom.analyses.finance.cashflow import cash_flow
from warroom.analyses.finance.margins import default_baseline, margins, negative_margins
from warroom.analyses.finance.reconcile import REASONS, reconcile
from warroom.analyses.finance.waterfall import gaps, waterfall
from warroom.analyses.overview import day_start
from warroom.metrics import Filter, load_catalog
from warroom.metrics.access import check_metrics
from warroom.web.boards.board import Board, BoardRequest, Panel, composed

NEGATIVE_HISTORY = timedelta(days=30)
CASH_DAYS = 7
FORECAST_DAYS = 3
TOP_PROMOS = 12
CHANNELS = ["search", "feed", "live_top", "live_store", "social", "ads_search", "ads_video", "main_venue"]
CATEGORIES = ["女装", "男装", "美妆", "数码", "家居", "食品", "母婴", "运动"]


def _num(value: object) -> float | None:
    """Money to float for JSON at the edge (the page shows 万 with two decimals); sums stay DECIMAL upstream."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def _margin_rows(rows: list[dict], by: str) -> list[dict]:
    return [
        {
            "key": r[by],
            "gmv_paid": _num(r["gmv_paid"]),
            "sales_margin": _num(r["sales_margin"]),
            "rate": r["sales_margin_rate"],
            "baseline_rate": r["sales_margin_rate_compare"],
        }
        for r in rows
    ]


def _end(req: BoardRequest):
    """The range's end rounded up to the next whole minute (see the module's note)."""
    end = req.window.end
    rounded = end.replace(second=0, microsecond=0)
    return rounded + timedelta(minutes=1) if rounded < end or req.range.preset else rounded


def _filters(req: BoardRequest) -> list[Filter]:
    return [Filter(dimension=k, value=v) for k, v in sorted(req.filters.items())]


def _today(req: BoardRequest):
    return day_start(req.now, req.tz)


def _waterfall(req: BoardRequest) -> dict:
    w = req.window
    (fall,) = waterfall(
        req.warehouse, time_from=w.start, time_to=_end(req), principal=req.principal, filters=_filters(req)
    ) or [None]
    return {
        "steps": [
            {"metric": s.metric, "kind": s.kind, "label_zh": s.label_zh, "label_en": s.label_en,
             "amount": _num(s.amount)}
            for s in (fall.steps if fall else [])
        ],
        "gaps": gaps(fall.steps) if fall else [],
    }  # fmt: skip


def _margins(by: str) -> Callable[[BoardRequest], dict]:
    def compute(req: BoardRequest) -> dict:
        w = req.window
        baseline = default_baseline(w.start.astimezone(req.tz).date())
        # Today (the default range): so far against the whole baseline day, since nothing later exists yet;
        # a custom range compares its own span with the same clock span on the baseline day.
        time_to = _today(req) + timedelta(days=1) if req.range.preset == "today" else _end(req)
        rows = margins(
            req.warehouse, by=by, time_from=w.start, time_to=time_to, baseline_date=baseline,
            principal=req.principal, filters=_filters(req), limit=TOP_PROMOS if by == "line_promo" else None,
        )  # fmt: skip
        return {"rows": _margin_rows(rows, by), "baseline_date": baseline.isoformat()}

    return compute


def _negative(req: BoardRequest) -> list[dict]:
    found = negative_margins(
        req.warehouse, time_from=_today(req) - NEGATIVE_HISTORY, time_to=_end_now(req), principal=req.principal,
        filters=_filters(req),
    )  # fmt: skip
    return [
        {
            "sku": n.sku, "sku_name": n.sku_name, "category_l1": n.category_l1, "line_promo": n.line_promo,
            "units": n.units, "gmv_paid": _num(n.gmv_paid), "cogs": _num(n.cogs), "loss": _num(n.loss),
            "stack": [{"promo": p, "amount": _num(a)} for p, a in n.stack],
        }
        for n in found
    ]  # fmt: skip


def _end_now(req: BoardRequest):
    return req.now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _cashflow(req: BoardRequest) -> dict:
    by_channel = [f for f in _filters(req) if f.dimension == "channel"]  # cash has no category
    flow = cash_flow(
        req.warehouse, time_from=_today(req) - timedelta(days=CASH_DAYS - 1), now=_end_now(req), tz=req.tz,
        principal=req.principal, filters=by_channel, horizon=FORECAST_DAYS,
    )  # fmt: skip
    return {
        "days": [
            {"day": d.day.isoformat(), "inflow": _num(d.inflow), "outflow": _num(d.outflow), "net": _num(d.net),
             "refunds": _num(d.refunds), "forecast": d.forecast}
            for d in flow.days
        ],
        "funding_need": _num(flow.funding_need),
        "pending": _num(flow.pending),
        "refund_rate": flow.refund_rate,
        "settlement_days": flow.settlement_days,
    }  # fmt: skip


def _reconcile(req: BoardRequest) -> dict:
    rec = reconcile(req.warehouse, time_from=req.window.start, time_to=_end(req), principal=req.principal)
    return {
        "orders_paid": _num(rec.orders_paid),
        "payments_succeeded": _num(rec.payments_succeeded),
        "explained": _num(rec.explained),
        "ties_out": rec.ties_out,
        "counts": rec.counts(),
        "reasons": REASONS,
        "mismatches": [
            {"reason": m.reason, "order_id": m.order_id, "payment_id": m.payment_id,
             "difference": _num(m.difference), "detail": m.detail}
            for m in rec.mismatches[:50]
        ],
    }  # fmt: skip


def _anomalies(req: BoardRequest) -> list[dict]:
    found = anomalies(
        req.warehouse, time_from=_today(req) - timedelta(days=1), time_to=_end_now(req), tz=req.tz,
        principal=req.principal, filters=_filters(req),
    )  # fmt: skip
    return [
        {"kind": a.kind, "time": a.time.isoformat(), "key": a.key, "count": a.count, "total": a.total,
         "rate": a.rate, "baseline": a.baseline, "upper": a.upper}
        for a in found
    ]  # fmt: skip


def _head(req: BoardRequest) -> dict:
    check_metrics(
        load_catalog(), req.principal, ["net_profit", "payments_received"]
    )  # 403 first, not half a page
    return {"now": req.now.isoformat(), "options": {"channel": CHANNELS, "category_l1": CATEGORIES}}


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


TEXT = {
    "waterfall": _t("利润瀑布", "Profit waterfall"),
    "waterfall_note": _t(
        "从标价GMV到净利润, 每一步都是指标目录中的一个指标; 物流 8.50 元/单、支付手续费按支付方式(支付宝/微信 0.6%、"
        "花呗/信用卡 0.8%、银联 0.55%)、佣金按类目(2%–5%)为目录参数。",
        "From list-price GMV to net profit; every step is a catalog metric. Logistics 8.50/order, payment fees by "
        "method (Alipay / WeChat 0.6%, Huabei / card 0.8%, UnionPay 0.55%) and commission by category (2–5%) are "
        "catalog parameters.",
    ),
    "waterfall_gap": _t("瀑布不闭合", "Waterfall does not add up"),
    "margins_category": _t("类目毛利率 vs 基准日", "Margin by category vs the baseline day"),
    "margins_channel": _t("渠道毛利率 vs 基准日", "Margin by channel vs the baseline day"),
    "margins_promo": _t("主促销活动毛利率", "Margin by campaign (a line's main promotion)"),
    "margins_note": _t(
        "销售毛利率 = (支付GMV − 商品成本) / 支付GMV, 退款前; 优惠已按行分摊。灰色为一周前同时段。",
        "Sales margin = (paid GMV − cost of goods) / paid GMV, before refunds; discounts allocated to lines. "
        "Grey: the whole day a week before.",
    ),
    "negative": _t("毛利倒挂 (近30天, 亏损至今)", "Selling below cost (last 30 days, loss so far)"),
    "negative_note": _t(
        "按商品×主促销, 支付GMV低于成本的订单行; 叠加的优惠按金额排序。",
        "Order lines by SKU and main promotion whose paid GMV is below cost; the stacked discounts, largest first.",
    ),
    "cashflow": _t("现金流 与 预测", "Cash flow and forecast"),
    "cashflow_note": _t(
        "流入 = 支付按渠道结算周期 T+N 到账(支付宝/微信/花呗 T+1, 银行卡 T+2, 银联 T+3, 可配置); 流出 = 退款 + 营销 + 物流 + "
        "手续费。预测(浅色): 已收未结算的款项按 T+N 到账, 新增收款取近3日日均, 退款 = 近7日退款率 × 近3日日均支付GMV, "
        "其他支出取近3日日均; 资金缺口 = 预测累计净现金的最低点(低于0时)。类目筛选不适用于现金流。",
        "In = payments settled T+N by method (Alipay/WeChat/Huabei T+1, card T+2, UnionPay T+3; configurable); "
        "out = refunds + marketing + logistics + fees. Forecast (light): payments received but not yet settled "
        "land T+N; new payments at the last 3 days' mean; refunds = the last 7 days' refund rate × the last 3 "
        "days' mean paid GMV; other costs at their 3-day mean. Funding need = the lowest point of the "
        "forecast's cumulative net cash, when below zero. The category filter does not apply to cash.",
    ),
    "inflow": _t("流入", "In"),
    "outflow": _t("流出", "Out"),
    "net": _t("净现金", "Net cash"),
    "forecast": _t("预测", "forecast"),
    "funding_need": _t("资金缺口", "Funding need"),
    "pending": _t("待结算", "Awaiting settlement"),
    "reconcile": _t("对账 (所选时段下单)", "Reconciliation (orders placed in the range)"),
    "reconcile_note": _t(
        "已支付订单金额 = 成功支付金额 − 列出的差异; 每条差异附原因。对账覆盖全部订单, 不受筛选影响。",
        "Paid orders = successful payments − the listed differences; each difference with its reason. Covers "
        "every order: the filters do not apply.",
    ),
    "orders_paid": _t("已支付订单", "Paid orders"),
    "payments_succeeded": _t("成功支付", "Successful payments"),
    "explained": _t("差异合计", "Listed differences"),
    "ties_out": _t("已平", "Ties out"),
    "not_tied": _t("未平", "Does NOT tie out"),
    "no_mismatch": _t("无差异", "No mismatches"),
    "anomalies": _t("退款与支付失败异常 (昨日起)", "Refund and payment-failure anomalies (since yesterday)"),
    "anomalies_note": _t(
        "退款: 类目占当日退款的比例 vs 前14天; 支付失败: 每小时失败率 vs 该方式前7天。二项分布尾概率 < 万分之一即标记。",
        "Refunds: a category's share of the day's refunds vs the 14 days before; payment failures: the hour's "
        "failure rate vs the method's 7 days before. Flagged when the binomial tail is below 1 in 10,000.",
    ),
    "no_anomaly": _t("无异常", "No anomalies"),
    "no_promo": _t("无促销", "No promotion"),
    "forbidden": _t("财务看板仅限财务角色查看。", "The finance board is for the finance role only."),
    "col_category": _t("类目", "Category"),
    "col_sku": _t("商品", "SKU"),
    "col_promo": _t("主促销", "Main promotion"),
    "col_units": _t("件数", "Units"),
    "col_loss": _t("亏损", "Loss"),
    "col_stack": _t("叠加优惠", "Stacked discounts"),
    "col_reason": _t("原因", "Reason"),
    "col_order": _t("订单", "Order"),
    "col_difference": _t("差额", "Difference"),
    "col_time": _t("时间", "Time"),
    "col_what": _t("对象", "What"),
    "col_rate": _t("比率", "Rate"),
    "col_band": _t("正常上限", "Band top"),
    "col_count": _t("笔数", "Count"),
    "kind_refunds": _t("退款集中", "Refund spike"),
    "kind_payment_failures": _t("支付失败", "Payment failures"),
    "today": _t("今日", "Today"),
    "baseline": _t("基准日", "Baseline"),
    "filter_channel": _t("渠道", "Channel"),
    "filter_category_l1": _t("类目", "Category"),
}

PANELS = {
    "waterfall": Panel(_waterfall, needs="finance", table=lambda d: d["steps"]),
    "margins_category": Panel(_margins("category_l1"), needs="finance"),
    "margins_channel": Panel(_margins("channel"), needs="finance"),
    "margins_promo": Panel(_margins("line_promo"), needs="finance"),
    "negative": Panel(
        _negative, needs="finance",
        fixed=_t("固定近30天:亏损至今, 与所选范围无关。", "Fixed to the last 30 days: the loss so far, whatever the range."),
    ),
    "cashflow": Panel(
        _cashflow, needs="finance", table=lambda d: d["days"],
        fixed=_t("固定近7天及未来3天预测。", "Fixed to the last 7 days and a 3-day forecast."),
    ),
    "reconcile": Panel(_reconcile, needs="finance", table=lambda d: d["mismatches"]),
    "anomalies": Panel(
        _anomalies, needs="finance",
        fixed=_t("固定昨日起:基准读其前1-2周。", "Fixed to since yesterday: the baselines read the 1-2 weeks before."),
    ),
}  # fmt: skip

BOARD = Board(
    name="finance",
    path="/finance",
    template="finance.html",
    title={"zh": "财务", "en": "Finance"},
    snapshot=composed(_head, PANELS),
    filters=("channel", "category_l1"),
    panels=PANELS,
    ranged=True,
    text=TEXT,
    order=20,
    needs="finance",
)
