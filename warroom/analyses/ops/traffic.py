"""Traffic: page views (PV) and unique visitors (UV) by channel per hour, against the same hours of a baseline
day; the channel mix over the window; the live rate of page views per minute.

Method: PV = product view events, UV = distinct customers with any event (catalog metrics pv, uv). The
baseline of an hour is the same clock hour of `baseline_date` (compare=baseline_day), so a 10:00 bar of the
sale day stands next to 10:00 of the baseline day. UV per hour and UV over the window are counted
separately: visitors are not additive across hours. The live rate is PV per minute over the last
`live_minutes` minutes before `end`.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from warroom.analyses.ops.scope import records, split_filters
from warroom.metrics import MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

METRICS = ["pv", "uv"]


def channel_mix(rows: list[dict]) -> list[dict]:
    """Each channel's share of the window's PV and UV (shares of the channels' sums, so they add to 1)."""
    totals = {m: sum(r[m] or 0 for r in rows) for m in METRICS}
    return [
        {**r, **{f"{m}_share": (r[m] or 0) / totals[m] if totals[m] else None for m in METRICS}}
        for r in sorted(rows, key=lambda r: -(r["uv"] or 0))
    ]


def traffic(
    warehouse: Warehouse,
    *,
    start: datetime,
    end: datetime,
    baseline_date: date,
    principal: Principal | None = None,
    filters: Mapping[str, str] = {},
    live_minutes: int = 30,
) -> dict:
    """{"hourly": [{time, channel, pv, uv, pv_baseline, uv_baseline}], "mix": [{channel, pv, uv, pv_share,
    uv_share}], "per_minute": [{time, pv}], "ignored_filters": [...]}."""
    kept, ignored = split_filters(filters, METRICS)
    hourly = run_query(
        warehouse,
        MetricQuery(
            metrics=METRICS,
            dimensions=["channel"],
            filters=kept,
            time_from=start,
            time_to=end,
            grain="hour",
            compare="baseline_day",
            baseline_date=baseline_date,
        ),
        principal,
    )
    mix = run_query(
        warehouse,
        MetricQuery(metrics=METRICS, dimensions=["channel"], filters=kept, time_from=start, time_to=end),
        principal,
    )
    live_from = max(start, end - timedelta(minutes=live_minutes))
    live = run_query(
        warehouse,
        MetricQuery(metrics=["pv"], filters=kept, time_from=live_from, time_to=end, grain="minute"),
        principal,
    )
    return {
        "hourly": [
            {
                "time": r["time"],
                "channel": r["channel"],
                "pv": r["pv"],
                "uv": r["uv"],
                "pv_baseline": r["pv_compare"],
                "uv_baseline": r["uv_compare"],
            }
            for r in records(hourly.rows)
        ],
        "mix": channel_mix(records(mix.rows)),
        "per_minute": records(live.rows),
        "ignored_filters": ignored,
    }
