"""The files themselves: every table present, exact schemas, time order, byte-identical reruns."""

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from warroom.errors import UserError
from warroom.schema import TABLES
from warroom.simulate import simulate
from warroom.simulate.calendar import SHANGHAI

from .conftest import one, rows

# Market data (listing_snapshots) comes from outside the shop's trade: the simulator leaves it empty.
SIMULATED = {name: spec for name, spec in TABLES.items() if spec.simulated}


def _parts(out: Path, table: str) -> list[Path]:
    return sorted((out / table).glob("part-*.parquet"))


def test_every_table_has_parts_with_exactly_the_canonical_schema(sim):
    out, summary = sim
    for name, spec in SIMULATED.items():
        parts = _parts(out, name)
        assert parts, name
        assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
        for p in parts:
            assert pq.read_schema(p).remove_metadata() == spec.arrow_schema, p
        assert sum(pq.ParquetFile(p).metadata.num_rows for p in parts) == summary["rows"][name]


def test_enums_required_columns_and_ranges_hold(sim):
    out, _ = sim
    for name, spec in SIMULATED.items():
        table = pq.read_table(out / name)
        for col in spec.columns:
            values = table[col.name]
            if col.required:
                assert values.null_count == 0, (name, col.name)
            if col.enum:
                assert set(pc.unique(values.drop_null()).to_pylist()) <= set(col.enum), (name, col.name)
            if col.minimum is not None and len(values.drop_null()):
                assert float(pc.min(values).as_py()) >= col.minimum, (name, col.name)
                assert float(pc.max(values).as_py()) <= col.maximum, (name, col.name)


def test_fact_rows_are_in_time_order_across_parts(sim, db):
    out, _ = sim
    for name, spec in SIMULATED.items():
        if spec.time_column:
            times = pq.read_table(out / name, columns=[spec.time_column])[spec.time_column]
            assert (np.diff(times.cast(pa.int64()).to_numpy()) >= 0).all(), name
    # Order lines follow their orders' time: the order ids of the lines, in file order, map to rising times.
    for name in ("order_items", "item_discounts"):
        ids = pq.read_table(out / name, columns=["order_id"])["order_id"].to_pylist()
        ts = dict(rows(db, "SELECT order_id, epoch_us(ts) FROM orders"))
        line_ts = [ts[i] for i in ids]
        assert line_ts == sorted(line_ts), name


def test_every_row_lies_inside_the_period(db):
    start = "2026-10-19 16:00:00+00"
    end = "2026-11-11 16:00:00+00"
    for name, spec in SIMULATED.items():
        if spec.time_column:
            lo, hi = db.execute(
                f"SELECT min({spec.time_column}) >= ?::timestamptz, max({spec.time_column}) < ?::timestamptz "
                f"FROM {name}",
                [start, end],
            ).fetchone()
            assert lo and hi, name


def test_same_seed_and_scale_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, scale=0.05, seed=5)
    simulate(b, scale=0.05, seed=5)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert len(files_a) > len(SIMULATED)
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    simulate(b, scale=0.05, seed=6)
    assert (a / "events/part-00000.parquet").read_bytes() != (b / "events/part-00000.parquet").read_bytes()


def test_dimensions_are_plausible(db):
    assert one(db, "SELECT count(*) FROM products") >= 1000
    assert one(db, "SELECT count(DISTINCT category_l1) FROM products") == 8
    assert (
        one(
            db, "SELECT min(n) FROM (SELECT count(DISTINCT category_l2) n FROM products GROUP BY category_l1)"
        )
        >= 3
    )
    # Gross margin on list price per L1 category inside 15-65% (the 20-60% a seller runs, with spread).
    for l1, margin in rows(
        db, "SELECT category_l1, avg(1 - unit_cost / list_price) FROM products GROUP BY 1"
    ):
        assert 0.15 <= margin <= 0.65, l1
    assert one(db, "SELECT count(DISTINCT province) FROM customers") == 31
    top = [p for (p,) in rows(db, "SELECT province FROM customers GROUP BY 1 ORDER BY count(*) DESC LIMIT 5")]
    assert "广东" in top and "西藏" not in top
    phones = [p for (p,) in rows(db, "SELECT phone FROM customers LIMIT 500")]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    returning = one(
        db, "SELECT avg((registered_at < '2026-10-19 16:00:00+00'::timestamptz)::int) FROM customers"
    )
    assert 0.5 <= returning <= 0.7
    groups = {g for (g,) in rows(db, "SELECT DISTINCT channel_group FROM channels")}
    assert groups == {"search", "feed", "live_stream", "social", "offsite_ads", "main_venue"}
    assert {t for (t,) in rows(db, "SELECT DISTINCT promo_type FROM promotions")} == set(
        TABLES["promotions"].column("promo_type").enum
    )
    for (rule,) in rows(db, "SELECT rule FROM promotions"):
        assert isinstance(json.loads(rule), dict)


def test_incidents_json_lists_all_six(sim):
    out, _ = sim
    doc = json.loads((out / "incidents.json").read_text(encoding="utf-8"))
    assert len(doc) == 6
    for item in doc:
        assert set(item) == {"id", "kind", "start", "end", "touches", "description"}
        assert item["start"] < item["end"] and item["start"].endswith("Z")
        assert item["touches"]["table"] in TABLES


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "--scale"),
        ({"scale": 1, "seed": -1}, "--seed"),
        ({"scale": 1, "start": __import__("datetime").datetime(2026, 11, 1)}, "time zone"),
    ],
)
def test_bad_arguments_are_user_errors(tmp_path, kwargs, message):
    args = {"seed": 1} | kwargs
    with pytest.raises(UserError, match=message):
        simulate(tmp_path, **args)


def test_a_window_of_the_sale(tmp_path):
    from datetime import datetime

    start, end = datetime(2026, 11, 10, 20, tzinfo=SHANGHAI), datetime(2026, 11, 11, 2, tzinfo=SHANGHAI)
    summary = simulate(tmp_path, scale=0.05, seed=2, start=start, end=end)
    assert summary["incidents"] == ["payment-latency-surge", "hot-sku-stockout"]
    times = pq.read_table(tmp_path / "events", columns=["ts"])["ts"]
    assert pc.min(times).as_py() >= start and pc.max(times).as_py() < end
