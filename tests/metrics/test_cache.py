"""Compile once per query shape: values are bound as parameters, so a board refreshing with a new time_to
and other filter values reuses one compiled SQL; the answers still match hand-written SQL."""

from datetime import timedelta

import pytest

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import DAY_START
from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, engine, run_query


def orders_by_device(sale, to, channels):
    query = MetricQuery(
        metrics=["orders_placed"], dimensions=["device"],
        filters=[Filter(dimension="channel", op="in", value=channels)], time_from=DAY_START, time_to=to,
    )  # fmt: skip
    got = run_query(sale, query, tz=SHANGHAI)
    return got, sorted(
        zip(got.rows["device"].to_pylist(), got.rows["orders_placed"].to_pylist(), strict=True)
    )


def oracle(sale, to, channels):
    cur = sale.cursor()
    return sorted(
        cur.execute(
            "SELECT device, count(*) FROM orders WHERE ts >= ? AND ts < ? AND list_contains(?, channel_id) GROUP BY 1",
            [DAY_START, to, channels],
        ).fetchall()
    )


def test_a_refreshing_board_compiles_its_query_once(sale):
    engine._SHAPES.clear()
    for seconds, channels in ((0, ["search", "feed"]), (1, ["feed", "live"]), (3601, ["live", "search"])):
        to = DAY_START + timedelta(hours=9, seconds=seconds)
        got, rows = orders_by_device(sale, to, channels)
        assert rows == oracle(sale, to, channels) and rows
        assert "search" not in got.sql.split("-- parameters")[0]  # values are bound, not in the SQL text
    assert (engine._SHAPES.misses, engine._SHAPES.hits) == (1, 2)


def test_another_shape_is_another_compile(sale):
    engine._SHAPES.clear()
    orders_by_device(sale, DAY_START + timedelta(hours=3), ["search"])
    orders_by_device(sale, DAY_START + timedelta(hours=3), ["search", "feed"])  # two values: another shape
    assert engine._SHAPES.misses == 2


def test_a_value_that_looks_like_sql_is_only_a_value(sale):
    _, rows = orders_by_device(sale, DAY_START + timedelta(hours=3), ["search') OR ('1'='1"])
    assert rows == []


def test_a_bad_value_is_refused_on_a_cached_shape_too(sale):
    query = MetricQuery(
        metrics=["requests"], filters=[Filter(dimension="status_code", value=500)],
        time_from=DAY_START, time_to=DAY_START + timedelta(hours=1),
    )  # fmt: skip
    run_query(sale, query, tz=SHANGHAI)
    bad = query.model_copy(update={"filters": [Filter(dimension="status_code", value="five hundred")]})
    with pytest.raises(UserError, match="filter on status_code"):
        run_query(sale, bad, tz=SHANGHAI)
