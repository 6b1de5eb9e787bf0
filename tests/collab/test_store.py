"""Migration 0004 runs up and down on SQLite and PostgreSQL, and creates exactly what the models declare."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from warroom.meta import Base, make_engine, upgrade_to_head
from warroom.meta.store import _alembic_config

# 0006_dashboards descends from 0004 (through 0005_token_expiry): going below 0004 removes it too.
COLLAB_TABLES = {"comments", "annotations", "dashboards"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diffs_on_collab_tables(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as con:
            diffs = compare_metadata(MigrationContext.configure(con), Base.metadata)
    finally:
        engine.dispose()

    # Only this migration's tables: other features' tables are their own tests' business.
    return [d for d in diffs if any(f"'{t}'" in repr(d) for t in COLLAB_TABLES)]


def _alembic(url: str, verb: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, verb)(config, revision)
    finally:
        engine.dispose()


def test_upgrade_creates_the_collab_tables_as_the_models_declare(metadata_url):
    upgrade_to_head(metadata_url)
    assert COLLAB_TABLES <= _tables(metadata_url)
    assert _diffs_on_collab_tables(metadata_url) == []


def test_downgrade_of_0004_removes_only_its_tables_and_upgrade_restores_them(metadata_url):
    upgrade_to_head(metadata_url)
    before = _tables(metadata_url)
    # Down to 0002 on 0004's own branch, whose head is now 0007_alert_rules (0004 -> 0005 -> 0006 -> 0007:
    # four steps, the last taking alert_rules with it); the other features' branches from 0002 stay.
    _alembic(metadata_url, "downgrade", "0007_alert_rules@-4")
    after = _tables(metadata_url)
    assert after == before - COLLAB_TABLES - {"alert_rules"}
    engine = make_engine(metadata_url)
    try:
        with engine.connect() as con:
            heads = set(con.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    assert "0004" not in heads
    upgrade_to_head(metadata_url)
    assert _tables(metadata_url) == before
