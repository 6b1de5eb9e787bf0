"""One simulated sale at scale 0.1 for the whole simulator suite, and DuckDB views over its files."""

from pathlib import Path

import duckdb
import pytest

from warroom.schema import TABLES
from warroom.simulate import simulate

SCALE = 0.1
SEED = 11


@pytest.fixture(scope="session")
def sim(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("simulate") / "out"
    return out, simulate(out, scale=SCALE, seed=SEED)


@pytest.fixture(scope="session")
def db(sim) -> duckdb.DuckDBPyConnection:
    """Views named after the tables over the Parquet parts; times compared in UTC unless a query says so."""
    out, _ = sim
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in (n for n, t in TABLES.items() if t.simulated):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{out / name}/*.parquet')")
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]
