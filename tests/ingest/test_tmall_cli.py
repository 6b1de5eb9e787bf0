"""Issue 4's must-show, as a user would do it: the Tmall Double 11 log loaded with the shipped mappings by the
real `warroom` command, then asked through `warroom query`, gives the course's published figures (358
users, 358 buyers, 3 purchases of brand 2661), and so does an independent DuckDB query over the raw file."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pytest

MAPPINGS = Path(__file__).parents[2] / "examples" / "mappings"
COLUMNS = "user_id item_id cat_id merchant_id brand_id month day action age_range gender province".split()


def warroom(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"WARROOM_HOME": str(home), "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, "-m", "warroom", *args], env=env, capture_output=True, text=True, timeout=120
    )


def query(home: Path, *args: str) -> list[dict]:
    done = warroom(home, "query", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return orjson.loads(done.stdout)["rows"]


@pytest.fixture(scope="module")
def log_file(shared_data) -> Path:
    path = shared_data / "tmall_double11_user_log" / "small_user_log.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the Tmall log of ../shared/data is needed")
    return path


@pytest.fixture(scope="module")
def raw(log_file):
    """An independent reading of the file (Python's csv module, no Warroom code) as a DuckDB table `log`:
    every column text as the course's Hive table reads it, an empty field NULL, and each line's number."""
    with log_file.open(newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    columns = {c: [line[i] or None for line in lines] for i, c in enumerate(COLUMNS)}
    log = pa.table(columns | {"line": list(range(1, len(lines) + 1))})  # noqa: F841 (DuckDB reads it by name)
    con = duckdb.connect()
    con.execute("CREATE TABLE log AS SELECT * FROM log")
    yield con
    con.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory, log_file) -> Path:
    """A fresh WARROOM_HOME loaded with both shipped mappings through the CLI."""
    home = tmp_path_factory.mktemp("tmall") / "home"
    events = warroom(home, "ingest", str(log_file), "--mapping", str(MAPPINGS / "tmall_user_log.yaml"))
    assert events.returncode == 0, events.stdout + events.stderr
    products = warroom(home, "ingest", str(log_file), "--mapping", str(MAPPINGS / "tmall_products.yaml"))
    # Exit code 1: the lines with an empty brand_id are rejected (a product needs a brand) and kept.
    assert products.returncode == 1, products.stdout + products.stderr
    assert "14 rows rejected and kept" in products.stderr
    assert "column brand: '' is required but empty" in products.stdout
    return home


def test_published_figures_through_warroom_query(home, raw):
    (totals,) = query(home, "uv,paying_buyers,pay_events")
    (brand,) = query(home, "pay_events", "--where", "brand=2661")
    # independent: the course's own definitions over the raw lines
    users, buyers, purchases, brand_purchases = raw.execute(
        """SELECT count(DISTINCT user_id), count(DISTINCT user_id) FILTER (WHERE action = '2'),
                  count(*) FILTER (WHERE action = '2'),
                  count(*) FILTER (WHERE action = '2' AND brand_id = '2661')
           FROM log"""
    ).fetchone()
    assert (totals["uv"], totals["paying_buyers"], brand["pay_events"]) == (users, buyers, brand_purchases)
    assert totals["pay_events"] == purchases
    # and the course's published results on exactly this file
    assert (users, buyers, brand_purchases) == (358, 358, 3)


def test_the_same_figures_by_brand_match_the_products_rule(home, raw):
    """Every brand's purchases through the products dimension equal a hand-written join over the raw file
    that applies the mapping's rule: an item's brand is that of its last line with a brand."""
    rows = query(home, "pay_events", "--by", "brand")
    by_brand = {r["brand"]: r["pay_events"] for r in rows if r["pay_events"]}  # brands only clicked: 0
    want = dict(
        raw.execute(
            """WITH items AS (
                 SELECT item_id, arg_max(brand_id, line) AS brand FROM log WHERE brand_id IS NOT NULL GROUP BY 1)
               SELECT i.brand, count(*) FROM log l LEFT JOIN items i USING (item_id)
               WHERE l.action = '2' GROUP BY 1"""
        ).fetchall()
    )
    assert by_brand == want
    assert by_brand["2661"] == 3
    # the dimension holds one row per item that has a brand on some line of the log
    (products,) = raw.execute("SELECT count(DISTINCT item_id) FROM log WHERE brand_id IS NOT NULL").fetchone()
    loaded = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        assert loaded.execute("SELECT count(*), count(DISTINCT sku_id) FROM products").fetchone() == (
            products,
            products,
        )
    finally:
        loaded.close()


def test_quarantined_lines_are_the_ones_without_a_brand(home, raw):
    done = warroom(home, "quarantine", "list")
    assert done.returncode == 0, done.stderr
    (empty,) = raw.execute("SELECT count(*) FROM log WHERE brand_id IS NULL").fetchone()
    assert empty == 14  # as the data's README says
    rows = [line.split("│")[1:5] for line in done.stdout.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [["products", "required", "brand", str(empty)]]
