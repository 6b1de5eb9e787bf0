"""Log files end to end into a warehouse in tmp_path: rows and quarantine checked with DuckDB queries."""

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warroom.errors import UserError
from warroom.ingest import quarantine
from warroom.ingest.replay import replay
from warroom.sources import lines as lines_module
from warroom.sources.logfiles import ingest_logs
from warroom.sources.logmapping import LogMapping, load_log_mapping
from warroom.warehouse import Warehouse

EXAMPLES = Path(__file__).parents[2] / "examples" / "logs"
GATEWAY = LogMapping(service="shop", host="gw-01")


@pytest.fixture
def warehouse(tmp_path):
    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        yield wh


def query(warehouse, sql: str) -> list[tuple]:
    """Rows as tuples, through Arrow (DuckDB's own TIMESTAMPTZ conversion needs pytz)."""
    return [tuple(r.values()) for r in warehouse.cursor().sql(sql).to_arrow_table().to_pylist()]


def access_line(i: int) -> str:
    """Request i: order i at second i % 60 of the sale's first minute, 10 + i ms, every 7th a 500."""
    status = 500 if i % 7 == 0 else 200
    return (
        f'10.0.0.{i % 250} - - [11/Nov/2026:00:00:{i % 60:02d} +0800] "GET /api/order/{1000 + i}?src=app HTTP/1.1" '
        f'{status} 99 "-" "Mozilla/5.0 \\"x\\"" {(10 + i) / 1000:.3f} -'
    )


def test_nginx_file_streams_in_chunks_and_quarantines_bad_lines(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", 4096)  # ~30 lines a chunk: many chunks, threads busy
    lines = [access_line(i) for i in range(1, 1001)]
    lines[99] = "garbage"  # line 100
    lines[499] = lines[499].replace("11/Nov", "31/Nov")  # line 500
    lines[699] = lines[699].replace("GET", "BREW")  # line 700: parses, the schema refuses the method
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")

    (report,) = ingest_logs(warehouse, [path], "nginx", GATEWAY, timezone="Asia/Shanghai")

    assert (report.report.received, report.report.inserted, report.report.rejected, report.malformed) == (
        1000,
        997,
        3,
        2,
    )
    good = [i for i in range(1, 1001) if i not in (100, 500, 700)]
    assert query(
        warehouse,
        "SELECT count(*), sum(latency_ms), count(*) FILTER (WHERE status_code = 500), "
        "count(DISTINCT endpoint), min(endpoint), min(ts), max(ts), min(host), min(service) FROM api_requests",
    ) == [
        (
            997,
            pytest.approx(sum(10.0 + i for i in good)),
            sum(1 for i in good if i % 7 == 0),
            1,
            "/api/order/{id}",
            datetime(2026, 11, 10, 16, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 10, 16, 0, 59, tzinfo=UTC),
            "gw-01",
            "shop",
        )
    ]
    assert query(
        warehouse,
        "SELECT row_number, column_name, rule, raw->>'_text' IS NOT NULL, source FROM _quarantine ORDER BY row_number",
    ) == [
        (100, None, "malformed", True, str(path)),
        (500, "ts", "malformed", True, str(path)),
        (700, "method", "enum", False, str(path)),
    ]
    assert query(warehouse, "SELECT raw->>'_text' FROM _quarantine WHERE row_number = 500") == [(lines[499],)]


def test_a_file_that_is_not_the_format_is_refused_and_nothing_loaded(warehouse):
    with pytest.raises(
        UserError, match=r"app.jsonl: none of the first 5 lines can be read as --format nginx"
    ):
        ingest_logs(warehouse, [EXAMPLES / "app.jsonl"], "nginx", GATEWAY)
    assert query(warehouse, "SELECT count(*) FROM api_requests") == [(0,)]
    assert not quarantine.exists(warehouse.cursor())


def test_100_bad_lines_first_is_refused_but_99_are_quarantined(warehouse, tmp_path):
    bad_100 = tmp_path / "a.log"
    bad_100.write_text("\n".join(["junk"] * 100 + [access_line(1)]) + "\n")
    with pytest.raises(UserError, match="none of the first 100 lines"):
        ingest_logs(warehouse, [bad_100], "nginx", GATEWAY)
    bad_99 = tmp_path / "b.log"
    bad_99.write_text("\n".join(["junk"] * 99 + [access_line(1)]) + "\n")
    (report,) = ingest_logs(warehouse, [bad_99], "nginx", GATEWAY)
    assert (report.report.inserted, report.malformed) == (1, 99)
    assert query(warehouse, "SELECT count(*), min(row_number), max(row_number) FROM _quarantine") == [
        (99, 1, 99)
    ]


def test_gzipped_rotated_log(warehouse, tmp_path):
    path = tmp_path / "access.log.1.gz"
    path.write_bytes(gzip.compress(("\n".join(access_line(i) for i in range(1, 11)) + "\n").encode()))
    ingest_logs(warehouse, [path], "nginx", GATEWAY)
    assert query(warehouse, "SELECT count(*) FROM api_requests") == [(10,)]


def test_applog_example_and_replay_of_its_rejected_row(warehouse):
    mapping = load_log_mapping(EXAMPLES / "applog.yaml")
    (report,) = ingest_logs(warehouse, [EXAMPLES / "app.jsonl"], "applog", mapping, timezone="Asia/Shanghai")
    assert (report.report.inserted, report.report.rejected, report.malformed) == (3, 2, 1)
    assert query(
        warehouse,
        "SELECT service, endpoint, method, status_code, latency_ms, host, ts FROM api_requests ORDER BY ts",
    ) == [
        (
            "order",
            "/api/order/{id}",
            "POST",
            201,
            42.0,
            "api-3",
            datetime(2026, 11, 10, 16, 0, 1, 250000, tzinfo=UTC),
        ),
        (
            "order",
            "/api/order/{id}",
            "GET",
            200,
            8.0,
            "api-3",
            datetime(2026, 11, 10, 16, 0, 1, 900000, tzinfo=UTC),
        ),
        # no offset in the line: Shanghai wall-clock time; no svc: the /api/pay prefix
        (
            "payment",
            "/api/pay/notify",
            "POST",
            504,
            5000.0,
            "api-4",
            datetime(2026, 11, 10, 16, 0, 2, tzinfo=UTC),
        ),
    ]
    assert query(warehouse, "SELECT row_number, column_name, rule FROM _quarantine ORDER BY row_number") == [
        (4, "status_code", "type"),
        (5, None, "malformed"),
    ]
    (result,) = replay(warehouse, table="api_requests", timezone="Asia/Shanghai")
    assert (result.replayed, result.still_rejected, result.not_replayable) == (1, 1, 1)


@pytest.mark.parametrize("chunk_bytes", [None, 200])  # 200: each scrape spread over several chunks
def test_prometheus_scrapes_into_host_metrics_once(warehouse, tmp_path, monkeypatch, chunk_bytes):
    if chunk_bytes:
        monkeypatch.setattr(lines_module, "CHUNK_BYTES", chunk_bytes)
    node = tmp_path / "node.prom"
    shutil.copy(EXAMPLES / "node_exporter.prom", node)
    mapping = LogMapping(host="node-1", role="web")
    (first,) = ingest_logs(warehouse, [node], "prometheus", mapping)
    (again,) = ingest_logs(warehouse, [node], "prometheus", mapping)
    assert (first.report.inserted, first.base_scrapes) == (1, 1)
    assert (again.report.inserted, again.report.duplicates) == (0, 1)  # key (ts, host): no second row
    assert query(
        warehouse,
        "SELECT ts, host, role, round(cpu_pct, 4), mem_pct, net_in_mbps, net_out_mbps FROM host_metrics",
    ) == [
        (
            datetime(2026, 11, 10, 16, 0, 15, tzinfo=UTC),
            "node-1",
            "web",
            round(100 * 12.5 / 35.5, 4),
            68.75,
            10.0,
            5.0,
        )
    ]


def test_prometheus_gauges_without_timestamps_take_the_scrape_time(warehouse):
    when = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
    (report,) = ingest_logs(
        warehouse, [EXAMPLES / "hosts.prom"], "prometheus", LogMapping(), scrape_time=when
    )
    assert (report.report.inserted, report.report.rejected, report.malformed) == (1, 2, 1)
    assert query(
        warehouse, "SELECT ts, host, role, cpu_pct, mem_pct, net_in_mbps, net_out_mbps FROM host_metrics"
    ) == [(when, "web-01", "web", 62.5, 41.0, 120.5, 310.0)]
    # db-01's NaN memory and +Inf network are rejected by validation, naming the first bad column
    assert query(warehouse, "SELECT row_number, column_name, rule FROM _quarantine ORDER BY row_number") == [
        (6, "mem_pct", "type"),
        (16, None, "malformed"),
    ]
