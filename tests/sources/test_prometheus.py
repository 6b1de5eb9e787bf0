"""Scrapes to host_metrics rows: rates and ratios computed by hand from the sample values."""

import math

import pytest

from warroom.errors import UserError
from warroom.sources import exposition, prometheus
from warroom.sources.lines import lines_of
from warroom.sources.logmapping import LogMapping

T0 = 1_794_326_400_000  # 2026-11-10T16:00:00Z


def node_scrape(ts: int, idle: tuple, user: tuple, rx: int, tx: int, lo: int, avail: float) -> str:
    return "\n".join(
        [
            "# TYPE node_cpu_seconds_total counter",
            f'node_cpu_seconds_total{{cpu="0",mode="idle"}} {idle[0]} {ts}',
            f'node_cpu_seconds_total{{cpu="0",mode="user"}} {user[0]} {ts}',
            f'node_cpu_seconds_total{{cpu="1",mode="idle"}} {idle[1]} {ts}',
            f'node_cpu_seconds_total{{cpu="1",mode="user"}} {user[1]} {ts}',
            f"node_memory_MemAvailable_bytes {avail} {ts}",
            f"node_memory_MemTotal_bytes 1.6e10 {ts}",
            f'node_network_receive_bytes_total{{device="eth0"}} {rx} {ts}',
            f'node_network_receive_bytes_total{{device="lo"}} {lo} {ts}',
            f'node_network_transmit_bytes_total{{device="eth0"}} {tx} {ts}',
            f'go_gc_duration_seconds{{quantile="0.5"}} 0.001 {ts}',
        ]
    )


def rows_of(*texts: str, mapping=LogMapping(host="node-1", role="web"), default_ts: int = T0):
    scrapes = []
    for source, text in enumerate(texts):
        parsed = exposition.parse(lines_of((text + "\n").encode()))
        assert parsed.problems == []
        scrapes += prometheus.scrapes(parsed.samples, default_ts, source, mapping)
    return prometheus.host_rows(scrapes)


def test_node_exporter_counters_need_two_scrapes():
    out = rows_of(
        node_scrape(T0, (1000, 1010), (500, 502.5), 1_000_000_000, 500_000_000, 7_000_000, 6e9)
        + "\n"
        + node_scrape(T0 + 15_000, (1012, 1021), (506, 509), 1_018_750_000, 509_375_000, 9_000_000, 5e9)
    )
    assert out.base_scrapes == 1
    (row,) = out.rows.to_pylist()
    # idle went up 12 + 11 = 23 s, user 6 + 6.5 = 12.5 s: busy 12.5 / 35.5
    assert row["cpu_pct"] == pytest.approx(100 * 12.5 / 35.5)
    assert row["mem_pct"] == pytest.approx(68.75)  # 1 - 5e9 / 16e9
    assert row["net_in_mbps"] == pytest.approx(10.0)  # 18.75 MB in 15 s on eth0 (lo left out) = 10 Mbit/s
    assert row["net_out_mbps"] == pytest.approx(5.0)
    assert (row["host"], row["role"], row["ts"].timestamp()) == ("node-1", "web", (T0 + 15_000) / 1000)
    assert out.lines.tolist() == [13]  # the second scrape's first sample (line 12 is its TYPE)


def test_scrapes_in_two_files_and_a_counter_reset():
    first = node_scrape(T0, (1000, 1000), (500, 500), 1_000_000, 1_000_000, 0, 8e9)
    # the host restarted: every counter starts again from 0 (Prometheus takes the new value as the increase)
    second = node_scrape(T0 + 10_000, (6, 6), (2, 2), 400_000, 250_000, 0, 8e9)
    out = rows_of(first, second)
    (row,) = out.rows.to_pylist()
    assert row["cpu_pct"] == pytest.approx(100 * 4 / 16)
    assert row["net_in_mbps"] == pytest.approx(400_000 * 8 / 10 / 1e6)
    assert row["net_out_mbps"] == pytest.approx(250_000 * 8 / 10 / 1e6)
    assert out.sources.tolist() == [1]


def test_gauges_are_taken_as_they_are_with_labels_naming_host_and_role():
    text = "\n".join(
        [
            'host_cpu_percent{instance="10.0.0.5:9100",role="db"} 88',
            'host_memory_percent{instance="10.0.0.5:9100",role="db"} NaN',
            'host_network_receive_mbps{instance="10.0.0.5:9100",role="db"} +Inf',
            'host_network_transmit_mbps{instance="10.0.0.5:9100",role="db"} 95.25',
            'host_cpu_percent{host="web-01",role="web"} 12.5 1794326460000',
        ]
    )
    out = rows_of(text, mapping=LogMapping())
    db, web = out.rows.to_pylist()
    assert (db["host"], db["role"], db["cpu_pct"], db["net_in_mbps"], db["net_out_mbps"]) == (
        "10.0.0.5",
        "db",
        88.0,
        math.inf,
        95.25,
    )
    assert math.isnan(db["mem_pct"])  # handed on: validation rejects it naming mem_pct
    assert db["ts"].timestamp() * 1000 == T0  # no timestamp: the file's scrape time
    assert (web["cpu_pct"], web["mem_pct"], web["ts"].timestamp() * 1000) == (12.5, None, 1794326460000)
    assert out.base_scrapes == 0


def test_a_host_and_a_role_are_required():
    with pytest.raises(UserError, match="--host"):
        rows_of("node_memory_MemTotal_bytes 1", mapping=LogMapping(role="web"))
    with pytest.raises(UserError, match="--role"):
        rows_of("node_memory_MemTotal_bytes 1", mapping=LogMapping(host="h"))
