"""The canonical schema is one source of truth: the DDL, the Arrow schema and `warroom schema --json` agree."""

import json
import subprocess
import sys

import duckdb
import pytest

from warroom.errors import NotFound
from warroom.schema import TABLES, get_table
from warroom.warehouse import Warehouse
from warroom.warehouse.duck import create_table_sql, relax_not_null


def test_every_table_has_its_key_and_time_column():
    for table in TABLES.values():
        for name in table.key:
            assert table.has(name), (table.name, name)
        if table.time_column:
            assert table.column(table.time_column).type == "timestamp"


def test_warehouse_ddl_matches_schema(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        con = wh.cursor()
        for table in TABLES.values():
            rows = con.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [table.name],
            ).fetchall()
            expected = [
                (
                    c.name,
                    c.type.duckdb.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"),
                    "NO" if c.required else "YES",
                )
                for c in table.columns
            ]
            assert rows == expected, table.name


def test_arrow_schema_round_trips_through_duckdb(tmp_path):
    orders = TABLES["orders"].arrow_schema
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    got = con.from_arrow(orders.empty_table()).to_arrow_table().schema
    assert [f.type for f in got] == [f.type for f in orders]


def test_money_columns_are_decimal_never_float():
    for table in TABLES.values():
        for column in table.columns:
            if column.money:
                assert column.type.duckdb == "DECIMAL(18,2)"


def test_unknown_table_names_the_known_ones():
    with pytest.raises(NotFound, match=r"unknown table 'nope'.*orders"):
        get_table("nope")


def test_schema_cli_json_lists_every_table_and_column():
    out = subprocess.run(
        [sys.executable, "-m", "warroom", "schema", "--json"], capture_output=True, text=True, check=True
    ).stdout
    doc = json.loads(out)
    assert [t["name"] for t in doc["tables"]] == list(TABLES)
    orders = next(t for t in doc["tables"] if t["name"] == "orders")
    paid = next(c for c in orders["columns"] if c["name"] == "paid_amount")
    assert paid == {
        "name": "paid_amount",
        "type": "money",
        "duckdb_type": "DECIMAL(18,2)",
        "required": True,
        "description": paid["description"],
        "minimum": 0,
        "maximum": 10_000_000.0,
        "money": True,
    }
    phone = next(c for c in doc["tables"][0]["columns"] if c["name"] == "phone")
    assert phone["pii"] is True


def test_schema_cli_unknown_table_exits_2():
    run = subprocess.run([sys.executable, "-m", "warroom", "schema", "nope"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "unknown table 'nope'" in run.stderr


def test_an_older_warehouse_file_accepts_columns_made_optional_since(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(create_table_sql(get_table("products")))
    # as versions before they became optional created them
    con.execute("ALTER TABLE products ALTER COLUMN list_price SET NOT NULL")
    con.execute("ALTER TABLE products ALTER COLUMN unit_cost SET NOT NULL")
    con.close()
    with Warehouse(path) as wh:
        con = wh.cursor()
        con.execute(
            "INSERT INTO products (sku_id, spu_id, sku_name, category_l1, category_l2, brand) VALUES (1, 1, 'a', 'c', 'c', 'b')"
        )
        assert con.execute("SELECT list_price, unit_cost FROM products").fetchall() == [(None, None)]
        assert relax_not_null(con) == []  # nothing left to relax
