"""`warroom ingest` (files and simulator folders into the warehouse) and `warroom quarantine` (rejected rows).

Exit codes of `warroom ingest`: 0 every row loaded (duplicates count as loaded); 1 some rows were rejected
and are in the quarantine; 2 a file could not be read, or was damaged (malformed rows), or bad options.

One writer: DuckDB lets one process write the warehouse file. `warroom ingest` opens the file itself when
it can. When another process holds it and a Warroom server answers on WARROOM_HOST:WARROOM_PORT, that
server is the writer: the files are read and mapped here and pushed to it (POST /api/v1/ingest/{table},
Arrow IPC, with the ingest token in WARROOM_TOKEN or --token). Trying the file first means a server
answering on the port for another warehouse is never written to by mistake.
"""

from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from warroom.cli import app, err_console
from warroom.config import Settings
from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.bulk import ingest_parquet_dir, load_order
from warroom.ingest.files import ingest_file, read_options, target_table
from warroom.ingest.load import IngestReport
from warroom.ingest.mapping import Mapping, apply_mapping, load_mapping
from warroom.ingest.readers import ReadOptions, read_file
from warroom.ingest.replay import replay as replay_rows
from warroom.warehouse import Warehouse

console = Console()
# Rows per push to a server: ~10 MB of Arrow for events, under the server's 64 MiB body limit.
PUSH_ROWS = 100_000
_HEALTH_TIMEOUT = 0.5  # a server on this machine answers in milliseconds; none answering means none runs


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
    token: str = typer.Option(
        None, "--token", envvar="WARROOM_TOKEN", help="Ingest token, used when a server is running."
    ),
) -> None:
    """Validate and load files into the warehouse (through the server when one runs); bad rows are quarantined."""
    rules = load_mapping(mapping) if mapping else None
    files = [p for p in paths if not p.is_dir()]
    name = target_table(table, rules) if files else None
    options = read_options(rules, encoding, delimiter=delimiter, sheet=sheet)
    settings = Settings()
    try:
        warehouse = Warehouse(settings.warehouse_path)
    except duckdb.IOException as exc:  # another process holds the file: a server, if one answers
        server = running_server(settings)
        if server is None:
            raise UserError(
                f"{settings.warehouse_path} is in use by another process ({exc}); if a Warroom server owns "
                "it, set WARROOM_HOST / WARROOM_PORT to where it listens so the rows go through it"
            ) from None
        if not token:
            raise UserError(
                f"a Warroom server at {server} owns the warehouse: set WARROOM_TOKEN (or --token) to a token "
                "with the ingest scope (warroom tokens create USER --name cli --scope ingest), "
                "or stop the server"
            ) from None
        reports, errors = _push_all(server, token, paths, name, rules, options)
    else:
        with warehouse:
            reports, errors = _load_all(warehouse, paths, name, rules, options, settings.timezone)
    _summary(reports)
    for message in errors[:-1]:
        err_console.print(f"[bold red]error:[/] {message}")
    if errors:
        raise UserError(errors[-1])  # exit code 2, the last message printed by the CLI's main
    if any(r.rejected for _, r in reports):
        rejected = sum(r.rejected for _, r in reports)
        err_console.print(f"{rejected:,} rows rejected and kept: see `warroom quarantine list`")
        raise typer.Exit(1)


def _load_all(
    warehouse: Warehouse,
    paths: list[Path],
    name: str | None,
    rules: Mapping | None,
    options: ReadOptions,
    timezone: str,
) -> tuple[list[tuple[str, IngestReport]], list[str]]:
    """No other process holds the warehouse file: load into it directly."""
    reports: list[tuple[str, IngestReport]] = []
    errors: list[str] = []
    with _progress() as progress:
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
                    timezone,
                )
                reports.append((path.name, result.report))
                if result.malformed:
                    errors.append(_malformed(path, result.malformed, "they are in the quarantine"))
            except UserError as exc:
                errors.append(str(exc))
            finally:
                progress.update(task, visible=False)
    return reports, errors


def running_server(settings: Settings) -> str | None:
    """The URL of a Warroom server answering on WARROOM_HOST:WARROOM_PORT, or None."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    url = f"http://{host}:{settings.port}"
    try:
        r = httpx.get(url + "/api/v1/health", timeout=_HEALTH_TIMEOUT)
        return url if r.status_code == 200 and r.json().get("ok") is True else None
    except (httpx.HTTPError, ValueError):
        return None


def _push_all(
    server: str, token: str, paths: list[Path], name: str | None, rules: Mapping | None, options: ReadOptions
) -> tuple[list[tuple[str, IngestReport]], list[str]]:
    """A server runs: read and map here, push Arrow batches to it; it validates, writes and quarantines."""
    reports: list[tuple[str, IngestReport]] = []
    errors: list[str] = []
    headers = {"authorization": f"Bearer {token}", "content-type": "application/vnd.apache.arrow.stream"}
    with httpx.Client(base_url=server, headers=headers, timeout=300) as http, _progress() as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)
            try:
                if path.is_dir():
                    for table in load_order():
                        files = sorted((path / table).glob("*.parquet"))
                        if files:
                            report = IngestReport(table, str(path / table))
                            for f in files:
                                for batch in pq.ParquetFile(f).iter_batches(batch_size=PUSH_ROWS):
                                    report += _push(http, table, pa.Table.from_batches([batch]), f.name)
                            reports.append((f"{path.name}/{table}", report))
                    continue
                report = IngestReport(name, str(path))
                malformed: list[int] = []
                for chunk in read_file(path, options):
                    if chunk.rows.num_rows:
                        rows = (
                            apply_mapping(rules, chunk.rows, chunk.row_numbers, path.name)
                            if rules
                            else chunk.rows
                        )
                        report += _push(http, name, rows, path.name, chunk.row_numbers)
                    malformed += [n for n, _ in chunk.malformed]
                    progress.update(task, advance=chunk.rows.num_rows)
                reports.append((path.name, report))
                if malformed:
                    errors.append(_malformed(path, malformed, "fix them and run again (repeats count once)"))
            except UserError as exc:
                errors.append(str(exc))
            finally:
                progress.update(task, visible=False)
    return reports, errors


def _push(http: httpx.Client, table: str, rows: pa.Table, source: str, numbers=None) -> IngestReport:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    try:
        r = http.post(
            f"/api/v1/ingest/{table}", params={"source": source}, content=sink.getvalue().to_pybytes()
        )
    except httpx.HTTPError as exc:
        raise UserError(
            f"{source}: the server did not answer ({exc}); rows it did not acknowledge were not stored"
        ) from None
    body = r.json()
    if r.status_code != 200:
        raise UserError(f"{source}: the server refused the rows ({r.status_code}): {body.get('error')}")
    # The server numbers a push's rows from 1: name them by their row in the file instead.
    samples = [
        f"row {numbers[x['row'] - 1] if numbers is not None else x['row']}, column {x['column']}: {x['rule']}"
        for x in body["rejects"][:10]
    ]
    return IngestReport(
        table, source, body["received"], body["accepted"], body["rejected"], body["duplicates"],
        body["updated"], sample_rejects=samples,
    )  # fmt: skip


def _malformed(path: Path, rows: list[int], what: str) -> str:
    return (
        f"{path}: rows {_few(rows)} are malformed (wrong number of fields or broken JSON; a truncated file "
        f"ends so); {what}, the other rows were loaded"
    )


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
