"""The operations board's customer panels: RFM segments with today's new / returning / reactivated buyers,
and repurchase with the customers most at risk of churning (warroom.analyses.ops.segments, retention).

Both read every customer's whole purchase history and fit a model, which takes far longer than the live
panels and changes slowly. So each viewer policy's panels are recomputed only once the room's clock has
moved 10 minutes past the last computation and at least a real minute has passed (a replay at 60x would
otherwise refit every 10 s; warroom/web/boards/slow.py); the panel says as of when. The board's filters do not
apply (a segment is a customer's, not a channel's), and the panels say so.
"""

from datetime import timedelta

from warroom.analyses.ops.purchases import paid_orders
from warroom.analyses.ops.retention import churn
from warroom.analyses.ops.scope import records
from warroom.analyses.ops.segments import segments
from warroom.analyses.overview import day_start
from warroom.web.boards.board import BoardRequest
from warroom.web.boards.slow import Slow

AT_RISK = 10  # customers listed


def _compute(req: BoardRequest) -> dict[str, dict]:
    """{"segments": {...}, "churn": {...}}."""
    ignored = sorted(req.filters)
    # One read of the whole purchase history for both: it is the larger part of their cost.
    orders = paid_orders(req.warehouse, end=req.now, tz=req.tz, principal=req.principal)
    seg = segments(
        req.warehouse,
        window_start=day_start(req.now, req.tz),
        end=req.now,
        tz=req.tz,
        principal=req.principal,
        orders=orders,
    )
    risk = churn(req.warehouse, end=req.now, tz=req.tz, principal=req.principal, orders=orders)
    repeat = risk["customers"].filter(risk["customers"]["frequency"].to_numpy() > 0)
    return {
        "segments": {
            "computed_at": req.now.isoformat(),
            "reference_date": seg["reference_date"],
            "sizes": seg["sizes"],
            "buyer_mix": seg["buyer_mix"],
            "ignored_filters": ignored,
        },
        "churn": {
            "computed_at": req.now.isoformat(),
            "repurchase": risk["repurchase"],
            "model": risk["model"],
            "at_risk": records(repeat.slice(0, AT_RISK)),
            "ignored_filters": ignored,
        },
    }


# Recomputed once the room's clock has moved 10 minutes and a real minute has passed (the module's doc).
customer_panels = Slow(_compute, refresh=timedelta(minutes=10), min_wall=60.0)


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


TEXT = {
    "segments": _t("客户分层(RFM)", "Customer segments (RFM)"),
    "segments_note": _t(
        "R=距最近购买天数, F=支付订单数, M=支付金额, 各按客户分布五等分打1-5分; 分层按R×FM网格。"
        "今日买家: 新客=此前从未购买; 召回=距上次购买超过14天; 其余为老客。每10分钟计算一次。",
        "R = days since the last purchase, F = paid orders, M = amount paid, each scored 1-5 by quintile; the "
        "segment comes from the R x FM grid. Today's buyers: new = never bought before; reactivated = back after "
        "more than 14 days; returning otherwise. Computed every 10 minutes.",
    ),
    "churn": _t("复购与流失风险(BG/NBD)", "Repurchase and churn risk (BG/NBD)"),
    "churn_note": _t(
        "复购率=有两个及以上购买日的客户占比。流失风险=1-存活概率, 由BG/NBD模型(极大似然拟合)给出;"
        "预计购买=未来30天预计购买天数。列出复购客户中风险最高者。每10分钟计算一次。",
        "Repurchase rate = customers with two or more purchase days / customers. Churn risk = 1 - P(alive) "
        "from a BG/NBD model fitted by maximum likelihood; expected = purchase days expected in the next 30 days. "
        "Lists the repeat customers most at risk. Computed every 10 minutes.",
    ),
    "buyers_today": _t("今日买家", "Buyers today"),
    "buyer_new": _t("新客", "new"), "buyer_returning": _t("老客", "returning"),
    "buyer_reactivated": _t("召回", "reactivated"),
    "repurchase_rate": _t("复购率", "Repurchase rate"),
    "computed_at": _t("计算于", "Computed at"),
    "col_customer": _t("客户", "Customer"), "col_frequency": _t("复购天数", "Repeat days"),
    "col_p_alive": _t("存活概率", "P(alive)"), "col_churn_risk": _t("流失风险", "Churn risk"),
    "col_expected": _t("预计购买", "Expected"),
    "seg_champions": _t("重要价值", "Champions"), "seg_loyal": _t("忠诚", "Loyal"),
    "seg_potential_loyalist": _t("潜力", "Potential loyalists"), "seg_new": _t("新客", "New"),
    "seg_promising": _t("有希望", "Promising"), "seg_need_attention": _t("需关注", "Need attention"),
    "seg_at_risk": _t("流失风险", "At risk"),
    "seg_cannot_lose": _t("不能失去", "Can't lose"), "seg_hibernating": _t("沉睡", "Hibernating"),
    "seg_lost": _t("已流失", "Lost"),
}  # fmt: skip
