"""A real `warroom serve` process: acknowledged pushes survive `kill -9`, and the CLI writes through the server.

The server runs on a free port of 127.0.0.1 over a WARROOM_HOME in tmp_path, with a token made by
`warroom tokens create`. After the kill the warehouse file is opened again (which replays DuckDB's log) and
read with hand-written SQL.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import orjson
import pytest

from warroom.warehouse import Warehouse

from .conftest import event_row

pytestmark = pytest.mark.slow

BATCH = 200
JSONL = {"content-type": "application/x-ndjson"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "warroom", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def home(tmp_path):
    env = {**os.environ, "WARROOM_HOME": str(tmp_path), "WARROOM_PORT": str(_free_port())}
    env.pop("WARROOM_TOKEN", None)
    assert _cli(env, "users", "add", "pusher", "--role", "ops", "--password", "pusher-pass-1").returncode == 0
    made = _cli(env, "tokens", "create", "pusher", "--name", "feed", "--scope", "ingest")
    assert made.returncode == 0, made.stderr
    env["TEST_TOKEN"] = made.stdout.strip().splitlines()[-1]
    return env


def _start(env) -> subprocess.Popen:
    url = f"http://127.0.0.1:{env['WARROOM_PORT']}"
    log = open(os.path.join(env["WARROOM_HOME"], "server.log"), "a")
    proc = subprocess.Popen([sys.executable, "-m", "warroom", "serve"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("the server did not start: " + open(os.path.join(env["WARROOM_HOME"], "server.log")).read())


def _url(env) -> str:
    return f"http://127.0.0.1:{env['WARROOM_PORT']}"


def test_every_acknowledged_row_survives_kill_9_exactly_once(home):
    server = _start(home)
    acked: list[int] = []
    sent: list[int] = []
    lock = threading.Lock()
    next_id = iter(range(1, 10**9, BATCH))

    def stream() -> None:
        headers = {**JSONL, "authorization": f"Bearer {home['TEST_TOKEN']}"}
        with httpx.Client(base_url=_url(home), headers=headers, timeout=10) as http:
            deadline = time.monotonic() + 60
            for _ in range(5_000):  # bounded in count and in time
                if time.monotonic() > deadline:
                    return
                with lock:
                    first = next(next_id)
                ids = list(range(first, first + BATCH))
                with lock:
                    sent.extend(ids)
                try:
                    r = http.post(
                        "/api/v1/ingest/events", content=b"\n".join(orjson.dumps(event_row(i)) for i in ids)
                    )
                except httpx.TransportError:
                    return  # the server is gone: this push was not acknowledged
                assert r.status_code == 200 and r.json()["accepted"] == BATCH
                with lock:
                    acked.extend(ids)

    clients = [threading.Thread(target=stream) for _ in range(3)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 * BATCH and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)  # mid-stream: pushes are in flight
    server.wait(timeout=10)
    for c in clients:
        c.join(timeout=30)
    assert len(acked) >= 40 * BATCH, "the stream was too slow to test anything"
    assert len(sent) > len(acked), "no push was in flight at the kill"

    restarted = _start(home)  # the restarted server replays the log and takes pushes again
    headers = {**JSONL, "authorization": f"Bearer {home['TEST_TOKEN']}"}
    after = httpx.post(
        _url(home) + "/api/v1/ingest/events", content=orjson.dumps(event_row(0)), headers=headers, timeout=10
    )
    assert after.status_code == 200 and after.json()["accepted"] == 1
    restarted.terminate()
    restarted.wait(timeout=30)

    with Warehouse(os.path.join(home["WARROOM_HOME"], "warehouse.duckdb"), read_only=True) as wh:
        con = wh.cursor()
        con.execute("CREATE TEMP TABLE acked AS SELECT unnest(?::BIGINT[]) AS id", [acked])
        missing, repeated = con.execute(
            """SELECT (SELECT count(*) FROM acked a ANTI JOIN events e ON e.event_id = a.id),
                      (SELECT count(*) FROM (SELECT event_id FROM events GROUP BY 1 HAVING count(*) > 1))"""
        ).fetchall()[0]
        stray = con.execute(
            "SELECT count(*) FROM events WHERE event_id <> 0 AND NOT list_contains(?::BIGINT[], event_id)",
            [sent],
        ).fetchall()[0][0]
    assert (missing, repeated, stray) == (0, 0, 0)


def test_the_cli_pushes_through_a_running_server_and_opens_the_file_when_none_runs(home, tmp_path):
    lines = tmp_path / "events.jsonl"
    lines.write_bytes(b"\n".join(orjson.dumps(event_row(i)) for i in (1, 2, 3)) + b"\n")
    more = tmp_path / "more.jsonl"
    more.write_bytes(
        b"\n".join(orjson.dumps(event_row(i, device="fax" if i == 5 else "ios")) for i in (3, 4, 5))
    )
    server = _start(home)
    try:
        refused = _cli(home, "ingest", str(lines), "--table", "events")
        assert refused.returncode == 2 and "WARROOM_TOKEN" in refused.stderr
        through = _cli(
            {**home, "WARROOM_TOKEN": home["TEST_TOKEN"]}, "ingest", str(lines), "--table", "events"
        )
        assert through.returncode == 0, through.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    # No server now: the CLI opens the file itself (row 3 is a duplicate of the pushed one, row 5 is bad).
    direct = _cli(home, "ingest", str(more), "--table", "events")
    assert direct.returncode == 1, direct.stderr
    with Warehouse(os.path.join(home["WARROOM_HOME"], "warehouse.duckdb"), read_only=True) as wh:
        con = wh.cursor()
        assert con.execute("SELECT list(event_id ORDER BY event_id) FROM events").fetchall() == [
            ([1, 2, 3, 4],)
        ]
        sources = con.execute("SELECT source, row_number FROM _quarantine").fetchall()
    assert sources == [(str(more), 3)]
