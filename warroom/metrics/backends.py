"""The engines a metric query runs on, behind one small interface: DuckDB over the warehouse file (the default)
and Apache Spark over the warehouse's Parquet export (the scale-out path: DESIGN.md measured local Spark 6.7x
slower than DuckDB at 10M rows and 146x at 10k, so it pays only beyond one machine).

A backend compiles nothing itself: the engine renders a query's Ibis expression as SQL in the backend's
`dialect` and hands the text to `execute`. What differs between engines is declared here as flags (Ibis's
habit), read where it matters, never `if engine == "spark"`.

export_parquet() writes the layout SparkBackend reads, so the two live side by side in this module.
"""

import os
import shutil
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from warroom.config import Settings
from warroom.errors import UserError
from warroom.schema import READABLE, TABLES, ColumnType
from warroom.warehouse import Warehouse

# Written last by an export, so its presence means every table is complete. Beside the table folders, not in
# them; and no leading underscore, which Spark's file listing skips even when the file is named directly.
MANIFEST = "warroom-export.json"
PARTITION = "day"  # hive-style folders day=YYYY-MM-DD, the local day in the display time zone
# Facts without a time column are filed under the day of the order they belong to: (parent, join column).
_PARTITION_PARENT = {"order_items": ("orders", "order_id"), "item_discounts": ("orders", "order_id")}
_SPARK_TYPES = {
    ColumnType.ID: "BIGINT",
    ColumnType.INT: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DECIMAL(18,2)",
    ColumnType.TEXT: "STRING",
    ColumnType.TIMESTAMP: "TIMESTAMP",  # Spark's TIMESTAMP is an instant (TIMESTAMP_LTZ), like TIMESTAMPTZ
    ColumnType.BOOL: "BOOLEAN",
}


class Backend(ABC):
    """Runs compiled SQL and returns Arrow. Flags say what the engine can do."""

    name: ClassVar[str]
    dialect: ClassVar[str]  # the Ibis dialect the engine compiles this backend's SQL in
    live: ClassVar[bool]  # True: answers from the warehouse as it is now; False: as of the last export
    rollups: ClassVar[bool]  # True: the warehouse's rollup tables are readable (they live in the DuckDB file)

    @abstractmethod
    def execute(self, sql: str) -> pa.Table:
        """The rows of one SELECT."""


class DuckDBBackend(Backend):
    name = "duckdb"
    dialect = "duckdb"
    live = True
    rollups = True

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def execute(self, sql: str) -> pa.Table:
        return self.warehouse.read(sql)


class SparkBackend(Backend):
    """The canonical tables as Spark temporary views over an export's Parquet, as of that export.

    The file listing is taken when the backend is made: a later export is seen by a new process (each
    `warroom query` is one), and an export overwriting the folder under a running server breaks its reads."""

    name = "spark"
    dialect = "pyspark"
    live = False
    rollups = False

    def __init__(self, session: Any, data: str) -> None:
        import ibis

        # Registers Ibis's PySpark options (its SQL compiler reads them) and sets the session time zone to
        # UTC, which the compiled SQL's buckets and epochs assume, as they do on DuckDB.
        ibis.pyspark.connect(session)
        self.session = session
        self.data = data.rstrip("/")
        self.exported_at = _read_manifest(session, self.data)["exported_at"]
        for name, table in READABLE.items():
            ddl = ", ".join(f"{c.name} {_SPARK_TYPES[c.type]}" for c in table.columns)
            # An explicit schema: an empty table has no file to infer one from, and the partition folder
            # column (day) is left out, so each view has exactly the canonical columns and types.
            frame = session.read.schema(ddl).parquet(f"{self.data}/{name}")
            frame.select(*table.column_names).createOrReplaceTempView(name)

    def execute(self, sql: str) -> pa.Table:
        return self.session.sql(sql).toArrow()


def _read_manifest(session: Any, data: str) -> dict:
    from pyspark.errors import AnalysisException

    try:
        # Spark's own reader, so hdfs:// and s3a:// locations work as well as local folders.
        row = session.read.json(f"{data}/{MANIFEST}", multiLine=True).first()
    except AnalysisException:
        row = None
    if row is None:
        raise UserError(
            f"no complete Warroom export at {data}: run `warroom export --out {data}` on the warehouse "
            "(or set WARROOM_SPARK_DATA to where the export is)"
        )
    return row.asDict()


def backend_for(warehouse: Warehouse, settings: Settings) -> Backend:
    """The backend WARROOM_ENGINE names. Spark's is made once per process (a session takes ~5 s to start)."""
    if settings.engine == "spark":
        return spark_backend(settings.spark_master, settings.spark_data_location)
    return DuckDBBackend(warehouse)


@lru_cache
def spark_backend(master: str, data: str) -> SparkBackend:
    try:
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "WARROOM_ENGINE=spark needs PySpark: pip install 'warroom[spark]' (and Java 17 on the PATH)"
        ) from None
    builder = SparkSession.builder.master(master).appName("warroom")
    try:
        # The web UI is off: a query engine inside the server needs no second HTTP port.
        session = builder.config("spark.ui.enabled", "false").getOrCreate()
    except PySparkRuntimeError as exc:
        raise UserError(f"Spark did not start (master {master}): {exc}; is Java 17 installed?") from None
    return SparkBackend(session, data)


def export_parquet(warehouse: Warehouse, out: Path, tz: ZoneInfo) -> dict[str, int]:
    """Every canonical table as Parquet under out/<table>/, facts in day=YYYY-MM-DD folders (local days in
    `tz`), all from one consistent snapshot of the warehouse; then out/_export.json. Returns rows per table.

    A table's folder is replaced whole; the manifest is removed first and written last, so a reader never
    takes a half-written export for a complete one."""
    if "'" in tz.key:
        raise UserError(f"time zone {tz.key!r} is not a zone name")
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    staging = out / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    counts: dict[str, int] = {}
    cursor = warehouse.cursor()
    try:
        cursor.execute("BEGIN TRANSACTION")  # one snapshot: an order and its items come from the same moment
        for name in READABLE:
            counts[name] = cursor.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            cursor.execute(_copy_sql(name, staging / name, tz))
        cursor.execute("COMMIT")
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        cursor.close()
    for name in READABLE:
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        (staging / name).rename(target)
    staging.rmdir()
    manifest = {"exported_at": datetime.now(UTC).isoformat(), "timezone": tz.key, "rows": counts}
    (out / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return counts


def _copy_sql(name: str, folder: Path, tz: ZoneInfo) -> str:
    folder.mkdir()  # present even when a fact has no rows (a partitioned COPY of nothing writes nothing)
    path = str(folder).replace("'", "''")
    table = READABLE[name]
    if table.kind == "dimension":
        return f"COPY {name} TO '{path}/data.parquet' (FORMAT parquet)"
    if table.time_column:
        day = f"CAST(timezone('{tz.key}', t.{table.time_column}) AS DATE)"
        source = f"{name} AS t"
    else:
        parent, key = _PARTITION_PARENT[name]
        day = f"CAST(timezone('{tz.key}', p.{TABLES[parent].time_column}) AS DATE)"
        source = f"{name} AS t LEFT JOIN {parent} AS p ON t.{key} = p.{key}"
    return (
        f"COPY (SELECT t.*, {day} AS {PARTITION} FROM {source}) TO '{path}' "
        f"(FORMAT parquet, PARTITION_BY ({PARTITION}), OVERWRITE_OR_IGNORE)"
    )
