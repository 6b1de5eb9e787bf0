"""Database sources against the real MariaDB and PostgreSQL on this machine (tables made and dropped per test).

Expected rows are written out by hand (or computed by an independent query on the source server), never
taken from the code under test.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from warroom.cli import app
from warroom.errors import NotFound, UserError
from warroom.ingest import ingest_batch
from warroom.meta import open_metadata
from warroom.sources import databases, watermarks
from warroom.sources.watermarks import Position
from warroom.warehouse import Warehouse

from .conftest_db import NOW, Server, drop_pg_schema, order, pg_metadata_url, utc_text, warehouse_orders

SERVERS = [
    pytest.param("mysql", marks=pytest.mark.services),
    pytest.param("postgresql", marks=pytest.mark.services),
]
METADATA = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(params=SERVERS)
def server(request) -> Iterator[Server]:
    s = Server(request.param)
    yield s
    s.close()


@pytest.fixture
def mariadb() -> Iterator[Server]:
    s = Server("mysql")
    yield s
    s.close()


def _session(url: str) -> Iterator[Session]:
    make = open_metadata(url)
    with make() as s:
        yield s
    make.kw["bind"].dispose()


@pytest.fixture
def session(tmp_path) -> Iterator[Session]:
    yield from _session(f"sqlite:///{tmp_path / 'metadata.sqlite'}")


@pytest.fixture(params=METADATA)
def any_session(request, tmp_path) -> Iterator[Session]:
    """The metadata store on SQLite, and (cheap enough) on PostgreSQL."""
    if request.param == "sqlite":
        yield from _session(f"sqlite:///{tmp_path / 'metadata.sqlite'}")
        return
    schema, url = pg_metadata_url()
    try:
        yield from _session(url)
    finally:
        drop_pg_schema(schema)


@pytest.fixture
def warehouse(tmp_path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        yield wh


def add(session: Session, server: Server, name: str, **options) -> None:
    options.setdefault("table", "orders")
    databases.add_source(session, name=name, url=server.url, now=NOW, **options)


def pull(session, warehouse, name, **options) -> databases.PullReport:
    return databases.pull(session, warehouse, name, now=NOW, timezone="Asia/Shanghai", **options)


# --- pulls ---------------------------------------------------------------------------------------------------


def test_full_pull_keeps_money_exact_and_text_in_any_encoding(server, session, warehouse):
    table = server.create_orders()
    server.insert(
        table,
        [
            order(1, 1, paid="0.01", province="浙江", channel="直播间"),
            order(2, 2, paid="9999999.99", province="黑龙江", channel="搜索"),
            order(3, 3, paid="1234567.89", province="内蒙古", channel="live 🔥"),
        ],
    )
    add(session, server, "shop", from_table=table)  # no watermark: full pulls only
    result = pull(session, warehouse, "shop")
    assert (result.full, result.report.received, result.report.inserted, result.position) == (True, 3, 3, "")
    assert warehouse_orders(warehouse) == [
        (1, "created", "浙江", "直播间", Decimal("0.01"), utc_text(1)),
        (2, "created", "黑龙江", "搜索", Decimal("9999999.99"), utc_text(2)),
        (3, "created", "内蒙古", "live 🔥", Decimal("1234567.89"), utc_text(3)),
    ]
    total = warehouse.cursor().execute("SELECT sum(paid_amount) FROM orders").fetchall()[0][0]
    assert total == Decimal("11234567.89")  # 0.01 + 9999999.99 + 1234567.89, by hand
    again = pull(session, warehouse, "shop")  # a full pull again: every row is a duplicate, nothing changes
    assert (again.report.received, again.report.duplicates, again.report.inserted) == (3, 3, 0)


def test_incremental_pull_reads_only_new_and_changed_rows(server, any_session, warehouse):
    session = any_session
    table = server.create_orders()
    server.insert(table, [order(1, 1), order(2, 2), order(3, 3)])
    add(session, server, "shop", from_table=table, watermark="updated_at")
    first = pull(session, warehouse, "shop")
    assert (first.full, first.report.received, first.report.inserted) == (False, 3, 3)
    assert watermarks.decode(databases.get_source(session, "shop").position) == Position(
        server.position_time(3), (3,)
    )
    server.execute(
        f"UPDATE {table} SET status = 'paid', updated_at = %s WHERE order_id = 2", [server.time(10)]
    )
    server.insert(table, [order(4, 5)])
    second = pull(session, warehouse, "shop")
    r = second.report
    assert (r.received, r.updated, r.inserted, r.duplicates) == (2, 1, 1, 0)
    rows = warehouse_orders(warehouse)
    assert [(o, status, updated) for o, status, _, _, _, updated in rows] == [
        (1, "created", utc_text(1)),
        (2, "paid", utc_text(10)),
        (3, "created", utc_text(3)),
        (4, "created", utc_text(5)),
    ]
    third = pull(session, warehouse, "shop")
    assert third.report.received == 0
    assert databases.get_source(session, "shop").last_pull_status == "ok"


def test_rows_tied_on_the_watermark_across_chunks_are_all_read_once(server, session, warehouse):
    table = server.create_orders()
    # Orders 2..6 share updated_at (minute 4): with 2-row chunks the tie spans three chunks.
    server.insert(table, [order(1, 1)] + [order(i, 2, updated=4) for i in range(2, 7)] + [order(7, 5)])
    add(session, server, "shop", from_table=table, watermark="updated_at")
    result = pull(session, warehouse, "shop", chunk_rows=2)
    assert (result.chunks, result.report.received, result.report.inserted) == (4, 7, 7)
    assert [row[0] for row in warehouse_orders(warehouse)] == [1, 2, 3, 4, 5, 6, 7]
    server.insert(table, [order(8, 6)])
    after = pull(session, warehouse, "shop", chunk_rows=2)
    assert (after.report.received, after.report.inserted) == (1, 1)


def test_a_pull_failing_mid_way_resumes_after_the_last_loaded_chunk(server, session, warehouse):
    table = server.create_orders()
    # Orders 2..5 tie at minute 4 and the first 3-row chunk ends inside the tie (after order 3): a
    # watermark-only `>` would lose orders 4 and 5 on resume, a `>=` would read 2 and 3 again.
    server.insert(
        table,
        [order(1, 1)] + [order(i, 2, updated=4) for i in range(2, 6)] + [order(i, i) for i in (6, 7, 8)],
    )
    add(session, server, "shop", from_table=table, watermark="updated_at")
    calls = []

    def ingest_failing_on_second_chunk(*args, **kwargs):
        calls.append(args[2].num_rows)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return ingest_batch(*args, **kwargs)

    with pytest.raises(OSError, match="disk full"):
        pull(session, warehouse, "shop", chunk_rows=3, ingest=ingest_failing_on_second_chunk)
    assert [row[0] for row in warehouse_orders(warehouse)] == [1, 2, 3]
    source = databases.get_source(session, "shop")
    assert watermarks.decode(source.position) == Position(server.position_time(4), (3,))
    assert source.last_pull_status == "failed" and "disk full" in source.last_pull_message

    resumed = pull(session, warehouse, "shop", chunk_rows=3)
    r = resumed.report
    assert (r.received, r.inserted, r.duplicates) == (5, 5, 0)
    assert [row[0] for row in warehouse_orders(warehouse)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_money_with_a_third_decimal_is_rejected_not_rounded(server, session, warehouse):
    table = server.create_orders(money="DECIMAL(20,4)")
    server.insert(table, [order(1, 1, paid="10.1000"), order(2, 2, paid="10.0050")])
    add(session, server, "shop", from_table=table, watermark="updated_at")
    result = pull(session, warehouse, "shop")
    assert (result.report.inserted, result.report.rejected) == (1, 1)
    assert [(row[0], row[4]) for row in warehouse_orders(warehouse)] == [(1, Decimal("10.10"))]
    quarantined = (
        warehouse.cursor()
        .execute("SELECT rule, column_name, source, row_number, raw::JSON->>'paid_amount' FROM _quarantine")
        .fetchall()
    )
    assert quarantined == [("money_precision", "paid_amount", "db:shop", 2, "10.0050")]  # kept as it came
    # The rejected row is quarantined, so the position passes it: the next pull reads nothing.
    assert pull(session, warehouse, "shop").report.received == 0


def test_query_with_a_mapping_and_a_literal_percent(server, session, warehouse, tmp_path):
    name = server.new_table("erp")
    time = "DATETIME(6)" if server.kind == "mysql" else "TIMESTAMPTZ"
    server.execute(
        f"""CREATE TABLE {name} (oid BIGINT PRIMARY KEY, created {time}, buyer BIGINT, src VARCHAR(32),
            prov VARCHAR(32), state VARCHAR(16), gmv DECIMAL(18,2), disc DECIMAL(18,2), pay DECIMAL(18,2),
            mtime {time})"""
    )
    t1, t2, t3 = server.time(1), server.time(2), server.time(3)
    for row in [
        (11, t1, 7, "search", "浙江", "已付款", "100.00", "10.00", "90.00", t1),
        (12, t2, 8, "feed", "广东", "已付款", "50.00", "0.00", "50.00", t2),
        (13, t3, 9, "search%ads", "江苏", "待付款", "30.00", "5.00", "25.00", t3),
    ]:
        server.execute(f"INSERT INTO {name} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", row)
    mapping = tmp_path / "erp.yaml"
    mapping.write_text(
        """table: orders
columns:
  order_id: oid
  ts: created
  customer_id: buyer
  channel_id: src
  province: prov
  status: {from: state, values: {已付款: paid, 待付款: created}}
  list_amount: gmv
  discount_amount: disc
  paid_amount: pay
  shipping_fee: {const: "0"}
  device: {const: pc}
  is_new_buyer: {const: false}
  updated_at: mtime
""",
        encoding="utf-8",
    )
    query = f"SELECT * FROM {name} WHERE src LIKE 'search%'"  # % must reach the server as it is
    add(session, server, "erp", query=query, mapping=mapping, watermark="mtime")
    assert databases.get_source(session, "erp").key_columns == ["oid"]  # the key, through the mapping
    result = pull(session, warehouse, "erp")
    assert result.report.inserted == 2
    assert warehouse_orders(warehouse) == [
        (11, "paid", "浙江", "search", Decimal("90.00"), utc_text(1)),
        (13, "created", "江苏", "search%ads", Decimal("25.00"), utc_text(3)),
    ]


def test_cursor_only_columns_are_dropped_before_loading(mariadb, session, warehouse):
    """An append-only table (api_requests, no key) pulled by an auto-increment id the table does not have."""
    name = mariadb.new_table("api")
    mariadb.execute(
        f"""CREATE TABLE {name} (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts TIMESTAMP(3) NOT NULL,
            service VARCHAR(32), endpoint VARCHAR(64), method VARCHAR(8), status_code INT,
            latency_ms DOUBLE, host VARCHAR(32), sample_rate DOUBLE)"""
    )
    mariadb.execute("SET time_zone = '+00:00'")  # TIMESTAMP: instants; these are UTC
    for ts in ("2025-11-10 16:00:00.250", "2025-11-10 16:00:00.250", "2025-11-10 16:00:01.000"):
        mariadb.execute(
            f"INSERT INTO {name} (ts, service, endpoint, method, status_code, latency_ms, host, sample_rate)"
            " VALUES (%s, 'cart', '/cart/add', 'POST', 200, 12.5, 'web-1', 1.0)",
            [ts],
        )
    with pytest.raises(UserError, match="table api_requests has no key, so give --key"):
        databases.add_source(
            session,
            name="api",
            url=mariadb.url,
            table="api_requests",
            from_table=name,
            watermark="ts",
            now=NOW,
        )
    databases.add_source(
        session,
        name="api",
        url=mariadb.url,
        table="api_requests",
        from_table=name,
        watermark="ts",
        key=["id"],
        now=NOW,
    )
    assert pull(session, warehouse, "api", chunk_rows=1).report.inserted == 3
    assert pull(session, warehouse, "api", chunk_rows=1).report.received == 0  # no re-read, so no double rows
    con = warehouse.cursor()
    con.execute("SET TimeZone = 'UTC'")
    assert con.sql(
        "SELECT strftime(ts, '%H:%M:%S.%g'), count(*) FROM api_requests GROUP BY 1 ORDER BY 1"
    ).fetchall() == [
        ("16:00:00.250", 2),
        ("16:00:01.000", 1),
    ]


# --- errors: named, and nothing half-written ------------------------------------------------------------------


def _nothing_loaded(warehouse: Warehouse) -> bool:
    return warehouse.cursor().execute("SELECT count(*) FROM orders").fetchall()[0][0] == 0


def test_unreachable_server(server, session, warehouse):
    url = server.url.replace(":3306/", ":1/").replace(":5432/", ":1/")
    with pytest.raises(UserError, match=r"source shop: cannot connect to .*127\.0\.0\.1:1"):
        databases.add_source(session, name="shop", url=url, table="orders", from_table="t", now=NOW)
    assert databases.list_sources(session) == []  # a source that cannot be reached is not stored
    databases.add_source(session, name="shop", url=url, table="orders", from_table="t", now=NOW, check=False)
    with pytest.raises(UserError, match="source shop: cannot connect"):
        pull(session, warehouse, "shop")
    source = databases.get_source(session, "shop")
    assert (source.last_pull_status, source.position) == ("failed", None)
    assert "cannot connect" in source.last_pull_message
    assert _nothing_loaded(warehouse)


def test_bad_query(server, session, warehouse):
    table = server.create_orders()
    with pytest.raises(UserError, match=r"source shop: the query failed on the server: .*no_such_column"):
        add(session, server, "shop", query=f"SELECT no_such_column FROM {table}")
    with pytest.raises(UserError, match=r"source shop: the table wr_nope failed on the server"):
        add(session, server, "shop", from_table="wr_nope")
    assert databases.list_sources(session) == []
    add(session, server, "shop", query=f"SELECT no_such_column FROM {table}", check=False)
    with pytest.raises(UserError, match="no_such_column"):
        pull(session, warehouse, "shop")
    assert _nothing_loaded(warehouse)


def test_missing_watermark_column(server, session, warehouse):
    table = server.create_orders()
    server.insert(table, [order(1, 1)])
    with pytest.raises(
        UserError,
        match=r"source shop: the table wr_orders_[0-9a-f]+ has no watermark column 'modified_at' \(its columns: order_id, ts",
    ):
        add(session, server, "shop", from_table=table, watermark="modified_at")
    add(session, server, "shop", from_table=table, watermark="modified_at", check=False)
    with pytest.raises(UserError, match="no watermark column 'modified_at'"):
        pull(session, warehouse, "shop")
    assert _nothing_loaded(warehouse)
    assert databases.get_source(session, "shop").position is None


def test_a_watermark_of_another_type_stops_before_loading(server, session, warehouse):
    table = server.create_orders()
    server.insert(table, [order(1, 1)])
    query = f"SELECT o.*, CAST('01:00:00' AS TIME) AS tod FROM {table} o"  # a time of day orders nothing
    add(session, server, "shop", query=query, watermark="tod")
    with pytest.raises(UserError, match=r"source shop: column tod holds a value .* cannot order a pull"):
        pull(session, warehouse, "shop")
    assert _nothing_loaded(warehouse)


def test_columns_the_table_does_not_have(server, session, warehouse):
    table = server.create_orders()
    with pytest.raises(UserError, match=r"source shop: columns not in table orders: extra"):
        add(session, server, "shop", query=f"SELECT o.*, 1 AS extra FROM {table} o")


# --- configuration (on SQLite and PostgreSQL metadata) ---------------------------------------------------------


def test_sources_are_stored_listed_and_removed(any_session, tmp_path):
    session = any_session
    url = "mysql://shop:s3cr%40t@db.example:3306/erp"
    databases.add_source(
        session,
        name="shop",
        url=url,
        table="orders",
        from_table="erp.orders",
        watermark="updated_at",
        now=NOW,
        check=False,
    )
    databases.add_source(
        session,
        name="pg-products",
        url="postgresql://reader@pg.example/catalog",
        table="products",
        query="SELECT * FROM products;",
        now=NOW,
        check=False,
    )
    sources = databases.list_sources(session)
    assert [(s.name, s.kind, s.target_table, s.key_columns) for s in sources] == [
        ("pg-products", "postgresql", "products", []),
        ("shop", "mysql", "orders", ["order_id"]),
    ]
    assert sources[0].query == "SELECT * FROM products"  # a trailing ; would break the wrapping subquery
    assert databases.get_source(session, "shop").url == url  # the pull needs the password...
    assert databases.masked_url(url) == "mysql://shop:***@db.example:3306/erp"  # ...people never see it
    with pytest.raises(UserError, match="source shop exists already"):
        databases.add_source(
            session, name="shop", url=url, table="orders", from_table="x", now=NOW, check=False
        )
    databases.remove_source(session, "shop")
    assert [s.name for s in databases.list_sources(session)] == ["pg-products"]
    with pytest.raises(NotFound, match="unknown source 'shop'"):
        databases.remove_source(session, "shop")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "sqlite:///x.db"}, "URL scheme 'sqlite' is not a database source"),
        ({"url": "not a url"}, "not a URL"),
        ({"query": "SELECT 1"}, "give either --from"),
        ({"from_table": None}, "give either --from"),
        ({"table": "nope"}, "unknown table 'nope'"),
        ({"key": ["id"]}, "give --watermark with it"),
        ({"name": "Shop Orders"}, "source name 'Shop Orders'"),
    ],
)
def test_bad_source_configuration(session, options, message):
    given = {"name": "shop", "url": "mysql://root@127.0.0.1/test", "table": "orders", "from_table": "t"}
    given.update(options)
    with pytest.raises(UserError, match=message):
        databases.add_source(session, now=NOW, check=False, **given)
    assert databases.list_sources(session) == []


# --- positions (pure) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        2**62 + 1,  # beyond a double's exact integers
        Decimal("12.30"),
        0.1,
        datetime(2025, 11, 11, 0, 0, 0, 123456),
        datetime(2025, 11, 10, 16, 0, 0, 1, tzinfo=UTC),
        datetime(2025, 11, 11, tzinfo=UTC) + timedelta(hours=8),
        date(2025, 11, 11),
        "浙江-0001",
        True,
    ],
)
def test_positions_round_trip_exactly(value):
    position = Position(value, ("k-1", 7))
    back = watermarks.decode(watermarks.encode(position))
    assert back == position and type(back.watermark) is type(value)
    if isinstance(value, datetime):
        assert back.watermark.utcoffset() == value.utcoffset()


def test_a_time_of_day_cannot_be_a_position():
    with pytest.raises(watermarks.UnsupportedValue) as caught:
        watermarks.encode(Position(1, (timedelta(hours=1),)))
    assert caught.value.index == 1


def test_the_resume_query_compares_watermark_then_key():
    after = Position(datetime(2025, 11, 11), (5, "b"))
    sql, params = watermarks.select_sql(
        "SELECT * FROM o", ['"w"', '"k1"', '"k2"'], after=after, incremental=True
    )
    assert sql == (
        'SELECT * FROM (SELECT * FROM o) AS _src WHERE "w" IS NOT NULL AND "w" >= %s AND '
        '("w" > %s OR ("w" = %s AND ("k1" > %s OR ("k1" = %s AND "k2" > %s)))) ORDER BY "w", "k1", "k2"'
    )
    w = datetime(2025, 11, 11)
    assert params == [w, w, w, 5, 5, "b"]
    full, none = watermarks.select_sql("SELECT * FROM o", ['"w"', '"k"'], after=after, incremental=False)
    assert (full, none) == ('SELECT * FROM (SELECT * FROM o) AS _src ORDER BY "w", "k"', [])


def test_the_position_is_the_last_row_with_a_watermark_and_key():
    rows = [(1, "a", 10), (2, "b", 11), (3, None, 12), (None, "d", 13)]
    assert watermarks.last_position(rows, [1, 0]) == Position("b", (2,))
    assert watermarks.last_position([(None, 1)], [0, 1]) is None


# --- the command line ---------------------------------------------------------------------------------------------


def test_cli_add_list_pull_remove(mariadb, tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "250")
    table = mariadb.create_orders()
    mariadb.insert(table, [order(1, 1), order(2, 2, status="paid")])

    def run(*args: str):
        result = CliRunner().invoke(app, list(args))
        code = 2 if isinstance(result.exception, UserError) else result.exit_code
        return code, result.output + (str(result.exception) if result.exception else "")

    code, out = run(
        "sources",
        "add",
        "shop",
        "--url",
        mariadb.url,
        "-t",
        "orders",
        "--from",
        table,
        "--watermark",
        "updated_at",
    )
    assert code == 0 and "incrementally by (updated_at, order_id)" in out, out
    code, out = run(
        "sources",
        "add",
        "far",
        "--url",
        "postgresql://u:topsecret@10.0.0.1/x",
        "-t",
        "orders",
        "--from",
        "o",
        "--no-check",
    )
    assert code == 0, out
    code, out = run("sources", "pull", "shop")
    assert code == 0 and "incremental" in out, out
    code, out = run("sources", "list")
    assert code == 0 and "topsecret" not in out and "u:***@10.0.0.1" in out, out
    assert "2025-11-11 00:02:00 / 2" in out and "2 rows read: 2 new" in out
    code, out = run("sources", "pull", "nope")
    assert code == 2 and "unknown source 'nope'" in out
    code, out = run("sources", "remove", "far")
    assert code == 0
    with Warehouse(tmp_path / "home" / "warehouse.duckdb") as wh:
        assert [(r[0], r[1]) for r in warehouse_orders(wh)] == [(1, "created"), (2, "paid")]
