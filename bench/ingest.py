"""Ingest speed, side by side in one run: bulk files, HTTP push over JSON and Arrow, and freshness.

Run: .venv/bin/python bench/ingest.py [ROWS]   (default 2,000,000 generated events rows for the bulk part)

1. Bulk: `ingest_parquet_dir` (validation, dedupe, quarantine) against DuckDB's own Parquet insert; the
   ratio is DuckDB's time / ours (goal >= 0.5).
2. HTTP push: the real app under uvicorn on 127.0.0.1 (in this process, in a thread) and load generators
   in separate processes (this script with --load), 1,000-event batches, over JSON lines and over Arrow IPC
   (goals >= 100k and >= 500k events/s on this 2-core machine, server and load together); each also with
   the coalescing writer off (one transaction per push), to show what coalescing buys.
3. Freshness: one pusher at a steady 20,000 events/s while a query thread counts the table; per push, the
   time from its acknowledgement until a `SELECT count(*)` has seen its rows (goal p95 <= 1 s).
The last line is one JSON object with every figure.
"""

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import uvicorn

from warroom.access import create_token, create_user
from warroom.config import Settings
from warroom.ingest.bulk import ingest_parquet_dir
from warroom.meta import open_metadata
from warroom.schema import TABLES
from warroom.schema.tables import DEVICES, EVENT_TYPES
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

BATCH = 1_000
LOAD_SECONDS = 8.0
LOAD_PROCESSES = 2  # x LOAD_THREADS: enough pushes in flight for the writer to coalesce
LOAD_THREADS = 3
FRESH_RATE = 20_000  # events/s
FRESH_SECONDS = 10.0
POLL_EVERY = 0.005
CONTENT = {"json": "application/x-ndjson", "arrow": "application/vnd.apache.arrow.stream"}


def events(n: int, seed: int = 11, first_id: int = 1) -> pa.Table:
    """n events over one day in time order, ids growing with time as a live feed's do."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-11-10T16:00:00", "us").astype(np.int64)
    ts = np.sort(start + rng.integers(0, 86_400_000_000, n))
    cols = {
        "event_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "session_id": rng.integers(1, n // 5 + 2, n),
        "customer_id": rng.integers(1, n // 20 + 2, n),
        "channel_id": pa.array(rng.choice(["search", "feed", "live", "social"], n)),
        "event_type": pa.array(rng.choice(EVENT_TYPES, n, p=[0.7, 0.08, 0.12, 0.06, 0.04])),
        "sku_id": rng.integers(1, 5_000, n),
        "device": pa.array(rng.choice(DEVICES, n)),
    }
    return pa.table(cols).cast(TABLES["events"].arrow_schema)


def bulk(rows: int) -> dict:
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
    return {"bulk_ratio_vs_duckdb": round(raw / ours, 3), "bulk_events_per_s": round(rows / ours)}


class Server:
    """The Warroom app under uvicorn in a thread, over a fresh home; `coalesce=False` writes push by push."""

    def __init__(self, home: Path, coalesce: bool = True) -> None:
        settings = Settings(home=home)
        meta = open_metadata(settings.metadata_sqlalchemy_url)
        with meta() as s:
            create_user(s, username="bench", password="bench-pass-1", role="admin", actor="bench")
            _, self.token = create_token(s, username="bench", name="bench", scopes=["ingest"], actor="bench")
        self.runtime = Runtime(settings, Warehouse(settings.warehouse_path), meta)
        if not coalesce:
            self.runtime.writer.max_rows = 1  # every push its own transaction: the simple path
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(create_app(self.runtime), host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "Server":
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the bench server did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.runtime.warehouse.close()


class Bodies:
    """1,000-event request bodies with fresh ids, made fast enough not to be the load generator's limit."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.template = events(BATCH, seed=5)
        rows = self.template.drop_columns(["event_id"]).to_pylist()
        # JSON lines: each row serialised once without its id; a body is the ids spliced in front.
        self.tails = [orjson.dumps(r)[1:] for r in rows]

    def make(self, first_id: int) -> bytes:
        if self.fmt == "json":
            return b"\n".join(b'{"event_id":%d,' % (first_id + i) + t for i, t in enumerate(self.tails))
        table = self.template.set_column(
            0, "event_id", pa.array(np.arange(first_id, first_id + BATCH, dtype=np.int64))
        )
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()


def load_main(url: str, token: str, fmt: str, seconds: float, threads: int, first_id: int) -> None:
    """A load generator process: `threads` clients pushing back to back; prints events acknowledged."""
    bodies = Bodies(fmt)
    done = [0] * threads
    errors: list[str] = []
    max_batches = 1_000_000  # per thread, far beyond any rate reached here: a bound, not a target
    stride = max_batches * BATCH

    def client(k: int) -> None:
        headers = {"authorization": f"Bearer {token}", "content-type": CONTENT[fmt]}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            next_id = first_id + k * stride
            deadline = time.monotonic() + seconds
            for _ in range(max_batches):
                if time.monotonic() >= deadline:
                    break
                r = http.post("/api/v1/ingest/events", content=bodies.make(next_id))
                if r.status_code != 200 or r.json()["accepted"] != BATCH:
                    errors.append(r.text[:300])
                    break
                done[k] += BATCH
                next_id += BATCH

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"events": sum(done), "seconds": time.monotonic() - started, "errors": errors[:3]}))


def push_rate(server: Server, fmt: str, first_id: int) -> float:
    """Events/s acknowledged by LOAD_PROCESSES x LOAD_THREADS clients over LOAD_SECONDS."""
    stride = 10**12  # id ranges of the processes never meet
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--load", server.url, server.token, fmt, str(LOAD_SECONDS),
             str(LOAD_THREADS), str(first_id + p * stride)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(LOAD_PROCESSES)
    ]  # fmt: skip
    results = [json.loads(p.communicate(timeout=LOAD_SECONDS + 120)[0].splitlines()[-1]) for p in procs]
    failures = [e for r in results for e in r["errors"]]
    if failures:
        raise RuntimeError(f"pushes failed: {failures}")
    return sum(r["events"] for r in results) / max(r["seconds"] for r in results)


def freshness(server: Server, first_id: int) -> tuple[float, float, int]:
    """(p50, p95, pushes): seconds from a push's acknowledgement until a count query has seen its rows."""
    con = server.runtime.warehouse.cursor()
    base = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    acks: list[tuple[float, int]] = []  # (ack time, rows acknowledged so far)
    samples: list[tuple[float, int]] = []  # (query end time, count seen)
    stop = threading.Event()

    def poll() -> None:
        deadline = time.monotonic() + FRESH_SECONDS + 10
        while not stop.is_set() and time.monotonic() < deadline:
            (n,) = con.execute("SELECT count(*) FROM events").fetchall()[0]
            samples.append((time.monotonic(), n - base))
            time.sleep(POLL_EVERY)

    poller = threading.Thread(target=poll)
    poller.start()
    bodies = Bodies("arrow")
    headers = {"authorization": f"Bearer {server.token}", "content-type": CONTENT["arrow"]}
    interval = BATCH / FRESH_RATE
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        started = time.monotonic()
        for k in range(int(FRESH_SECONDS / interval)):
            time.sleep(max(0.0, started + k * interval - time.monotonic()))  # steady rate, no bursts
            r = http.post("/api/v1/ingest/events", content=bodies.make(first_id + k * BATCH))
            r.raise_for_status()
            acks.append((time.monotonic(), (k + 1) * BATCH))
    time.sleep(0.5)
    stop.set()
    poller.join()
    con.close()
    times = np.array([t for t, _ in samples])
    counts = np.array([n for _, n in samples])
    lags = []
    for acked_at, rows in acks:
        seen = np.flatnonzero(counts >= rows)
        if len(seen) == 0:
            raise RuntimeError(f"{rows} acknowledged rows never became visible")
        lags.append(max(0.0, times[seen[0]] - acked_at))
    return float(np.percentile(lags, 50)), float(np.percentile(lags, 95)), len(acks)


def http(tmp: Path) -> dict:
    out: dict = {}
    with Server(tmp / "coalesced") as server:
        for fmt, first in (("json", 1), ("arrow", 10**14)):
            rate = push_rate(server, fmt, first)
            out[f"http_{fmt}_events_per_s"] = round(rate)
            print(f"HTTP {fmt}: {rate:,.0f} events/s in {BATCH:,}-event pushes")
        writer = server.runtime.writer
        print(f"  {writer.flushes:,} transactions, {writer.fallbacks} written push by push")
        p50, p95, n = freshness(server, 9 * 10**14)
        out |= {"freshness_p50_s": round(p50, 4), "freshness_p95_s": round(p95, 4)}
        print(
            f"freshness at {FRESH_RATE:,} events/s over {n} pushes: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )
    with Server(tmp / "simple", coalesce=False) as server:
        for fmt, first in (("json", 1), ("arrow", 10**14)):
            rate = push_rate(server, fmt, first)
            out[f"http_{fmt}_events_per_s_uncoalesced"] = round(rate)
            print(f"HTTP {fmt}, one transaction per push: {rate:,.0f} events/s")
    return out


def main(rows: int) -> None:
    figures = bulk(rows)
    with tempfile.TemporaryDirectory() as tmp:
        figures |= http(Path(tmp))
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        url, token, fmt, seconds, threads, first_id = sys.argv[2:8]
        load_main(url, token, fmt, float(seconds), int(threads), int(first_id))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
