"""Metric layer overhead: compile time, and run time against the same SQL run directly.

    .venv/bin/python bench/metrics.py [--orders 1000000] [--repeat 20]

Builds a synthetic warehouse in a temporary folder with DuckDB's range() (orders with 2 lines each, a click
stream of 5x the orders, sampled API requests of 2x), then times three dashboard queries: compile only
(validate + Ibis + SQL text), run_query end to end with an empty SQL cache and with the query's SQL cached,
and the compiled SQL executed directly on a cursor.
"""

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis

from warroom.metrics import MetricQuery, load_catalog, run_query
from warroom.metrics.compile import compile_query
from warroom.metrics.engine import _SQL_CACHE
from warroom.warehouse import Warehouse

TZ = ZoneInfo("Asia/Shanghai")
DAY = dict(time_from=datetime(2026, 11, 11, tzinfo=TZ), time_to=datetime(2026, 11, 12, tzinfo=TZ))
QUERIES = {
    "headline": MetricQuery(metrics=["gmv_paid", "orders", "buyers", "aov"], **DAY),
    "by channel x hour": MetricQuery(
        metrics=["gmv_paid", "orders", "aov", "roi"], dimensions=["channel"], grain="hour", **DAY
    ),
    "funnel by category": MetricQuery(
        metrics=["pv", "uv", "conv_view_cart", "conv_overall"], dimensions=["category_l1"], **DAY
    ),
    "tech by service x minute": MetricQuery(
        metrics=["qps", "latency_p99", "error_rate_5xx"], dimensions=["service"], grain="minute", **DAY
    ),
}


def build(path: Path, n_orders: int) -> Warehouse:
    wh = Warehouse(path)
    con = wh.cursor()
    start = "TIMESTAMPTZ '2026-11-10 16:00:00+00'"
    con.execute("INSERT INTO channels SELECT 'c' || i, 'C' || i, NULL, 'search' FROM range(8) t(i)")
    con.execute("""INSERT INTO products SELECT i, i, 's' || i, 'cat' || (i % 12), 'sub' || (i % 40), 'b' || (i % 50),
        (10 + i % 500)::DECIMAL(18,2), (5 + i % 300)::DECIMAL(18,2), 1.0 FROM range(5000) t(i)""")
    con.execute(f"""INSERT INTO customers SELECT i, {start} - INTERVAL 30 DAY, 'p' || (i % 31), NULL, NULL,
        'regular', NULL, NULL FROM range(200000) t(i)""")
    con.execute(f"""INSERT INTO orders SELECT i, {start} + (i * 86400 // {n_orders}) * INTERVAL 1 SECOND, i % 200000,
        'c' || (i % 8), 'p' || (i % 31), 'ios', 'paid', i % 3 = 0, 100, 10, 90, 0,
        {start} + (i * 86400 // {n_orders} + 60) * INTERVAL 1 SECOND, {start} FROM range({n_orders}) t(i)""")
    con.execute(f"""INSERT INTO order_items SELECT i // 2, i % 2 + 1, (i * 7) % 5000, 1 + i % 3, 50, 45, NULL, 5, 20
        FROM range({2 * n_orders}) t(i)""")
    con.execute(f"""INSERT INTO marketing_spend SELECT {start} + h * INTERVAL 1 HOUR, 'c' || c, NULL, 1000
        FROM range(24) a(h), range(8) b(c)""")
    con.execute(f"""INSERT INTO events SELECT i, {start} + (i * 86400 // {5 * n_orders}) * INTERVAL 1 SECOND, i // 7,
        i % 200000, 'c' || (i % 8), ['view', 'view', 'view', 'cart', 'order', 'pay'][1 + i % 6], (i * 13) % 5000, 'ios'
        FROM range({5 * n_orders}) t(i)""")
    con.execute(f"""INSERT INTO api_requests SELECT {start} + (i * 86400 // {2 * n_orders}) * INTERVAL 1 SECOND,
        'svc' || (i % 6), '/e' || (i % 20), 'GET', CASE WHEN i % 97 = 0 THEN 503 ELSE 200 END, (i * 37) % 900,
        'h' || (i % 10), 0.1 FROM range({2 * n_orders}) t(i)""")
    con.execute("CHECKPOINT")
    return wh


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:7.1f} ms  p90 {sorted(samples)[int(len(samples) * 0.9)] * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        wh = build(Path(tmp) / "bench.duckdb", args.orders)
        print(f"built {args.orders:,} orders, {2 * args.orders:,} lines, {5 * args.orders:,} events, "
              f"{2 * args.orders:,} requests in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        for name, query in QUERIES.items():
            compile_s, run_s, sql_s, first_s = [], [], [], []
            for _ in range(args.repeat):
                _SQL_CACHE.clear()
                t = time.perf_counter()
                run_query(wh, query, catalog=catalog, tz=TZ)
                first_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                sql = ibis.to_sql(compile_query(catalog, query, None, TZ), dialect="duckdb")
                compile_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                run_query(wh, query, catalog=catalog, tz=TZ)
                run_s.append(time.perf_counter() - t)
                cur = wh.cursor()
                t = time.perf_counter()
                cur.sql(str(sql)).to_arrow_table()
                sql_s.append(time.perf_counter() - t)
                cur.close()
            print(f"{name:26s} compile {ms(compile_s)}")
            print(
                f"{'':26s} run_query uncached {ms(first_s)} | cached {ms(run_s)} | its SQL direct {ms(sql_s)}"
            )
        wh.close()


if __name__ == "__main__":
    main()
