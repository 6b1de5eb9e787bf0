"""`warroom query` and `warroom metrics` in-process (CliRunner), and the exit code through main()."""

import csv
import io
import subprocess
import sys

import orjson
import pytest
from typer.testing import CliRunner

from tests.metrics.data import random_sale
from warroom.cli import app
from warroom.errors import UserError


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    random_sale(home / "warehouse.duckdb").close()
    return home


def run(home, monkeypatch, *args):
    monkeypatch.setenv("WARROOM_HOME", str(home))
    return CliRunner().invoke(app, list(args))


def test_query_csv_by_channel_matches_sql(home, monkeypatch):
    result = run(home, monkeypatch, "query", "gmv_paid,orders", "--by", "channel", "--from", "2026-11-11",
                 "--to", "2026-11-12", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    want = con.execute("""
        SELECT o.channel_id, sum(i.list_price * i.quantity - i.discount_amount), count(DISTINCT order_id)
        FROM order_items i JOIN orders o USING (order_id)
        WHERE o.paid_at >= TIMESTAMPTZ '2026-11-11 00:00+08' AND o.paid_at < TIMESTAMPTZ '2026-11-12 00:00+08'
        GROUP BY 1 ORDER BY 1""").fetchall()
    con.close()
    assert [(r["channel"], r["gmv_paid"], int(r["orders"])) for r in rows] == [
        (c, str(g), n) for c, g, n in want
    ]


def test_query_json_hourly_with_sql(home, monkeypatch):
    result = run(home, monkeypatch, "query", "gmv_paid", "--grain", "hour", "--from", "2026-11-11 10:00",
                 "--to", "2026-11-11 12:00", "--format", "json", "--sql", "--where", "channel in search,feed")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.stdout)
    assert [r["time"] for r in doc["rows"]] == ["2026-11-11T10:00:00+08:00", "2026-11-11T11:00:00+08:00"]
    assert doc["columns"][1]["label_zh"] == "支付GMV" and doc["columns"][1]["unit"] == "CNY"
    assert "SELECT" in result.stderr and "'feed'" in result.stderr


def test_query_table_and_bad_input(home, monkeypatch):
    result = run(home, monkeypatch, "query", "aov,conv_overall", "--from", "2026-11-11", "--to", "2026-11-12")
    assert result.exit_code == 0 and "客单价" in result.stdout and "%" in result.stdout
    bad = run(home, monkeypatch, "query", "gmv", "--where", "channel~x")
    assert isinstance(bad.exception, UserError) and "--where 'channel~x'" in str(bad.exception)
    bad = run(home, monkeypatch, "query", "gmv", "--grain", "week")
    assert isinstance(bad.exception, UserError) and "bad query" in str(bad.exception)


def test_metrics_list_json_and_check(home, monkeypatch):
    listed = run(home, monkeypatch, "metrics", "--json")
    doc = orjson.loads(listed.stdout)
    aov = next(m for m in doc["metrics"] if m["name"] == "aov")
    assert aov["label_zh"] == "客单价" and "paid orders" in aov["description_en"]
    assert doc["parameters"]["apdex_threshold_ms"]["value"] == 300
    assert run(home, monkeypatch, "metrics", "--check").stdout.strip().endswith("catalog.yaml: ok")


def test_a_user_error_exits_2_with_the_message(home):
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", "query", "nope"], capture_output=True, text=True,
        env={"WARROOM_HOME": str(home), "PATH": "/usr/bin:/bin"}, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "unknown metric(s) ['nope']" in proc.stderr


def test_metrics_check_lists_every_problem_of_a_file(home, monkeypatch, tmp_path):
    from tests.metrics.test_catalog import BROKEN

    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = run(home, monkeypatch, "metrics", "--check", "--file", str(bad))
    assert "8 problem(s) in the metric catalog" in str(result.exception)
    assert f"{bad}:15: metrics.c: depends on itself" in str(result.exception)
