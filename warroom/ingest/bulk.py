"""Loading a simulator output directory (DIR/<table>/part-*.parquet) with validation on.

Dimension tables go first, so facts never arrive before what they refer to. Large files are read and
validated in chunks of `chunk_rows`: 500k rows keeps a chunk's Arrow copies to ~100 MB for events while
the per-batch cost (a transaction, the key lookup) stays well under 1% of the chunk's time.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from warroom.errors import UserError
from warroom.ingest.load import IngestReport, ingest_batch
from warroom.schema import TABLES
from warroom.warehouse import Warehouse

CHUNK_ROWS = 500_000

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in the table's files)


def load_order() -> list[str]:
    """Dimensions first, then facts, each in schema order."""
    return [n for n, t in TABLES.items() if t.kind == "dimension"] + [
        n for n, t in TABLES.items() if t.kind != "dimension"
    ]


def ingest_parquet_dir(
    warehouse: Warehouse,
    directory: Path | str,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> list[IngestReport]:
    """One report per table found in `directory`; a table without a folder is skipped."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(
            f"{directory} is not a directory; expected a simulator output with <table>/part-*.parquet"
        )
    plan = [(name, sorted((directory / name).glob("*.parquet"))) for name in load_order()]
    plan = [(name, files) for name, files in plan if files]
    if not plan:
        raise UserError(
            f"{directory} holds no <table>/*.parquet files for any table ({', '.join(TABLES)}); "
            "is it a `warroom simulate --out` folder?"
        )
    reports = []
    for name, files in plan:
        parquet = [_open(f) for f in files]
        total = sum(p.metadata.num_rows for p in parquet)
        report = IngestReport(name, str(directory / name))
        done = 0
        for path, pf in zip(files, parquet, strict=True):
            offset = 0
            for batch in pf.iter_batches(batch_size=chunk_rows):
                rows = pa.Table.from_batches([batch])
                numbers = np.arange(offset + 1, offset + rows.num_rows + 1)
                report += ingest_batch(warehouse, name, rows, str(path), row_numbers=numbers)
                offset += rows.num_rows
                done += rows.num_rows
                if progress:
                    progress(name, done, total)
        reports.append(report)
    return reports


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path}: not a readable Parquet file ({exc}); is it truncated?") from None
