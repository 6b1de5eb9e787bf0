"""The coalescing writer: live pushes from many requests, written together, each answered with its own report.

Why: one transaction per push is slow at push sizes. DuckDB inserts 62k rows/s in 100-row batches against
1.9M/s in 10k-row ones (DESIGN.md), and every commit syncs the WAL (~1.6 ms). So a single writer thread
owns the writes of the live path: requests validate their rows in their own threads (`prepare`), hand them
to `submit`, and wait on a Future. The writer takes whatever has queued, up to `max_rows` rows, waiting at
most `linger` seconds after the first push for more, and writes it all in ONE transaction. A push is
answered only after that transaction has committed: DuckDB's commit syncs its write-ahead log, so an
acknowledged row survives `kill -9` (tests/ingest/test_durability.py kills a real server to check it).

Exact per-push accounting: a push's duplicates and updates must be what they would have been had the
pushes been written one after another in arrival order. The writer first writes each table's pushes
concatenated (`write_rows`); when that reports no duplicate and no update, every row was new, so every
push's counts are zero and exact. Otherwise (a repeat between two pushes, or of a stored row) it rolls back
and writes the pushes one by one, in order, inside one transaction: the counts are then each push's own,
and the commit is still shared. A push whose write raises is retried alone, so one bad push cannot fail
the others queued with it.

One writer: DuckDB lets a single process open the file for writing. While `warroom serve` runs, the server
is that process and everything that writes (pushes, `warroom ingest` run against a running server) goes
through this writer; with no server running, the CLI opens the file itself (warroom/cli/ingest_cmd.py).
"""

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import pyarrow as pa

from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.load import IngestReport, write_rows
from warroom.ingest.validate import Reject, validate
from warroom.schema import get_table
from warroom.warehouse import Warehouse

log = logging.getLogger(__name__)

# DESIGN.md: 10k-row Arrow batches insert at 1.9M rows/s, 30x the rate of 100-row batches. With the commit
# (its WAL write is ~0.3 us a row of CPU) and the duplicate check counted, a 30k-row transaction still costs
# half as much a row as a 10k one on this machine; bench/ingest.py's pushes went from 0.33M to 0.48M
# events/s when the cap went from 10k to 60k rows. A flush of 60k rows takes ~40 ms, so latency stays low.
MAX_ROWS = 60_000
_SAMPLE_REJECTS = 10
_STOP = object()


class WriterClosed(UserError):
    """The server is shutting down: the push was not written; send it again when the server is back."""

    status_code = 503


class WriteFailed(UserError):
    """The warehouse refused the write (a disk problem, a bug): nothing of the push was stored."""

    status_code = 503


@dataclass
class Push:
    """One request's rows, validated, waiting to be written."""

    table: str
    source: str
    received: int
    accepted: pa.Table  # exactly the table's arrow_schema
    rejects: list[Reject]
    raw_rows: dict[int, dict]  # rejected rows as they arrived, by row number (from 1)
    started: float = field(default_factory=time.perf_counter)
    future: Future = field(default_factory=Future)

    @property
    def rejected(self) -> int:
        return len(self.raw_rows)


def prepare(table: str, batch: pa.Table, source: str, timezone: str) -> Push:
    """Validate a pushed batch (in the caller's thread: the writer thread only writes)."""
    spec = get_table(table)
    checked = validate(spec, batch, timezone)
    rows = checked.rejected_rows
    raw_rows = dict(zip((rows + 1).tolist(), batch.take(rows).to_pylist(), strict=True)) if len(rows) else {}
    return Push(spec.name, source, batch.num_rows, checked.accepted, checked.rejects, raw_rows)


class BatchWriter:
    """A thread writing queued pushes in shared transactions. start() once, stop() at shutdown."""

    def __init__(self, warehouse: Warehouse, *, max_rows: int = MAX_ROWS, linger: float = 0.0) -> None:
        self.warehouse = warehouse
        self.max_rows = max_rows
        self.linger = linger
        self.flushes = 0  # transactions committed (for tests and the bench: pushes / flushes = coalescing)
        self.fallbacks = 0  # flushes that had to write push by push (a repeat key among them)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then end the thread; pushes submitted after this are refused."""
        self._closed.set()
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, push: Push) -> Future:
        """Queue a push; its Future gives the IngestReport once the rows are committed."""
        if self._closed.is_set():
            raise WriterClosed("the server is shutting down; nothing was written, send the rows again")
        self._queue.put(push)
        return push.future

    def _run(self) -> None:
        con = self.warehouse.cursor()
        try:
            while True:
                pushes, stopping = self._gather()
                if pushes:
                    self._flush(con, pushes)
                if stopping:
                    return
        finally:
            con.close()

    def _gather(self) -> tuple[list[Push], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        pushes, rows = [first], first.received
        deadline = time.monotonic() + self.linger
        while rows < self.max_rows:
            wait = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return pushes, True
            pushes.append(item)
            rows += item.received
        return pushes, False

    def _flush(self, con, pushes: list[Push]) -> None:
        try:
            counts = self._write(con, pushes)
        except Exception:
            if len(pushes) == 1:
                log.exception("ingest write failed (%s, %d rows)", pushes[0].table, pushes[0].received)
                pushes[0].future.set_exception(_failed(pushes[0]))
                return
            for push in pushes:  # find the one that fails; the others are written on their own
                self._flush(con, [push])
            return
        self.flushes += 1
        for push, (duplicates, updated) in zip(pushes, counts, strict=True):
            push.future.set_result(
                IngestReport(
                    push.table,
                    push.source,
                    received=push.received,
                    accepted=push.accepted.num_rows,
                    rejected=push.rejected,
                    duplicates=duplicates,
                    updated=updated,
                    seconds=time.perf_counter() - push.started,
                    sample_rejects=[r.message for r in push.rejects[:_SAMPLE_REJECTS]],
                )
            )

    def _write(self, con, pushes: list[Push]) -> list[tuple[int, int]]:
        """Write every push in one transaction; (duplicates, updated) per push."""
        with self.warehouse.write_lock:
            quarantine.ensure(self.warehouse, con)
            con.begin()
            try:
                counts = self._together(con, pushes)
                if counts is None:
                    con.rollback()
                    self.fallbacks += 1
                    con.begin()
                    counts = [write_rows(con, get_table(p.table), p.accepted) for p in pushes]
                for p in pushes:
                    quarantine.add(con, p.table, p.source, p.rejects, p.raw_rows, None)
                con.commit()
            except BaseException:
                con.rollback()
                raise
        return counts

    def _together(self, con, pushes: list[Push]) -> list[tuple[int, int]] | None:
        """Each table's pushes as one batch; None when any row repeated a key (then counts need push order)."""
        for name in dict.fromkeys(p.table for p in pushes):
            parts = [p.accepted for p in pushes if p.table == name and p.accepted.num_rows]
            if parts and write_rows(con, get_table(name), pa.concat_tables(parts)) != (0, 0):
                return None
        return [(0, 0)] * len(pushes)


def _failed(push: Push) -> Exception:
    return WriteFailed(
        f"writing {push.received} rows to {push.table} failed inside the warehouse; nothing of this push was "
        "stored; send it again (repeats are recognised by their keys), and see the server log"
    )
