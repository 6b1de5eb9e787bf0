"""JSON-lines application logs -> api_requests, by a log mapping's `fields` (see logmapping.py).

    {"time": "2026-11-11T00:00:01.250+08:00", "svc": "order", "http": {"path": "/api/order/12345?from=app",
     "method": "post", "status": 200}, "duration": 0.042, "hostname": "api-3", "msg": "created"}

Each line is parsed with orjson (1M lines/s on this machine, DESIGN.md) and its fields picked by dotted
path; the values are handed on as they are, so validation judges them and names the column and rule (a
status "abc" is rejected as not a BIGINT, replayable once fixed). What this module does to values: the
endpoint is templated (endpoints.py), the method upper-cased, the latency scaled from `latency_unit` to ms,
a numeric `ts` read as unix time in `ts_unit`. A line that is not a JSON object is a LineProblem
(quarantined as malformed).
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from warroom.errors import UserError
from warroom.sources.endpoints import templates
from warroom.sources.lines import LineProblem, Lines, Parsed
from warroom.sources.logmapping import UNITS_TO_MS, UNIX_TO_US, LogMapping, constant

EXPECTED = 'a JSON object per line, e.g. {"time": "2026-11-11T00:00:01+08:00", "path": "/api/cart", ...}'
REQUIRED = ("ts", "endpoint", "method", "status", "latency")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse(lines: Lines, mapping: LogMapping) -> Parsed:
    objects, numbers, problems = [], [], []
    for number, line in zip(lines.numbers.tolist(), lines.text.to_pylist(), strict=True):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problems.append(LineProblem(number, None, line, f"is not {EXPECTED} ({exc})", line))
            continue
        if not isinstance(obj, dict):
            problems.append(LineProblem(number, None, line, f"is not {EXPECTED}", line))
            continue
        objects.append(obj)
        numbers.append(number)
    n = len(objects)
    picked = {name: _pick(objects, path) for name, path in mapping.fields.items()}
    endpoint = templates(_column(picked["endpoint"]))
    service = _column(picked["service"]) if "service" in picked else pa.nulls(n, pa.string())
    host = _column(picked["host"]) if "host" in picked else pa.nulls(n, pa.string())
    method = _column(picked["method"])
    rows = pa.table(
        {
            "ts": _column(_times(picked["ts"], mapping.ts_unit)),
            "service": pc.coalesce(service.cast(pa.string()), mapping.services_for(endpoint)),
            "endpoint": endpoint,
            "method": pc.utf8_upper(method) if pa.types.is_string(method.type) else method,
            "status_code": _column(picked["status"]),
            "latency_ms": _column(_scaled(picked["latency"], UNITS_TO_MS[mapping.latency_unit])),
            "host": pc.coalesce(host.cast(pa.string()), constant(mapping.host, n)),
            "sample_rate": pa.repeat(pa.scalar(1.0), n),
        }
    )
    return Parsed(rows, np.array(numbers, dtype=np.int64), problems)


def check(mapping: LogMapping) -> None:
    """Refuse, before reading, a mapping that cannot give every row its required columns."""
    where = f"log mapping {mapping.path}" if mapping.path else "--format applog"
    missing = [f for f in REQUIRED if f not in mapping.fields]
    if missing:
        raise UserError(
            f"{where}: `fields` must name the JSON field of {', '.join(missing)} (see examples/logs/applog.yaml)"
        )
    if "service" not in mapping.fields and mapping.service is None and not mapping.services:
        raise UserError(
            f"{where}: where does the service come from? give --service, or `fields: service` in the mapping"
        )
    if "host" not in mapping.fields and mapping.host is None:
        raise UserError(
            f"{where}: where does the host come from? give --host, or `fields: host` in the mapping"
        )


def _pick(objects: list[dict], path: str) -> list:
    keys = path.split(".")
    if len(keys) == 1:
        return [o.get(path) for o in objects]
    out = []
    for o in objects:
        value = o
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        out.append(value)
    return out


def _column(values: list) -> pa.Array:
    """Values as Arrow, or as text when a column mixes kinds (a status 200 here, "200" there): validation
    reads text of every type, so nothing is lost and a bad value is rejected with its column."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else _text(v) for v in values], pa.string())


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scaled(values: list, factor: float) -> list:
    if factor == 1.0:
        return values
    out = []
    for v in values:
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                pass  # left as text: validation rejects it as not a number
        out.append(v * factor if _is_number(v) else v)
    return out


def _times(values: list, unit: str | None) -> list:
    """Numbers as unix time in `unit` (left alone without one: validation rejects them as not a time)."""
    if unit is None:
        return values
    per_second = 1_000_000 / UNIX_TO_US[unit]
    out = []
    for v in values:
        if _is_number(v):
            try:
                v = _EPOCH + timedelta(seconds=v / per_second)
            except OverflowError:
                pass  # far outside any sale day: left as a number, rejected by validation
        out.append(v)
    return out
