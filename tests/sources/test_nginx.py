"""nginx access lines parsed into api_requests rows: hand-written lines with their known values."""

from datetime import UTC, datetime

import pytest

from warroom.errors import UserError
from warroom.sources import nginx
from warroom.sources.lines import lines_of
from warroom.sources.logmapping import LogMapping

MAPPING = LogMapping(service="shop", host="gw-01")


def parse(*lines: str, mapping: LogMapping = MAPPING):
    return nginx.parse(lines_of(("\n".join(lines) + "\n").encode()), mapping)


def one(line: str, mapping: LogMapping = MAPPING) -> dict:
    parsed = parse(line, mapping=mapping)
    assert parsed.problems == []
    (row,) = parsed.rows.to_pylist()
    return row


def test_a_combined_line_with_request_time():
    row = one(
        '10.0.3.17 - - [11/Nov/2026:00:00:01 +0800] "GET /api/item/100234?spm=a1.b2 HTTP/1.1" 200 5120 '
        '"https://shop.example/" "Mozilla/5.0 (iPhone)" 0.012'
    )
    assert row == {
        "ts": datetime(2026, 11, 10, 16, 0, 1, tzinfo=UTC),
        "service": "shop",
        "endpoint": "/api/item/{id}",
        "method": "GET",
        "status_code": 200,
        "latency_ms": 12.0,
        "host": "gw-01",
        "sample_rate": 1.0,
    }


@pytest.mark.parametrize(
    "agent",
    [
        r"Mozilla/5.0 \x22Tmall\x22 App",  # nginx's own escaping of a quote
        r"Mozilla/5.0 \"Tmall\" App",  # Apache-style
        r"ends with a backslash \\",
        "-",
    ],
)
def test_escaped_quotes_and_dashes_in_quoted_fields(agent):
    row = one(f'10.0.0.1 - - [11/Nov/2026:00:00:01 +0800] "GET /a HTTP/1.1" 200 1 "-" "{agent}" 0.5')
    assert (row["endpoint"], row["latency_ms"]) == ("/a", 500.0)


def test_ipv6_user_upstream_times_and_http2():
    row = one(
        '2001:db8::7 - alice [11/Nov/2026:09:30:00 -0130] "POST /api/order/8812734 HTTP/2.0" 201 870 "-" "-" '
        "1.250 0.010, 1.200"
    )
    assert row["ts"] == datetime(2026, 11, 11, 11, 0, 0, tzinfo=UTC)  # 09:30 at -01:30 is 11:00 UTC
    assert (row["method"], row["endpoint"], row["status_code"], row["latency_ms"]) == (
        "POST",
        "/api/order/{id}",
        201,
        1250.0,
    )


def test_services_by_longest_prefix_then_the_constant():
    mapping = LogMapping(
        service="gateway", host="gw-01", services=(("/api/order/items", "items"), ("/api/order", "order"))
    )
    parsed = parse(
        *(
            f'1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "GET {p} HTTP/1.1" 200 1 "-" "-" 0.001'
            for p in ("/api/order/1", "/api/order", "/api/orders", "/api/order/items/2", "/x")
        ),
        mapping=mapping,
    )
    assert parsed.rows.column("service").to_pylist() == ["order", "order", "gateway", "items", "gateway"]


def test_leap_day_is_a_date_only_in_a_leap_year():
    good = one('1.1.1.1 - - [29/Feb/2028:12:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" 0.001')
    assert good["ts"] == datetime(2028, 2, 29, 12, tzinfo=UTC)
    bad = parse('1.1.1.1 - - [29/Feb/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-" 0.001')
    assert bad.rows.num_rows == 0
    assert [(p.number, p.column, p.value) for p in bad.problems] == [(1, "ts", "29/Feb/2026:12:00:00 +0000")]


def test_unreadable_lines_are_problems_with_their_line_number_column_and_value():
    lines = [
        '1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "GET /ok HTTP/1.1" 200 1 "-" "-" 0.001',  # 1
        "garbled \x00 nonsense",  # 2
        '1.1.1.1 - - [31/Nov/2026:00:00:01 +0800] "GET / HTTP/1.1" 200 1 "-" "-" 0.001',  # 3: no 31 Nov
        '1.1.1.1 - - [11/Nov/2026:24:00:01 +0800] "GET / HTTP/1.1" 200 1 "-" "-" 0.001',  # 4: hour 24
        '1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "GET / HTTP/1.1" abc 1 "-" "-" 0.001',  # 5
        '1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "GET / HTTP/1.1" 200 1 "-" "-" -',  # 6
        r'1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "\x16\x03\x01" 400 1 "-" "-" 0.001',  # 7: TLS on port 80
        '1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "-" 400 0 "-" "-" 0.000',  # 8
        '1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',  # 9: no $request_time
    ]
    parsed = parse(*lines)
    assert parsed.numbers.tolist() == [1]
    assert [(p.number, p.column, p.value) for p in parsed.problems] == [
        (2, None, lines[1]),
        (3, "ts", "31/Nov/2026:00:00:01 +0800"),
        (4, "ts", "11/Nov/2026:24:00:01 +0800"),
        (5, "status_code", "abc"),
        (6, "latency_ms", "-"),
        (7, "method", r"\x16\x03\x01"),
        (8, "method", "-"),
        (9, None, lines[8]),
    ]
    assert all(p.line == lines[p.number - 1] for p in parsed.problems)


def test_values_the_schema_refuses_are_left_for_validation():
    row = one('1.1.1.1 - - [11/Nov/2026:00:00:01 +0800] "PROPFIND /dav HTTP/1.1" 999 1 "-" "-" 0.001')
    assert (row["method"], row["status_code"]) == ("PROPFIND", 999)


def test_options_must_give_service_and_host():
    with pytest.raises(UserError, match="--service"):
        nginx.check(LogMapping(host="h"))
    with pytest.raises(UserError, match="--host"):
        nginx.check(LogMapping(service="s"))
    nginx.check(LogMapping(host="h", services=(("/api", "api"),)))
