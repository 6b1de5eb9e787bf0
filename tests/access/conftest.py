"""The access tests run on both metadata engines: SQLite in tmp_path and PostgreSQL on this machine.

PostgreSQL: one fresh database per test session (dropped at the end) and one fresh schema per test, so
every test starts from an empty store migrated up from nothing, like SQLite's new file.
"""

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.orm import Session

from warroom.meta import open_metadata

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
# Sale day 2025-11-11 00:00 Shanghai: the clock the tests pass in.
T0 = datetime(2025, 11, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not running at 127.0.0.1:5432 (user postgres): {exc}")
    name = f"warroom_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def metadata_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'metadata.sqlite'}"
    database = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN.replace("dbname=postgres", f"dbname={database}"), autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    # Every connection of this test's engine sees only its own schema.
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}?options=-csearch_path%3D{schema}"


@pytest.fixture
def session(metadata_url: str) -> Iterator[Session]:
    make_session = open_metadata(metadata_url)
    with make_session() as s:
        yield s
    make_session.kw["bind"].dispose()


# The whole app with one caller per role (tests/access/room.py), for the matrix and the security tests.
# Imported last: room.py reads PG_ADMIN from here.
from tests.access.room import module_metadata_url, room, sale  # noqa: E402, F401
