"""`warroom export`: the warehouse as partitioned Parquet, the data a Spark cluster (WARROOM_ENGINE=spark) reads."""

from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.cli import app
from warroom.config import Settings
from warroom.errors import UserError
from warroom.metrics.backends import export_parquet
from warroom.warehouse import Warehouse


@app.command()
def export(
    out: Path = typer.Option(
        None, "--out", help="Folder to write; default: where the Spark engine reads (WARROOM_SPARK_DATA)."
    ),
) -> None:
    """Export every table as Parquet (facts in day=YYYY-MM-DD folders, local days) for the Spark engine."""
    settings = Settings()
    if out is None:
        location = settings.spark_data_location
        if "://" in location:
            raise UserError(
                f"WARROOM_SPARK_DATA is {location}, not a local folder: export with --out DIR, then copy DIR "
                "there (e.g. hdfs dfs -put DIR ...)"
            )
        out = Path(location)
    path = settings.warehouse_path
    if not path.exists():
        raise UserError(f"no warehouse at {path}; load data first or set WARROOM_HOME")
    try:
        warehouse = Warehouse(path, read_only=True)
    except duckdb.IOException as exc:
        raise UserError(
            f"cannot open the warehouse {path} ({exc}); DuckDB lets one process hold the file: stop the "
            "server (warroom serve / demo) and export again"
        ) from None
    with warehouse:
        counts = export_parquet(warehouse, out, settings.tz)
    grid = RichTable(title=f"exported to {out}")
    grid.add_column("table")
    grid.add_column("rows", justify="right")
    for name, rows in counts.items():
        grid.add_row(name, f"{rows:,}")
    Console().print(grid)
