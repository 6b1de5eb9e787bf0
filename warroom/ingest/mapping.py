"""Mappings: a YAML file that turns a foreign file's columns into a canonical table's, declared as data.

    table: events                  # the canonical table (the CLI's --table may repeat it, not contradict it)
    read:                          # optional, how to read the file
      header: false                #   the file has no header row ...
      columns: [user_id, item_id]  #   ... so these name its columns, in order
      delimiter: ","               #   CSV/TSV field separator (default: "," or tab for .tsv)
      encoding: gbk                #   text encoding (default: detected, UTF-8 or GBK)
      sheet: Sheet1                #   Excel sheet (default: the first)
    rest: drop                     # source columns no rule uses: keep (default; unknown ones are then an
                                   # error naming them) or drop
    columns:                       # canonical column: where its values come from
      customer_id: user_id                            # rename (shorthand for {from: user_id})
      event_type: {from: action, values: {0: view, 2: order}}  # map values; others pass on unchanged
      ts: {from: timestamp, unix: s}                  # unix time in s, ms or us (UTC)
      ts: {from: day, format: "%Y/%m/%d"}             # strptime format; no zone => the settings zone
      ts: {date: {year: 2015, month: month, day: day}}  # parts: a number or a column each (also hour,
                                                        # minute, second); read in the settings zone
      channel_id: {const: tmall}                      # the same value on every row
      device: {from: device, default: pc}             # fill empty values
      paid_amount: {from: total, round: 2}            # round a number to 2 decimals (half to even), for
                                                      # exports that write money as binary floats
                                                      # (22.200000000000003); validation never rounds
      event_id: {hash: [_file, _row]}                 # stable id: 63 bits of MD5 over the values
      session_id: {from: _row}                        # _row: the row's number in its file, from 1;
                                                      # _file: the file's name (without folders)

A mapping only reshapes: it never drops or adds rows and never judges values. A value it cannot convert
(a month "x", a timestamp that does not match the format) passes on as text, so validation rejects it with
its column and rule and the raw row lands in the quarantine, replayable once the mapping is fixed.
Hashes: MD5 of the values as text joined by U+001F (empty as \\N); its last 8 bytes read little-endian
(DuckDB's md5_number_lower) and shifted right by one bit, so ids are non-negative BIGINTs, the same on
every machine and every version.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from warroom.errors import UserError
from warroom.schema import get_table

ROW, FILE = "_row", "_file"
_SOURCES = ("from", "const", "hash", "date")
_ALLOWED = {"from", "const", "hash", "date", "values", "unix", "format", "default", "round"}
_UNIX_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1}
_DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")
_READ_KEYS = {"header", "columns", "delimiter", "encoding", "sheet"}


@dataclass(frozen=True)
class ColumnRule:
    target: str
    source: str | None = None
    const: Any = None
    hash: tuple[str, ...] = ()
    date: tuple[tuple[str, Any], ...] = ()  # (part, number or column name)
    values: tuple[tuple[str, Any], ...] = ()
    unix: str | None = None
    format: str | None = None
    default: Any = None
    round: int | None = None  # decimals

    @property
    def sources(self) -> set[str]:
        named = {self.source} | set(self.hash) | {v for _, v in self.date if isinstance(v, str)}
        return named - {None}


@dataclass(frozen=True)
class Mapping:
    path: str
    table: str | None
    read: dict
    rules: tuple[ColumnRule, ...]
    keep_rest: bool = True


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"mapping {path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UserError(f"mapping {path}: not valid YAML ({exc})") from None
    return parse_mapping(doc, str(path))


def parse_mapping(doc: object, path: str = "<mapping>") -> Mapping:
    """Check a mapping document and freeze it; every problem is listed in one UserError."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise UserError(f"mapping {path}: expected a YAML mapping with a `columns:` section")
    for key in set(doc) - {"table", "read", "rest", "columns"}:
        problems.append(f"unknown key {key!r} (allowed: table, read, rest, columns)")
    table = doc.get("table")
    spec = None
    if table is not None:
        try:
            spec = get_table(str(table))
        except UserError as exc:
            problems.append(f"table: {exc}")
    read = doc.get("read") or {}
    if not isinstance(read, dict):
        problems.append("read: expected a mapping of header, columns, delimiter, encoding, sheet")
        read = {}
    problems += [
        f"read.{k}: unknown key (allowed: {', '.join(sorted(_READ_KEYS))})" for k in set(read) - _READ_KEYS
    ]
    if "columns" in read and not (
        isinstance(read["columns"], list) and all(isinstance(c, str) for c in read["columns"])
    ):
        problems.append("read.columns: expected a list of column names")
    rest = doc.get("rest", "keep")
    if rest not in ("keep", "drop"):
        problems.append(f"rest: {rest!r} is not keep or drop")
    columns = doc.get("columns")
    rules = []
    if not isinstance(columns, dict) or not columns:
        problems.append("columns: expected a mapping of canonical column -> rule")
        columns = {}
    for target, body in columns.items():
        rule, issues = _parse_rule(str(target), body)
        problems += [f"columns.{target}: {i}" for i in issues]
        if spec is not None and not spec.has(str(target)):
            problems.append(
                f"columns.{target}: table {spec.name} has no such column ({', '.join(spec.column_names)})"
            )
        if rule:
            rules.append(rule)
    if problems:
        raise UserError(f"mapping {path}: " + "; ".join(sorted(problems)))
    return Mapping(path, spec.name if spec else None, dict(read), tuple(rules), rest == "keep")


def _parse_rule(target: str, body: object) -> tuple[ColumnRule | None, list[str]]:
    if isinstance(body, str):
        body = {"from": body}
    if not isinstance(body, dict):
        return None, [f"expected a source column name or a mapping with one of {', '.join(_SOURCES)}"]
    issues = [f"unknown key {k!r} (allowed: {', '.join(sorted(_ALLOWED))})" for k in set(body) - _ALLOWED]
    given = [k for k in _SOURCES if k in body]
    if len(given) != 1:
        issues.append(f"give exactly one of {', '.join(_SOURCES)} (got {', '.join(given) or 'none'})")
    if ("values" in body or "unix" in body or "format" in body) and "from" not in body:
        issues.append("values, unix and format apply to a `from` column")
    if "unix" in body and "format" in body:
        issues.append("give unix or format, not both")
    if "round" in body:
        if "from" not in body:
            issues.append("round applies to a `from` column")
        if len({"values", "unix", "format"} & set(body)):
            issues.append("round reads a number: give it without values, unix or format")
        if not (type(body["round"]) is int and 0 <= body["round"] <= 6):
            issues.append(f"round: {body['round']!r} is not a number of decimals from 0 to 6")
    if "unix" in body and body["unix"] not in _UNIX_TO_US:
        issues.append(f"unix: {body['unix']!r} is not one of s, ms, us")
    if "format" in body and not (isinstance(body["format"], str) and "%" in body["format"]):
        issues.append("format: expected a strptime format such as '%Y/%m/%d'")
    values = body.get("values", {})
    if not isinstance(values, dict):
        issues.append("values: expected a mapping of source value -> canonical value")
        values = {}
    hash_cols = body.get("hash", [])
    if not (isinstance(hash_cols, list) and hash_cols and all(isinstance(c, str) for c in hash_cols)):
        if "hash" in body:
            issues.append("hash: expected a non-empty list of column names")
        hash_cols = []
    date = body.get("date", {})
    if "date" in body:
        if not isinstance(date, dict):
            issues.append("date: expected a mapping of year, month, day (and hour, minute, second)")
            date = {}
        issues += [
            f"date.{k}: unknown part (allowed: {', '.join(_DATE_PARTS)})"
            for k in set(date) - set(_DATE_PARTS)
        ]
        issues += [f"date.{k}: required" for k in ("year", "month", "day") if k not in date]
        issues += [
            f"date.{k}: expected a number or a column name"
            for k, v in date.items()
            if not isinstance(v, int | str)
        ]
    if "from" in body and not isinstance(body["from"], str):
        issues.append("from: expected a column name")
    if issues:
        return None, issues
    return (
        ColumnRule(
            target,
            source=body.get("from"),
            const=body.get("const"),
            hash=tuple(hash_cols),
            date=tuple((k, date[k]) for k in _DATE_PARTS if k in date),
            values=tuple((_text(k), v) for k, v in values.items()),
            unix=body.get("unix"),
            format=body.get("format"),
            default=body.get("default"),
            round=body.get("round"),
        ),
        [],
    )


def _text(value: object) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def apply_mapping(mapping: Mapping, raw: pa.Table, row_numbers: np.ndarray, file_name: str) -> pa.Table:
    """The canonical-named columns of `raw` (one output row per input row, in order)."""
    n = raw.num_rows
    virtual = {ROW: pa.array(row_numbers, pa.int64()), FILE: pa.repeat(pa.scalar(file_name), n)}
    missing = sorted({s for r in mapping.rules for s in r.sources} - set(raw.column_names) - set(virtual))
    if missing:
        raise UserError(
            f"mapping {mapping.path}: columns {', '.join(missing)} are not in {file_name} "
            f"(its columns: {', '.join(raw.column_names)})"
        )

    def column(name: str) -> pa.Array:
        return virtual[name] if name in virtual else raw.column(name).combine_chunks()

    out: dict[str, pa.Array] = {}
    hashes = [r for r in mapping.rules if r.hash]
    hashed = _hashes(hashes, column, n) if hashes else {}
    for rule in mapping.rules:
        if rule.source is not None:
            values = _convert(rule, column(rule.source))
        elif rule.hash:
            values = hashed[rule.target]
        elif rule.date:
            values = _date(rule, column, n)
        else:
            values = pa.repeat(pa.scalar(rule.const), n) if rule.const is not None else pa.nulls(n)
        out[rule.target] = _fill(values, rule.default) if rule.default is not None else values
    if mapping.keep_rest:
        used = {s for r in mapping.rules for s in r.sources}
        for name in raw.column_names:
            if name not in used and name not in out:
                out[name] = raw.column(name).combine_chunks()
    return pa.table(out)


def _convert(rule: ColumnRule, values: pa.Array) -> pa.Array:
    if rule.values:
        text = _as_text(values)
        keys = pa.array([k for k, _ in rule.values])
        mapped = pc.take(
            pa.array([v for _, v in rule.values]).cast(pa.string()), pc.index_in(text, value_set=keys)
        )
        return pc.coalesce(mapped, text)  # an unmapped value passes on, for validation to name
    if rule.unix:
        return _unix(values, _UNIX_TO_US[rule.unix])
    if rule.round is not None:
        return _round(values, rule.round)
    if rule.format:
        text = _as_text(values)
        parsed = pc.strptime(text, format=rule.format, unit="us", error_is_null=True)
        return pc.coalesce(_iso(parsed), text)
    return values


def _round(values: pa.Array, decimals: int) -> pa.Array:
    """Numbers rounded to `decimals`, as text; anything else passes on unchanged, for validation to name."""
    text = _as_text(values)
    numeric = pc.match_substring_regex(text, r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
    number = pc.cast(
        pc.if_else(numeric, pc.utf8_trim_whitespace(text), pa.scalar(None, pa.string())), pa.float64()
    )
    rounded = pc.round(number, ndigits=decimals, round_mode="half_to_even")
    # Printed through a decimal: a float prints as 1919.1399999999999 where the rounded value is 1919.14.
    exact = pc.cast(pc.cast(rounded, pa.decimal128(38, decimals), safe=False), pa.string())
    return pc.coalesce(exact, text)


def _unix(values: pa.Array, to_us: int) -> pa.Array:
    text = _as_text(values)
    number = pc.if_else(
        pc.match_substring_regex(text, r"^\s*[+-]?\d+(\.\d*)?\s*$"), text, pa.scalar(None, pa.string())
    )
    micros = pc.round(pc.multiply(pc.cast(pc.utf8_trim_whitespace(number), pa.float64()), float(to_us)))
    micros = pc.if_else(pc.less(pc.abs(micros), 4e18), micros, pa.scalar(None, pa.float64()))  # int64 range
    stamps = pc.cast(pc.cast(micros, pa.int64()), pa.timestamp("us", tz="UTC"))
    return pc.coalesce(_iso(stamps), text)


def _date(rule: ColumnRule, column, n: int) -> pa.Array:
    def part(value: Any, width: int) -> pa.Array:
        text = pa.repeat(pa.scalar(str(value)), n) if isinstance(value, int) else _as_text(column(value))
        return pc.utf8_lpad(pc.utf8_trim_whitespace(text), width=width, padding="0")

    parts = dict(rule.date)
    pieces = [part(parts["year"], 4), "-", part(parts["month"], 2), "-", part(parts["day"], 2)]
    if "hour" in parts:
        pieces += [
            " ",
            part(parts["hour"], 2),
            ":",
            part(parts.get("minute", 0), 2),
            ":",
            part(parts.get("second", 0), 2),
        ]
    arrays = [pa.repeat(pa.scalar(p), n) if isinstance(p, str) else p for p in pieces]
    return pc.binary_join_element_wise(*arrays, "")


def _hashes(rules: list[ColumnRule], column, n: int) -> dict[str, pa.Array]:
    names = sorted({c for r in rules for c in r.hash})
    inputs = pa.table({f"c{i}": _as_text(column(c)) for i, c in enumerate(names)})
    index = {c: f"c{i}" for i, c in enumerate(names)}
    exprs = []
    for r in rules:
        texts = ", ".join(f"coalesce({index[c]}, '\\N')" for c in r.hash)
        exprs.append(f"(md5_number_lower(concat_ws(chr(31), {texts})) >> 1)::BIGINT")
    con = duckdb.connect()
    try:
        con.register("_inputs", inputs)
        result = con.sql(f"SELECT {', '.join(exprs)} FROM _inputs").to_arrow_table()
    finally:
        con.close()
    return {r.target: result.column(i).combine_chunks() for i, r in enumerate(rules)}


def _fill(values: pa.Array, default: Any) -> pa.Array:
    if pa.types.is_null(values.type):
        return pa.repeat(pa.scalar(default), len(values))
    if pa.types.is_string(values.type):
        missing = pc.or_kleene(values.is_null(), pc.equal(pc.utf8_trim_whitespace(values), ""))
        return pc.if_else(missing, pa.scalar(_text(default)), values)
    try:
        return pc.coalesce(values, pa.scalar(default).cast(values.type))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pc.coalesce(_as_text(values), pa.scalar(_text(default)))


def _as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_floating(values.type):
        # 3.0 from Excel or JSON means 3: integral floats print without the ".0", as the source showed them.
        whole = pc.equal(pc.floor(values), values)
        as_int = pc.cast(pc.if_else(whole, values, pa.scalar(None, values.type)), pa.int64(), safe=False)
        return pc.coalesce(pc.cast(as_int, pa.string()), pc.cast(values, pa.string()))
    return pc.cast(values, pa.string())


def _iso(stamps: pa.Array) -> pa.Array:
    """Timestamps as ISO text for validation to read: zoned ones with their offset, naive ones without."""
    fmt = "%Y-%m-%dT%H:%M:%S%z" if stamps.type.tz else "%Y-%m-%dT%H:%M:%S"
    return pc.strftime(stamps, format=fmt)
