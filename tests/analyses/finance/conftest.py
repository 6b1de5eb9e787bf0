"""The small simulated sale loaded into a warehouse, and the incidents the simulator planted in it."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from warroom.ingest.bulk import ingest_parquet_dir
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The whole simulated period (pre-sale from 20 Oct to the end of 11 Nov, Shanghai).
PERIOD_FROM = datetime(2026, 10, 19, tzinfo=SHANGHAI)
PERIOD_TO = datetime(2026, 11, 12, tzinfo=SHANGHAI)


def load(sim, path) -> Warehouse:
    wh = Warehouse(path)
    ingest_parquet_dir(wh, sim)
    return wh


@pytest.fixture(scope="session")
def sim_wh(small_sim, tmp_path_factory):
    """Read-only use: a warehouse holding the whole small simulation."""
    wh = load(small_sim, tmp_path_factory.mktemp("finance") / "w.duckdb")
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def incidents(small_sim) -> dict[str, dict]:
    return {i["id"]: i for i in json.loads((small_sim / "incidents.json").read_text())}


def sql(wh: Warehouse, query: str, *params) -> list[tuple]:
    """An independent hand-written query (UTC session, as the metric layer runs)."""
    cur = wh.cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'")
        return cur.execute(query, list(params)).fetchall()
    finally:
        cur.close()
