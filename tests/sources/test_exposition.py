"""The Prometheus text format parser against hand-written lines of the spec's cases."""

import math

import pytest

from warroom.sources import exposition
from warroom.sources.exposition import Sample, parse_sample
from warroom.sources.lines import lines_of


def parse(text: str):
    return exposition.parse(lines_of(text.encode()))


@pytest.mark.parametrize(
    ("line", "name", "labels", "value", "ts"),
    [
        ("up 1", "up", {}, 1.0, None),
        (
            'http_requests_total{method="post",code="200"} 1027 1395066363000',
            "http_requests_total",
            {"method": "post", "code": "200"},
            1027.0,
            1395066363000,
        ),
        # escaping: backslash, double quote and line feed in a label value
        (
            r'msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9',
            "msdos_file_access_time_seconds",
            {"path": r"C:\DIR\FILE.TXT", "error": 'Cannot find file:\n"FILE.TXT"'},
            1.458255915e9,
            None,
        ),
        (
            'http_request_duration_seconds_bucket{le="+Inf"} 144320',
            "http_request_duration_seconds_bucket",
            {"le": "+Inf"},
            144320.0,
            None,
        ),
        ("metric_without_timestamp_and_labels 12.47", "metric_without_timestamp_and_labels", {}, 12.47, None),
        (
            'something_weird{problem="division by zero"} +Inf -3982045',
            "something_weird",
            {"problem": "division by zero"},
            math.inf,
            -3982045,
        ),
        ("x -Inf", "x", {}, -math.inf, None),
        ('  \tspaced { a = "1" ,\tb="2", }\t 3  7 ', "spaced", {"a": "1", "b": "2"}, 3.0, 7),
        ('odd{v="a}b,c=d"} 2', "odd", {"v": "a}b,c=d"}, 2.0, None),  # } , = inside a value
        ("empty_set{} 4", "empty_set", {}, 4.0, None),
        ("colon:name 0.5e-3", "colon:name", {}, 0.0005, None),
    ],
)
def test_sample_lines(line, name, labels, value, ts):
    assert parse_sample(line.strip(" \t"), 3) == Sample(name, labels, value, ts, 3)


def test_nan_is_a_value():
    sample = parse_sample("x NaN")
    assert isinstance(sample, Sample) and math.isnan(sample.value)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ('x{a="1" 2', None),  # unclosed label set
        ('x{a="\\t"} 1', None),  # \t is not one of the three escapes
        ('x{a="1",a="2"} 1', None),  # repeated label
        ('x{1a="b"} 1', None),  # label name starting with a digit
        ("x one", None),  # value not a float
        ("x 1_000", None),  # Go refuses underscores here; Python's float() would not
        ("x 1 12.5", "ts"),  # timestamp not an integer
        ("x 1 2 3", None),
        ("9x 1", None),
    ],
)
def test_bad_sample_lines(line, column):
    result = parse_sample(line)
    assert not isinstance(result, Sample)
    assert result[0] == column


def test_comments_help_and_type_lines():
    parsed = parse(
        "# HELP api_http_requests_total The total number of HTTP requests.\n"
        "# TYPE api_http_requests_total counter\n"
        "# a plain comment, ignored\n"
        "#\n"
        "\n"
        'api_http_requests_total{method="post"} 1027\n'
        "# TYPE broken not_a_type\n"
        "# TYPE\n"
        "# HELP 9bad text\n"
    )
    assert parsed.types == {"api_http_requests_total": "counter"}
    assert [(s.name, s.line) for s in parsed.samples] == [("api_http_requests_total", 6)]
    assert [p.number for p in parsed.problems] == [7, 8, 9]
