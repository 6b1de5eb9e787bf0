"""A real server process and a real browser (Debian's Chromium driven by Playwright)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A server per test module: each module's tests see the replay start from just before midnight, however long
# the modules before it took (one server for the whole session would have run out of sale by the last ones).
@pytest.fixture(scope="module")
def live_server(small_sim, tmp_path_factory):
    """`warroom serve` replaying the small simulation from just before midnight of 11.11, at 120x."""
    home = tmp_path_factory.mktemp("home")
    port = _free_port()
    env = {**os.environ, "WARROOM_HOME": str(home), "WARROOM_PORT": str(port), "WARROOM_REPLAY_SPEED": "120"}
    subprocess.run(
        [sys.executable, "-m", "warroom", "users", "add", "ops", "--role", "ops", "--password", "ops-pass"],
        env=env,
        check=True,
        capture_output=True,
    )
    with serving(home, env, small_sim, "2026-11-10 23:58") as url:
        yield url


@contextlib.contextmanager
def serving(home: Path, env: dict, sim: Path, start: str, *extra: str) -> Iterator[str]:
    """`warroom serve --replay sim --from start` in its own process; yields its URL once /api/v1/health
    answers, and stops it after. The server's output is in home/server.log (shown if it fails to start)."""
    cmd = [sys.executable, "-m", "warroom", "serve", "--replay", str(sim), "--from", start, *extra]
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['WARROOM_PORT']}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {(home / 'server.log').read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (make test installs it as root: apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def logged_in(page, live_server):
    """The page, logged in as the ops user through the real login form."""
    page.goto(live_server + "/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "ops-pass")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    return page


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/ (look at them: pages are for people)."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
