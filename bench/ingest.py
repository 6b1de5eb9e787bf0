"""Ingest speed, side by side in one run: bulk files, HTTP push over JSON and Arrow, and freshness.

Run: .venv/bin/python bench/ingest.py [ROWS]   (default 2,000,000 generated events rows for the bulk part)

1. Bulk: `ingest_parquet_dir` (validation, dedupe, quarantine) against DuckDB's own Parquet insert; the
   ratio is DuckDB's time / ours (goal >= 0.5).
2. HTTP push: the real app under uvicorn on 127.0.0.1 (in this process, in a thread) and a load generator
   in a separate process (this script with --load: raw keep-alive connections, LOAD_CONNECTIONS of them),
   1,000-event batches, over JSON lines and over Arrow IPC (goals >= 100k and >= 500k events/s on this
   2-core machine, server and load together), with the CPU each side spent per push (a figure that moves
   less than events/s when other work shares the cores); Arrow also over FEW_CONNECTIONS. Two ceilings in
   the same run: the bare round trip of the same bodies (a route that reads the body and answers) and
   DuckDB's own insert + commit of the same rows. Then the coalescing writer off (one transaction per
   push), to show what coalescing buys.
3. Freshness: one pusher at a steady 20,000 events/s while a query thread counts the table; per push, the
   time from its acknowledgement until a `SELECT count(*)` has seen its rows (goal p95 <= 1 s).
The last line is one JSON object with every figure.
"""

import asyncio
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import uvicorn
from fastapi import Request, Response

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
LOAD_PROCESSES = 1  # x LOAD_CONNECTIONS: enough pushes in flight for the writer to coalesce
LOAD_CONNECTIONS = 64  # many senders, as on the sale day; the writer shares a commit among the waiting pushes
FEW_CONNECTIONS = 16  # the same with fewer senders: smaller shared transactions
INGEST = "/api/v1/ingest/events"
EMPTY = "/bench/empty"
FRESH_RATE = 20_000  # events/s
FRESH_SECONDS = 10.0
POLL_EVERY = 0.005
FEED_START_US = int(np.datetime64("2026-11-10T16:00:00", "us").astype(np.int64))
FEED_SPACING_US = 2  # 500k events/s: the goal's pace, so the feed's clock runs about as fast as the wall's
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
        app = create_app(self.runtime)
        app.add_api_route(EMPTY, _empty, methods=["POST"])
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
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


async def _empty(request: Request) -> Response:
    """The bare round trip: read the body, answer as a push would; the ceiling of the HTTP part."""
    await request.body()
    return Response(b'{"accepted": %d}' % BATCH, media_type="application/json")


class Bodies:
    """1,000-event request bodies with fresh ids, made fast enough not to be the load generator's limit.

    Times advance with the ids, as a live feed's do: a body's events span FEED_SPACING_US each from the
    moment its first id implies, so a push touches a minute or two. (Reusing one template's times, spread
    over a whole day, made every push touch ~1,000 minutes: the alerting's rollup refresh then re-aggregated
    most of the table each tick, 0.6 of the server's CPU and growing with the table.)
    """

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.template = events(BATCH, seed=5)
        rows = self.template.drop_columns(["event_id", "ts"]).to_pylist()
        # JSON lines: each row serialised once without its id and time; a body splices those in front.
        self.tails = [orjson.dumps(r)[1:] for r in rows]
        self.offsets = np.arange(BATCH, dtype=np.int64) * FEED_SPACING_US

    def times(self, first_id: int) -> np.ndarray:
        """Microseconds since the epoch of the body's events: FEED_START plus 2 us an id (wrapped per phase)."""
        return FEED_START_US + (first_id % 10**12) * FEED_SPACING_US + self.offsets

    def make(self, first_id: int) -> bytes:
        ts = self.times(first_id)
        if self.fmt == "json":
            stamps = np.datetime_as_string(ts.astype("datetime64[us]"), unit="us")
            return b"\n".join(
                b'{"event_id":%d,"ts":"%sZ",' % (first_id + i, s.encode()) + t
                for i, (s, t) in enumerate(zip(stamps, self.tails, strict=True))
            )
        table = self.template.set_column(
            0, "event_id", pa.array(np.arange(first_id, first_id + BATCH, dtype=np.int64))
        ).set_column(1, "ts", pa.array(ts, pa.timestamp("us", tz="UTC")))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()


def load_main(
    url: str, token: str, fmt: str, seconds: float, connections: int, first_id: int, path: str
) -> None:
    """A load generator process: `connections` keep-alive HTTP/1.1 connections pushing back to back.

    Written on raw asyncio streams, not an HTTP client library: httpx costs ~1 ms of CPU per request, which on
    2 shared cores would be the load generator measuring itself. Each request is one bytes object (headers
    prepared once, body made with fresh ids); each answer is read by Content-Length and checked: status 200
    and every event accepted. Prints events acknowledged, the seconds it took and its own CPU seconds.
    """
    host, port = url.removeprefix("http://").split(":")
    bodies = Bodies(fmt)
    head = (
        f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\nauthorization: Bearer {token}\r\n"
        f"content-type: {CONTENT[fmt]}\r\ncontent-length: "
    ).encode()
    done = [0] * connections
    errors: list[str] = []
    ids = itertools.count(first_id, BATCH)  # shared: ids grow with time across connections, as a feed's do

    async def client(k: int, deadline: float) -> None:
        reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
        try:
            while time.monotonic() < deadline and not errors:
                body = bodies.make(next(ids))
                writer.write(head + b"%d\r\n\r\n" % len(body) + body)
                status, answer = await _response(reader)
                if status != 200 or orjson.loads(answer)["accepted"] != BATCH:
                    errors.append(f"{status} {answer[:300]!r}")
                    return
                done[k] += BATCH
        finally:
            writer.close()

    async def run() -> float:
        started = time.monotonic()
        await asyncio.gather(*(client(k, started + seconds) for k in range(connections)))
        return time.monotonic() - started

    cpu = time.process_time()
    elapsed = asyncio.run(run())
    cpu = time.process_time() - cpu
    print(json.dumps({"events": sum(done), "seconds": elapsed, "cpu": cpu, "errors": errors[:3]}))


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 response with a Content-Length (what uvicorn sends for JSON)."""
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    length = next(
        int(v) for k, _, v in (line.partition(b":") for line in lines[1:]) if k.lower() == b"content-length"
    )
    return int(lines[0].split()[1]), await reader.readexactly(length)


@dataclass
class Rate:
    events_per_s: float
    server_ms: float  # CPU of the server process (every thread, DuckDB's included) per 1,000-event push
    load_ms: float  # CPU of the load generator per push


def push_rate(
    server: Server, fmt: str, first_id: int, connections: int = LOAD_CONNECTIONS, path: str = INGEST
) -> Rate:
    """Events/s acknowledged by LOAD_PROCESSES x `connections` connections over LOAD_SECONDS."""
    stride = 10**15  # id ranges of the processes never meet
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--load", server.url, server.token, fmt, str(LOAD_SECONDS),
             str(connections), str(first_id + p * stride), path],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(LOAD_PROCESSES)
    ]  # fmt: skip
    # The server's CPU from the first push to the last: the load processes take a second to import first.
    time.sleep(0.5)
    cpu = time.process_time()
    results = [json.loads(p.communicate(timeout=LOAD_SECONDS + 120)[0].splitlines()[-1]) for p in procs]
    cpu = time.process_time() - cpu
    failures = [e for r in results for e in r["errors"]]
    if failures:
        raise RuntimeError(f"pushes failed: {failures}")
    pushes = sum(r["events"] for r in results) / BATCH
    seconds = max(r["seconds"] for r in results)
    return Rate(
        pushes * BATCH / seconds,
        cpu * 1000 / pushes,
        sum(r["cpu"] for r in results) * 1000 / pushes,
    )


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
            out[f"http_{fmt}_events_per_s"] = round(rate.events_per_s)
            out[f"http_{fmt}_server_cpu_ms_per_push"] = round(rate.server_ms, 2)
            print(
                f"HTTP {fmt}: {rate.events_per_s:,.0f} events/s in {BATCH:,}-event pushes over {LOAD_CONNECTIONS} "
                f"connections; CPU per push: server {rate.server_ms:.2f} ms, load generator {rate.load_ms:.2f} ms"
            )
        out["server_cpu_ms_per_arrow_push"] = out["http_arrow_server_cpu_ms_per_push"]  # the name
        few = push_rate(server, "arrow", 2 * 10**14, connections=FEW_CONNECTIONS)
        out["http_arrow_events_per_s_few_connections"] = round(few.events_per_s)
        print(f"HTTP arrow over {FEW_CONNECTIONS} connections: {few.events_per_s:,.0f} events/s")
        writer = server.runtime.writer
        print(f"  {writer.flushes:,} transactions, {writer.fallbacks} written push by push")
        # The ceiling of this machine's HTTP part: the same Arrow bodies, the same connections, to a route
        # that reads the body and answers (no auth, no parse, no write).
        bare = push_rate(server, "arrow", 0, path=EMPTY)
        out["http_bare_round_trips_per_s"] = round(bare.events_per_s / BATCH)
        print(
            f"  ceiling, bare round trip of the same bodies: {bare.events_per_s / BATCH:,.0f} requests/s "
            f"(server {bare.server_ms:.2f} ms CPU each)"
        )
        p50, p95, n = freshness(server, 9 * 10**14)
        out |= {"freshness_p50_s": round(p50, 4), "freshness_p95_s": round(p95, 4)}
        print(
            f"freshness at {FRESH_RATE:,} events/s over {n} pushes: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )
    out |= duckdb_ceiling(tmp / "ceiling.duckdb")
    with Server(tmp / "simple", coalesce=False) as server:
        for fmt, first in (("json", 1), ("arrow", 10**14)):
            rate = push_rate(server, fmt, first)
            out[f"http_{fmt}_events_per_s_uncoalesced"] = round(rate.events_per_s)
            print(f"HTTP {fmt}, one transaction per push: {rate.events_per_s:,.0f} events/s")
    return out


def duckdb_ceiling(path: Path) -> dict:
    """DuckDB's own insert + commit of the same Arrow rows, alone in this process: the writer's ceiling."""
    out = {}
    with Warehouse(path) as wh:
        con = wh.cursor()
        for rows in (BATCH, 30 * BATCH):
            batch = events(rows, seed=5)
            n, started = 0, time.perf_counter()
            while time.perf_counter() - started < 2.0:
                table = batch.set_column(
                    0, "event_id", pa.array(np.arange(n + 1, n + rows + 1, dtype=np.int64))
                )
                con.begin()
                con.register("_x", table)
                con.execute("INSERT INTO events SELECT * FROM _x").fetchall()
                con.unregister("_x")
                con.commit()
                n += rows
            rate = n / (time.perf_counter() - started)
            out[f"duckdb_insert_commit_rows_per_s_{rows}"] = round(rate)
            print(f"  ceiling, DuckDB's own insert + commit of {rows:,}-row Arrow tables: {rate:,.0f} rows/s")
    return out


def main(rows: int) -> None:
    figures = bulk(rows)
    with tempfile.TemporaryDirectory() as tmp:
        figures |= http(Path(tmp))
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        url, token, fmt, seconds, connections, first_id, path = sys.argv[2:9]
        load_main(url, token, fmt, float(seconds), int(connections), int(first_id), path)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
