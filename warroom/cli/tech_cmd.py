"""`warroom tech ...`: the tech analyses (warroom.analyses.tech) as Rich tables or --json."""

from datetime import datetime, timedelta
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.analyses.tech import Scope, capacity, errors, hosts, latency, selfhealth, traffic
from warroom.cli import app
from warroom.cli.times import parse_time
from warroom.config import Settings
from warroom.errors import UserError
from warroom.warehouse import Warehouse

tech = typer.Typer(help="Tech analyses: traffic, latency, errors, hosts, capacity, health.")
app.add_typer(tech, name="tech")

FROM = typer.Option(..., "--from", help="Start (inclusive), e.g. '2026-11-11 00:00'.")
TO = typer.Option(..., "--to", help="End (exclusive), e.g. '2026-11-11 01:00'.")
SERVICE = typer.Option(None, "--service", help="Only this service, e.g. payment.")
JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")


def _open() -> tuple[Warehouse, Settings]:
    settings = Settings()
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load data first or set WARROOM_HOME")
    return Warehouse(settings.warehouse_path, read_only=True), settings


def _scope(start: str, end: str, service: str | None, settings: Settings) -> Scope:
    return Scope(parse_time(start, settings.tz, "--from"), parse_time(end, settings.tz, "--to"), service)


def _show(sections: dict[str, list[dict]], as_json: bool, settings: Settings) -> None:
    if as_json:
        print(orjson.dumps(sections, default=str).decode())
        return
    for title, rows in sections.items():
        grid = RichTable(title=title)
        columns = list(rows[0]) if rows else []
        for c in columns:
            grid.add_column(c, justify="left" if isinstance(rows[0][c], str) else "right")
        for r in rows:
            grid.add_row(*(_cell(r[c], settings) for c in columns))
        Console().print(grid if rows else f"{title}: no rows")


def _cell(v: object, settings: Settings) -> str:
    if v is None:
        return "-"
    if isinstance(v, datetime):
        return v.astimezone(settings.tz).strftime("%m-%d %H:%M")
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


@tech.command("traffic")
def traffic_cmd(start: str = FROM, end: str = TO, service: str = SERVICE, as_json: bool = JSON) -> None:
    """Requests per second: peak vs normal minute per service, and the busiest endpoints."""
    wh, settings = _open()
    with wh:
        scope = _scope(start, end, service, settings)
        sections = {
            "peak vs normal (QPS per minute)": traffic.peak_vs_normal(wh, scope),
            "top endpoints": traffic.top_endpoints(wh, scope),
        }
    _show(sections, as_json, settings)


@tech.command("latency")
def latency_cmd(
    start: str = FROM,
    end: str = TO,
    service: str = SERVICE,
    by: str = typer.Option("service", "--by", help="service, endpoint or host."),
    apdex_ms: float = typer.Option(None, "--apdex-ms", help="Apdex threshold T (default: the catalog's)."),
    sketch: bool = typer.Option(False, "--sketch", help="Use the log-bucket sketch (error <= 9.1%)."),
    as_json: bool = JSON,
) -> None:
    """p50 / p95 / p99 (exact unless --sketch or too many rows), Apdex, and the slowest endpoints."""
    if by not in ("service", "endpoint", "host"):
        raise UserError(f"--by {by!r}: use service, endpoint or host")
    dims = ("service", "endpoint") if by == "endpoint" else (by,)
    wh, settings = _open()
    with wh:
        scope = _scope(start, end, service, settings)
        sections = {
            "percentiles (ms)": latency.percentiles(wh, scope, dims, exact=False if sketch else None),
            f"apdex (T = {apdex_ms or latency.default_threshold_ms():g} ms)": latency.apdex(
                wh, scope, apdex_ms, dims
            ),
            "slowest endpoints": latency.slowest_endpoints(wh, scope),
        }
    _show(sections, as_json, settings)


@tech.command("errors")
def errors_cmd(
    start: str = FROM,
    end: str = TO,
    service: str = SERVICE,
    slo: float = typer.Option(0.999, "--slo", help="SLO target: share of requests without a 5xx."),
    as_json: bool = JSON,
) -> None:
    """4xx / 5xx rates, the endpoints and hosts producing them, and burn rates at --to."""
    wh, settings = _open()
    with wh:
        scope = _scope(start, end, service, settings)
        sections = {
            "error rates": errors.error_rates(wh, scope),
            "by endpoint": errors.error_sources(wh, scope, "endpoint"),
            "by host": errors.error_sources(wh, scope, "host"),
            f"burn rate at {end} (SLO {slo:.3%})": errors.burn_rates(
                wh, scope.time_to, errors.Slo(target=slo), service
            ),
        }
    _show(sections, as_json, settings)


@tech.command("hosts")
def hosts_cmd(start: str = FROM, end: str = TO, service: str = SERVICE, as_json: bool = JSON) -> None:
    """CPU, memory and network by host and role; hosts near saturation."""
    wh, settings = _open()
    with wh:
        rows = hosts.host_usage(wh, _scope(start, end, service, settings))
    _show({"near saturation": hosts.near_saturation(rows), "hosts": rows}, as_json, settings)


@tech.command("capacity")
def capacity_cmd(
    at: str = typer.Option(..., "--at", help="The moment to judge from, e.g. '2026-11-11 00:30'."),
    plan_file: Path = typer.Option(
        capacity.DEFAULT_PLAN, "--plan", help="Capacity plan YAML (QPS per host)."
    ),
    orders_per_minute: float = typer.Option(
        None, "--orders-per-minute", help="Orders per minute operations expects at the next peak."
    ),
    days: int = typer.Option(3, "--days", help="Previous days that make the day's profile."),
    as_json: bool = JSON,
) -> None:
    """Today's peak vs capacity, headroom, the next hour's forecast, and hosts to add (also from orders)."""
    if days < 1:
        raise UserError(f"--days {days}: use 1 or more previous days")
    plan = capacity.CapacityPlan.load(plan_file)
    wh, settings = _open()
    with wh:
        now = parse_time(at, settings.tz, "--at")
        today = Scope(now - timedelta(days=1), now)
        forecasts = capacity.forecast(wh, now, days=days)
        sections = {
            "capacity (last 24 h peak, next hour forecast)": capacity.capacity(wh, today, plan, forecasts)
        }
        if orders_per_minute is not None:
            sections[f"at {orders_per_minute:g} orders per minute"] = capacity.plan_for_orders(
                wh, today, orders_per_minute, plan
            )
    _show(sections, as_json, settings)


@tech.command("health")
def health_cmd(
    at: str = typer.Option(None, "--at", help="The moment to judge from (default: now)."),
    prometheus: bool = typer.Option(False, "--prometheus", help="Print Prometheus text format."),
) -> None:
    """Warroom's own data freshness, rejected rows and query time, from the warehouse file."""
    wh, settings = _open()
    with wh:
        now = parse_time(at, settings.tz, "--at") if at else datetime.now(settings.tz)
        health = selfhealth.pipeline_health(wh, selfhealth.PipelineState(now))
    if prometheus:
        print(selfhealth.prometheus_text(selfhealth.samples(health)), end="")
        return
    rejected = [{"table": t, "rows": n} for t, n in sorted(health["rejected_rows"].items())]
    _show({"freshness": health["freshness"], "rejected rows": rejected}, False, settings)
