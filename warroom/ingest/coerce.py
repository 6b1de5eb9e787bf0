"""Coercing one column of any Arrow type to its canonical type, vectorised, marking the values that do not fit.

Every function takes a whole column and returns the canonical array (null where a value was bad) and a
mask per rule of the values that failed. Nothing loops over rows in Python: files arrive as strings, so
strings are checked with a regular expression first and only the values that match are cast (an Arrow
cast fails the whole array on one bad value).

Conventions, the same for every source format:
- An empty or blank string is a missing value (CSV cannot say null any other way).
- Money keeps fen exactly: 12.345 is rejected (rule `money_precision`), never rounded; "12.300" is 12.30.
  Floats are accepted when they are within 0.001 fen of a whole fen (12.34 read as a float is
  12.339999...), which tells float noise from a real third decimal.
- Timestamps with a zone or offset ("...Z", "...+08:00", zoned Arrow timestamps) are instants; timestamps
  without one (naive strings, naive Arrow timestamps, dates) are wall-clock time in the settings time zone
  (Asia/Shanghai by default), because that is how Chinese shop systems export them. All are stored in UTC.
- Numbers are not timestamps: unix seconds need a mapping (`unix: s`), since s, ms and us cannot be told apart.
"""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warroom.schema import ColumnType, fen_to_money

_INT_RE = r"^[+-]?\d{1,18}$"
_INT19_RE = r"^[+-]?\d{19}$"  # 19 digits may still fit int64: compared as text against the maximum
_INT64_MAX = "9223372036854775807"
_FLOAT_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# At most 16 integer digits keeps DECIMAL(18,2); trailing zeros past the fen are harmless ("12.300").
_MONEY_RE = r"^[+-]?\d{1,16}(\.\d{1,2}0*)?$"
_DECIMAL_RE = r"^[+-]?\d+\.\d+$"
_ISO_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_ISO_ZONED_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s?(Z|z|[+-]\d{2}(:?\d{2})?)$"
# A subset of _ISO_ZONED_RE that Arrow's cast reads exactly as the general path does.
_ISO_INSTANT_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_FEN_TOLERANCE = 1e-3
_MAX_EXACT_FEN = 2.0**53  # beyond this a float cannot hold a whole number of fen exactly


@dataclass
class Coerced:
    """A column in its canonical type (null where bad) and, per rule, a mask of the values that failed it."""

    values: pa.Array
    problems: list[tuple[str, pa.Array]] = field(default_factory=list)


def coerce(kind: ColumnType, column: pa.Array | pa.ChunkedArray, timezone: str) -> Coerced:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    if pa.types.is_null(arr.type):
        return Coerced(pa.nulls(len(arr), kind.arrow))
    if pa.types.is_string(arr.type):
        if kind is not ColumnType.TEXT:
            arr = pc.utf8_trim_whitespace(arr)
        empty = pc.equal(arr, "")
        if empty.true_count:
            arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    return _BY_KIND[kind](arr, timezone)


def _null_unless(ok: pa.Array, arr: pa.Array) -> pa.Array:
    return pc.if_else(ok, arr, pa.scalar(None, arr.type))


def _failed(ok: pa.Array, arr: pa.Array) -> pa.Array:
    """True where a present value is not ok (missing values are the required rule's business)."""
    return pc.and_(arr.is_valid(), pc.invert(pc.fill_null(ok, False)))


def _all_bad(arr: pa.Array, kind: ColumnType) -> Coerced:
    return Coerced(pa.nulls(len(arr), kind.arrow), [("type", arr.is_valid())])


def _integer(arr: pa.Array, _tz: str) -> Coerced:
    t = arr.type
    if pa.types.is_integer(t):
        ok = pc.less_equal(arr, np.iinfo(np.int64).max) if t == pa.uint64() else None
    elif pa.types.is_floating(t):
        ok = pc.and_(pc.is_finite(arr), pc.equal(pc.floor(arr), arr))
        ok = pc.and_(ok, pc.less(pc.abs(arr), 2.0**63))
    elif pa.types.is_decimal(t):
        ok = pc.and_(pc.equal(pc.round(arr, 0), arr), pc.less(pc.abs(arr), pa.scalar(2**63 - 1).cast(t)))
    elif pa.types.is_string(t):
        long = pc.match_substring_regex(arr, _INT19_RE)
        digits = pc.utf8_ltrim(arr, characters="+-")
        ok = pc.or_(
            pc.match_substring_regex(arr, _INT_RE),
            pc.and_(long, pc.less_equal(digits, _INT64_MAX)),
        )
    else:
        return _all_bad(arr, ColumnType.INT)
    if ok is None:
        return Coerced(arr.cast(pa.int64()))
    text = _unplus(arr) if pa.types.is_string(t) else arr
    return Coerced(_null_unless(ok, text).cast(pa.int64()), [("type", _failed(ok, arr))])


def _unplus(text: pa.Array) -> pa.Array:
    """Arrow's number parser refuses a leading '+', which spreadsheets write."""
    return pc.replace_substring_regex(text, r"^\+", "")


def _float(arr: pa.Array, _tz: str) -> Coerced:
    t = arr.type
    if pa.types.is_string(t):
        ok = pc.match_substring_regex(arr, _FLOAT_RE)
        values = _null_unless(ok, _unplus(arr)).cast(pa.float64())
    elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = arr.cast(pa.float64())
        ok = pa.array(np.ones(len(arr), dtype=bool))
    else:
        return _all_bad(arr, ColumnType.FLOAT)
    ok = pc.and_(pc.fill_null(ok, False), pc.fill_null(pc.is_finite(values), False))
    return Coerced(_null_unless(ok, values), [("type", _failed(ok, arr))])


def _money(arr: pa.Array, _tz: str) -> Coerced:
    t = arr.type
    money = ColumnType.MONEY.arrow
    if pa.types.is_string(t):
        ok = pc.match_substring_regex(arr, _MONEY_RE)
        too_precise = pc.and_(pc.invert(ok), pc.match_substring_regex(arr, _DECIMAL_RE))
        values = _null_unless(ok, arr).cast(money)
        return Coerced(
            values,
            [("money_precision", _failed(pc.invert(too_precise), arr)), *_type_only(ok, too_precise, arr)],
        )
    if pa.types.is_integer(t):
        ok = pc.less(pc.abs(arr.cast(pa.float64(), safe=False)), 1e16)
        # Through a decimal wide enough for any int64: Arrow refuses int64 -> DECIMAL(18,2) outright, whatever
        # the values, and the check above keeps each one inside money's 16 integer digits.
        wide = _null_unless(ok, arr).cast(pa.int64()).cast(pa.decimal128(21, 2))
        return Coerced(wide.cast(money), [("type", _failed(ok, arr))])
    if pa.types.is_floating(t):
        fen = pc.multiply(arr.cast(pa.float64()), 100.0)
        whole = pc.round(fen)
        in_range = pc.and_(pc.is_finite(fen), pc.less(pc.abs(fen), _MAX_EXACT_FEN))
        exact = pc.less_equal(pc.abs(pc.subtract(fen, whole)), _FEN_TOLERANCE)
        ok = pc.fill_null(pc.and_(in_range, exact), False)
        fen_int = pc.fill_null(_null_unless(ok, whole), 0.0).to_numpy(zero_copy_only=False).astype(np.int64)
        values = _null_unless(ok, fen_to_money(fen_int))
        too_precise = pc.and_(in_range, pc.invert(exact))
        return Coerced(
            values,
            [("money_precision", _failed(pc.invert(too_precise), arr)), *_type_only(ok, too_precise, arr)],
        )
    if pa.types.is_decimal(t):
        if t.scale <= 2 and t.precision - t.scale <= money.precision - money.scale:
            return Coerced(arr.cast(money))  # fits as it is: the simulator's own DECIMAL(18,2), say
        in_range = pc.less(pc.abs(arr.cast(pa.float64())), 1e16)
        if t.scale <= 2:
            return Coerced(_null_unless(in_range, arr).cast(money), [("type", _failed(in_range, arr))])
        rounded = pc.round(arr, 2)
        exact = pc.equal(rounded, arr)
        ok = pc.and_(in_range, exact)
        values = _null_unless(ok, rounded).cast(money)
        too_precise = pc.and_(in_range, pc.invert(exact))
        return Coerced(
            values,
            [("money_precision", _failed(pc.invert(too_precise), arr)), *_type_only(ok, too_precise, arr)],
        )
    return _all_bad(arr, ColumnType.MONEY)


def _type_only(ok: pa.Array, other_rule: pa.Array, arr: pa.Array) -> list[tuple[str, pa.Array]]:
    """The `type` failures that are not already counted under another rule (one rule per bad value)."""
    return [("type", _failed(pc.or_(pc.fill_null(ok, False), other_rule), arr))]


def _text(arr: pa.Array, _tz: str) -> Coerced:
    if pa.types.is_string(arr.type):
        return Coerced(arr)
    try:
        return Coerced(arr.cast(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _all_bad(arr, ColumnType.TEXT)


def _bool(arr: pa.Array, _tz: str) -> Coerced:
    t = arr.type
    if pa.types.is_boolean(t):
        return Coerced(arr)
    if pa.types.is_integer(t):
        ok = pc.is_in(arr, value_set=pa.array([0, 1], t))
        return Coerced(pc.not_equal(_null_unless(ok, arr), 0), [("type", _failed(ok, arr))])
    if pa.types.is_string(t):
        lower = pc.utf8_lower(arr)
        truth = pc.is_in(lower, value_set=pa.array(_TRUE))
        ok = pc.or_(truth, pc.is_in(lower, value_set=pa.array(_FALSE)))
        return Coerced(_null_unless(ok, truth), [("type", _failed(ok, arr))])
    return _all_bad(arr, ColumnType.BOOL)


def _timestamp(arr: pa.Array, timezone: str) -> Coerced:
    t = arr.type
    utc = ColumnType.TIMESTAMP.arrow
    if pa.types.is_timestamp(t):
        if t.tz is None:
            return Coerced(_local_to_utc(arr.cast(pa.timestamp("us"), safe=False), timezone))
        return Coerced(arr.cast(utc, safe=False))
    if pa.types.is_date(t):
        return Coerced(_local_to_utc(arr.cast(pa.timestamp("us")), timezone))
    if not pa.types.is_string(t):
        return _all_bad(arr, ColumnType.TIMESTAMP)
    if _all_match(arr, _ISO_INSTANT_RE):
        # The common form (an ISO instant with seconds and Z or +hh:mm, what JSON encoders write): one regex
        # and one cast instead of the general path's five passes. A value the cast refuses (2026-02-30)
        # takes the general path, which finds it.
        try:
            return Coerced(arr.cast(utc))
        except pa.ArrowInvalid:
            pass
    normal = pc.replace_substring(arr, "T", " ", max_replacements=1)
    zoned = pc.fill_null(pc.match_substring_regex(normal, _ISO_ZONED_RE), False)
    naive = pc.fill_null(pc.match_substring_regex(normal, _ISO_RE), False)
    # Arrow parses "+0800" and "+08:00" but not "+08" or a space before the zone: normalise those.
    zoned_text = pc.replace_substring_regex(normal, r"\s?([+-]\d{2})$", r"\1:00")
    zoned_text = pc.replace_substring_regex(zoned_text, r"\s(Z|z|[+-]\d{2}:?\d{2})$", r"\1")
    from_zoned = _parse_iso(_null_unless(zoned, zoned_text), utc)
    from_naive = _local_to_utc(_parse_iso(_null_unless(naive, normal), pa.timestamp("us")), timezone)
    values = pc.coalesce(from_zoned, from_naive)
    return Coerced(values, [("type", _failed(values.is_valid(), arr))])


def _all_match(text: pa.Array, pattern: str) -> bool:
    present = len(text) - text.null_count
    return present > 0 and pc.match_substring_regex(text, pattern).true_count == present


def _parse_iso(text: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast ISO strings already shaped right by a regex; a value like 2026-02-30 fails the vectorised cast,
    and only then are the values parsed one by one to find it (the rare path, never the common one)."""
    try:
        return text.cast(target)
    except pa.ArrowInvalid:
        parsed = []
        for value in text.to_pylist():
            try:
                parsed.append(None if value is None else datetime.fromisoformat(value))
            except ValueError:
                parsed.append(None)
        return pa.array(parsed, pa.timestamp("us", tz="UTC") if target.tz else pa.timestamp("us"))


def _local_to_utc(naive: pa.Array, timezone: str) -> pa.Array:
    # Shanghai has had no daylight saving since 1991; "earliest" only matters for zones that do.
    local = pc.assume_timezone(naive, timezone=timezone, ambiguous="earliest", nonexistent="earliest")
    return local.cast(ColumnType.TIMESTAMP.arrow)


_BY_KIND = {
    ColumnType.ID: _integer,
    ColumnType.INT: _integer,
    ColumnType.FLOAT: _float,
    ColumnType.MONEY: _money,
    ColumnType.TEXT: _text,
    ColumnType.BOOL: _bool,
    ColumnType.TIMESTAMP: _timestamp,
}
