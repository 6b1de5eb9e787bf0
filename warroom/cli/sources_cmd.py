"""`warroom sources add|list|pull|remove`: named MySQL/MariaDB and PostgreSQL sources pulled into the warehouse.

Sources live in the metadata store (WARROOM_METADATA_URL, or the SQLite file in WARROOM_HOME). Passwords are
stored with the URL, which the pull needs, and never shown: `list` masks them.
Exit codes of `warroom sources pull`: 0 every row loaded (duplicates count as loaded); 1 some rows were
rejected and are in the quarantine; 2 a source could not be pulled (the others are still pulled).
"""

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy.orm import Session

from warroom.cli import app, err_console
from warroom.config import Settings
from warroom.errors import UserError
from warroom.meta import open_metadata
from warroom.sources import databases, watermarks
from warroom.sources.databases import DEFAULT_CHUNK_ROWS, PullReport
from warroom.warehouse import Warehouse

console = Console()
sources_app = typer.Typer(
    help="Database sources (MySQL/MariaDB, PostgreSQL) pulled into the warehouse, in full or incrementally.",
    no_args_is_help=True,
)
app.add_typer(sources_app, name="sources")


def _session() -> Session:
    return open_metadata(Settings().metadata_sqlalchemy_url)()


@sources_app.command("add")
def sources_add(
    name: str = typer.Argument(..., help="Source name: a-z 0-9 _ . - (e.g. shop_orders)."),
    url: str = typer.Option(
        ..., "--url", help="mysql://user:password@host:3306/db or postgresql://user@host:5432/db."
    ),
    table: str = typer.Option(None, "--table", "-t", help="Canonical table the rows go to."),
    from_table: str = typer.Option(
        None, "--from", help="Source table or view to read (schema.table allowed)."
    ),
    query: str = typer.Option(None, "--query", help="Or a SELECT to read (instead of --from)."),
    mapping: Path = typer.Option(None, "--mapping", "-m", help="YAML mapping of the source's columns."),
    watermark: str = typer.Option(
        None,
        "--watermark",
        help="Column that grows when a row changes (e.g. updated_at): pull incrementally.",
    ),
    key: list[str] = typer.Option(
        None, "--key", help="Source column(s) identifying a row; default the table's key. Repeat for several."
    ),
    check: bool = typer.Option(
        True, "--check/--no-check", help="Connect and check the query before storing."
    ),
) -> None:
    """Add a named source (checked against the server first, unless --no-check)."""
    with _session() as session:
        source = databases.add_source(
            session,
            name=name,
            url=url,
            table=table,
            from_table=from_table,
            query=query,
            mapping=mapping,
            watermark=watermark,
            key=key or (),
            check=check,
            now=datetime.now(UTC),
        )
        how = (
            f"incrementally by ({', '.join([source.watermark_column, *source.key_columns])})"
            if source.watermark_column
            else "in full (no --watermark)"
        )
        console.print(f"added source {source.name}: {source.kind} into {source.target_table}, pulled {how}")


@sources_app.command("list")
def sources_list() -> None:
    """The sources, their (masked) URLs, where each stands and how its last pull went."""
    with _session() as session:
        sources = databases.list_sources(session)
    if not sources:
        console.print("no sources: `warroom sources add` adds one")
        return
    tz = Settings().tz
    grid = RichTable(title="sources", title_justify="left")
    for head in ("name", "kind", "url", "reads", "into", "order by", "position", "last pull", "status"):
        grid.add_column(head)
    for s in sources:
        reads = s.from_table or _short(s.query or "")
        into = s.target_table + (f" via {Path(s.mapping_path).name}" if s.mapping_path else "")
        when = s.last_pull_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if s.last_pull_at else ""
        status = {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(s.last_pull_status or "", "")
        grid.add_row(
            s.name,
            s.kind,
            databases.masked_url(s.url),
            reads,
            into,
            ", ".join([s.watermark_column, *s.key_columns]) if s.watermark_column else "(full only)",
            watermarks.describe(s.position),
            when,
            status or (s.last_pull_status or ""),
        )
    console.print(grid)
    for s in sources:
        if s.last_pull_message:
            console.print(f"  {s.name}: {s.last_pull_message}", markup=False)


@sources_app.command("pull")
def sources_pull(
    names: list[str] = typer.Argument(None, help="Sources to pull (default: all)."),
    full: bool = typer.Option(False, "--full", help="Read every row, not only those after the position."),
    chunk_rows: int = typer.Option(DEFAULT_CHUNK_ROWS, "--chunk-rows", help="Rows per chunk loaded."),
) -> None:
    """Pull sources into the warehouse: rows after each one's position, or all with --full."""
    settings = Settings()
    reports: list[PullReport] = []
    errors: list[str] = []
    with _session() as session:
        chosen = names or [s.name for s in databases.list_sources(session)]
        if not chosen:
            raise UserError("no sources to pull: `warroom sources add` adds one")
        with Warehouse(settings.warehouse_path) as warehouse, _progress() as progress:
            for name in chosen:
                task = progress.add_task(name, total=None)
                try:
                    reports.append(
                        databases.pull(
                            session,
                            warehouse,
                            name,
                            now=datetime.now(UTC),
                            full=full,
                            chunk_rows=chunk_rows,
                            progress=lambda done, task=task: progress.update(task, completed=done),
                            timezone=settings.timezone,
                        )
                    )
                except UserError as exc:
                    errors.append(str(exc))
                finally:
                    progress.update(task, visible=False)
    _summary(reports)
    for message in errors[:-1]:
        err_console.print(f"[bold red]error:[/] {message}")
    if errors:
        raise UserError(errors[-1])  # exit code 2, printed by the CLI's main
    if any(r.report.rejected for r in reports):
        err_console.print("some rows were rejected and kept: see `warroom quarantine list`")
        raise typer.Exit(1)


@sources_app.command("remove")
def sources_remove(name: str = typer.Argument(..., help="Source name.")) -> None:
    """Forget a source and its position (the rows it loaded stay in the warehouse)."""
    with _session() as session:
        databases.remove_source(session, name)
    console.print(f"removed source {name}")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _short(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _summary(reports: list[PullReport]) -> None:
    if not reports:
        return
    grid = RichTable(title="pull", title_justify="left")
    grid.add_column("source")
    grid.add_column("table")
    grid.add_column("mode")
    for head in ("chunks", "read", "new", "updated", "duplicates", "rejected", "seconds"):
        grid.add_column(head, justify="right")
    grid.add_column("position")
    for p in reports:
        r = p.report
        grid.add_row(
            p.source,
            r.table,
            "full" if p.full else "incremental",
            f"{p.chunks:,}",
            *(f"{v:,}" for v in (r.received, r.inserted, r.updated, r.duplicates, r.rejected)),
            f"{r.seconds:.2f}",
            p.position,
        )
    console.print(grid)
    for p in reports:
        for message in p.report.sample_rejects:
            console.print(f"  [yellow]rejected[/] {p.source}: {message}")
