"""Page text in Simplified Chinese and English, and how numbers read in each.

Chinese readers count in 万 (10^4) and 亿 (10^8); English readers in K / M / B. The same rules live in
static/js/format.js for values that tick in the browser; tests hold the two to the same cases.
"""

from decimal import Decimal

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "作战室", "en": "Warroom"},
    "home": {"zh": "总览", "en": "Overview"},
    "gmv_paid": {"zh": "支付GMV", "en": "Paid GMV"},
    "orders": {"zh": "订单数", "en": "Orders"},
    "buyers": {"zh": "买家数", "en": "Buyers"},
    "aov": {"zh": "客单价", "en": "AOV"},
    "vs_yesterday": {"zh": "较昨日同时", "en": "vs same time yesterday"},
    "today_by_hour": {"zh": "今日每小时支付GMV（对比昨日）", "en": "Paid GMV by hour today (vs yesterday)"},
    "today": {"zh": "今日", "en": "Today"},
    "yesterday": {"zh": "昨日", "en": "Yesterday"},
    "updated": {"zh": "更新于", "en": "Updated"},
    "stale": {"zh": "数据已停止更新", "en": "Data has stopped arriving"},
    "live": {"zh": "实时", "en": "Live"},
    "reconnecting": {"zh": "重新连接中…", "en": "Reconnecting…"},
    "sim_clock": {"zh": "模拟时钟", "en": "Simulated clock"},
    "language": {"zh": "English", "en": "中文"},
    "all": {"zh": "全部", "en": "All"},
    "filter_channel": {"zh": "渠道", "en": "Channel"},
    "filter_category_l1": {"zh": "类目", "en": "Category"},
    "filter_promo_type": {"zh": "促销类型", "en": "Promotion type"},
    "filter_service": {"zh": "服务", "en": "Service"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "login_sub": {
        "zh": "双十一作战室：运营、财务、技术同一套实时数据",
        "en": "One set of live numbers for ops, finance and tech",
    },
    "username": {"zh": "用户名", "en": "Username"},
    # Board tools: the time range, each panel's CSV and SQL, annotations (static/js/range.js, panel_tools.js,
    # annotations.js).
    "range": {"zh": "时间范围", "en": "Time range"},
    "range_1h": {"zh": "近1小时", "en": "Last hour"},
    "range_today": {"zh": "今日至今", "en": "Today so far"},
    "range_24h": {"zh": "近24小时", "en": "Last 24 h"},
    "range_7d": {"zh": "近7天", "en": "Last 7 days"},
    "range_custom": {"zh": "自定义", "en": "Custom"},
    "range_from": {"zh": "从", "en": "From"},
    "range_to": {"zh": "到", "en": "To"},
    "range_apply": {"zh": "应用", "en": "Apply"},
    "csv": {"zh": "CSV", "en": "CSV"},
    "csv_title": {"zh": "下载此面板数据(CSV)", "en": "Download this panel's data (CSV)"},
    "sql": {"zh": "SQL", "en": "SQL"},
    "sql_title": {"zh": "查看生成此面板的SQL", "en": "Show the SQL behind this panel"},
    "sql_statements": {"zh": "条SQL语句", "en": "SQL statements"},
    "sql_none": {"zh": "此面板未查询数据仓库(来自缓存)", "en": "This panel ran no warehouse query (cached)"},
    "close": {"zh": "关闭", "en": "Close"},
    "watching": {"zh": "正在看", "en": "Watching"},
    "to_dashboard": {"zh": "+看板", "en": "+ Dashboard"},
    "to_dashboard_title": {
        "zh": "把此面板（连同当前筛选与时间范围）加入新看板",
        "en": "Put this panel, with the page's filters and range, on a new dashboard",
    },
    "watching_title": {"zh": "此刻打开本看板的人", "en": "Who has this board open right now"},
    "drill_hint": {"zh": "点击类目查看其商品", "en": "Click a category to see its SKUs"},
    "drill_service": {"zh": "点击服务查看其接口", "en": "Click a service to see its endpoints"},
    "annotate": {"zh": "添加标注", "en": "Add annotation"},
    "annotation_label": {"zh": "标注内容", "en": "Label"},
    "annotation_saved": {"zh": "已添加标注", "en": "Annotation added"},
    "annotations": {"zh": "标注", "en": "Annotations"},
    "comments": {"zh": "评论", "en": "Comments"},
    "comments_title": {"zh": "评论此面板", "en": "Comments on this panel"},
    "comment_hint": {
        "zh": "写评论; @运营 @财务 @技术 会通知该团队",
        "en": "Write a comment; @ops @finance @tech notify that team",
    },
    "comment_at": {"zh": "关于时刻(可选)", "en": "About the moment (optional)"},
    "comment_about": {"zh": "关于", "en": "about"},
    "comment_send": {"zh": "发表", "en": "Post"},
    "comment_saved": {"zh": "已发表", "en": "Posted"},
    "comment_reply": {"zh": "回复", "en": "Reply"},
    "comment_reply_to": {"zh": "回复", "en": "Replying to"},
    "comment_none": {"zh": "还没有评论", "en": "No comments yet"},
    "password": {"zh": "密码", "en": "Password"},
}


def t(key: str, lang: str) -> str:
    return TEXT[key][lang if lang in LANGUAGES else "zh"]


def compact_number(value: float | Decimal | int | None, lang: str, digits: int = 2) -> str:
    """1234567 -> '123.46万' (zh) or '1.23M' (en); small numbers keep thousands separators."""
    if value is None:
        return "–"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, suffix in steps:
        if v >= size:
            return f"{sign}{v / size:.{digits}f}{suffix}"
    return f"{sign}{v:,.0f}" if v == int(v) else f"{sign}{v:,.{digits}f}"
