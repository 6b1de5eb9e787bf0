"""Compilation is pure (no database) and its SQL is reused for a query already seen."""

from datetime import datetime

import ibis

from tests.metrics.conftest import SHANGHAI
from warroom.metrics import Filter, MetricQuery, Principal, engine, load_catalog, run_query
from warroom.metrics.compile import compile_query

DAY = dict(time_from=datetime(2026, 11, 11, tzinfo=SHANGHAI), time_to=datetime(2026, 11, 12, tzinfo=SHANGHAI))


def test_compiles_without_a_database_and_quotes_values():
    query = MetricQuery(metrics=["gmv_paid"], filters=[Filter(dimension="channel", value="it's")], **DAY)
    sql = ibis.to_sql(compile_query(load_catalog(), query, None, SHANGHAI), dialect="duckdb")
    assert "'it''s'" in sql and '"order_items"' in sql


def test_the_sql_of_a_repeated_query_is_reused(sale, monkeypatch):
    calls = []
    real = engine.compile_query
    monkeypatch.setattr(engine, "compile_query", lambda *a, **k: calls.append(1) or real(*a, **k))
    query = MetricQuery(metrics=["uv", "pv"], dimensions=["device"], **DAY)
    first = run_query(sale, query, tz=SHANGHAI)
    second = run_query(sale, query, tz=SHANGHAI)
    assert len(calls) == 1 and first.sql == second.sql and first.rows.equals(second.rows)
    # Another principal is another key: its row filters are in the SQL.
    zhejiang = Principal("zj", row_filters=[Filter(dimension="province", op="in", value=["浙江"])])
    assert "浙江" in run_query(sale, query, zhejiang, tz=SHANGHAI).sql and len(calls) == 2
