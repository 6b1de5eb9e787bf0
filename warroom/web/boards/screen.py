"""The big screen 大屏: the whole room's view of the sale, dark, full screen, readable from across the room.

Every figure comes from the metric layer under the viewer's principal; this module only chooses the time
windows, in the room's clock (`req.now`: the replay's simulated time in the demo):
  today       local midnight -> now: the GMV counter, orders, buyers, AOV, provinces, categories, funnel
  rate        the last RATE_WINDOW of the clock: orders and paid GMV per second
  trend       the TREND_WINDOW of whole minutes before now's minute: orders per second in each minute
Six metric queries per snapshot; the hub computes it once per refresh for every screen with the same policy.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse
from warroom.web.boards.board import Board, BoardRequest

# A minute: in the demo's sale (scale 0.5, seed 7) the first half hour of 11.11 has paid orders in 189 of
# its 1,800 seconds, never more than 2 in one (DuckDB over the simulation's orders parquet), so a one-second
# rate would flicker between 0 and 2; a minute's mean reads steadily and still moves every refresh.
RATE_WINDOW = timedelta(seconds=60)
TREND_WINDOW = timedelta(minutes=30)
TOP_CATEGORIES = 8
HEADLINE = ("gmv_paid", "orders", "buyers", "aov")
FUNNEL = ("viewers", "cart_users", "order_users", "paying_buyers")


LOOK_AHEAD = timedelta(days=30)  # how long before the sale day the screen counts down to it


def countdown(now: datetime, tz: ZoneInfo, sale_day: tuple[int, int]) -> dict:
    """What the big screen counts: to the sale day's start (its local midnight) in the LOOK_AHEAD before it,
    to its end (the next midnight) during it, and the time since the last sale ended otherwise."""
    local = now.astimezone(tz)

    def start_in(year: int) -> datetime:
        return datetime(year, *sale_day, tzinfo=tz)

    start = start_in(local.year)  # the sale under way or the next one
    if local >= start + timedelta(days=1):
        start = start_in(local.year + 1)
    if local >= start:
        return {"kind": "to_end", "at": (start + timedelta(days=1)).isoformat()}
    if start - local <= LOOK_AHEAD:
        return {"kind": "to_start", "at": start.isoformat()}
    return {"kind": "ended", "at": (start_in(start.year - 1) + timedelta(days=1)).isoformat()}


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    # At the exact instant of midnight "today" is empty; a query needs from < to, and one microsecond
    # holds no rows, so the screen shows zeros rather than failing for that instant.
    return start, max(end, start + timedelta(microseconds=1))


def _plain(value: object) -> float | None:
    """Decimals to floats for JSON: the page displays them; sums stay exact in the metric layer."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def _rows(wh: Warehouse, principal: Principal, span: tuple[datetime, datetime], **query: object) -> list:
    q = MetricQuery(time_from=span[0], time_to=span[1], **query)  # type: ignore[arg-type]
    return run_query(wh, q, principal=principal).rows.to_pylist()


def _every_minute(rows: list[dict], start: datetime, end: datetime) -> list[dict]:
    """One point per minute: the metric layer returns no row for a minute without orders, whose rate is 0;
    a chart drawn from the rows alone would join the minutes either side and hide the gap."""
    rate = {r["time"]: _plain(r["orders_per_second"]) for r in rows}
    minutes = int((end - start) / timedelta(minutes=1))
    points = (start + timedelta(minutes=i) for i in range(minutes))
    return [{"time": t.isoformat(), "orders_per_second": rate.get(t, 0.0)} for t in points]


def screen_snapshot(req: BoardRequest) -> dict:
    wh, who, now = req.warehouse, req.principal, req.now
    local = now.astimezone(req.tz)
    today = _range(datetime.combine(local.date(), time(0), tzinfo=req.tz), now)
    totals = (_rows(wh, who, today, metrics=list(HEADLINE)) or [{}])[0]
    rate = (
        _rows(wh, who, _range(now - RATE_WINDOW, now), metrics=["orders_per_second", "gmv_per_second"])
        or [{}]
    )[0]
    # Whole minutes only: a minute cut short at either end averages over a few seconds and spikes.
    minute = now.replace(second=0, microsecond=0)
    trend = _rows(wh, who, (minute - TREND_WINDOW, minute), metrics=["orders_per_second"], grain="minute")
    provinces = _rows(wh, who, today, metrics=["gmv_paid"], dimensions=["province"])
    categories = _rows(
        wh, who, today, metrics=["gmv_paid"], dimensions=["category_l1"], order_by=["-gmv_paid"],
        limit=TOP_CATEGORIES,
    )  # fmt: skip
    funnel = (_rows(wh, who, today, metrics=list(FUNNEL)) or [{}])[0]
    return {
        "now": now.isoformat(),
        "countdown": countdown(now, req.tz, req.sale_day),
        "headline": {m: _plain(totals.get(m)) for m in HEADLINE},
        "rate": {
            "orders_per_second": _plain(rate.get("orders_per_second")),
            "gmv_per_second": _plain(rate.get("gmv_per_second")),
            "window_seconds": int(RATE_WINDOW.total_seconds()),
        },
        "trend": _every_minute(trend, minute - TREND_WINDOW, minute),
        "provinces": [
            {"name": r["province"], "gmv_paid": _plain(r["gmv_paid"])} for r in provinces if r["province"]
        ],
        "categories": [{"name": r["category_l1"], "gmv_paid": _plain(r["gmv_paid"])} for r in categories],
        "funnel": [{"step": m, "value": _plain(funnel.get(m))} for m in FUNNEL],
    }


TEXT = {
    "screen_title": {"zh": "双十一实时作战大屏", "en": "Double 11 live war room"},
    "gmv_today": {"zh": "今日支付GMV", "en": "Paid GMV today"},
    "orders_per_second": {"zh": "每秒支付订单", "en": "Paid orders / s"},
    "gmv_per_second": {"zh": "每秒成交额", "en": "Paid GMV / s"},
    "rate_window": {"zh": "近60秒平均", "en": "mean of the last 60 s"},
    "orders_today": {"zh": "支付订单数", "en": "Paid orders"},
    "buyers_today": {"zh": "买家数", "en": "Buyers"},
    "aov_today": {"zh": "客单价", "en": "AOV"},
    "map_title": {"zh": "各省支付GMV", "en": "Paid GMV by province"},
    "categories_title": {"zh": "类目支付GMV排行", "en": "Top categories by paid GMV"},
    "funnel_title": {"zh": "今日转化漏斗(人数)", "en": "Today's funnel (people)"},
    "trend_title": {"zh": "近30分钟每秒支付订单", "en": "Paid orders per second, last 30 min"},
    "alerts_title": {"zh": "告警", "en": "Alerts"},
    "no_alerts_feed": {
        "zh": "告警接口尚未接入：此处暂无告警数据",
        "en": "No alerts feed yet: alerts are not wired to this screen",
    },
    "no_alerts": {"zh": "当前无告警", "en": "No active alerts"},
    "countdown_to_start": {"zh": "距开场", "en": "Starts in"},
    "countdown_to_end": {"zh": "距结束", "en": "Ends in"},
    "countdown_ended": {"zh": "已结束", "en": "Ended"},
    "viewers": {"zh": "浏览", "en": "Viewed"},
    "cart_users": {"zh": "加购", "en": "Added to cart"},
    "order_users": {"zh": "下单", "en": "Ordered"},
    "paying_buyers": {"zh": "支付", "en": "Paid"},
    "stale_banner": {
        "zh": "数据已停止更新：显示的是{ago}前的最后数值",
        "en": "Data has stopped arriving: showing the last values, {ago} old",
    },
    "last_update": {"zh": "最后更新", "en": "Last update"},
    "no_data": {"zh": "暂无数据", "en": "No data yet"},
}

BOARD = Board(
    name="screen",
    path="/screen",
    template="screen.html",
    title={"zh": "大屏", "en": "Big screen"},
    snapshot=screen_snapshot,
    text=TEXT,
    order=90,
)
