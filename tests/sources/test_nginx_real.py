"""A log written by nginx itself (Debian's package), ingested with `warroom ingest-logs` and analysed.

The test starts nginx on a free loopback port with its logs in tmp_path, sends a known number of requests
of each kind (static files, `return 404`, `return 503`, a proxy to a Python upstream that sleeps, a proxy to
a closed port: nginx's own 502, and a TLS ClientHello on the plain port, which nginx logs as a 400 whose
request is bytes), stops nginx so the logs are flushed, loads the access log through the CLI
and checks the tech analyses against what was sent. nginx writes a second log, `$status $request_time`
only, from the same requests: the percentiles are checked against numpy on that file, read without Warroom's
parser. nginx runs under a POSIX TZ of UTC+05:30 so $time_local carries a half-hour offset.

nginx comes from `make test` (its `nginx` step apt-installs it as root); without it the test skips.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from typer.testing import CliRunner

from warroom.analyses.tech import errors, latency, traffic
from warroom.analyses.tech.scope import Scope
from warroom.cli import app
from warroom.warehouse import Warehouse

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
pytestmark = pytest.mark.skipif(
    NGINX is None,
    reason="no nginx binary: `make test` installs Debian's nginx as root (apt-get install nginx)",
)

# What the test sends: (method, path, status nginx should answer, how many times).
SLEEPS_MS = [0, 3, 5, 8, 12, 15, 20, 25, 30, 40, 60, 80, 120]
REQUESTS = [
    ("GET", "/static/index.html", 200, 25),
    ("GET", "/api/item/100234?spm=a1", 200, 9),
    ("GET", "/static/missing.css", 404, 4),  # the static handler's own 404
    ("GET", "/nowhere", 404, 6),  # return 404
    ("POST", "/api/pay", 503, 5),  # return 503
    ("GET", "/down", 502, 3),  # upstream port closed
    *(("GET", f"/slow?ms={ms}", 200, 1) for ms in SLEEPS_MS),
]
ENDPOINTS = {
    "/static/index.html": 25,
    "/api/item/{id}": 9,
    "/static/missing.css": 4,
    "/nowhere": 6,
    "/api/pay": 5,
    "/down": 3,
    "/slow": len(SLEEPS_MS),
}
# The first bytes of a TLS ClientHello: a browser speaking https to an http port. nginx answers 400 and logs
# the request as "\x16\x03\x01...", which is no request line: Warroom quarantines that line.
TLS_HELLO = bytes.fromhex("160301002e0100002a0303") + bytes(32)
UTC_PLUS_0530 = "IST-05:30"  # POSIX TZ: the sign is west-positive, so this is UTC+05:30

CONF = """
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
http {{
    log_format warroom '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                       '"$http_referer" "$http_user_agent" $request_time $upstream_response_time';
    log_format plain '$status $request_time';
    access_log {tmp}/access.log warroom;
    access_log {tmp}/plain.log plain;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{ root {tmp}/www; }}
        location /api/item/ {{ return 200 "item\\n"; }}
        location = /nowhere {{ return 404; }}
        location = /api/pay {{ return 503; }}
        location = /slow {{ proxy_pass http://127.0.0.1:{upstream}; }}
        location = /down {{ proxy_pass http://127.0.0.1:{closed}; }}
    }}
}}
"""


class Sleeper(BaseHTTPRequestHandler):
    """The slow upstream: answers 200 after ?ms= milliseconds."""

    def do_GET(self) -> None:
        time.sleep(int(parse_qs(urlsplit(self.path).query)["ms"][0]) / 1000)
        body = b"slept\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, error_log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"nginx exited with {proc.returncode}: {error_log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    pytest.fail(f"nginx did not listen on {port} in 10 s: {error_log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[Path, datetime, datetime, dict[int, int]]:
    """Run nginx, send REQUESTS; (its log folder, the UTC times before and after, statuses clients saw)."""
    tmp = tmp_path_factory.mktemp("nginx")
    (tmp / "www" / "static").mkdir(parents=True)
    (tmp / "www" / "static" / "index.html").write_text("<h1>Double 11</h1>\n")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Sleeper)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        CONF.format(
            # As root the workers would drop to nobody, who may not read tmp_path; the logs the master opens.
            user="user root;" if os.geteuid() == 0 else "",
            tmp=tmp,
            port=port,
            upstream=upstream.server_address[1],
            closed=free_port(),
        )
    )
    env = {**os.environ, "TZ": UTC_PLUS_0530}
    cmd = [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log"), "-g", "daemon off;"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen: dict[int, int] = {}
    try:
        wait_listening(port, proc, tmp / "error.log")
        start = datetime.now(UTC).replace(microsecond=0)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for method, path, _status, times in REQUESTS:
            for _ in range(times):
                client.request(method, path, headers={"User-Agent": 'warroom-test "real nginx"'})
                response = client.getresponse()
                response.read()
                seen[response.status] = seen.get(response.status, 0) + 1
        client.close()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(TLS_HELLO)
            seen["tls"] = int(b" 400 " in raw.recv(4096))
        end = datetime.now(UTC)
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: workers finish and the logs are complete
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        upstream.shutdown()
        upstream.server_close()
    return tmp, start, end + timedelta(seconds=1), seen


@pytest.fixture(scope="module")
def warehouse(served, tmp_path_factory):
    tmp, *_ = served
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WARROOM_HOME", str(home))
        mp.setenv("COLUMNS", "250")
        result = CliRunner().invoke(
            app,
            [
                "ingest-logs",
                str(tmp / "access.log"),
                "--format",
                "nginx",
                "--service",
                "shop",
                "--host",
                "gw-1",
            ],
        )
    assert result.exit_code == 1, result.output  # every line loaded but the TLS hello's, quarantined
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        yield wh


def plain(served) -> tuple[np.ndarray, np.ndarray]:
    """Statuses and request times (ms) from nginx's `$status $request_time` log, split by hand; without the
    TLS hello's 400 (no HTTP request the test sends is answered 400)."""
    tmp, *_ = served
    pairs = [line.split() for line in (tmp / "plain.log").read_text().splitlines()]
    assert [s for s, _ in pairs].count("400") == 1
    pairs = [(s, t) for s, t in pairs if s != "400"]
    return np.array([int(s) for s, _ in pairs]), np.array([float(t) * 1000 for _, t in pairs])


def scope(served) -> Scope:
    _, start, end, _ = served
    return Scope(start, end, service="shop")


def test_nginx_answered_what_the_test_expects(served):
    _, _, _, seen = served
    expected: dict[int, int] = {}
    for _method, _path, status, times in REQUESTS:
        expected[status] = expected.get(status, 0) + times
    assert seen == {**expected, "tls": 1}
    statuses, _ = plain(served)
    assert {int(s): int(n) for s, n in zip(*np.unique(statuses, return_counts=True), strict=True)} == expected


def test_every_request_is_a_row_at_its_time_in_utc(served, warehouse):
    _, start, end, _ = served
    rows = warehouse.cursor().execute("SELECT min(ts), max(ts), count(*) FROM api_requests").fetchall()
    (first, last, n) = rows[0]
    assert n == sum(times for *_, times in REQUESTS)
    # $time_local was at +05:30: read as UTC, every request falls within the seconds the test sent them in.
    assert start <= first.astimezone(UTC) <= last.astimezone(UTC) < end


def test_the_tls_hello_is_quarantined_with_its_line(served, warehouse):
    tmp, *_ = served
    lines = (tmp / "access.log").read_text().splitlines()
    (number,) = [i for i, line in enumerate(lines, 1) if '"\\x16\\x03\\x01' in line]
    rows = warehouse.cursor().execute("SELECT row_number, column_name, rule, raw FROM _quarantine").fetchall()
    assert len(rows) == 1
    (row_number, column, rule, raw) = rows[0]
    assert (row_number, column, rule) == (number, "method", "malformed")
    assert json.loads(raw) == {"_text": lines[number - 1]}  # kept as nginx wrote it


def test_requests_and_error_counts_match_what_was_sent(served, warehouse):
    (total,) = errors.error_rates(warehouse, scope(served))
    n = sum(times for *_, times in REQUESTS)
    n4 = sum(times for _, _, status, times in REQUESTS if 400 <= status < 500)
    n5 = sum(times for _, _, status, times in REQUESTS if status >= 500)
    assert (total["service"], total["requests"], total["requests_4xx"], total["requests_5xx"]) == (
        "shop",
        n,
        n4,
        n5,
    )
    assert total["error_rate_4xx"] == pytest.approx(n4 / n)
    assert total["error_rate_5xx"] == pytest.approx(n5 / n)
    by_endpoint = {r["endpoint"]: r["requests"] for r in traffic.top_endpoints(warehouse, scope(served), 20)}
    assert by_endpoint == ENDPOINTS
    sources = errors.error_sources(warehouse, scope(served))
    assert [(r["endpoint"], r["requests_5xx"]) for r in sources[:2]] == [("/api/pay", 5), ("/down", 3)]


def test_latency_percentiles_match_numpy_on_the_raw_log(served, warehouse):
    _, ms = plain(served)
    assert ms.max() >= 100  # the slow upstream made request times nginx measured, not all zeros
    (row,) = latency.percentiles(warehouse, scope(served), exact=True)
    expected = np.percentile(ms, [50, 95, 99])
    assert [row["p50"], row["p95"], row["p99"]] == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-9)
    assert row["rows"] == len(ms)


def test_apdex_matches_a_count_on_the_raw_log(served, warehouse):
    statuses, ms = plain(served)
    t = 10.0
    ok = statuses < 500
    expected = ((ok & (ms <= t)).sum() + (ok & (ms > t) & (ms <= 4 * t)).sum() / 2) / len(ms)
    (row,) = latency.apdex(warehouse, scope(served), threshold_ms=t)
    assert row["apdex"] == pytest.approx(expected)
