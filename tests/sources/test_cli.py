"""`warroom ingest-logs` in-process on the example files, the warehouse under tmp_path."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli import app
from warroom.errors import UserError
from warroom.warehouse import Warehouse

EXAMPLES = Path(__file__).parents[2] / "examples" / "logs"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "250")  # Rich wraps at the terminal width: keep messages on one line
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str]:
    """Exit code as `warroom` gives it (its main() turns a UserError into 2) and the output."""
    result = CliRunner().invoke(app, ["ingest-logs", *args])
    if isinstance(result.exception, UserError):
        return 2, result.output + str(result.exception)
    return result.exit_code, result.output


def count(home: Path, sql: str) -> int:
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        return wh.cursor().execute(sql).fetchall()[0][0]


def test_nginx_with_a_service_mapping(home):
    code, out = run(
        str(EXAMPLES / "access.log"),
        "--format",
        "nginx",
        "-m",
        str(EXAMPLES / "services.yaml"),
        "--host",
        "gw-01",
    )
    assert code == 1, out  # some lines rejected
    assert "access.log" in out and "row 7, column ts: '31/Nov/2026:00:00:04 +0800'" in out
    # A CORS preflight is a request like any other: loaded, not quarantined.
    assert count(home, "SELECT count(*) FROM api_requests WHERE method = 'OPTIONS'") == 1
    assert count(home, "SELECT count(*) FROM api_requests WHERE host = 'gw-01'") == 7
    assert count(home, "SELECT count(*) FROM api_requests WHERE service = 'order'") == 2
    assert count(home, "SELECT count(*) FROM _quarantine") == 3


def test_clean_prometheus_file_exits_0_and_options_fill_host_and_role(home):
    code, out = run(str(EXAMPLES / "node_exporter.prom"), "-f", "prometheus", "--host", "n1", "--role", "api")
    assert code == 0, out
    assert "scrape(s) only start a host's counter rates" in out
    assert count(home, "SELECT count(*) FROM host_metrics WHERE host = 'n1' AND role = 'api'") == 1


def test_wrong_format_and_missing_options_exit_2(home):
    code, out = run(str(EXAMPLES / "access.log"), "--format", "applog", "-m", str(EXAMPLES / "applog.yaml"))
    assert code == 2 and "none of the first 10 lines can be read as --format applog" in out
    code, out = run(str(EXAMPLES / "access.log"), "--format", "nginx")
    assert code == 2 and "--service" in out
    code, out = run(str(EXAMPLES / "hosts.prom"), "--format", "prometheus", "--scrape-time", "noon")
    assert code == 2 and "--scrape-time 'noon'" in out
