"""The small simulated sale loaded into a warehouse once for the operations analyses' tests."""

from zoneinfo import ZoneInfo

import pytest

from warroom.ingest.bulk import ingest_parquet_dir
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def ops_wh(small_sim, tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("ops") / "warehouse.duckdb")
    ingest_parquet_dir(wh, small_sim)
    yield wh
    wh.close()


def sql(wh: Warehouse, query: str, params: list | None = None) -> list[tuple]:
    """An independent hand-written query, in the session zone UTC as the metric layer runs."""
    cur = wh.cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'")
        return cur.sql(query, params=params or []).fetchall()
    finally:
        cur.close()
