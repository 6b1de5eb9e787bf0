"""`warroom alerts silence|ack` stamp the room's clock: the running server's (a real uvicorn serving the
app, whose runtime's clock is a fixed "simulated" time), `--at` when given, the wall clock when no server
answers, and each says which it used."""

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from typer.testing import CliRunner

from tests.alerts.conftest import free_port
from warroom.cli import app
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.meta.alerts import AckRow, SilenceRow
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

ROOM_NOW = datetime(2026, 11, 11, 0, 20, tzinfo=UTC)  # days away from the wall clock


@pytest.fixture
def home(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("WARROOM_HOME", str(tmp_path))
    monkeypatch.setenv("WARROOM_PORT", str(port))
    monkeypatch.setenv("WARROOM_HOST", "127.0.0.1")
    return tmp_path, port


@pytest.fixture
def server(home):
    tmp_path, port = home
    settings = Settings(home=tmp_path, port=port)
    runtime = Runtime(settings, Warehouse(settings.warehouse_path), open_metadata(settings.metadata_sqlalchemy_url),
                      _now=lambda: ROOM_NOW)  # fmt: skip
    web = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").json()["now"] == ROOM_NOW.isoformat()
    yield settings
    web.should_exit = True
    thread.join(timeout=10)
    runtime.warehouse.close()


def _rows(settings, table):
    with open_metadata(settings.metadata_sqlalchemy_url)() as s:
        return s.scalars(select(table)).all()


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def test_silence_and_ack_take_the_running_servers_room_clock(server):
    out = CliRunner().invoke(app, ["alerts", "silence", "--rule", "latency_p99_high", "--for", "30m"])
    assert out.exit_code == 0, out.output
    assert "room's clock" in " ".join(out.output.split())
    (silence,) = _rows(server, SilenceRow)
    assert (_aware(silence.starts_at), _aware(silence.ends_at)) == (
        ROOM_NOW,
        ROOM_NOW + timedelta(minutes=30),
    )
    out = CliRunner().invoke(app, ["alerts", "ack", "latency_p99_high", "service=payment", "--by", "li"])
    assert out.exit_code == 0, out.output
    (ack,) = _rows(server, AckRow)
    assert (_aware(ack.at), ack.by, ack.labels) == (ROOM_NOW, "li", {"service": "payment"})


def test_at_overrides_and_without_a_server_the_wall_clock_is_used_and_said(home):
    tmp_path, port = home
    settings = Settings(home=tmp_path, port=port)
    out = CliRunner().invoke(app, ["alerts", "silence", "--rule", "ingest_gap", "--at", "2026-11-11 08:20"])
    assert out.exit_code == 0, out.output
    before = datetime.now(UTC)
    out = CliRunner().invoke(app, ["alerts", "ack", "ingest_gap", "host=search-1"])
    after = datetime.now(UTC)
    said = " ".join(out.output.split())  # rich wraps long lines
    assert out.exit_code == 0 and "wall clock (no Warroom server answered" in said, out.output
    (silence,) = _rows(settings, SilenceRow)
    assert _aware(silence.starts_at) == ROOM_NOW  # 08:20 Shanghai is 00:20 UTC
    (ack,) = _rows(settings, AckRow)
    assert before - timedelta(seconds=1) <= _aware(ack.at) <= after
