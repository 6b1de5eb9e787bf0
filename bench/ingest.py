"""Bulk load speed: `ingest_parquet_dir` (validation, dedupe, quarantine) against DuckDB's own Parquet insert.

Run: .venv/bin/python bench/ingest.py [ROWS]   (default 2,000,000 generated events rows)
Prints both times and the ratio (DuckDB's time / ours; the goal is >= 0.5).
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from warroom.ingest.bulk import ingest_parquet_dir
from warroom.schema import TABLES
from warroom.schema.tables import DEVICES, EVENT_TYPES
from warroom.warehouse import Warehouse


def events(n: int, seed: int = 11) -> pa.Table:
    """n events over one day in time order, ids growing with time as a live feed's do."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-11-10T16:00:00", "us").astype(np.int64)
    ts = np.sort(start + rng.integers(0, 86_400_000_000, n))
    cols = {
        "event_id": np.arange(1, n + 1, dtype=np.int64),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "session_id": rng.integers(1, n // 5 + 2, n),
        "customer_id": rng.integers(1, n // 20 + 2, n),
        "channel_id": pa.array(rng.choice(["search", "feed", "live", "social"], n)),
        "event_type": pa.array(rng.choice(EVENT_TYPES, n, p=[0.7, 0.08, 0.12, 0.06, 0.04])),
        "sku_id": rng.integers(1, 5_000, n),
        "device": pa.array(rng.choice(DEVICES, n)),
    }
    return pa.table(cols).cast(TABLES["events"].arrow_schema)


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim" / "events"
        out.mkdir(parents=True)
        pq.write_table(events(rows), out / "part-00000.parquet", row_group_size=122_880)
        with Warehouse(Path(tmp) / "raw.duckdb") as wh:
            con = wh.cursor()
            started = time.perf_counter()
            con.execute(f"INSERT INTO events SELECT * FROM read_parquet('{out}/*.parquet')").fetchall()
            raw = time.perf_counter() - started
        with Warehouse(Path(tmp) / "ours.duckdb") as wh:
            started = time.perf_counter()
            (report,) = ingest_parquet_dir(wh, out.parent)
            ours = time.perf_counter() - started
            # A second load of the same files: every row is a duplicate, found by key.
            started = time.perf_counter()
            (again,) = ingest_parquet_dir(wh, out.parent)
            repeat = time.perf_counter() - started
    print(f"rows {rows:,}: duckdb insert {raw:.2f} s ({rows / raw:,.0f} rows/s)")
    print(f"ingest_parquet_dir {ours:.2f} s ({rows / ours:,.0f} rows/s), accepted {report.accepted:,}")
    print(f"ratio duckdb/ours = {raw / ours:.2f} (goal >= 0.5)")
    print(f"second load of the same files: {repeat:.2f} s, duplicates {again.duplicates:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
