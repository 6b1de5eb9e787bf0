"""Helpers for the database-source tests: the real MariaDB and PostgreSQL on this machine, tables made per
test under unique names and dropped after, and a metadata store on SQLite or on PostgreSQL.

Times: the source tables hold Shanghai wall-clock times (MariaDB DATETIME, read by ingest in the settings
zone) or the same instants with their offset (PostgreSQL timestamptz), so minute m of the sale,
2025-11-11 00:mm Shanghai, is 2025-11-10 16:mm UTC in the warehouse either way.
"""

import secrets
from datetime import UTC, datetime
from typing import Any

import psycopg
import pymysql
import pytest

from warroom.warehouse import Warehouse

MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_TEST = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
NOW = datetime(2025, 11, 11, 2, 0, tzinfo=UTC)

ORDER_COLUMNS = (
    "order_id",
    "ts",
    "customer_id",
    "channel_id",
    "province",
    "device",
    "status",
    "is_new_buyer",
    "list_amount",
    "discount_amount",
    "paid_amount",
    "shipping_fee",
    "paid_at",
    "updated_at",
)
_TIMES = {"ts", "paid_at", "updated_at"}


def order(
    order_id: int,
    minute: int,
    *,
    status: str = "created",
    paid: str = "90.00",
    province: str = "浙江",
    channel: str = "search",
    updated: int | None = None,
) -> dict[str, Any]:
    """An order row of the source table; times are minutes after 2025-11-11 00:00 Shanghai."""
    return {
        "order_id": order_id,
        "ts": minute,
        "customer_id": 7,
        "channel_id": channel,
        "province": province,
        "device": "ios",
        "status": status,
        "is_new_buyer": True,
        "list_amount": "100.00",
        "discount_amount": "10.00",
        "paid_amount": paid,
        "shipping_fee": "0.00",
        "paid_at": None,
        "updated_at": minute if updated is None else updated,
    }


def utc_text(minute: int) -> str:
    """How minute m of the sale reads in the warehouse (UTC)."""
    return f"2025-11-10 16:{minute:02d}:00"


class Server:
    """One real database server: runs SQL and owns the tables a test makes (dropped at the end)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.url = MYSQL_URL if kind == "mysql" else PG_URL
        try:
            if kind == "mysql":
                self.con = pymysql.connect(
                    host="127.0.0.1",
                    port=3306,
                    user="root",
                    database="test",
                    charset="utf8mb4",
                    autocommit=True,
                )
            else:
                self.con = psycopg.connect(PG_TEST, autocommit=True)
        except (pymysql.err.MySQLError, psycopg.Error) as exc:
            where = "MariaDB at 127.0.0.1:3306 (root)" if kind == "mysql" else "PostgreSQL at 127.0.0.1:5432"
            pytest.skip(f"{where} is not running: {exc}")
        self.tables: list[str] = []

    def execute(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        cursor = self.con.cursor()
        cursor.execute(sql, params or None)
        rows = list(cursor.fetchall()) if cursor.description else []
        cursor.close()
        return rows

    def new_table(self, prefix: str) -> str:
        name = f"wr_{prefix}_{secrets.token_hex(4)}"
        self.tables.append(name)
        return name

    def create_orders(self, prefix: str = "orders", money: str = "DECIMAL(18,2)") -> str:
        """A source table with the canonical orders columns: GBK province on MariaDB, UTF-8 elsewhere."""
        name = self.new_table(prefix)
        if self.kind == "mysql":
            time, text, gbk = "DATETIME(6)", "VARCHAR(64)", "VARCHAR(32) CHARACTER SET gbk"
        else:
            time, text, gbk = "TIMESTAMPTZ", "TEXT", "TEXT"
        self.execute(
            f"""CREATE TABLE {name} (
                order_id BIGINT PRIMARY KEY, ts {time} NOT NULL, customer_id BIGINT NOT NULL,
                channel_id {text} NOT NULL, province {gbk} NOT NULL, device {text} NOT NULL,
                status {text} NOT NULL, is_new_buyer BOOLEAN NOT NULL, list_amount {money} NOT NULL,
                discount_amount {money} NOT NULL, paid_amount {money} NOT NULL, shipping_fee {money} NOT NULL,
                paid_at {time} NULL, updated_at {time} NOT NULL)"""
            + (" DEFAULT CHARSET=utf8mb4" if self.kind == "mysql" else "")
        )
        return name

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        cols = list(rows[0])
        marks = ", ".join(["%s"] * len(cols))
        for row in rows:
            values = [self.time(v) if c in _TIMES and v is not None else v for c, v in row.items()]
            self.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", values)

    def time(self, minute: int) -> str:
        wall = f"2025-11-11 00:{minute:02d}:00"
        return wall if self.kind == "mysql" else f"{wall}+08:00"

    def position_time(self, minute: int) -> datetime:
        """The watermark value as the driver returns it: naive wall time (DATETIME) or an aware UTC instant."""
        if self.kind == "mysql":
            return datetime(2025, 11, 11, 0, minute)
        return datetime(2025, 11, 10, 16, minute, tzinfo=UTC)

    def close(self) -> None:
        for name in self.tables:
            self.execute(f"DROP TABLE IF EXISTS {name}")
        self.con.close()


def pg_metadata_url() -> tuple[str, str]:
    """A fresh schema in PostgreSQL's test database, and a metadata URL whose connections see only it."""
    schema = f"wr_meta_{secrets.token_hex(5)}"
    try:
        with psycopg.connect(PG_TEST, autocommit=True) as con:
            con.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not running at 127.0.0.1:5432 (user postgres): {exc}")
    return schema, f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    with psycopg.connect(PG_TEST, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {schema} CASCADE")


def warehouse_orders(warehouse: Warehouse) -> list[tuple]:
    """(order_id, status, province, channel_id, paid_amount, updated_at as UTC text), by order_id."""
    con = warehouse.cursor()
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(
            "SELECT order_id, status, province, channel_id, paid_amount, "
            "strftime(updated_at, '%Y-%m-%d %H:%M:%S') FROM orders ORDER BY order_id"
        ).fetchall()
    finally:
        con.close()
