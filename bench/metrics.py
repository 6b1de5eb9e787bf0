"""The metric layer against hand-written DuckDB SQL, and the live path through minute rollups, per team
dashboard, on the simulator's data at scale 1 and 10 (one run, same data for every figure).

    .venv/bin/python bench/metrics.py [--scale 1 --scale 10] [--repeat 15] [--data DIR]

For each scale: simulate (or reuse DIR/sim<scale>), load into a fresh warehouse file, then per dashboard
(a few queries each, as its board asks them):
- raw: run_query on a read-only warehouse (no rollup can be built, every number from the raw tables, the
  compiled shape cached) vs the hand-written SQL doing the same, fetched as the warehouse fetches (execute,
  then Arrow: the faster way, so the ratio is the metric layer's own cost); ratio of medians.
- live: run_query on the writable warehouse as a board refreshes: time_to = "now" advancing a second per
  refresh; rollups built by the first (untimed) refresh; p95 of the whole dashboard's wall time.
The last line is one JSON object; raw_ratio_vs_sql_scale10 is the worst dashboard, dashboard_p95_ms_scale10
the slowest.
"""

import argparse
import json
import statistics
import tempfile
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from warroom.metrics import MetricQuery, load_catalog, run_query
from warroom.schema import TABLES
from warroom.simulate import simulate
from warroom.warehouse import Warehouse
from warroom.warehouse.duck import ARROW_COPY_WARNING

TZ = ZoneInfo("Asia/Shanghai")
# The hand SQL is fetched as Warehouse.read fetches, which DuckDB warns copies the rows (measured faster).
warnings.filterwarnings("ignore", ARROW_COPY_WARNING, UserWarning)
DAY = datetime(2026, 11, 11, tzinfo=TZ)
NOW = datetime(2026, 11, 11, 14, 23, 17, tzinfo=TZ)  # mid-afternoon of the sale day


def dashboards(now: datetime) -> dict[str, list[tuple[MetricQuery, str]]]:
    """Each team board's queries and the hand-written SQL for each ($1 = from, $2 = to, UTC session)."""
    day = dict(time_from=DAY, time_to=now)
    recent = dict(time_from=now - timedelta(minutes=30), time_to=now)
    paid = "FROM order_items i JOIN orders o USING (order_id) WHERE o.paid_at >= $1 AND o.paid_at < $2"
    return {
        "ops": [
            (MetricQuery(metrics=["gmv_paid", "units"], dimensions=["channel"], grain="hour", **day),
             f"SELECT time_bucket(INTERVAL 1 HOUR, o.paid_at), o.channel_id, sum(i.list_price * i.quantity - i.discount_amount), sum(i.quantity) {paid} GROUP BY 1, 2 ORDER BY 1, 2"),
            (MetricQuery(metrics=["pv", "cart_adds"], dimensions=["category_l1"], **day),
             "SELECT p.category_l1, count(*) FILTER (e.event_type = 'view'), count(*) FILTER (e.event_type = 'cart') FROM events e LEFT JOIN products p USING (sku_id) WHERE e.ts >= $1 AND e.ts < $2 GROUP BY 1 ORDER BY 1"),
            (MetricQuery(metrics=["gmv_paid"], grain="minute", **recent),
             f"SELECT time_bucket(INTERVAL 1 MINUTE, o.paid_at), sum(i.list_price * i.quantity - i.discount_amount) {paid} GROUP BY 1 ORDER BY 1"),
        ],
        "finance": [
            (MetricQuery(metrics=["payment_attempts", "payment_failures"], dimensions=["failure_code"], **day),
             "SELECT failure_code, count(*), count(*) FILTER (status = 'failed') FROM payments WHERE ts >= $1 AND ts < $2 GROUP BY 1 ORDER BY 1"),
            (MetricQuery(metrics=["gmv_paid", "cogs"], dimensions=["category_l1"], **day),
             "SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount), sum(i.unit_cost * i.quantity) FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (sku_id) WHERE o.paid_at >= $1 AND o.paid_at < $2 GROUP BY 1 ORDER BY 1"),
            (MetricQuery(metrics=["paid_list_value"], grain="hour", **day),
             f"SELECT time_bucket(INTERVAL 1 HOUR, o.paid_at), sum(i.list_price * i.quantity) {paid} GROUP BY 1 ORDER BY 1"),
        ],
        "tech": [
            (MetricQuery(metrics=["requests", "requests_5xx", "latency_p99"], dimensions=["service"], grain="minute", **recent),
             "SELECT time_bucket(INTERVAL 1 MINUTE, ts), service, sum(1.0 / sample_rate), sum(1.0 / sample_rate) FILTER (status_code >= 500), quantile_cont(latency_ms, 0.99) FROM api_requests WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2 ORDER BY 1, 2"),
            (MetricQuery(metrics=["requests", "error_rate_5xx"], dimensions=["service", "endpoint"], **day),
             "SELECT service, endpoint, sum(1.0 / sample_rate), sum(1.0 / sample_rate) FILTER (status_code >= 500) / sum(1.0 / sample_rate) FROM api_requests WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2 ORDER BY 1, 2"),
            (MetricQuery(metrics=["apdex"], dimensions=["service"], **day),
             "SELECT service, (sum(1.0 / sample_rate) FILTER (status_code < 500 AND latency_ms <= 300) + sum(1.0 / sample_rate) FILTER (status_code < 500 AND latency_ms > 300 AND latency_ms <= 1200) / 2) / sum(1.0 / sample_rate) FROM api_requests WHERE ts >= $1 AND ts < $2 GROUP BY 1 ORDER BY 1"),
        ],
    }  # fmt: skip


def load(sim: Path, path: Path) -> None:
    with Warehouse(path) as wh:
        con = wh.cursor()
        for name in TABLES:
            if any((sim / name).glob("*.parquet")):
                cols = ", ".join(TABLES[name].column_names)
                con.execute(f"INSERT INTO {name} SELECT {cols} FROM read_parquet('{sim / name}/*.parquet')")
        con.execute("CHECKPOINT")


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95 + 0.5) - 1)] * 1000


def bench_scale(scale: float, data: Path, repeat: int) -> dict:
    catalog = load_catalog()
    sim = data / f"sim{scale:g}"
    if not (sim / "incidents.json").exists():
        simulate(sim, scale=scale, seed=1)
    path = data / f"bench{scale:g}.duckdb"
    path.unlink(missing_ok=True)
    load(sim, path)
    out: dict[str, dict] = {}
    with Warehouse(path, read_only=True) as ro:
        cur = ro.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        for name, board in dashboards(NOW).items():
            layer, hand = [], []
            for i in range(repeat + 1):
                board = dashboards(NOW + timedelta(seconds=i))[name]
                t = time.perf_counter()
                for query, _ in board:
                    run_query(ro, query, catalog=catalog, tz=TZ)
                layer.append(time.perf_counter() - t)
                t = time.perf_counter()
                for query, sql in board:
                    cur.execute(sql, [query.time_from, query.time_to]).to_arrow_table()
                hand.append(time.perf_counter() - t)
            layer, hand = layer[1:], hand[1:]  # the first compiles the shapes
            out[name] = {"raw_ms": statistics.median(layer) * 1000, "sql_ms": statistics.median(hand) * 1000}
            out[name]["ratio"] = out[name]["raw_ms"] / out[name]["sql_ms"]
    with Warehouse(path) as wh:
        for name in dashboards(NOW):
            live = []
            for i in range(repeat + 1):
                board = dashboards(NOW + timedelta(seconds=i))[name]
                t = time.perf_counter()
                for query, _ in board:
                    run_query(wh, query, catalog=catalog, tz=TZ)
                live.append(time.perf_counter() - t)
            out[name]["live_p95_ms"] = p95(live[1:])  # the first builds the rollups
            out[name]["live_median_ms"] = statistics.median(live[1:]) * 1000
    for name, f in out.items():
        print(f"scale {scale:g} {name:8s} metric layer raw {f['raw_ms']:7.1f} ms | hand SQL {f['sql_ms']:7.1f} ms | "
              f"ratio {f['ratio']:.2f} | live via rollups p95 {f['live_p95_ms']:6.1f} ms, median {f['live_median_ms']:6.1f} ms")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--data", type=Path, help="keep simulations and warehouses here (default: a temp dir)"
    )
    args = parser.parse_args()
    scales = args.scale or [1.0, 10.0]
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        results = {s: bench_scale(s, data, args.repeat) for s in scales}
    summary: dict[str, float] = {}
    for s, r in results.items():
        summary[f"raw_ratio_vs_sql_scale{s:g}"] = round(max(f["ratio"] for f in r.values()), 3)
        summary[f"dashboard_p95_ms_scale{s:g}"] = round(max(f["live_p95_ms"] for f in r.values()), 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
