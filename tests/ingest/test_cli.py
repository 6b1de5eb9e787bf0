"""`warroom ingest` and `warroom quarantine` end to end, in-process, with the warehouse under tmp_path."""

import pytest
from typer.testing import CliRunner

from warroom.cli import app
from warroom.errors import UserError
from warroom.warehouse import Warehouse

from .conftest import event_row

HEADER = ",".join(event_row(1))


def line(row):
    return ",".join(row.values())


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "250")  # Rich wraps at the terminal width: keep messages on one line
    return tmp_path / "home"


class Run:
    """A CLI run; exit_code as `warroom` gives it (its main() turns a UserError into exit code 2)."""

    def __init__(self, *args):
        self.result = CliRunner().invoke(app, list(args))
        self.output = self.result.output + (str(self.result.exception) if self.result.exception else "")
        self.exit_code = 2 if isinstance(self.result.exception, UserError) else self.result.exit_code


run = Run


def test_ingest_then_quarantine_list_show_replay(home, tmp_path):
    data = tmp_path / "e.csv"
    data.write_text("\n".join([HEADER, line(event_row(1)), line(event_row(2, event_type="pv"))]) + "\n")
    result = run("ingest", str(data), "--table", "events")
    assert result.exit_code == 1, result.output
    assert "rejected" in result.output and "pv" in result.output
    again = run("ingest", str(data), "--table", "events")
    assert "1" in again.output  # duplicates column
    listed = run("quarantine", "list")
    assert listed.exit_code == 0 and "enum" in listed.output and "event_type" in listed.output
    shown = run("quarantine", "show", "1")
    assert shown.exit_code == 0 and "'pv'" in shown.output
    mapping = tmp_path / "fix.yaml"
    mapping.write_text("table: events\ncolumns:\n  event_type: {from: event_type, values: {pv: view}}\n")
    replayed = run("quarantine", "replay", "--mapping", str(mapping))
    assert replayed.exit_code == 0, replayed.output
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        con = wh.cursor()
        assert con.execute("SELECT event_id, event_type FROM events ORDER BY 1").fetchall() == [
            (1, "view"),
            (2, "view"),
        ]
        # the second ingest quarantined row 2 again: both copies replayed, the second one a duplicate
        assert con.execute("SELECT count(*) FROM _quarantine").fetchall() == [(0,)]


def test_bad_file_exits_2_with_a_message_and_loads_the_rest(home, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "\n" + line(event_row(1)) + "\n")
    cut = tmp_path / "cut.csv"
    cut.write_text(HEADER + "\n" + line(event_row(2)) + "\n3,2026-11-11")
    result = run("ingest", str(good), str(cut), str(tmp_path / "missing.csv"), "--table", "events")
    assert result.exit_code == 2
    assert "cut.csv: rows 2 are malformed" in result.output
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        assert wh.cursor().execute("SELECT count(*) FROM events").fetchall() == [(2,)]


def test_unknown_table_exits_2(home, tmp_path):
    data = tmp_path / "e.csv"
    data.write_text(HEADER + "\n")
    result = run("ingest", str(data), "--table", "evnts")
    assert result.exit_code == 2
    assert "unknown table 'evnts'" in result.output
