"""`warroom ops ...`: the operations analyses (warroom.analyses.ops) as Rich tables or --json."""

from datetime import datetime, timedelta

import orjson
import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.analyses.ops.funnel import funnel
from warroom.analyses.ops.leaderboards import leaderboard
from warroom.analyses.ops.listings import listing_sales
from warroom.analyses.ops.peaks import peaks
from warroom.analyses.ops.promotions import promotions
from warroom.analyses.ops.retention import churn
from warroom.analyses.ops.roi import channel_roi
from warroom.analyses.ops.segments import segments
from warroom.analyses.ops.stock import stock_levels, stockouts
from warroom.analyses.ops.traffic import traffic
from warroom.cli import app
from warroom.cli.times import parse_time
from warroom.config import Settings
from warroom.errors import UserError
from warroom.warehouse import Warehouse

ops = typer.Typer(
    help="Operations analyses: traffic, funnel, promotions, leaders, peaks, segments, churn, roi, stock, "
    "listings."
)
app.add_typer(ops, name="ops")

FROM = typer.Option(..., "--from", help="Start (inclusive), e.g. '2026-11-11'.")
TO = typer.Option(..., "--to", help="End (exclusive), e.g. '2026-11-12'.")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
WHERE = typer.Option([], "--where", help="dimension=value, e.g. channel=search (repeatable).")


def _open() -> tuple[Warehouse, Settings]:
    settings = Settings()
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load data first or set WARROOM_HOME")
    return Warehouse(settings.warehouse_path, read_only=True), settings


def _range(start: str, end: str, settings: Settings) -> tuple[datetime, datetime]:
    return parse_time(start, settings.tz, "--from"), parse_time(end, settings.tz, "--to")


def _filters(where: list[str]) -> dict[str, str]:
    out = {}
    for item in where:
        if "=" not in item:
            raise UserError(f"--where {item!r}: write dimension=value, e.g. channel=search")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def _show(title: str, rows: list[dict] | pa.Table, as_json: bool, extra: dict | None = None) -> None:
    rows = rows.to_pylist() if isinstance(rows, pa.Table) else rows
    if as_json:
        print(
            orjson.dumps(
                {**(extra or {}), "rows": rows}, default=str, option=orjson.OPT_SERIALIZE_NUMPY
            ).decode()
        )
        return
    grid = RichTable(title=title)
    columns = list(rows[0]) if rows else []
    for c in columns:
        grid.add_column(c, justify="left" if rows and isinstance(rows[0][c], str) else "right")
    for r in rows:
        grid.add_row(*(_cell(r[c]) for c in columns))
    Console().print(grid)
    for key, value in (extra or {}).items():
        Console().print(f"{key}: {value}")


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.2f}"
    if isinstance(v, datetime):
        return v.isoformat()
    return "–" if v is None else str(v)


@ops.command("traffic")
def traffic_cmd(
    start: str = FROM,
    end: str = TO,
    baseline: str = typer.Option(None, "--baseline-date", help="Default: the day before --from."),
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """PV / UV by channel per hour against a baseline day, and the channel mix."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    base = datetime.fromisoformat(baseline).date() if baseline else t0.date() - timedelta(days=1)
    got = traffic(wh, start=t0, end=t1, baseline_date=base, filters=_filters(where))
    _show("Traffic by channel and hour", got["hourly"], as_json, {"mix": got["mix"]} if as_json else None)
    if not as_json:
        _show("Channel mix", got["mix"], False)


@ops.command("funnel")
def funnel_cmd(
    start: str = FROM,
    end: str = TO,
    basis: str = typer.Option("user", help="user or session."),
    by: str = typer.Option(None, help="channel, channel_group, device or category_l1."),
    baseline: str = typer.Option(None, "--baseline-date"),
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """view -> cart -> order -> pay with the drop per step (user- or session-based)."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    base = datetime.fromisoformat(baseline).date() if baseline else None
    got = funnel(wh, start=t0, end=t1, basis=basis, by=by, baseline_date=base, filters=_filters(where))  # type: ignore[arg-type]
    rows = [{"group": g["group"], **st} for g in got["groups"] for st in g["steps"]]
    _show(f"Funnel ({basis}-based)", rows, as_json, {"basis": basis})


@ops.command("promotions")
def promotions_cmd(
    start: str = FROM,
    end: str = TO,
    level: str = typer.Option("promo_type", help="promo_type or promo."),
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """Promotion types (or promotions) compared, with uplift over comparable traffic."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    _show(
        "Promotions",
        promotions(wh, start=t0, end=t1, tz=s.tz, level=level, filters=_filters(where))["rows"],
        as_json,
    )  # type: ignore[arg-type]


@ops.command("leaders")
def leaders_cmd(
    start: str = FROM,
    end: str = TO,
    by: str = typer.Option("sku", help="sku, category_l1 or brand."),
    growth: str = typer.Option("day", help="hour or day."),
    limit: int = 10,
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """Top SKUs / categories / brands by paid GMV with growth, sell-through and hours of stock left."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    got = leaderboard(
        wh, by=by, start=t0, end=t1, tz=s.tz, growth=growth, limit=limit, filters=_filters(where)
    )  # type: ignore[arg-type]
    _show(f"Top {by}", got["rows"], as_json)


@ops.command("peaks")
def peaks_cmd(
    start: str = FROM,
    end: str = TO,
    row: str = typer.Option("category_l1", help="category_l1 or channel."),
    metric: str = "pv",
    as_json: bool = JSON,
) -> None:
    """Hour-of-day x category (or channel) and each row's peak hour."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    got = peaks(wh, start=t0, end=t1, tz=s.tz, row=row, metric=metric)  # type: ignore[arg-type]
    rows = [
        {row: r[row], "peak_hour": r["peak_hour"], **{f"{h:02d}": v for h, v in enumerate(r["values"])}}
        for r in got["rows"]
    ]
    _show(f"{metric} by local hour", rows, as_json)


@ops.command("segments")
def segments_cmd(
    start: str = FROM,
    end: str = TO,
    customers: bool = typer.Option(False, help="List every customer's scores."),
    as_json: bool = JSON,
) -> None:
    """RFM segments (scores 1-5 by quintile) and new / returning / reactivated buyers of [from, to)."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    got = segments(wh, window_start=t0, end=t1, tz=s.tz)
    _show(
        "RFM segments",
        got["customers"] if customers else got["sizes"],
        as_json,
        {"buyer_mix": got["buyer_mix"], "reference_date": got["reference_date"]},
    )


@ops.command("churn")
def churn_cmd(
    end: str = TO,
    horizon: int = typer.Option(30, help="Days ahead for expected purchases."),
    limit: int = 20,
    purchases: str = typer.Option(
        "orders", help="orders, or pay_events for a behaviour log without orders (Taobao UserBehavior)."
    ),
    as_json: bool = JSON,
) -> None:
    """Repurchase rate, the BG/NBD fit, and the customers most at risk of churning."""
    wh, s = _open()
    got = churn(
        wh,
        end=parse_time(end, s.tz, "--to"),
        tz=s.tz,
        horizon_days=horizon,
        purchases=purchases,  # type: ignore[arg-type]
    )
    _show(
        "Churn risk",
        got["customers"].slice(0, limit),
        as_json,
        {"repurchase": got["repurchase"], "model": got["model"]},
    )


@ops.command("roi")
def roi_cmd(
    start: str = FROM,
    end: str = TO,
    grain: str = typer.Option("hour", help="hour or day."),
    recent: int = 3,
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """Spend, GMV, ROI, CAC, cost per order by channel; channels whose ROI is falling."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    got = channel_roi(wh, start=t0, end=t1, grain=grain, recent=recent, filters=_filters(where))  # type: ignore[arg-type]
    _show("Channel ROI", got["totals"], as_json, {"falling": got["falling"]})


@ops.command("stock")
def stock_cmd(
    at: str = typer.Option(..., "--at", help="The moment, e.g. '2026-11-11 12:00'."),
    hours: int = 3,
    threshold: int = 0,
    within: float = 24,
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """SKUs out of stock or running out within --within hours at the last --hours hours' sell rate."""
    wh, s = _open()
    levels = stock_levels(wh, now=parse_time(at, s.tz, "--at"), hours=hours, filters=_filters(where))
    _show("Stock-outs", stockouts(levels, threshold=threshold, within_hours=within), as_json)


@ops.command("listings")
def listings_cmd(
    start: str = FROM,
    end: str = TO,
    days: bool = typer.Option(False, "--days", help="Sales per day instead of per shop."),
    as_json: bool = JSON,
) -> None:
    """Marketplace listings by shop: snapshots, sold to date (last counter) and sold in [from, to) (counter
    differences)."""
    wh, s = _open()
    t0, t1 = _range(start, end, s)
    got = listing_sales(wh, start=t0, end=t1, tz=s.tz)
    _show("Sales per day" if days else "Listings by shop", got["days"] if days else got["shops"], as_json)
