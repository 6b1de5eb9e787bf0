"""The day at a glance: today's headline numbers so far, the same moment yesterday, and today's hours.

Every number comes from the metric layer; this module only chooses the time windows. "Today" is the calendar
day in the display time zone (Asia/Shanghai by default) of `now`, which the caller passes in: the live
replay's simulated clock in the demo, the wall clock in production.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

HEADLINE = ("gmv_paid", "orders", "buyers", "aov")


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


def _totals(warehouse: Warehouse, start: datetime, end: datetime, principal: Principal | None) -> dict:
    result = run_query(
        warehouse, MetricQuery(metrics=list(HEADLINE), time_from=start, time_to=end), principal=principal
    )
    row = result.rows.to_pylist()[0] if result.rows.num_rows else {}
    return {m: _plain(row.get(m)) for m in HEADLINE}


def _hourly(warehouse: Warehouse, start: datetime, end: datetime, principal: Principal | None) -> list:
    result = run_query(
        warehouse,
        MetricQuery(metrics=["gmv_paid"], time_from=start, time_to=end, grain="hour"),
        principal=principal,
    )
    by_hour = [0.0] * 24
    for row in result.rows.to_pylist():
        by_hour[row["time"].astimezone(start.tzinfo).hour] = _plain(row["gmv_paid"]) or 0.0
    return by_hour


def _plain(value: object) -> float | None:
    """Decimals to floats for JSON: the page displays them; sums stay exact in the metric layer."""
    return None if value is None else float(value)  # type: ignore[arg-type]


def snapshot(warehouse: Warehouse, now: datetime, tz: ZoneInfo, principal: Principal | None = None) -> dict:
    """Today's headline figures up to `now`, yesterday's up to the same time, and both days by hour."""
    today = day_start(now, tz)
    yesterday = today - timedelta(days=1)
    hour_now = now.astimezone(tz).hour
    today_hours = _hourly(warehouse, today, now, principal)
    return {
        "now": now.isoformat(),
        "today": _totals(warehouse, today, now, principal),
        "yesterday_same_time": _totals(warehouse, yesterday, now - timedelta(days=1), principal),
        "today_by_hour": today_hours[: hour_now + 1],
        "yesterday_by_hour": _hourly(warehouse, yesterday, today, principal),
    }
