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
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from warroom.access import verify_token
from warroom.errors import UserError
from warroom.ingest.readers import table_of_rows
from warroom.ingest.writer import Push, prepare
from warroom.schema import get_table
from warroom.web.auth import NotLoggedIn
from warroom.web.deps import get_runtime
from warroom.web.runtime import Runtime

router = APIRouter(prefix="/api/v1")

MAX_LISTED = 100  # rejected values listed in a response; the rest are counted (all are in the quarantine)
FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json": "json",
    "text/csv": "csv",
    "application/vnd.apache.arrow.stream": "arrow",
}


# Parsing and validating is CPU work under the GIL: a thread per core, not the shared pool's 40, which
# with a few dozen pushes in flight spent its time handing the GIL around.
_PREPARERS = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="ingest-prepare")
# An Arrow body this size or smaller is prepared on the event loop: reading it is zero-copy and validating
# ~1,000 rows is ~0.4 ms of pyarrow calls, less than what the hop to a preparer thread cost the writer. With
# preparers holding the GIL, the writer thread waited for it after each DuckDB call (its BEGIN took 5.3 ms
# of wall time for 0.5 ms of CPU; 1.7 ms prepared inline; /tmp probe timing the writer's statements).
# Text bodies and big Arrow ones still go to the pool, so no push stalls the loop for long.
INLINE_ARROW_BYTES = 1 << 20


class TooLarge(UserError):
    status_code = 413


class UnsupportedType(UserError):
    status_code = 415


async def body_limit(request: Request) -> int:
    """The largest body accepted, in bytes (WARROOM_INGEST_MAX_BODY_MB; a dependency tests can override)."""
    return int(get_runtime(request).settings.ingest_max_body_mb * (1 << 20))


async def ingest_user(request: Request) -> str:
    """The pusher's username, from a bearer token of scope `ingest`.

    async: a sync dependency (and its session dependency) cost a thread hop each, a third of the CPU at
    hundreds of pushes a second. The lookup itself is shared by the pushes waiting on it (_TokenLookups).
    """
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise NotLoggedIn(
            "send 'Authorization: Bearer <token>' with a token of scope 'ingest' "
            "(create one: warroom tokens create USER --name pusher --scope ingest)"
        )
    ip = request.client.host if request.client else None
    # verify_token raises: 401 for an unknown, revoked or expired token, 403 for one without the scope.
    return await _TokenLookups.of(get_runtime(request)).owner(header[7:].strip(), ip)


class _TokenLookups:
    """Token checks shared by the pushes that wait for them, never by one that came after a check began.

    A feed sends many pushes at once with one token; looking it up for each (a metadata session and two
    queries) was a fifth of a push's CPU. Per (token, client address), one lookup runs at a time; pushes
    arriving meanwhile wait for the next one, which starts after they arrived, so each push is judged by
    the metadata as it was when the push came or later: a revoked token stops at once, as before.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._next: dict[tuple[str, str | None], asyncio.Future] = {}  # the round new pushes join
        self._running: set[tuple[str, str | None]] = set()

    @classmethod
    def of(cls, rt: Runtime) -> "_TokenLookups":
        loop = asyncio.get_running_loop()
        if (
            _LOOKUPS.get("loop") is not loop or _LOOKUPS["lookups"].rt is not rt
        ):  # a TestClient has its own loop
            _LOOKUPS.update(loop=loop, lookups=cls(rt))
        return _LOOKUPS["lookups"]

    async def owner(self, token: str, ip: str | None) -> str:
        key = (token, ip)
        round_ = self._next.get(key)
        if round_ is None:
            round_ = self._next[key] = asyncio.get_running_loop().create_future()
            if key not in self._running:
                self._running.add(key)
                asyncio.get_running_loop().create_task(self._run(key))
        return await asyncio.shield(round_)

    async def _run(self, key: tuple[str, str | None]) -> None:
        try:
            while key in self._next:
                round_ = self._next.pop(key)  # pushes from now on join the next round
                try:
                    round_.set_result(await run_in_threadpool(_token_owner, self.rt, *key))
                except Exception as exc:  # every waiter gets the lookup's own error
                    round_.set_exception(exc)
        finally:
            self._running.discard(key)


_LOOKUPS: dict = {}


def _token_owner(rt: Runtime, token: str, ip: str | None) -> str:
    with rt.meta() as session:
        return verify_token(session, token=token, scope="ingest", ip=ip).username


@router.post("/ingest/{table}")
async def push(
    table: str,
    request: Request,
    username: Annotated[str, Depends(ingest_user)],
    limit: Annotated[int, Depends(body_limit)],
    source: str = "",
) -> Response:
    """Validate and store a batch of rows; answered once they are durable. `source` names the sender."""
    rt = get_runtime(request)
    spec = get_table(table)
    kind, charset = _content_type(request.headers.get("content-type", ""))
    body = await _read_body(request, limit)
    label = f"http:{username}" + (f":{source}" if source else "")
    args = (spec.name, kind, charset, body, label, rt.settings.timezone)
    if kind == "arrow" and len(body) <= INLINE_ARROW_BYTES:
        pending = _prepare(*args)
    else:
        pending = await asyncio.get_running_loop().run_in_executor(_PREPARERS, _prepare, *args)
    report = await asyncio.wrap_future(rt.writer.submit(pending))
    listed = [
        {"row": r.row_number, "column": r.column, "rule": r.rule, "message": r.message}
        for r in pending.rejects[:MAX_LISTED]
    ]
    answer = {
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
    # Encoded here: letting FastAPI validate and encode a returned dict cost as much as the Arrow parse.
    return Response(orjson.dumps(answer), media_type="application/json")


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
    text = _text(body, charset)
    rows = _jsonl_at_once(text)
    if rows is None:
        rows = _jsonl_line_by_line(text)
    return table_of_rows(rows)


def _jsonl_at_once(text: bytes) -> list[dict] | None:
    """The rows of a well-formed body in one orjson call, or None when a line is not exactly one object.

    Each line is wrapped in its own array: `[[line 1],[line 2],...]`. When the outer array has one element
    per line, no `],[` was swallowed inside a value, so each inner array is one line's content; a line is
    one object exactly when its array holds one dict (blank lines hold none). One call instead of a call per
    line halves the parse; a body that fails any of this goes line by line, which names the bad line.
    """
    try:
        lines = orjson.loads(b"[[" + text.replace(b"\n", b"],[") + b"]]")
    except orjson.JSONDecodeError:
        return None
    if len(lines) != text.count(b"\n") + 1:
        return None
    rows = []
    for line in lines:
        if len(line) == 1 and type(line[0]) is dict:
            rows.append(line[0])
        elif line:
            return None
    return rows


def _jsonl_line_by_line(text: bytes) -> list[dict]:
    rows = []
    for number, line in enumerate(text.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UserError(f"line {number} is not valid JSON ({exc}); nothing was written") from None
        if not isinstance(value, dict):
            raise UserError(f"line {number} is a JSON {_kind(value)}, not an object; nothing was written")
        rows.append(value)
    return rows


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
