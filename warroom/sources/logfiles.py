"""Loading log files: read each in chunks of lines, parse them by their format, ingest the rows, and keep
every line that could not be read in the quarantine.

nginx and applog files stream chunk by chunk into api_requests. Prometheus files are read whole and
together, in the order given, because a counter's rate needs the previous scrape (prometheus.py); their
rows go to host_metrics. Rows that parse go through `ingest_batch` (validation: a status of 999 or a method
outside the schema's list is rejected there, with the parsed row, and can be replayed after a fix). Lines
that do not parse are quarantined under the rule `malformed` with the reason, the column when one field was
to blame, and the line as it was (`{"_text": line}`): `warroom quarantine replay` reports them as not
replayable (fix the file and load it again), as it does for broken CSV rows.

A file that is not what --format says is refused before anything of it is loaded: a UserError when none of
its first 100 non-blank lines can be read.

Speed (examples/logs/make_nginx_log.py, 1M lines, 159 MB, into a fresh warehouse; this 2-core machine
while other sessions kept its load average near 5): `ingest_logs` 2.4 s (~415k lines/s; CPU 5.5 s user),
the whole `warroom ingest-logs` command 4.4-4.7 s. The choice of engine, per 1M lines: Python's re with
groups, one line at a time, ~7.8 s for the regex alone (~128k lines/s); DuckDB read_csv + regexp_extract
and the same templating in SQL 3.1 s wall / 1.7 s CPU to parse, but its CSV reader needs a separator
that never occurs in a line and fails or skips on invalid UTF-8, where every line must be kept; pyarrow's
RE2 kernels over our own line arrays 2.9 s CPU to read and parse, spread over 2 threads here
(`_parsed_chunks`) while the main thread validates and inserts. JSON lines (applog) go at ~110k lines/s:
orjson and the field picking run per line in Python, under the GIL.
"""

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.load import IngestReport, ingest_batch
from warroom.ingest.validate import Reject
from warroom.sources import applog, exposition, nginx, prometheus
from warroom.sources.lines import LineProblem, Lines, Parsed, read_lines
from warroom.sources.logmapping import LogMapping
from warroom.warehouse import Warehouse

FORMATS = ("nginx", "applog", "prometheus")
TABLE = {"nginx": "api_requests", "applog": "api_requests", "prometheus": "host_metrics"}
SNIFF_LINES = 100
PARSE_THREADS = 2  # this machine kind's cores
_EXPECTED = {"nginx": nginx.EXPECTED, "applog": applog.EXPECTED, "prometheus": "Prometheus text exposition"}


@dataclass
class LogFileReport:
    path: str
    report: IngestReport
    malformed: int = 0  # lines that could not be read: in the quarantine
    base_scrapes: int = 0  # prometheus: first scrapes of a host, the base of its counters' rates
    seconds: float = 0.0  # reading, parsing and loading


def ingest_logs(
    warehouse: Warehouse,
    paths: Iterable[Path | str],
    fmt: str,
    mapping: LogMapping | None = None,
    *,
    timezone: str | None = None,
    scrape_time: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[LogFileReport]:
    """Load log files of one format; `progress(path, lines read so far)` is called as they are read."""
    if fmt not in FORMATS:
        raise UserError(f"unknown log format {fmt!r}; the formats are {', '.join(FORMATS)}")
    mapping = mapping or LogMapping()
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.is_file():
            raise UserError(f"{p}: no such file")
    if fmt == "prometheus":
        return _ingest_prometheus(warehouse, paths, mapping, timezone, scrape_time, progress)
    parse = {"nginx": nginx.parse, "applog": applog.parse}[fmt]
    {"nginx": nginx.check, "applog": applog.check}[fmt](mapping)
    return [_ingest_stream(warehouse, p, fmt, parse, mapping, timezone, progress) for p in paths]


def _ingest_stream(warehouse, path: Path, fmt: str, parse, mapping, timezone, progress) -> LogFileReport:
    started = time.perf_counter()
    out = LogFileReport(str(path), IngestReport(TABLE[fmt], str(path)))
    done = 0
    for i, (lines, parsed) in enumerate(_parsed_chunks(path, parse, mapping)):
        if i == 0:
            _check_format(path, fmt, lines, {p.number for p in parsed.problems})
        if parsed.rows.num_rows:
            out.report += ingest_batch(
                warehouse, TABLE[fmt], parsed.rows, str(path), row_numbers=parsed.numbers, timezone=timezone
            )
        out.report += quarantine_lines(warehouse, TABLE[fmt], str(path), parsed.problems)
        out.malformed += len(parsed.problems)
        done += len(lines)
        if progress:
            progress(str(path), done)
    out.seconds = time.perf_counter() - started
    return out


def _parsed_chunks(path: Path, parse, mapping: LogMapping) -> Iterator[tuple[Lines, Parsed]]:
    """The file's chunks parsed ahead on worker threads, in file order, while the caller ingests.

    Arrow's kernels release the GIL, so on 2 cores parsing the next chunks overlaps with validating and
    inserting this one (figures in this module's docstring).
    """
    pool = ThreadPoolExecutor(max_workers=PARSE_THREADS)
    pending: deque = deque()
    try:
        for lines in read_lines(path):
            pending.append((lines, pool.submit(parse, lines, mapping)))
            if len(pending) > PARSE_THREADS:
                ready, future = pending.popleft()
                yield ready, future.result()
        while pending:
            ready, future = pending.popleft()
            yield ready, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ingest_prometheus(warehouse, paths, mapping, timezone, scrape_time, progress) -> list[LogFileReport]:
    # Every file is parsed before anything is written: a UserError in the last file (no host, no role)
    # leaves the warehouse and the quarantine as they were.
    reports, all_scrapes, problems = [], [], []
    for source, path in enumerate(paths):
        started = time.perf_counter()
        default_ms = int((scrape_time or _modified(path)).timestamp() * 1000)
        samples: list = []
        file_problems: list[LineProblem] = []
        done = 0
        for i, lines in enumerate(read_lines(path)):
            parsed = exposition.parse(lines)
            if i == 0:
                _check_format(path, "prometheus", lines, {p.number for p in parsed.problems})
            samples += parsed.samples
            file_problems += parsed.problems
            done += len(lines)
            if progress:
                progress(str(path), done)
        all_scrapes += prometheus.scrapes(samples, default_ms, source, mapping)  # a scrape may span chunks
        problems.append(file_problems)
        out = LogFileReport(
            str(path), IngestReport(TABLE["prometheus"], str(path)), malformed=len(file_problems)
        )
        out.seconds = time.perf_counter() - started
        reports.append(out)
    rows = prometheus.host_rows(all_scrapes)
    for source, out in enumerate(reports):
        started = time.perf_counter()
        out.report += quarantine_lines(warehouse, TABLE["prometheus"], out.path, problems[source])
        mine = rows.sources == source
        if mine.any():
            out.report += ingest_batch(
                warehouse,
                TABLE["prometheus"],
                rows.rows.filter(mine),
                out.path,
                row_numbers=rows.lines[mine],
                timezone=timezone,
            )
        out.seconds += time.perf_counter() - started
        out.base_scrapes = len({(s.host, s.ts_ms) for s in all_scrapes if s.source == source}) - int(
            mine.sum()
        )
    return reports


def _check_format(path: Path, fmt: str, lines: Lines, bad: set[int]) -> None:
    first = lines.numbers[:SNIFF_LINES].tolist()
    if first and all(n in bad for n in first):
        raise UserError(
            f"{path}: none of the first {len(first)} lines can be read as --format {fmt} (expected "
            f"{_EXPECTED[fmt]}); line {first[0]} reads {lines.text[0].as_py()[:120]!r}. Nothing was loaded."
        )


def quarantine_lines(
    warehouse: Warehouse, table: str, source: str, problems: list[LineProblem]
) -> IngestReport:
    """Keep unreadable lines in the quarantine as `malformed`, each with its reason and the line itself."""
    if not problems:
        return IngestReport(table, source)
    started = datetime.now(UTC)
    rejects = [
        Reject(p.number, p.column, "malformed", p.value, {"_text": p.line}, p.detail) for p in problems
    ]
    with warehouse.write_lock:
        con = warehouse.cursor()
        try:
            quarantine.ensure(warehouse, con)
            quarantine.add(con, table, source, rejects, {}, None)
        finally:
            con.close()
    return IngestReport(
        table,
        source,
        received=len(problems),
        rejected=len(problems),
        seconds=(datetime.now(UTC) - started).total_seconds(),
        sample_rejects=[r.message for r in rejects[:10]],
    )


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
