"""Replaying a simulated sale into the warehouse at an accelerated clock, through the ingest path.

The demo loads everything before a chosen moment as history, then feeds the rest as it "happens": each tick
moves the simulated clock on by (real seconds elapsed x speed) and ingests the fact rows whose time falls in
the step, exactly as a company's live feed would push them. Pages ask the same clock what "now" is.

Rows are read from the simulator's Parquet files with a private in-memory DuckDB: the files are written in
time order, so a time-range filter reads only the row groups it needs.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from warroom.errors import UserError
from warroom.ingest import IngestReport, ingest_batch
from warroom.schema import TABLES
from warroom.warehouse import Warehouse

# A history load is cut into pieces this long so each ingest batch stays a few hundred thousand rows at most.
_HISTORY_STEP = timedelta(days=1)


@dataclass
class ReplayClock:
    """Simulated time that runs `speed` times faster than real time from `sim_start`, starting at `real_start`.

    Pure arithmetic: callers pass the real time in (time.monotonic()), so tests need no sleeping.
    """

    sim_start: datetime
    speed: float
    real_start: float
    sim_end: datetime | None = None

    def sim_now(self, real_now: float) -> datetime:
        now = self.sim_start + timedelta(seconds=(real_now - self.real_start) * self.speed)
        return min(now, self.sim_end) if self.sim_end else now


@dataclass
class Replayer:
    """Feeds a simulator output directory into a warehouse, up to a moving simulated `now`."""

    sim_dir: Path
    warehouse: Warehouse
    ingest: Callable[..., IngestReport] = ingest_batch
    loaded_until: datetime | None = None
    rows_ingested: int = 0
    _reader: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.sim_dir = Path(self.sim_dir)
        missing = [t for t in TABLES if not any((self.sim_dir / t).glob("*.parquet"))]
        if missing:
            raise UserError(
                f"{self.sim_dir} is not a simulator output: no Parquet files for {', '.join(missing)}"
            )
        self._reader = duckdb.connect()
        self._reader.execute("SET TimeZone = 'UTC'")

    def _files(self, table: str) -> list[str]:
        return sorted(str(p) for p in (self.sim_dir / table).glob("*.parquet"))

    def _read(self, table: str, start: datetime | None, end: datetime) -> pa.Table:
        spec = TABLES[table]
        if table == "orders":
            sql, params = _orders_as_of(self._files(table), start, end)
        else:
            col = spec.time_column
            sql = f"SELECT {', '.join(spec.column_names)} FROM read_parquet($files)"
            params = {"files": self._files(table)}
            if col:
                sql += (
                    f" WHERE {col} < $end" + (f" AND {col} >= $start" if start else "") + f" ORDER BY {col}"
                )
                params.update({"end": end} | ({"start": start} if start else {}))
        # sql(...).to_arrow_table(): DuckDB 2 warns that execute(...) then Arrow copies the rows once more.
        return self._reader.sql(sql, params=params).to_arrow_table().cast(spec.arrow_schema)

    def load_history(
        self, until: datetime, progress: Callable[[str], None] | None = None
    ) -> list[IngestReport]:
        """Every dimension row, and every fact row before `until`."""
        reports = []
        for name, spec in TABLES.items():
            if spec.time_column is None:
                reports.append(self._ingest(name, self._read(name, None, until)))
        first = self._first_time()
        step_start = None
        step_end = min(first + _HISTORY_STEP, until) if first else until
        while True:
            for name, spec in TABLES.items():
                if spec.time_column:
                    reports.append(self._ingest(name, self._read(name, step_start, step_end)))
            if progress:
                progress(f"history to {step_end.isoformat()}")
            if step_end >= until:
                break
            step_start, step_end = step_end, min(step_end + _HISTORY_STEP, until)
        self.loaded_until = until
        return reports

    def step(self, sim_now: datetime) -> list[IngestReport]:
        """The fact rows in [loaded_until, sim_now), table by table."""
        if self.loaded_until is None:
            raise RuntimeError("load_history() first: the replay continues from where history stops")
        if sim_now <= self.loaded_until:
            return []
        reports = [
            self._ingest(name, self._read(name, self.loaded_until, sim_now))
            for name, spec in TABLES.items()
            if spec.time_column
        ]
        self.loaded_until = sim_now
        return [r for r in reports if r.received]

    def _first_time(self) -> datetime | None:
        times = []
        for name, spec in TABLES.items():
            if spec.time_column:
                rows = self._reader.execute(
                    f"SELECT min({spec.time_column}) FROM read_parquet(?)", [self._files(name)]
                ).fetchall()
                if rows and rows[0][0] is not None:
                    times.append(rows[0][0])
        return min(times) if times else None

    def _ingest(self, table: str, batch: pa.Table) -> IngestReport:
        report = self.ingest(self.warehouse, table, batch, source="replay")
        self.rows_ingested += report.accepted
        return report


def _orders_as_of(files: list[str], start: datetime | None, end: datetime) -> tuple[str, dict]:
    """Orders as they stood at `end`: the simulator writes each order once, in its final status.

    A live feed would send an order when placed, again when paid, again when shipped, refunded or cancelled.
    So each step sends every order placed, paid or updated in [start, end), in its status as of `end`; the
    ingest layer keeps the version with the latest updated_at. Without this, the replay would show an order
    refunded the moment it was placed.
    """
    in_step = "{col} < $end" + (" AND {col} >= $start" if start else "")
    where = " OR ".join(f"({in_step.format(col=c)})" for c in ("ts", "paid_at", "updated_at"))
    sql = f"""
        SELECT order_id, ts, customer_id, channel_id, province, device,
          CASE
            WHEN paid_at IS NOT NULL AND paid_at < $end AND updated_at >= $end THEN 'paid'
            WHEN updated_at < $end THEN status
            ELSE 'created'
          END AS status,
          is_new_buyer, list_amount, discount_amount, paid_amount, shipping_fee,
          CASE WHEN paid_at < $end THEN paid_at END AS paid_at,
          CASE WHEN updated_at < $end THEN updated_at WHEN paid_at < $end THEN paid_at ELSE ts END AS updated_at,
          CASE WHEN paid_at < $end THEN payment_method END AS payment_method
        FROM read_parquet($files)
        WHERE {where}
        ORDER BY ts"""
    return sql, {"files": files, "end": end} | ({"start": start} if start else {})


def run_replay(
    replayer: Replayer,
    clock: ReplayClock,
    stop: threading.Event,
    tick_seconds: float = 0.5,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Step the replay every `tick_seconds` until `stop` is set or the simulated data ends.

    Meant for a daemon thread in the server. An error is reported and the loop goes on: a live feed that
    stumbles once must not stop the room's numbers for good.
    """
    while not stop.is_set():
        try:
            replayer.step(clock.sim_now(time.monotonic()))
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
        if clock.sim_end and replayer.loaded_until and replayer.loaded_until >= clock.sim_end:
            return
        stop.wait(tick_seconds)
