"""DuckDB <-> Spark parity: every catalog metric, and several dimension combinations, answered by both engines
over the same rows (the seeded random sale of data.py, exported to Parquet for Spark), must agree exactly:
money to the fen (DECIMAL equality), counts, ratios and keys exactly, row order included. Percentiles agree
within PERCENTILE_REL_TOL (README "Spark"). Known gaps are declared xfail(strict=True) with their reason, as
Ibis declares them, so a gap that closes fails the suite until its mark is removed.

One Spark session serves the whole test session (it takes ~5 s to start)."""

import math
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import DAY_END, DAY_START, insert, random_sale, stock_snapshots
from warroom.cli import app
from warroom.config import Settings, get_settings
from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, Principal, dataset, load_catalog, run_query
from warroom.metrics.backends import MANIFEST, DuckDBBackend, SparkBackend, backend_for, export_parquet
from warroom.metrics.query import check_applies

pytestmark = pytest.mark.slow

# Both engines compute exact, interpolated percentiles (DuckDB quantile_cont, Spark percentile); they differ
# only in the float rounding of the interpolation: measured, one unit in the last place (488.8146 vs
# 488.81460000000004). 1e-9 relative is far below anything a person reads off a latency chart.
PERCENTILE_REL_TOL = 1e-9
CATALOG = load_catalog()


@pytest.fixture(scope="session")
def spark_session():
    session = (
        SparkSession.builder.master("local[2]")
        .appName("warroom-tests")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engines(tmp_path_factory, spark_session):
    """(duckdb, spark) backends over the same random sale."""
    root = tmp_path_factory.mktemp("parity")
    wh = random_sale(root / "warehouse.duckdb")
    insert(wh, "inventory", stock_snapshots())
    export_parquet(wh, root / "parquet", SHANGHAI)
    yield DuckDBBackend(wh), SparkBackend(spark_session, str(root / "parquet"))
    wh.close()


def assert_parity(spark, duck, percentiles: set[str]) -> None:
    assert spark.column_names == duck.column_names
    assert spark.num_rows == duck.num_rows, f"{spark.num_rows} rows on Spark, {duck.num_rows} on DuckDB"
    assert duck.num_rows > 0, "no rows: the case exercises nothing"
    differing = {}
    for name in duck.column_names:
        pairs = list(zip(spark[name].to_pylist(), duck[name].to_pylist(), strict=True))
        if name in percentiles:
            diffs = [(i, a, b) for i, (a, b) in enumerate(pairs) if not _close(a, b)]
        else:
            diffs = [(i, a, b) for i, (a, b) in enumerate(pairs) if a != b]
        if diffs:
            differing[name] = diffs[:2]
    assert not differing, f"columns that differ, (row, spark, duckdb): {differing}"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=PERCENTILE_REL_TOL)


def answers(engines, query: MetricQuery):
    """(Spark's rows, DuckDB's rows, the percentile columns) of one query."""
    duck, spark = engines
    percentiles = {m for m in query.metrics if CATALOG.metrics[m].agg == "percentile"}
    percentiles |= {f"{m}_{suffix}" for m in percentiles for suffix in ("compare", "change")}
    got = run_query(spark, query, tz=SHANGHAI, catalog=CATALOG)
    want = run_query(duck, query, tz=SHANGHAI, catalog=CATALOG)
    return got.rows, want.rows, percentiles


def compare(engines, query: MetricQuery) -> None:
    assert_parity(*answers(engines, query))


# ---- every metric, for the whole day and per hour ----------------------------------------------------------

METRIC_IDS = [f"{m}-{shape}" for m in CATALOG.metrics for shape in ("total", "hour")]


@pytest.mark.parametrize("case", METRIC_IDS)
def test_every_metric_agrees(engines, case):
    metric, shape = case.rsplit("-", 1)
    grain = "hour" if shape == "hour" else None
    got, want, percentiles = answers(
        engines, MetricQuery(metrics=[metric], time_from=DAY_START, time_to=DAY_END, grain=grain)
    )
    assert any(v is not None for v in want[metric].to_pylist()), f"{metric}: no value to compare"
    assert_parity(got, want, percentiles)


def test_every_metric_is_covered():
    assert {i.rsplit("-", 1)[0] for i in METRIC_IDS} == set(CATALOG.metrics)


# ---- dimension combinations: every metric a dimension applies to, in one query ------------------------------


def applicable(dims: list[str]) -> list[str]:
    out = []
    for m in CATALOG.metrics:
        try:
            for d in dims:
                check_applies(CATALOG, m, CATALOG.dimension(d).name)  # type: ignore[union-attr]
        except UserError:
            continue
        out.append(m)
    return out


DIMENSION_CASES = {
    "channel": (["channel"], None, []),
    "category_l1": (["category_l1"], None, []),
    "channel-hour": (["channel"], "hour", []),
    "payment_method": (["payment_method"], None, []),
    "service-minute": (["service"], "minute", []),
    "promo_type-category_l1": (["promo_type", "category_l1"], None, []),
    "category_l1-province_filter": (
        ["category_l1"], "day", [Filter(dimension="province", op="in", value=["浙江", "江苏"])],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def combination_answers(engines):
    """Each combination asked once of each engine: case -> (spark rows, duckdb rows, percentile columns)."""
    cache: dict = {}

    def answer(case: str):
        if case not in cache:
            dims, grain, filters = DIMENSION_CASES[case]
            metrics = applicable(dims + [f.dimension for f in filters])
            assert len(metrics) >= 4, f"{case}: only {metrics} apply"
            query = MetricQuery(
                metrics=metrics, dimensions=dims, filters=filters, grain=grain,
                time_from=DAY_START, time_to=DAY_END,
            )  # fmt: skip
            cache[case] = answers(engines, query)
        return cache[case]

    return answer


@pytest.mark.parametrize("case", list(DIMENSION_CASES))
def test_dimension_combination_agrees(combination_answers, case):
    got, want, percentiles = combination_answers(case)
    assert_parity(got, want, percentiles)


def test_previous_period_comparison_agrees(engines):
    query = MetricQuery(
        metrics=["gmv_paid", "orders", "buyers", "refund_rate", "spend"], dimensions=["channel"],
        time_from=DAY_START + timedelta(hours=10), time_to=DAY_START + timedelta(hours=12),
        compare="previous_period",
    )  # fmt: skip
    compare(engines, query)


def test_baseline_day_comparison_of_latency_agrees(engines):
    query = MetricQuery(
        metrics=["requests", "latency_p99", "error_rate_5xx"], dimensions=["service"], grain="hour",
        # 21:00-23:00 on the 11th against the same hours of the 10th, which data.py's rows also cover
        time_from=DAY_START + timedelta(hours=21), time_to=DAY_START + timedelta(hours=23),
        compare="baseline_day", baseline_date=(DAY_START - timedelta(hours=1)).astimezone(SHANGHAI).date(),
    )  # fmt: skip
    compare(engines, query)


def test_cumulative_gmv_by_channel_agrees(engines):
    query = MetricQuery(
        metrics=["gmv_cumulative"], dimensions=["channel"], grain="hour",
        time_from=DAY_START + timedelta(hours=6), time_to=DAY_END,
    )  # fmt: skip
    compare(engines, query)


def test_dataset_agrees_with_masking_and_row_filters(engines):
    duck, spark = engines
    principal = Principal("ops", row_filters=[Filter(dimension="province", op="in", value=["浙江", "广东"])])
    args = (
        "orders",
        ["order_id", "channel_group", "paid_amount", "paid_at", "customers.phone"],
        [],
        principal,
    )
    got = dataset(spark, *args, catalog=CATALOG).sort_by("order_id")
    want = dataset(duck, *args, catalog=CATALOG).sort_by("order_id")
    assert_parity(got, want, set())
    assert all(p is None or "****" in p for p in got["customers.phone"].to_pylist())


# ---- the export Spark reads, and choosing the engine ---------------------------------------------------------


def test_export_partitions_facts_by_local_day(engines, tmp_path):
    duck, _ = engines
    counts = export_parquet(duck.warehouse, tmp_path, SHANGHAI)
    # data.py's events run from 4 h before the Shanghai sale day to 2 h after it: local days 10, 11 and 12.
    assert sorted(p.name for p in (tmp_path / "events").iterdir()) == [
        "day=2026-11-10", "day=2026-11-11", "day=2026-11-12",
    ]  # fmt: skip
    on_11th = pq.read_table(tmp_path / "events" / "day=2026-11-11")
    local_days = {t.astimezone(SHANGHAI).date().isoformat() for t in on_11th["ts"].to_pylist()}
    assert local_days == {"2026-11-11"}
    want = duck.warehouse.cursor().execute("SELECT count(*) FROM order_items").fetchone()[0]
    assert counts["order_items"] == want == pq.read_table(tmp_path / "order_items").num_rows
    assert counts["inventory"] == len(stock_snapshots())
    empty = [name for name, n in counts.items() if n == 0]
    assert empty and all((tmp_path / name).is_dir() for name in empty)  # an empty table is still readable
    assert (tmp_path / MANIFEST).is_file()


def test_spark_without_an_export_says_how_to_make_one(spark_session, tmp_path):
    with pytest.raises(UserError, match="warroom export --out"):
        SparkBackend(spark_session, str(tmp_path / "nothing"))


def test_the_setting_chooses_the_engine(engines, tmp_path):
    duck, spark = engines
    assert isinstance(backend_for(duck.warehouse, Settings(home=tmp_path)), DuckDBBackend)
    chosen = backend_for(duck.warehouse, Settings(home=tmp_path, engine="spark", spark_data=spark.data))
    assert isinstance(chosen, SparkBackend) and chosen.data == spark.data
    assert (chosen.live, chosen.rollups, DuckDBBackend.live, DuckDBBackend.rollups) == (
        False,
        False,
        True,
        True,
    )


def test_cli_export_then_query_on_spark(tmp_path, monkeypatch, spark_session):
    random_sale(tmp_path / "warehouse.duckdb").close()
    monkeypatch.setenv("WARROOM_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["export"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "parquet" / MANIFEST).is_file()
    args = [
        "query",
        "orders",
        "--by",
        "device",
        "--from",
        "2026-11-11",
        "--to",
        "2026-11-12",
        "--format",
        "csv",
    ]
    duck_out = CliRunner().invoke(app, args)
    monkeypatch.setenv("WARROOM_ENGINE", "spark")
    get_settings.cache_clear()  # the engine is read from the process's settings
    try:
        spark_out = CliRunner().invoke(app, [*args, "--sql"])
    finally:
        monkeypatch.delenv("WARROOM_ENGINE")
        get_settings.cache_clear()
    assert spark_out.exit_code == 0, spark_out.output
    assert spark_out.stdout.splitlines()[:4] == duck_out.stdout.splitlines()[:4]
    assert len(duck_out.stdout.splitlines()) == 4  # header and three devices
    assert "`orders`" in spark_out.stderr  # the SQL shown is Spark's (backquoted identifiers)
