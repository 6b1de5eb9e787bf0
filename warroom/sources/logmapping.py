"""Log mappings: a small YAML saying where a log's rows get what the log itself does not say, as data.

    service: shop                  # constants, for rows that do not carry them (the command line's
    host: web-01                   # --service/--host/--role take precedence)
    role: web
    services:                      # nginx, applog: path prefix -> service; the longest matching prefix
      /api/order: order            # wins; "/api/order" matches /api/order and /api/order/1, not /api/orders
      /api/pay: payment
    fields:                        # applog: the JSON field of each column; a.b reads {"a": {"b": ...}}
      ts: time                     #   ISO 8601 text (without a zone: the settings time zone), or unix
      service: svc                 #   time in `ts_unit`
      endpoint: http.path          #   templated: query string dropped, ids become {id}
      method: http.method
      status: http.status
      latency: duration            #   in `latency_unit`
      host: hostname
    latency_unit: ms               # ms | s | us (default ms)
    ts_unit: s                     # s | ms | us: for a `ts` field holding unix time (default: none, text)

A service comes from the row's field, else the longest matching prefix, else `service`; a host from the
field, else `host`. Unknown keys are an error naming the file and the key: a typo must not pass quietly.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from warroom.errors import UserError

FIELDS = ("ts", "service", "endpoint", "method", "status", "latency", "host")
UNITS_TO_MS = {"ms": 1.0, "s": 1000.0, "us": 0.001}
UNIX_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1}
_KEYS = {"service", "host", "role", "services", "fields", "latency_unit", "ts_unit"}


@dataclass(frozen=True)
class LogMapping:
    path: str | None = None
    service: str | None = None
    host: str | None = None
    role: str | None = None
    services: tuple[tuple[str, str], ...] = ()  # (prefix, service), longest prefix first
    fields: dict[str, str] = field(default_factory=dict)
    latency_unit: str = "ms"
    ts_unit: str | None = None

    def with_options(self, **options: str | None) -> "LogMapping":
        """The mapping with the command line's constants (service, host, role) put over its own."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def services_for(self, paths: pa.Array) -> pa.Array:
        """Each path's service by the longest matching prefix, else the constant `service` (or null)."""
        out = pa.nulls(len(paths), pa.string())
        for prefix, service in self.services:  # longest first: the first match is the longest
            base = prefix.rstrip("/")
            hit = pc.or_(pc.equal(paths, base or "/"), pc.starts_with(paths, base + "/"))
            out = pc.if_else(pc.and_(pc.fill_null(hit, False), out.is_null()), pa.scalar(service), out)
        if self.service is not None:
            out = pc.fill_null(out, self.service)
        return out


def load_log_mapping(path: Path | str) -> LogMapping:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UserError(f"cannot read log mapping {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"log mapping {path} is not valid YAML: {exc}") from None
    return parse_log_mapping(data, str(path))


def parse_log_mapping(data: object, where: str) -> LogMapping:
    if not isinstance(data, dict):
        raise UserError(f"log mapping {where}: expected a YAML mapping of keys, got {type(data).__name__}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise UserError(
            f"log mapping {where}: unknown keys {', '.join(unknown)}; the keys are {sorted(_KEYS)}"
        )
    services = data.get("services") or {}
    fields = data.get("fields") or {}
    if not isinstance(services, dict) or not all(str(p).startswith("/") for p in services):
        raise UserError(f"log mapping {where}: `services` maps path prefixes (starting with /) to services")
    if not isinstance(fields, dict) or set(fields) - set(FIELDS):
        raise UserError(f"log mapping {where}: `fields` maps columns {', '.join(FIELDS)} to JSON fields")
    latency_unit = str(data.get("latency_unit", "ms"))
    if latency_unit not in UNITS_TO_MS:
        raise UserError(f"log mapping {where}: latency_unit {latency_unit!r} is not one of ms, s, us")
    ts_unit = data.get("ts_unit")
    if ts_unit is not None and ts_unit not in UNIX_TO_US:
        raise UserError(f"log mapping {where}: ts_unit {ts_unit!r} is not one of s, ms, us")
    ordered = sorted(((str(p), str(s)) for p, s in services.items()), key=lambda ps: -len(ps[0]))
    constants = {k: (str(data[k]) if data.get(k) is not None else None) for k in ("service", "host", "role")}
    return LogMapping(
        where,
        **constants,
        services=tuple(ordered),
        fields={k: str(v) for k, v in fields.items()},
        latency_unit=latency_unit,
        ts_unit=ts_unit,
    )


def constant(value: str | None, n: int) -> pa.Array:
    """A string column of n copies of value (or of nulls)."""
    return pa.repeat(pa.scalar(value, pa.string()), n)
