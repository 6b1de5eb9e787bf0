"""`warroom ingest-logs`: nginx access logs, JSON-lines application logs and Prometheus scrapes into the
warehouse (api_requests, host_metrics); lines that cannot be read go to the quarantine with their reason.

Exit codes, as `warroom ingest`: 0 every row loaded; 1 some lines or rows were rejected and are in the
quarantine; 2 a file could not be loaded (not the format --format says, missing) or bad options.
"""

from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from warroom.cli import app, err_console
from warroom.config import Settings
from warroom.errors import UserError
from warroom.sources.logfiles import LogFileReport, ingest_logs
from warroom.sources.logmapping import LogMapping, load_log_mapping
from warroom.warehouse import Warehouse

console = Console()


class LogFormat(StrEnum):
    nginx = "nginx"
    applog = "applog"
    prometheus = "prometheus"


@app.command("ingest-logs")
def ingest_logs_command(
    paths: list[Path] = typer.Argument(
        ..., help="Log files (.gz too). Prometheus: scrapes in time order, for counter rates."
    ),
    fmt: LogFormat = typer.Option(..., "--format", "-f", help="What the files are."),
    mapping: Path = typer.Option(
        None, "--mapping", "-m", help="YAML log mapping: services by path prefix, applog's JSON fields."
    ),
    service: str = typer.Option(None, "--service", help="Service of every row (over the mapping's)."),
    host: str = typer.Option(None, "--host", help="Host of every row without its own (over the mapping's)."),
    role: str = typer.Option(
        None, "--role", help="Prometheus: host role when samples carry no `role` label."
    ),
    scrape_time: str = typer.Option(
        None,
        "--scrape-time",
        help="Prometheus: ISO time of samples without a timestamp (default: the file's modification time).",
    ),
) -> None:
    """Load log files into api_requests (nginx, applog) or host_metrics (prometheus)."""
    settings = Settings()
    rules = (load_log_mapping(mapping) if mapping else LogMapping()).with_options(
        service=service, host=host, role=role
    )
    when = _scrape_time(scrape_time, settings) if scrape_time else None
    # Prometheus files are read together (a rate needs the previous scrape); logs one by one, so one bad
    # file does not stop the others.
    groups = [paths] if fmt is LogFormat.prometheus else [[p] for p in paths]
    reports: list[LogFileReport] = []
    errors: list[str] = []
    with Warehouse(settings.warehouse_path) as warehouse, _progress() as progress:
        tasks: dict[str, int] = {}

        def advance(path: str, done: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(Path(path).name, total=None)
            progress.update(tasks[path], completed=done)

        for group in groups:
            try:
                reports += ingest_logs(
                    warehouse,
                    group,
                    fmt.value,
                    rules,
                    timezone=settings.timezone,
                    scrape_time=when,
                    progress=advance,
                )
            except UserError as exc:
                errors.append(str(exc))
    _summary(reports)
    for message in errors[:-1]:
        err_console.print(f"[bold red]error:[/] {escape(message)}")
    if errors:
        raise UserError(errors[-1])  # exit code 2, printed by the CLI's main
    rejected = sum(r.report.rejected for r in reports)
    if rejected:
        err_console.print(f"{rejected:,} lines or rows rejected and kept: see `warroom quarantine list`")
        raise typer.Exit(1)


def _scrape_time(text: str, settings: Settings) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--scrape-time {text!r} is not an ISO time such as 2026-11-11T00:00:00+08:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} lines"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _summary(reports: list[LogFileReport]) -> None:
    if not reports:
        return
    grid = RichTable(title="ingest-logs", title_justify="left")
    grid.add_column("file")
    grid.add_column("table")
    heads = ("read", "loaded", "rejected", "unreadable", "updated", "seconds")
    for head in heads:
        grid.add_column(head, justify="right")
    for f in reports:
        r = f.report
        grid.add_row(
            Path(f.path).name,
            r.table,
            f"{r.received:,}",
            f"{r.inserted:,}",
            f"{r.rejected:,}",
            f"{f.malformed:,}",
            f"{r.updated:,}",
            f"{f.seconds:.2f}",
        )
    console.print(grid)
    console.print(
        "read: lines (nginx, applog) or host rows plus unreadable lines (prometheus); rejected: in the "
        "quarantine, of which unreadable: lines that could not be parsed at all"
    )
    for f in reports:
        if f.base_scrapes:
            console.print(
                f"  {Path(f.path).name}: {f.base_scrapes:,} scrape(s) only start a host's counter rates (no row)"
            )
        for message in f.report.sample_rejects:
            console.print(f"  [yellow]rejected[/] {escape(Path(f.path).name)}: {escape(message)}")
