"""A bad request is refused before any data is read, with a message that says what and how to fix."""

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from tests.metrics.conftest import SHANGHAI
from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, run_query
from warroom.warehouse import Warehouse

T0 = datetime(2026, 11, 11, tzinfo=SHANGHAI)
T1 = T0 + timedelta(days=1)


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("empty") / "w.duckdb")
    yield wh
    wh.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (dict(metrics=["gmv_paidd"]), "unknown metric(s) ['gmv_paidd']; `warroom metrics` lists them"),
        (dict(metrics=["gmv", "gmv"]), "name one metric twice"),
        (
            dict(metrics=["gmv"], dimensions=["colour"]),
            "unknown dimension 'colour'; the dimensions are channel,",
        ),
        (dict(metrics=["gmv"], dimensions=["time"]), "dimension 'time': use grain (minute, hour, day)"),
        (dict(metrics=["gmv"], dimensions=["channel", "channel_id"]), "name one dimension twice"),
        (
            dict(metrics=["payment_success_rate"], dimensions=["category_l1"]),
            "dimension 'category_l1' does not apply to metric 'payment_success_rate': it reads table payments "
            "(through payment_successes), and category_l1 is defined for events, inventory, item_discounts, "
            "landed_prices, "
            "order_items, refunds",
        ),
        (
            dict(metrics=["latency_p99"], filters=[Filter(dimension="province", value="浙江")]),
            "dimension 'province' does not apply to metric 'latency_p99'",
        ),
        (
            dict(metrics=["gmv"], filters=[Filter(dimension="nope", value="x")]),
            "unknown filter dimension 'nope'",
        ),
        (
            dict(metrics=["gmv"], time_from=T1, time_to=T0),
            "time range is backwards or empty: time_from 2026-11-12T00:00:00+08:00",
        ),
        (dict(metrics=["gmv"], time_from=T0, time_to=T0), "is not before time_to"),
        (
            dict(metrics=["gmv"], time_from=datetime(2026, 11, 11)),
            "time_from 2026-11-11T00:00:00 has no time zone",
        ),
        (
            dict(metrics=["gmv"], compare="previous_period", time_from=T0),
            "compare=previous_period needs both",
        ),
        (dict(metrics=["gmv"], compare="baseline_day", time_from=T0, time_to=T1), "needs baseline_date"),
        (
            dict(metrics=["gmv"], baseline_date=T0.date()),
            "baseline_date is only used with compare=baseline_day",
        ),
        (dict(metrics=["gmv"], order_by=["-revenue"]), "order_by '-revenue' is not an output column"),
        (dict(metrics=["gmv_cumulative"]), "without a grain need time_from"),
        (dict(metrics=["qps"]), "per-second metrics without a grain need time_from and time_to"),
        (
            dict(metrics=["gmv"], dimensions=["sku"], filters=[Filter(dimension="sku", value="abc")]),
            "filter on sku: 'abc' is not a valid int64 value",
        ),
    ],
)
def test_bad_query_message(empty, query, message):
    with pytest.raises(UserError) as err:
        run_query(empty, MetricQuery(**query), tz=SHANGHAI)
    assert message in str(err.value)
    assert err.value.status_code == 400


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(dimension="channel", op="in", value="search"), "op in takes a list of values"),
        (dict(dimension="channel", op="=", value=["a", "b"]), "op = takes one value; use 'in' for a list"),
        (dict(dimension="channel", op="in", value=[]), "the list of values is empty"),
        (dict(dimension="channel", op="like", value="a"), "Input should be '=', '!=', 'in'"),
    ],
)
def test_bad_filter_message(kwargs, message):
    with pytest.raises(ValidationError) as err:
        Filter(**kwargs)
    assert message in str(err.value)


def test_no_metrics_and_bad_grain_are_refused_by_the_model():
    with pytest.raises(ValidationError, match="at least 1 item"):
        MetricQuery(metrics=[])
    with pytest.raises(ValidationError, match="'minute', 'hour' or 'day'"):
        MetricQuery(metrics=["gmv"], grain="week")  # type: ignore[arg-type]


def test_an_empty_warehouse_answers_zero_not_an_error(empty):
    got = run_query(
        empty, MetricQuery(metrics=["gmv_paid", "orders", "aov"], time_from=T0, time_to=T1), tz=SHANGHAI
    )
    assert got.rows.to_pylist() == [{"gmv_paid": 0, "orders": 0, "aov": None}]
