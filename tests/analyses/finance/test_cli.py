"""`warroom finance ...` on the small simulated sale: exit codes, JSON that keeps money exact."""

import orjson
import pytest
from typer.testing import CliRunner

from tests.analyses.finance.conftest import load
from warroom.cli import app
from warroom.config import Settings


@pytest.fixture(scope="module")
def home(small_sim, tmp_path_factory):
    home = tmp_path_factory.mktemp("finhome")
    load(small_sim, Settings(home=home).warehouse_path).close()
    return home


def _run(home, *args: str):
    return CliRunner().invoke(app, ["finance", *args], env={"WARROOM_HOME": str(home)})


def test_reconcile_json_ties_out(home):
    result = _run(home, "reconcile", "--json")
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.output)
    assert body["ties_out"] is True and body["rows"] == []
    assert body["orders_paid"] == body["payments_succeeded"]  # strings: exact DECIMAL, no float


def test_waterfall_and_negative_tables(home):
    result = _run(home, "waterfall", "--from", "2026-10-20", "--to", "2026-11-12")
    assert result.exit_code == 0, result.output
    assert "gaps: []" in result.output and "Net profit" in result.output
    result = _run(home, "negative", "--from", "2026-10-20", "--to", "2026-11-12", "--json")
    assert any(r["line_promo"] == "DSC-MISPRICED" for r in orjson.loads(result.output)["rows"])


def test_anomalies_cashflow_and_margins_run(home):
    found = orjson.loads(
        _run(home, "anomalies", "--from", "2026-11-01", "--to", "2026-11-12", "--json").output
    )
    assert {r["kind"] for r in found["rows"]} == {"refunds", "payment_failures"}
    flow = _run(
        home, "cashflow", "--from", "2026-11-05", "--now", "2026-11-11 12:00", "--settle", "card=5", "--json"
    )
    assert orjson.loads(flow.output)["settlement_days"]["card"] == 5
    assert (
        _run(home, "margins", "--from", "2026-11-11", "--to", "2026-11-12", "--by", "channel").exit_code == 0
    )


def test_bad_input_is_a_user_error(home):
    result = _run(home, "cashflow", "--from", "2026-11-05", "--settle", "paypal=1")
    assert result.exit_code != 0 and "paypal" in str(result.exception or result.output)
