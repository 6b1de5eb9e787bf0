"""JSON-lines application logs parsed by a log mapping: hand-written lines with their known values."""

from datetime import UTC, datetime

import pytest

from warroom.errors import UserError
from warroom.sources import applog
from warroom.sources.lines import lines_of
from warroom.sources.logmapping import LogMapping, parse_log_mapping

MAPPING = parse_log_mapping(
    {
        "fields": {
            "ts": "time",
            "service": "svc",
            "endpoint": "http.path",
            "method": "http.method",
            "status": "http.status",
            "latency": "duration",
            "host": "hostname",
        },
        "latency_unit": "s",
        "services": {"/api/pay": "payment"},
        "host": "default-host",
    },
    "test",
)


def parse(*lines: str, mapping: LogMapping = MAPPING):
    return applog.parse(lines_of(("\n".join(lines) + "\n").encode()), mapping)


def test_nested_fields_units_and_templating():
    parsed = parse(
        '{"time": "2026-11-11T00:00:01.250+08:00", "svc": "order", "http": {"path": "/api/order/12345?x=1", '
        '"method": "post", "status": 201}, "duration": 0.042, "hostname": "api-3"}'
    )
    assert parsed.problems == []
    assert parsed.rows.to_pylist() == [
        {
            "ts": "2026-11-11T00:00:01.250+08:00",  # text: validation reads it (and its offset)
            "service": "order",
            "endpoint": "/api/order/{id}",
            "method": "POST",
            "status_code": 201,
            "latency_ms": 42.0,
            "host": "api-3",
            "sample_rate": 1.0,
        }
    ]


def test_missing_fields_fall_back_to_prefixes_and_constants():
    parsed = parse(
        '{"time": "2026-11-11 00:00:02", "http": {"path": "/api/pay/notify", "method": "GET", "status": 504}, '
        '"duration": 5}',
        '{"time": "2026-11-11 00:00:02", "http": {"path": "/api/cart", "method": "GET", "status": 200}, '
        '"duration": 1}',
    )
    assert parsed.rows.column("service").to_pylist() == ["payment", None]  # no constant service: null
    assert parsed.rows.column("host").to_pylist() == ["default-host", "default-host"]
    assert parsed.rows.column("latency_ms").to_pylist() == [5000.0, 1000.0]


def test_mixed_value_types_become_text_for_validation_to_judge():
    parsed = parse(
        '{"time": "t", "http": {"path": "/a", "method": "GET", "status": 200}, "duration": 0.5}',
        '{"time": "t", "http": {"path": "/a", "method": "GET", "status": "oops"}, "duration": "0.25"}',
        '{"time": "t", "http": {"path": "/a", "method": "GET", "status": true}, "duration": "slow"}',
    )
    assert parsed.rows.column("status_code").to_pylist() == ["200", "oops", "True"]
    assert parsed.rows.column("latency_ms").to_pylist() == ["500.0", "250.0", "slow"]


def test_unix_time_in_the_mapping_unit():
    mapping = parse_log_mapping(
        {"fields": {**MAPPING.fields, "ts": "epoch_ms"}, "ts_unit": "ms", "service": "s", "host": "h"}, "t"
    )
    parsed = parse(
        '{"epoch_ms": 1794326400250, "http": {"path": "/a", "method": "GET", "status": 200}, "duration": 1}',
        mapping=mapping,
    )
    assert parsed.rows.column("ts").to_pylist() == [datetime(2026, 11, 10, 16, 0, 0, 250000, tzinfo=UTC)]


def test_lines_that_are_not_json_objects_are_problems():
    good = '{"time": "t", "http": {"path": "/a", "method": "GET", "status": 200}, "duration": 1}'
    parsed = parse(good, '{"time": "t", "http": {', "[1, 2]", "plain text")
    assert parsed.numbers.tolist() == [1]
    assert [(p.number, p.column) for p in parsed.problems] == [(2, None), (3, None), (4, None)]
    assert "JSON object" in parsed.problems[1].detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": {"ts": "t"}}, "endpoint, method, status, latency"),
        ({"fields": {"ts": "t", "endpoint": "p", "method": "m", "status": "s", "latency": "l"}}, "service"),
        (
            {
                "fields": {"ts": "t", "endpoint": "p", "method": "m", "status": "s", "latency": "l"},
                "service": "x",
            },
            "host",
        ),
    ],
)
def test_check_refuses_mappings_that_cannot_fill_required_columns(data, message):
    with pytest.raises(UserError, match=message):
        applog.check(parse_log_mapping(data, "m.yaml"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": {"ts": "t"}, "servce": "x"}, "unknown keys servce"),
        ({"latency_unit": "min"}, "latency_unit 'min'"),
        ({"ts_unit": "ns"}, "ts_unit 'ns'"),
        ({"services": {"api": "x"}}, "path prefixes"),
        ({"fields": {"timestamp": "t"}}, "`fields` maps columns"),
        (["a list"], "expected a YAML mapping"),
    ],
)
def test_bad_mappings_name_the_file_and_the_problem(data, message):
    with pytest.raises(UserError, match=message) as err:
        parse_log_mapping(data, "m.yaml")
    assert "m.yaml" in str(err.value)
