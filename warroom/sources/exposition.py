"""The Prometheus text exposition format (version 0.0.4), read line by line into samples.

Following https://prometheus.io/docs/instrumenting/exposition_formats/ ("Text format details"):
- Lines are separated by line feeds; blank lines are ignored; tokens are separated by any number of blanks
  or tabs, and leading and trailing blanks are ignored.
- A line whose first non-blank character is # is a comment. `# HELP name text` and `# TYPE name type` are
  read (the type must be counter, gauge, histogram, summary or untyped); any other comment is ignored.
- A sample is `name{label="value",...} value [timestamp]`: the label set is optional, may end with a
  comma, and label values escape backslash, double quote and line feed as \\\\, \\" and \\n (any other escape
  is an error, as in Prometheus's own parser). The value is a Go float: NaN, +Inf and -Inf included; the
  timestamp an int64 of milliseconds since the epoch, optional.
Not enforced: "one TYPE line per metric" and "a metric's lines in one group", because a file here may hold
several scrapes one after another (the way to get counter rates, see prometheus.py).

Pure Python with one compiled pattern per line: scrape files are small (node_exporter writes ~1-2k lines
per host per scrape), unlike access logs.
"""

import math
import re
from dataclasses import dataclass

from warroom.sources.lines import LineProblem, Lines

TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"[ \t]*({_NAME})[ \t]*(?:\{{(.*)\}})?[ \t]*([^ \t{{}}]+)(?:[ \t]+([^ \t]+))?[ \t]*")
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')
_ESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"\\": "\\", '"': '"', "n": "\n"}
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN])")
_INT = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    timestamp_ms: int | None
    line: int


@dataclass
class Exposition:
    samples: list[Sample]
    types: dict[str, str]
    problems: list[LineProblem]


def parse(lines: Lines) -> Exposition:
    out = Exposition([], {}, [])
    for number, line in zip(lines.numbers.tolist(), lines.text.to_pylist(), strict=True):
        stripped = line.strip(" \t")
        if stripped.startswith("#"):
            problem = _comment(stripped, out.types)
        else:
            sample = parse_sample(stripped, number)
            if isinstance(sample, Sample):
                out.samples.append(sample)
                continue
            problem = sample
        if problem:
            column, value, detail = problem
            out.problems.append(LineProblem(number, column, value, detail, line))
    return out


def parse_sample(text: str, number: int = 0) -> "Sample | tuple[str | None, str, str]":
    """A sample line as a Sample, or (column, value, why) for a line that is not one."""
    m = _SAMPLE.fullmatch(text)
    if not m:
        return None, text, 'is not a sample line `name{label="value",...} value [timestamp_ms]`'
    name, label_text, value_text, ts_text = m.groups()
    labels = parse_labels(label_text) if label_text is not None else {}
    if isinstance(labels, str):
        return None, label_text, labels
    value = parse_float(value_text)
    if value is None:
        return None, value_text, "is not a sample value (a float, NaN, +Inf or -Inf)"
    timestamp = None
    if ts_text is not None:
        if not _INT.fullmatch(ts_text):
            return "ts", ts_text, "is not a timestamp (an integer of milliseconds since 1970-01-01 UTC)"
        timestamp = int(ts_text)
    return Sample(name, labels, value, timestamp, number)


def parse_labels(text: str) -> "dict[str, str] | str":
    """The labels inside {...}, unescaped; or why they cannot be read."""
    labels: dict[str, str] = {}
    pos = 0
    if not text.strip(" \t"):
        return labels
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            return f'is not a label set `name="value",...` (at character {pos + 1})'
        name, raw, comma = m.groups()
        value = unescape(raw)
        if value is None:
            return f'has an escape other than \\\\, \\" or \\n in label {name}'
        if name in labels:
            return f"repeats label {name}"
        labels[name] = value
        pos = m.end()
        if not comma:
            break
        if not text[pos:].strip(" \t"):  # a trailing comma
            break
    return labels


def unescape(raw: str) -> str | None:
    bad = False

    def one(m: re.Match) -> str:
        nonlocal bad
        if m.group(1) not in _UNESCAPED:
            bad = True
            return ""
        return _UNESCAPED[m.group(1)]

    value = _ESCAPE.sub(one, raw)
    return None if bad else value


def parse_float(text: str) -> float | None:
    """A float as Go's strconv.ParseFloat writes the exposition's values: decimal, NaN, +Inf, -Inf."""
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return math.nan if math.isnan(value) else value


def _comment(text: str, types: dict[str, str]) -> tuple[str | None, str, str] | None:
    tokens = text[1:].split(None, 3)
    if len(tokens) < 1 or tokens[0] not in ("HELP", "TYPE"):
        return None  # a plain comment
    if len(tokens) < 2 or not re.fullmatch(_NAME, tokens[1]):
        return None, text, f"is not `# {tokens[0]} metric_name ...`"
    if tokens[0] == "TYPE":
        kind = tokens[2] if len(tokens) > 2 else ""
        if len(tokens) != 3 or kind not in TYPES:
            return None, text, f"is not `# TYPE {tokens[1]} <{'|'.join(TYPES)}>`"
        types[tokens[1]] = kind
    return None
