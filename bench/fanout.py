"""Live fan-out: 200 open big screens against one, measured in one run on one server.

Run: .venv/bin/python bench/fanout.py [--scale 1] [--viewers 200]

A simulated sale at `--scale` (default 1, the demo's data at full size) is served by `warroom serve
--replay ... --speed 0.001` in its own process, so the room's clock nearly stands still at 00:20 of 11.11
and every change a viewer sees is one this script made. Then, on the big screen's live stream
(/api/v1/live/screen, the same for every viewer: one read token, so one policy):

1. Queries per refresh: the server's /metrics counts the hub's ticks and the warehouse reads its snapshots
   made (warroom_live_ticks_total, warroom_live_queries_total). Read over the same number of seconds with 1
   viewer, then with all of them (goal: the same; 200 viewers sharing one computation).
2. Event to viewer: with every viewer connected, paid orders are pushed through /api/v1/ingest one at a time;
   for each, the delay from the push's acknowledgement to the snapshot carrying it, at every viewer
   (goal p95 <= 1 s). The viewers run in this process on one event loop, so their own parsing is included.
   Pushes are spaced at random, so each lands at an arbitrary point of the hub's refresh cycle: a fixed
   pause had every push land the same time before the next refresh, and measured that one phase.
3. First paint of the big screen in Debian's Chromium (when a viewer is logged in and the page is cached
   as on a big day's second look, and cold): first-contentful-paint, and when the GMV counter first shows a
   number (goal < 1 s).
The last line is one JSON object with every figure.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
import pyarrow.parquet as pq

from warroom.access import create_token
from warroom.access.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.simulate import simulate

START = "2026-11-11 00:20"
WINDOW_S = 10.0  # seconds of ticks counted per viewer count
PUSHES = 20
PAUSE_S = (0.5, 1.5)  # between pushes, uniform: wider than the 1 s refresh, so any phase
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Room:
    """`warroom serve` on the sale at START, nearly frozen, in a process of its own."""

    def __init__(self, sim: Path, home: Path) -> None:
        self.sim, self.home = sim, home
        with open_metadata(Settings(home=home).metadata_sqlalchemy_url)() as s:
            ensure_demo_accounts(s)
            _, self.read_token = create_token(
                s, username="admin", name="viewers", scopes=["read"], actor="bench"
            )
            _, self.push_token = create_token(
                s, username="admin", name="pusher", scopes=["ingest"], actor="bench"
            )
        self.url = ""

    def __enter__(self) -> "Room":
        port = _free_port()
        env = {**os.environ, "WARROOM_HOME": str(self.home), "WARROOM_PORT": str(port)}
        cmd = [sys.executable, "-m", "warroom", "serve", "--replay", str(self.sim), "--from", START,
               "--speed", "0.001"]  # fmt: skip
        self._log = (self.home / "server.log").open("w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"server did not start: {(self.home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)

    def __exit__(self, kind, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._log.close()
        if kind is not None:  # the server's side of a failure, before the folder goes
            print((self.home / "server.log").read_text()[-4000:], file=sys.stderr)

    def live_totals(self) -> dict[str, float]:
        text = httpx.get(self.url + "/metrics", timeout=30).text
        out = {}
        for line in text.splitlines():
            if line.startswith("warroom_live_"):
                name, value = line.rsplit(" ", 1)
                out[name.removeprefix("warroom_live_").removesuffix("_total")] = float(value)
        return out


class Viewers:
    """n SSE readers of the big screen's stream; each keeps the latest paid-order count and when it came."""

    def __init__(self, room: Room, n: int) -> None:
        self.room, self.n = room, n
        self.orders = [None] * n  # latest headline.orders per viewer
        self.arrivals: list[list[tuple[float, float]]] = [[] for _ in range(n)]  # (monotonic, orders)
        self.bytes = 0

    async def _read(
        self, client: httpx.AsyncClient, k: int, ready: asyncio.Event, started: list[int]
    ) -> None:
        headers = {"authorization": f"Bearer {self.room.read_token}"}
        async with client.stream("GET", "/api/v1/live/screen", headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                self.bytes += len(line)
                orders = orjson.loads(line[6:])["headline"]["orders"]
                self.arrivals[k].append((time.monotonic(), orders))
                if self.orders[k] is None:
                    started[0] += 1
                    if started[0] == self.n:
                        ready.set()
                self.orders[k] = orders

    async def run(self, body) -> object:
        """Connect every viewer, wait for each one's first snapshot, then await body(self)."""
        limits = httpx.Limits(max_connections=self.n + 8, max_keepalive_connections=self.n + 8)
        timeout = httpx.Timeout(60, read=None)
        async with httpx.AsyncClient(base_url=self.room.url, limits=limits, timeout=timeout) as client:
            ready, started = asyncio.Event(), [0]
            tasks = [asyncio.create_task(self._read(client, k, ready, started)) for k in range(self.n)]
            try:
                await asyncio.wait_for(ready.wait(), timeout=120)
                return await body(self)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


async def _per_tick(viewers: "Viewers") -> dict[str, float]:
    """Ticks, refreshes and warehouse reads of the live hub over WINDOW_S seconds, these viewers connected."""
    room = viewers.room
    await asyncio.sleep(2.0)  # past the first viewers' connection refreshes
    before = await asyncio.to_thread(room.live_totals)
    await asyncio.sleep(WINDOW_S)
    after = await asyncio.to_thread(room.live_totals)
    ticks = after["ticks"] - before["ticks"]
    return {
        "ticks": ticks,
        "queries_per_refresh": (after["queries"] - before["queries"]) / ticks,
        "snapshots_per_refresh": (after["refreshes"] - before["refreshes"]) / ticks,
        "topics": after["topics"],
        "viewers": after["viewers"],
    }


def _a_paid_order(sim: Path):
    """A paid order of the sale and its lines, as templates for new ones."""
    orders = pq.read_table(sim / "orders").to_pylist()
    order = next(o for o in orders if o["status"] == "paid")
    lines = [r for r in pq.read_table(sim / "order_items").to_pylist() if r["order_id"] == order["order_id"]]
    return order, lines


async def _event_to_viewer(viewers: Viewers, sim: Path) -> list[float]:
    """Push PUSHES paid orders one at a time; the delay from each acknowledgement to each viewer's snapshot
    showing it."""
    room = viewers.room
    template, lines = _a_paid_order(sim)
    headers = {"authorization": f"Bearer {room.push_token}", "content-type": "application/json"}
    delays: list[float] = []
    pauses = np.random.default_rng(7)
    async with httpx.AsyncClient(base_url=room.url, headers=headers, timeout=30) as http:
        for i in range(PUSHES):
            now = (
                await http.get("/api/v1/health", headers={"authorization": f"Bearer {room.read_token}"})
            ).json()
            order_id = 9_100_000_000 + i
            order = {**template, "order_id": order_id, "ts": now["now"], "paid_at": now["now"],
                     "updated_at": now["now"]}  # fmt: skip
            expected = max(o for o in viewers.orders if o is not None) + 1
            # Lines first: the order counts as paid the moment it lands, and it should land whole.
            for table, rows in (
                ("order_items", [{**x, "order_id": order_id} for x in lines]),
                ("orders", [order]),
            ):
                r = await http.post(f"/api/v1/ingest/{table}", content=json.dumps(rows, default=str))
                r.raise_for_status()
            acked = time.monotonic()
            deadline = acked + 30
            while any(o is None or o < expected for o in viewers.orders) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            for k in range(viewers.n):
                seen = [t for t, o in viewers.arrivals[k] if o is not None and o >= expected and t >= acked]
                delays.append(seen[0] - acked if seen else float("inf"))
            await asyncio.sleep(pauses.uniform(*PAUSE_S))
    return delays


def first_paint(room: Room) -> dict[str, float]:
    """The big screen's first-contentful-paint and its first GMV figure in Chromium (ms), cold and warm."""
    from playwright.sync_api import sync_playwright

    user, password = next((u, p) for u, p, role, _ in DEMO_ACCOUNTS if role == "admin")
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(room.url + "/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(room.url + "/")
        for visit in ("cold", "warm"):
            page.goto(room.url + "/screen")
            # Polled on every animation frame: the time is that of the first frame showing a figure.
            page.wait_for_function("/\\d/.test(document.getElementById('gmv').textContent)", timeout=30_000)
            out[f"screen_gmv_shown_ms_{visit}"] = page.evaluate("performance.now()")
            fcp = "performance.getEntriesByName('first-contentful-paint')"
            page.wait_for_function(f"{fcp}.length > 0", timeout=30_000)
            out[f"screen_fcp_ms_{visit}"] = page.evaluate(f"{fcp}[0].startTime")
            if visit == "cold":
                page.goto(room.url + "/")  # the next /screen is the second look, scripts cached
        browser.close()
    return {k: round(v, 1) for k, v in out.items()}


async def measure(room: Room, sim: Path, n: int) -> dict:
    one = await Viewers(room, 1).run(_per_tick)
    many = Viewers(room, n)

    async def both(v: Viewers):
        return await _per_tick(v), await _event_to_viewer(v, sim)

    crowd, delays = await many.run(both)
    d = np.array(delays)
    return {"one": one, "many": crowd, "delays": d, "bytes": many.bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--viewers", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        simulate(tmp / "sim", scale=args.scale, seed=11)
        print(f"simulated scale {args.scale} in {time.perf_counter() - t0:.1f} s", flush=True)
        with Room(tmp / "sim", tmp / "home") as room:
            result = asyncio.run(measure(room, tmp / "sim", args.viewers))
            paint = first_paint(room)
    one, many, d = result["one"], result["many"], result["delays"]
    missed = int(np.isinf(d).sum())
    p50, p95 = (float(np.percentile(d, q)) for q in (50, 95))
    print(f"1 viewer:    {one['queries_per_refresh']:.1f} queries per refresh over {one['ticks']:.0f} ticks")
    print(
        f"{args.viewers} viewers: {many['queries_per_refresh']:.1f} queries per refresh over {many['ticks']:.0f} "
        f"ticks; {many['snapshots_per_refresh']:.2f} snapshots per refresh, {many['topics']:.0f} topic(s), "
        f"{many['viewers']:.0f} connections"
    )
    print(f"event to viewer, {PUSHES} pushes x {args.viewers} viewers: p50 {p50:.3f} s, p95 {p95:.3f} s, "
          f"{missed} not seen within 30 s")  # fmt: skip
    print("big screen first paint (ms):", paint)
    figures = {
        "scale": args.scale,
        "viewers": args.viewers,
        "queries_per_refresh_1_viewer": round(one["queries_per_refresh"], 2),
        f"queries_per_refresh_{args.viewers}_viewers": round(many["queries_per_refresh"], 2),
        "snapshots_per_refresh_many": round(many["snapshots_per_refresh"], 2),
        "event_to_viewer_p50_s": round(p50, 3),
        "event_to_viewer_p95_s": round(p95, 3),
        "event_to_viewer_missed": missed,
        **paint,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
