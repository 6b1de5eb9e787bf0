"""`warroom finance ...`: the finance analyses (warroom.analyses.finance) as Rich tables or --json.

Money prints exact (DECIMAL); --json gives amounts as strings so no float rounds a fen away.
"""

import dataclasses
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import orjson
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.analyses.finance.anomalies import anomalies
from warroom.analyses.finance.cashflow import cash_flow
from warroom.analyses.finance.margins import default_baseline, margins, negative_margins
from warroom.analyses.finance.reconcile import REASONS, reconcile
from warroom.analyses.finance.waterfall import gaps, waterfall
from warroom.cli import app
from warroom.cli.query_cmd import parse_filter
from warroom.cli.times import parse_time
from warroom.config import Settings
from warroom.errors import UserError
from warroom.metrics import Filter
from warroom.schema.tables import PAYMENT_METHODS
from warroom.warehouse import Warehouse

finance = typer.Typer(help="Finance analyses: waterfall, margins, negative, cashflow, reconcile, anomalies.")
app.add_typer(finance, name="finance")

FROM = typer.Option(..., "--from", help="Start (inclusive), e.g. '2026-11-11'.")
TO = typer.Option(..., "--to", help="End (exclusive), e.g. '2026-11-12'.")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
WHERE = typer.Option([], "--where", help="A filter: channel=search, category_l1 in 美妆,女装 (repeatable).")


def _open() -> tuple[Warehouse, Settings]:
    settings = Settings()
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load data first or set WARROOM_HOME")
    return Warehouse(settings.warehouse_path, read_only=True), settings


def _when(text: str, settings: Settings, option: str) -> datetime:
    return parse_time(text, settings.tz, option)


def _filters(where: list[str]) -> list[Filter]:
    return [parse_filter(w) for w in where]


def _plain(value: object, settings: Settings) -> object:
    if isinstance(value, datetime):
        return value.astimezone(settings.tz).isoformat()
    return value


def _fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _show(title: str, rows: list[dict], as_json: bool, settings: Settings, extra: dict | None = None) -> None:
    rows = [{k: _plain(v, settings) for k, v in r.items()} for r in rows]
    if as_json:
        print(orjson.dumps({**(extra or {}), "rows": rows}, default=str).decode())
        return
    grid = RichTable(title=title)
    for name in rows[0] if rows else ["(none)"]:
        grid.add_column(name, justify="right" if rows and not isinstance(rows[0][name], str) else "left")
    for r in rows:
        grid.add_row(
            *["-" if v is None else f"{v:.2%}" if isinstance(v, float) else str(v) for v in r.values()]
        )
    console = Console()
    console.print(grid)
    for key, value in (extra or {}).items():
        console.print(f"{key}: {value}")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(_fen(value)) if isinstance(value, Decimal) else str(value)


@finance.command("waterfall")
def waterfall_cmd(
    start: str = FROM,
    end: str = TO,
    by: str = typer.Option(None, "--by", help="channel, category_l1 or line_promo (the campaign)."),
    daily: bool = typer.Option(False, "--daily", help="One waterfall per day."),
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """The profit waterfall from list-price GMV to net profit; every step is a catalog metric."""
    wh, settings = _open()
    with wh:
        falls = waterfall(
            wh, time_from=_when(start, settings, "--from"), time_to=_when(end, settings, "--to"), by=by,
            grain="day" if daily else None, filters=_filters(where),
        )  # fmt: skip
    rows = [
        {**{k: _plain(v, settings) for k, v in f.key.items()}, **{s.metric: s.amount for s in f.steps}}
        for f in falls
    ]
    problems = [p for f in falls for p in gaps(f.steps)]
    if len(falls) == 1 and not as_json:  # one waterfall reads top to bottom
        rows = [{"step": f"{s.label_en} {s.label_zh}", "amount": _fen(s.amount)} for s in falls[0].steps]
    _show("Profit waterfall 利润瀑布", rows, as_json, settings, {"gaps": problems})


@finance.command("margins")
def margins_cmd(
    start: str = FROM,
    end: str = TO,
    by: str = typer.Option("category_l1", "--by", help="category_l1, channel, line_promo or sku."),
    baseline: str = typer.Option(
        None, "--baseline-date", help="A normal day to compare with (default: a week before)."
    ),
    where: list[str] = WHERE,
    limit: int = typer.Option(50, "--limit", help="At most this many rows, largest paid GMV first."),
    as_json: bool = JSON,
) -> None:
    """Sales margin by category, channel, promotion or SKU, against a baseline day."""
    wh, settings = _open()
    time_from = _when(start, settings, "--from")
    day = (
        datetime.fromisoformat(baseline).date()
        if baseline
        else default_baseline(time_from.astimezone(settings.tz).date())
    )
    with wh:
        rows = margins(
            wh, by=by, time_from=time_from, time_to=_when(end, settings, "--to"), baseline_date=day,
            filters=_filters(where), limit=limit,
        )  # fmt: skip
    keep = (by, "gmv_paid", "sales_margin", "sales_margin_rate", "sales_margin_rate_compare")
    _show(
        f"Margins by {by} (baseline {day}) 毛利", [{k: r[k] for k in keep} for r in rows], as_json, settings
    )


@finance.command("negative")
def negative_cmd(start: str = FROM, end: str = TO, where: list[str] = WHERE, as_json: bool = JSON) -> None:
    """SKUs and promotions selling below cost (毛利倒挂), with the promotions stacked on them and the loss."""
    wh, settings = _open()
    with wh:
        found = negative_margins(
            wh,
            time_from=_when(start, settings, "--from"),
            time_to=_when(end, settings, "--to"),
            filters=_filters(where),
        )
    rows = [
        {
            "sku": n.sku, "sku_name": n.sku_name, "line_promo": n.line_promo, "units": n.units,
            "gmv_paid": n.gmv_paid, "cogs": n.cogs, "loss": n.loss,
            "stack": ", ".join(f"{p} {a}" for p, a in n.stack),
        }
        for n in found
    ]  # fmt: skip
    _show("Selling below cost 毛利倒挂", rows, as_json, settings)


@finance.command("cashflow")
def cashflow_cmd(
    start: str = FROM,
    now: str = typer.Option(None, "--now", help="The end of the actual days (default: the clock)."),
    settle: list[str] = typer.Option(
        [], "--settle", help="Settlement days by method, e.g. card=2 (repeatable)."
    ),
    horizon: int = typer.Option(3, "--horizon", help="Days to forecast."),
    where: list[str] = WHERE,
    as_json: bool = JSON,
) -> None:
    """Cash in (settled T+N by method) and out by day, with a forecast and the funding need."""
    wh, settings = _open()
    days: dict[str, int] = {}
    for item in settle:
        method, _, n = item.partition("=")
        if method not in PAYMENT_METHODS or not n.isdigit():
            raise UserError(
                f"--settle {item!r}: write method=days with a method of {', '.join(PAYMENT_METHODS)}"
            )
        days[method] = int(n)
    with wh:
        flow = cash_flow(
            wh, time_from=_when(start, settings, "--from"),
            now=_when(now, settings, "--now") if now else datetime.now(settings.tz), tz=settings.tz,
            filters=_filters(where), settlement_days=days, horizon=horizon,
        )  # fmt: skip
    rows = [{**dataclasses.asdict(d), "outflow": d.outflow, "net": d.net} for d in flow.days]
    extra = {
        "funding_need": flow.funding_need, "pending_settlements": flow.pending,
        "refund_rate": flow.refund_rate, "settlement_days": flow.settlement_days,
    }  # fmt: skip
    _show("Cash flow 现金流", rows, as_json, settings, extra)


@finance.command("reconcile")
def reconcile_cmd(
    start: str = typer.Option(None, "--from", help="Orders placed from (default: all)."),
    end: str = typer.Option(None, "--to", help="Orders placed before (default: all)."),
    as_json: bool = JSON,
) -> None:
    """Orders vs payments vs refunds: every mismatch with its reason; exits 1 if the totals do not tie out."""
    wh, settings = _open()
    with wh:
        rec = reconcile(
            wh,
            time_from=_when(start, settings, "--from") if start else None,
            time_to=_when(end, settings, "--to") if end else None,
        )
    rows = [{**dataclasses.asdict(m), "reason_text": REASONS[m.reason][1]} for m in rec.mismatches]
    extra = {
        "orders_paid": rec.orders_paid, "payments_succeeded": rec.payments_succeeded,
        "mismatches_explain": rec.explained, "ties_out": rec.ties_out, "counts": rec.counts(),
    }  # fmt: skip
    _show("Reconciliation 对账", rows, as_json, settings, extra)
    if not rec.ties_out:
        raise typer.Exit(1)


@finance.command("anomalies")
def anomalies_cmd(start: str = FROM, end: str = TO, where: list[str] = WHERE, as_json: bool = JSON) -> None:
    """Refund spikes by category and payment failure spikes by method and code, outside their baseline band."""
    wh, settings = _open()
    with wh:
        found = anomalies(
            wh, time_from=_when(start, settings, "--from"), time_to=_when(end, settings, "--to"), tz=settings.tz,
            filters=_filters(where),
        )  # fmt: skip
    _show("Anomalies 异常", [dataclasses.asdict(a) for a in found], as_json, settings)
