"""Loading a file: read it in chunks, map each chunk's columns if a mapping is given, ingest each as a batch.

The raw rows (before the mapping) go with each batch, so a rejected row is quarantined as it was in the
file. Rows the reader could not split (a truncated last line, a broken JSON line) are quarantined under the
rule `malformed`, and the file then counts as damaged (`FileReport.malformed`): the CLI exits 2 for it,
after loading every row that could be read.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.load import IngestReport, ingest_batch
from warroom.ingest.mapping import Mapping, apply_mapping
from warroom.ingest.readers import ReadOptions, read_file
from warroom.ingest.validate import RULES, Reject
from warroom.schema import get_table
from warroom.warehouse import Warehouse


@dataclass
class FileReport:
    path: str
    report: IngestReport
    malformed: list[int] = field(default_factory=list)  # row numbers the reader could not split


def read_options(mapping: Mapping | None, encoding: str | None = None, **overrides) -> ReadOptions:
    """The mapping's `read:` section, with command-line options taking precedence."""
    read = dict(mapping.read) if mapping else {}
    options = ReadOptions(
        encoding=encoding or read.get("encoding"),
        delimiter=read.get("delimiter"),
        header=bool(read.get("header", True)),
        columns=tuple(read["columns"]) if read.get("columns") else None,
        sheet=read.get("sheet"),
    )
    return replace(options, **{k: v for k, v in overrides.items() if v is not None})


def target_table(table: str | None, mapping: Mapping | None) -> str:
    if mapping and mapping.table and table and mapping.table != table:
        raise UserError(
            f"--table {table} contradicts mapping {mapping.path}, which loads table {mapping.table}"
        )
    name = table or (mapping.table if mapping else None)
    if not name:
        raise UserError("which table? give --table, or `table:` in the mapping")
    return get_table(name).name


def ingest_file(
    warehouse: Warehouse,
    path: Path | str,
    table: str,
    mapping: Mapping | None = None,
    options: ReadOptions | None = None,
    progress: Callable[[int], None] | None = None,
    timezone: str | None = None,
) -> FileReport:
    """Load one file into `table`; `progress` gets the number of rows read so far."""
    path = Path(path)
    options = options or read_options(mapping)
    report = IngestReport(table, str(path))
    malformed: list[int] = []
    done = 0
    for chunk in read_file(path, options):
        if chunk.rows.num_rows:
            batch = (
                apply_mapping(mapping, chunk.rows, chunk.row_numbers, path.name) if mapping else chunk.rows
            )
            report += ingest_batch(
                warehouse,
                table,
                batch,
                str(path),
                raw=chunk.rows,
                row_numbers=chunk.row_numbers,
                mapping=mapping.path if mapping else None,
                timezone=timezone,
            )
        if chunk.malformed:
            report += _quarantine_malformed(warehouse, table, str(path), chunk.malformed, mapping)
            malformed += [number for number, _ in chunk.malformed]
        done += chunk.rows.num_rows + len(chunk.malformed)
        if progress:
            progress(done)
    return FileReport(str(path), report, malformed)


def _quarantine_malformed(
    warehouse: Warehouse, table: str, source: str, rows: list[tuple[int, str]], mapping: Mapping | None
) -> IngestReport:
    started = datetime.now(UTC)
    rejects = [Reject(n, None, "malformed", text, {"_text": text}, RULES["malformed"]) for n, text in rows]
    with warehouse.write_lock:
        con = warehouse.cursor()
        try:
            quarantine.ensure(warehouse, con)
            quarantine.add(con, table, source, rejects, {}, mapping.path if mapping else None)
        finally:
            con.close()
    return IngestReport(
        table,
        source,
        received=len(rows),
        rejected=len(rows),
        seconds=(datetime.now(UTC) - started).total_seconds(),
        sample_rejects=[r.message for r in rejects[:3]],
    )
