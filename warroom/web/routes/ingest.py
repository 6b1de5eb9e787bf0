"""Live push: `POST /api/v1/ingest/{table}` with JSON lines, a JSON array, CSV or an Arrow IPC stream.

A push is a batch (DESIGN.md: FastAPI does 5.8k req/s with a pydantic model per event but 140k events/s in
100-event batches), parsed straight into Arrow columns (orjson / pyarrow, no per-event model), validated
against the canonical schema in the request's thread, then written by the coalescing writer
(warroom/ingest/writer.py). The answer comes only after the rows are committed, so an acknowledged row
survives a crash. It counts received, accepted, rejected, duplicates and updated, and lists the rejected
values one by one (row from 1, column, rule, message), at most MAX_LISTED of them.

Errors, all in the one JSON envelope: 401 no bearer token, or one unknown, revoked or expired; 403 a token
without the `ingest` scope (both raised by verify_token); 404 unknown table; 415 a content type not listed
below; 413 a body over the limit (read in bounded chunks, never whole first); 400 a body that is not what its content type says, naming the line or
offset. A 4xx writes nothing, so a client that fixes and resends loses nothing; rows that fail validation
are not a 4xx: the valid rows are written and the others go to the quarantine with their reasons.
"""

import asyncio
import csv
import io
from typing import Annotated

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from warroom.access import verify_token
from warroom.errors import UserError
from warroom.ingest.readers import table_of_rows
from warroom.ingest.writer import Push, prepare
from warroom.meta import User
from warroom.schema import get_table
from warroom.web.auth import MetaDep, NotLoggedIn
from warroom.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1")

MAX_LISTED = 100  # rejected values listed in a response; the rest are counted (all are in the quarantine)
FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json": "json",
    "text/csv": "csv",
    "application/vnd.apache.arrow.stream": "arrow",
}


class NotAllowed(UserError):
    status_code = 403


class TooLarge(UserError):
    status_code = 413


class UnsupportedType(UserError):
    status_code = 415


def body_limit(rt: RuntimeDep) -> int:
    """The largest body accepted, in bytes (WARROOM_INGEST_MAX_BODY_MB; a dependency tests can override)."""
    return int(rt.settings.ingest_max_body_mb * (1 << 20))


def ingest_user(request: Request, meta: MetaDep) -> User:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise NotLoggedIn(
            "send 'Authorization: Bearer <token>' with a token of scope 'ingest' "
            "(create one: warroom tokens create USER --name pusher --scope ingest)"
        )
    ip = request.client.host if request.client else None
    return verify_token(meta, token=header[7:].strip(), scope="ingest", ip=ip)


@router.post("/ingest/{table}")
async def push(
    table: str,
    request: Request,
    rt: RuntimeDep,
    user: Annotated[User, Depends(ingest_user)],
    limit: Annotated[int, Depends(body_limit)],
    source: str = "",
) -> dict:
    """Validate and store a batch of rows; answered once they are durable. `source` names the sender."""
    spec = get_table(table)
    kind, charset = _content_type(request.headers.get("content-type", ""))
    body = await _read_body(request, limit)
    label = f"http:{user.username}" + (f":{source}" if source else "")
    pending = await run_in_threadpool(_prepare, spec.name, kind, charset, body, label, rt.settings.timezone)
    report = await asyncio.wrap_future(rt.writer.submit(pending))
    listed = [
        {"row": r.row_number, "column": r.column, "rule": r.rule, "message": r.message}
        for r in pending.rejects[:MAX_LISTED]
    ]
    return {
        "ok": True,
        "table": spec.name,
        "received": report.received,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
        "updated": report.updated,
        "rejects": listed,
        "rejects_not_listed": len(pending.rejects) - len(listed),
    }


def _content_type(header: str) -> tuple[str, str]:
    media, _, params = header.partition(";")
    kind = FORMATS.get(media.strip().lower())
    if kind is None:
        raise UnsupportedType(
            f"content type {media.strip() or '(none)'!r} is not accepted; send one of {', '.join(FORMATS)}"
        )
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return kind, charset


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(
            f"the body is {int(declared):,} bytes, over the limit of {limit:,}; send smaller batches"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over the limit of {limit:,} bytes; send smaller batches")
        chunks.append(chunk)
    return b"".join(chunks)


def _prepare(table: str, kind: str, charset: str, body: bytes, source: str, timezone: str) -> Push:
    batch = PARSERS[kind](body, charset)
    if batch.num_rows == 0:
        raise UserError(f"the body holds no rows ({kind}); nothing was written")
    return prepare(table, batch, source, timezone)


def _jsonl(body: bytes, charset: str) -> pa.Table:
    rows = []
    for number, line in enumerate(_text(body, charset).split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UserError(f"line {number} is not valid JSON ({exc}); nothing was written") from None
        if not isinstance(value, dict):
            raise UserError(f"line {number} is a JSON {_kind(value)}, not an object; nothing was written")
        rows.append(value)
    return table_of_rows(rows)


def _json(body: bytes, charset: str) -> pa.Table:
    try:
        value = orjson.loads(_text(body, charset))
    except orjson.JSONDecodeError as exc:
        raise UserError(f"the body is not valid JSON ({exc}); nothing was written") from None
    rows = [value] if isinstance(value, dict) else value
    if not isinstance(rows, list):
        raise UserError(f"the body is a JSON {_kind(value)}; send an array of objects, one per row")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise UserError(f"element {number} of the array is a JSON {_kind(row)}, not an object")
    return table_of_rows(rows)


def _csv(body: bytes, charset: str) -> pa.Table:
    text = _text(body, charset).removeprefix(b"\xef\xbb\xbf")
    header = text.split(b"\n", 1)[0].decode().strip("\r")
    names = [n.strip() for n in next(csv.reader(io.StringIO(header)), [])]
    if not names:
        raise UserError("the CSV body has no header line naming its columns")
    bad: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row.number or 0)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise UserError(f"the body is not readable CSV ({exc}); nothing was written") from None
    if bad:
        # pyarrow numbers rows by line in the body, the skipped header line being 1
        lines = ", ".join(str(n) for n in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise UserError(
            f"CSV line {lines} does not have the header's {len(names)} fields; nothing was written"
        )
    return table


def _arrow(body: bytes, charset: str) -> pa.Table:
    try:
        return pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(
            f"the body ({len(body):,} bytes) is not an Arrow IPC stream ({exc}); nothing was written"
        ) from None


PARSERS = {"jsonl": _jsonl, "json": _json, "csv": _csv, "arrow": _arrow}


def _text(body: bytes, charset: str) -> bytes:
    """The body as UTF-8 bytes (GBK is what Chinese shop systems send when they do not send UTF-8)."""
    if charset in ("utf-8", "utf8"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(
                f"the body is not valid UTF-8 (byte offset {exc.start}); declare charset=gbk if it is GBK"
            ) from None
        return body
    try:
        return body.decode(charset).encode("utf-8")
    except LookupError:
        raise UnsupportedType(f"unknown charset {charset!r}; use utf-8 or gbk") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"the body is not valid {charset} (byte offset {exc.start})") from None


def _kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")
