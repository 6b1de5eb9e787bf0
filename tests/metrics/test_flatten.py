"""flatten merges only the star layers it knows, and the merged SQL returns what Ibis's SQL returned."""

from datetime import datetime

import duckdb
import pytest
import sqlglot

from tests.metrics.conftest import SHANGHAI
from warroom.metrics import MetricQuery, load_catalog
from warroom.metrics.cache import duckdb_sql
from warroom.metrics.compile import compile_query
from warroom.metrics.flatten import flatten


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE x AS SELECT * FROM (VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'a'), (4, NULL, 'b')) v(a, b, k)"
    )
    con.execute("CREATE TABLE y AS SELECT * FROM (VALUES ('a', 'A'), ('c', 'C')) v(k, name)")
    yield con
    con.close()


def flat(sql: str) -> str:
    return flatten(sqlglot.parse_one(sql, dialect="duckdb")).sql(dialect="duckdb")


CASES = {
    # A filter layer under an aggregate, the outer WHERE kept; then the ordering layer on top.
    "filter and order": (
        'SELECT * FROM (SELECT "t1"."k", SUM("t1"."b") AS "s" FROM (SELECT * FROM "x" AS "t0" WHERE "t0"."a" > 1) AS "t1" '
        'WHERE "t1"."b" < 40 GROUP BY 1) AS "t2" ORDER BY "t2"."s" DESC LIMIT 1',
        1,
    ),
    # Output names that are the input's columns swapped: the ordering must follow the outputs.
    "swapped names": (
        'SELECT * FROM (SELECT "t0"."b" AS "a", "t0"."a" AS "b" FROM "x" AS "t0") AS "t1" ORDER BY "t1"."a" ASC',
        1,
    ),
    # Under a right join a WHERE would drop the rows the join keeps: left alone.
    "right join": (
        'SELECT "t1"."a", "y"."name" FROM (SELECT * FROM "x" AS "t0" WHERE "t0"."a" > 2) AS "t1" '
        'RIGHT JOIN "y" ON "t1"."k" = "y"."k" ORDER BY 2',
        2,
    ),
    # An ordering over a LIMIT is not the LIMIT's ordering: left alone.
    "limit inside": (
        'SELECT * FROM (SELECT * FROM "x" AS "t0" ORDER BY "t0"."a" LIMIT 2) AS "t1" ORDER BY "t1"."a" DESC',
        2,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_flattened_sql_returns_the_same_rows(con, name):
    sql, selects = CASES[name]
    out = flat(sql)
    assert con.execute(out).fetchall() == con.execute(sql).fetchall()
    assert out.count("SELECT") == selects, out


def test_a_metric_query_is_one_select():
    day = dict(
        time_from=datetime(2026, 11, 11, tzinfo=SHANGHAI), time_to=datetime(2026, 11, 12, tzinfo=SHANGHAI)
    )
    query = MetricQuery(metrics=["requests", "error_rate_5xx", "apdex"], dimensions=["service"], **day)
    sql = duckdb_sql(compile_query(load_catalog(), query, None, SHANGHAI, as_slots=True))
    assert sql.count("SELECT") == 1, sql
    # `1.0 / sample_rate` over a DOUBLE column: a float literal, not a decimal cast to bind on every run.
    assert "DECIMAL" not in sql, sql
