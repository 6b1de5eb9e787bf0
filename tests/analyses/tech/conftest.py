"""The small simulated sale loaded into a warehouse, and a hand-made one for hand-computed cases."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.metrics.data import insert
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse


@pytest.fixture(scope="session")
def sim_warehouse(small_sim: Path, tmp_path_factory) -> Warehouse:
    """Everything the small simulation holds (scale 0.05, seed 11), ingested through the replay path."""
    wh = Warehouse(tmp_path_factory.mktemp("tech") / "w.duckdb")
    Replayer(small_sim, wh).load_history(datetime(2026, 11, 12, tzinfo=UTC))
    return wh


@pytest.fixture(scope="session")
def incident(small_sim: Path) -> tuple[datetime, datetime]:
    """The payment-service incident's window, from the simulator's incidents.json."""
    doc = json.loads((small_sim / "incidents.json").read_text())
    (entry,) = [i for i in doc if i["id"] == "payment-latency-surge"]
    return datetime.fromisoformat(entry["start"]), datetime.fromisoformat(entry["end"])


def request(ts: datetime, latency: float, status: int = 200, *, service: str = "pay", endpoint: str = "/p",
            host: str = "h1", rate: float = 1.0) -> dict:  # fmt: skip
    return {
        "ts": ts, "service": service, "endpoint": endpoint, "method": "GET", "status_code": status,
        "latency_ms": latency, "host": host, "sample_rate": rate,
    }  # fmt: skip


@pytest.fixture
def hand_warehouse(tmp_path) -> Warehouse:
    wh = Warehouse(tmp_path / "w.duckdb")
    yield wh
    wh.close()


def put(wh: Warehouse, table: str, rows: list[dict]) -> None:
    insert(wh, table, rows)
