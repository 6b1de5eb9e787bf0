"""The metadata store migrates up from empty on both engines, to exactly what the models declare."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError

from warroom.meta import AuditEntry, Base, Role, make_engine, upgrade_to_head


def test_migration_from_empty_creates_every_table(metadata_url):
    upgrade_to_head(metadata_url)
    engine = make_engine(metadata_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {
            "alembic_version",
            "users",
            "roles",
            "api_tokens",
            "sessions",
            "audit_log",
            "sources",
        } <= tables  # features add their own tables on their own migration branches
        with engine.connect() as con:
            heads = {r[0] for r in con.execute(text("SELECT version_num FROM alembic_version"))}
            assert heads == {"0003", "0006_dashboards"}
            # The models and the migrations describe the same tables, columns, types, indexes and keys.
            diffs = compare_metadata(MigrationContext.configure(con), Base.metadata)
        assert diffs == []
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(metadata_url):
    upgrade_to_head(metadata_url)
    upgrade_to_head(metadata_url)
    engine = make_engine(metadata_url)
    try:
        with engine.connect() as con:
            assert con.execute(text("SELECT count(*) FROM roles")).scalar_one() == 5
            assert (
                con.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 2
            )  # one row per head
    finally:
        engine.dispose()


def test_builtin_roles_and_their_default_policies(session):
    roles = {r.name: r for r in session.scalars(select(Role))}
    got = {
        n: (sorted(r.allowed_sensitivities), r.row_filters, r.unmasked_pii, r.builtin)
        for n, r in roles.items()
    }
    assert got == {
        "admin": (["finance", "pii", "public"], {}, True, True),
        "finance": (["finance", "public"], {}, False, True),
        "ops": (["public"], {}, False, True),
        "tech": (["public"], {}, False, True),
        "viewer": (["public"], {}, False, True),
    }


def test_times_come_back_as_aware_utc(session):
    shanghai = timezone(timedelta(hours=8))
    session.add(
        AuditEntry(
            ts=datetime(2025, 11, 11, 0, 0, 5, tzinfo=shanghai), actor="t", action="a", target="x", detail={}
        )
    )
    session.commit()
    session.expunge_all()
    ts = session.scalars(select(AuditEntry.ts)).one()
    assert ts == datetime(2025, 11, 10, 16, 0, 5, tzinfo=UTC)
    assert ts.utcoffset() == timedelta(0)


def test_naive_times_are_refused(session):
    session.add(AuditEntry(ts=datetime(2025, 11, 11), actor="t", action="a", target="x", detail={}))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
