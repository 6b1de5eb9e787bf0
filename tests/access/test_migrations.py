"""Every Alembic migration runs up to head, down to base and up again, on SQLite and on the real PostgreSQL,
and the schema at head is the models' metadata (autogenerate finds nothing to write).

PostgreSQL gets a database of its own, created here and dropped after (not a schema in a shared one), so a
downgrade that leaves a type, a sequence or an index behind is seen: base must be empty.
"""

import secrets
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.access.conftest import PG_ADMIN
from warroom.access import create_token, create_user
from warroom.meta import Base, make_engine, open_metadata
from warroom.meta.store import _alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite'}"
        return
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not running at 127.0.0.1:5432 (user postgres): {exc}")
    name = f"warroom_migrations_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def alembic(url: str, verb: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, verb)(config, revision)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def columns(url: str) -> set[tuple[str, str]]:
    """(table, column) of every column: a revision may add columns to a table it did not create."""
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {(t, c["name"]) for t in found.get_table_names() for c in found.get_columns(t)}
    finally:
        engine.dispose()


def diffs(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return compare_metadata(MigrationContext.configure(con), Base.metadata)
    finally:
        engine.dispose()


def versions(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return set(con.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def pg_leftovers(url: str) -> list[str]:
    """Types, sequences and indexes still in the public schema (PostgreSQL only): what a downgrade forgot."""
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return list(
                con.execute(
                    text("""
                SELECT c.relkind::text || ':' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relname <> 'alembic_version'
                  AND c.relname NOT LIKE 'alembic_version%'
                UNION ALL
                SELECT 'type:' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = 'public' AND t.typtype = 'e'""")
                ).scalars()
            )
    finally:
        engine.dispose()


SCRIPTS = ScriptDirectory.from_config(_alembic_config())
HEADS = set(SCRIPTS.get_heads())
MODEL_TABLES = set(Base.metadata.tables)


def test_the_revisions_form_one_tree_from_one_base():
    assert len(SCRIPTS.get_bases()) == 1
    assert HEADS  # upgrade_to_head applies every head ("heads"): features branch from a common revision
    for rev in SCRIPTS.walk_revisions():
        assert callable(getattr(rev.module, "downgrade", None)), f"revision {rev.revision} has no downgrade"


def test_up_to_head_down_to_base_and_up_again(fresh_url):
    alembic(fresh_url, "upgrade", "heads")
    assert versions(fresh_url) == HEADS
    assert tables(fresh_url) == MODEL_TABLES | {"alembic_version"}
    assert diffs(fresh_url) == []

    alembic(fresh_url, "downgrade", "base")
    assert tables(fresh_url) <= {"alembic_version"}
    assert versions(fresh_url) == set()
    if fresh_url.startswith("postgresql"):
        assert pg_leftovers(fresh_url) == []

    alembic(fresh_url, "upgrade", "heads")
    assert versions(fresh_url) == HEADS
    assert tables(fresh_url) == MODEL_TABLES | {"alembic_version"}
    assert diffs(fresh_url) == []  # the second time up builds the same schema as the first


def test_each_revision_goes_down_and_up_on_its_own(fresh_url):
    """Newest first: down to just below each revision (its descendants go with it), then up to head again."""
    alembic(fresh_url, "upgrade", "heads")
    at_head = columns(fresh_url)
    for rev in SCRIPTS.walk_revisions():
        below = rev.down_revision or "base"
        assert isinstance(below, str), "a merge revision: step down to each of its parents"
        alembic(fresh_url, "downgrade", below)
        assert rev.revision not in versions(fresh_url)
        assert columns(fresh_url) < at_head, f"downgrading {rev.revision} removed no table nor column"
        alembic(fresh_url, "upgrade", "heads")
        assert columns(fresh_url) == at_head, rev.revision
    assert diffs(fresh_url) == []


def test_the_store_works_after_a_round_trip(fresh_url):
    alembic(fresh_url, "upgrade", "heads")
    alembic(fresh_url, "downgrade", "base")
    make_session = open_metadata(fresh_url)  # what the server does at start-up: upgrade to head
    try:
        with make_session() as s:
            user = create_user(s, username="after", password="round-trip-1", role="finance", actor="test")
            assert user.role == "finance"  # the built-in roles are seeded again by the first revision
            assert s.execute(text("SELECT count(*) FROM roles")).scalar_one() == 5
    finally:
        make_session.kw["bind"].dispose()


def test_token_expiry_goes_down_and_up_keeping_the_tokens(fresh_url):
    """0005_token_expiry on a store holding tokens: down drops only the column, up brings it back empty."""
    alembic(fresh_url, "upgrade", "heads")
    make_session = open_metadata(fresh_url)
    try:
        with make_session() as s:
            create_user(s, username="pusher", password="round-trip-1", role="ops", actor="test")
            create_token(s, username="pusher", name="kept", scopes=["read"], actor="test",
                         expires_in=timedelta(days=90))  # fmt: skip
    finally:
        make_session.kw["bind"].dispose()
    assert ("api_tokens", "expires_at") in columns(fresh_url)
    alembic(fresh_url, "downgrade", "0004")
    assert ("api_tokens", "expires_at") not in columns(fresh_url)
    assert _token_names(fresh_url) == ["kept"]
    alembic(fresh_url, "upgrade", "heads")
    assert diffs(fresh_url) == []
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as con:
            rows = con.execute(text("SELECT name, expires_at FROM api_tokens")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("kept", None)]  # an old token, after the way up: never expires


def _token_names(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            return list(con.execute(text("SELECT name FROM api_tokens")).scalars())
    finally:
        engine.dispose()


def test_alert_rules_go_down_and_up_leaving_the_rest(fresh_url):
    """0007_alert_rules: down drops the API rules' table alone (dashboards stay), up brings it back usable."""
    alembic(fresh_url, "upgrade", "heads")
    assert "alert_rules" in tables(fresh_url)
    alembic(fresh_url, "downgrade", "0006_dashboards")
    assert tables(fresh_url) == MODEL_TABLES - {"alert_rules"} | {"alembic_version"}
    alembic(fresh_url, "upgrade", "heads")
    assert diffs(fresh_url) == []
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as con:
            con.execute(
                text("INSERT INTO alert_rules (id, team, definition, created_by, created_at, updated_by, "
                     "updated_at) VALUES ('r', 'ops', '{}', 'a', :t, 'a', :t)"),
                {"t": "2026-11-11 00:00:00"},
            )  # fmt: skip
            assert con.execute(text("SELECT team FROM alert_rules")).scalar_one() == "ops"
    finally:
        engine.dispose()
