"""`warroom ingest` (files and simulator folders into the warehouse) and `warroom quarantine` (rejected rows).

Exit codes of `warroom ingest`: 0 every row loaded (duplicates count as loaded); 1 some rows were rejected
and are in the quarantine; 2 a file could not be read, or was damaged (malformed rows), or bad options.
"""

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from warroom.cli import app, err_console
from warroom.config import Settings
from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.bulk import ingest_parquet_dir
from warroom.ingest.files import ingest_file, read_options, target_table
from warroom.ingest.load import IngestReport
from warroom.ingest.mapping import load_mapping
from warroom.ingest.replay import replay as replay_rows
from warroom.warehouse import Warehouse

console = Console()


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(
        ..., help="Files (.csv .tsv .jsonl .parquet .xlsx) or simulator folders."
    ),
    table: str = typer.Option(None, "--table", "-t", help="Canonical table to load files into."),
    mapping: Path = typer.Option(None, "--mapping", "-m", help="YAML mapping of the files' columns."),
    encoding: str = typer.Option(
        None, "--encoding", help="Text encoding of CSV/TSV (default: detect UTF-8/GBK)."
    ),
    delimiter: str = typer.Option(
        None, "--delimiter", help="CSV field separator (default , or tab for .tsv)."
    ),
    sheet: str = typer.Option(None, "--sheet", help="Excel sheet (default: the first)."),
) -> None:
    """Validate and load files into the warehouse; bad rows go to the quarantine with their reasons."""
    rules = load_mapping(mapping) if mapping else None
    files = [p for p in paths if not p.is_dir()]
    name = target_table(table, rules) if files else None
    options = read_options(rules, encoding, delimiter=delimiter, sheet=sheet)
    settings = Settings()
    reports: list[tuple[str, IngestReport]] = []
    errors: list[str] = []
    with Warehouse(settings.warehouse_path) as warehouse, _progress() as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)
            try:
                if path.is_dir():
                    for r in ingest_parquet_dir(
                        warehouse,
                        path,
                        lambda _t, done, total, task=task: progress.update(task, completed=done, total=total),
                    ):
                        reports.append((f"{path.name}/{r.table}", r))
                    continue
                result = ingest_file(
                    warehouse,
                    path,
                    name,
                    rules,
                    options,
                    lambda done, task=task: progress.update(task, completed=done),
                    settings.timezone,
                )
                reports.append((path.name, result.report))
                if result.malformed:
                    errors.append(
                        f"{path}: rows {_few(result.malformed)} are malformed (wrong number of fields or broken "
                        "JSON; a truncated file ends so); they are in the quarantine, the other rows were loaded"
                    )
            except UserError as exc:
                errors.append(str(exc))
            finally:
                progress.update(task, visible=False)
    _summary(reports)
    for message in errors[:-1]:
        err_console.print(f"[bold red]error:[/] {message}")
    if errors:
        raise UserError(errors[-1])  # exit code 2, the last message printed by the CLI's main
    if any(r.rejected for _, r in reports):
        rejected = sum(r.rejected for _, r in reports)
        err_console.print(f"{rejected:,} rows rejected and kept: see `warroom quarantine list`")
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _few(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _summary(reports: list[tuple[str, IngestReport]]) -> None:
    if not reports:
        return
    grid = RichTable(title="ingest", title_justify="left")
    grid.add_column("source")
    grid.add_column("table")
    for head in ("received", "accepted", "rejected", "duplicates", "updated", "seconds"):
        grid.add_column(head, justify="right")
    for source, r in reports:
        grid.add_row(
            source,
            r.table,
            f"{r.received:,}",
            f"{r.accepted:,}",
            f"{r.rejected:,}",
            f"{r.duplicates:,}",
            f"{r.updated:,}",
            f"{r.seconds:.2f}",
        )
    console.print(grid)
    for _, r in reports:
        for message in r.sample_rejects:
            console.print(f"  [yellow]rejected[/] {r.source}: {message}")


quarantine_app = typer.Typer(
    help="Rejected rows kept with their reasons: list, show, replay.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list() -> None:
    """Rejected rows grouped by table, rule and column."""
    settings = Settings()
    if not settings.warehouse_path.exists():
        console.print("the quarantine is empty (no warehouse yet)")
        return
    with Warehouse(settings.warehouse_path, read_only=True) as warehouse:
        rows = quarantine.summary(warehouse.cursor())
    if not rows:
        console.print("the quarantine is empty")
        return
    grid = RichTable(title="quarantine", title_justify="left")
    for head in ("table", "rule", "column", "rows", "first id", "last received (UTC)"):
        grid.add_column(head)
    for table, rule, column, n, first, last in rows:
        grid.add_row(table, rule, column or "", f"{n:,}", str(first), last.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(grid)
    console.print("`warroom quarantine show ID` for one row; `warroom quarantine replay` after a fix")


@quarantine_app.command("show")
def quarantine_show(entry_id: int = typer.Argument(..., metavar="ID", help="Quarantine id.")) -> None:
    """One rejected row: where it came from, why, and the row as it arrived."""
    settings = Settings()
    found = []
    if settings.warehouse_path.exists():
        with Warehouse(settings.warehouse_path, read_only=True) as warehouse:
            found = quarantine.entries(warehouse.cursor(), ids=[entry_id])
    if not found:
        raise UserError(f"no quarantined row with id {entry_id}; `warroom quarantine list` shows the ids")
    e = found[0]
    grid = RichTable(show_header=False, title=f"quarantine {e.id}", title_justify="left")
    for key, value in (
        ("table", e.table_name),
        ("source", e.source),
        ("row", str(e.row_number)),
        ("column", e.column_name or ""),
        ("rule", e.rule),
        ("message", e.message),
        ("mapping", e.mapping or ""),
        ("received (UTC)", e.received_at.strftime("%Y-%m-%d %H:%M:%S")),
    ):
        grid.add_row(key, value)
    for key, value in e.raw.items():
        grid.add_row(f"  {key}", repr(value))
    console.print(grid)


@quarantine_app.command("replay")
def quarantine_replay(
    ids: list[int] = typer.Argument(None, help="Quarantine ids (default: all rows)."),
    table: str = typer.Option(None, "--table", "-t", help="Only rows of this table."),
    mapping: Path = typer.Option(
        None, "--mapping", "-m", help="Map rows with this mapping instead of their own."
    ),
) -> None:
    """Validate quarantined rows again and load those that now pass (they leave the quarantine)."""
    rules = load_mapping(mapping) if mapping else None
    settings = Settings()
    with Warehouse(settings.warehouse_path) as warehouse:
        reports = replay_rows(
            warehouse, ids=ids or None, table=table, mapping=rules, timezone=settings.timezone
        )
    if not reports:
        console.print("nothing to replay")
        return
    grid = RichTable(title="replay", title_justify="left")
    for head in (
        "table",
        "replayed",
        "accepted",
        "still rejected",
        "duplicates",
        "updated",
        "not replayable",
    ):
        grid.add_column(head, justify="right" if head != "table" else "left")
    for r in reports:
        grid.add_row(
            r.table,
            *(
                f"{v:,}"
                for v in (r.replayed, r.accepted, r.still_rejected, r.duplicates, r.updated, r.not_replayable)
            ),
        )
    console.print(grid)
    if any(r.still_rejected or r.not_replayable for r in reports):
        raise typer.Exit(1)
