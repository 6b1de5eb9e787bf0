"""simulate(): a whole Double 11 written as Parquet parts, chunk by simulated chunk, memory bounded.

Chunks run from 04:00 to 04:00 Shanghai (the quietest hour, so few visits straddle a boundary) and are
cut further on the hour when one would exceed CHUNK_EVENTS expected events; each chunk draws from its own
random streams. Dimension tables are written first; every fact table gets a part per chunk.
"""

import json
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from warroom.errors import UserError
from warroom.schema import TABLES
from warroom.schema.tables import DEVICES
from warroom.simulate import calendar as calmod
from warroom.simulate.calendar import HOUR_US, LOCAL_OFFSET_US, MINUTE_US, SHANGHAI, Calendar, default_period
from warroom.simulate.catalog import L1_NAMES, L1_WEIGHTS, make_catalog, sku_count
from warroom.simulate.channels import CHANNEL_IDS, channels_table
from warroom.simulate.customers import customer_count, make_customers
from warroom.simulate.incidents import HOT_LAUNCH_BOOST, Plan, incidents_doc, make_plan
from warroom.simulate.infra import api_requests, host_metrics, host_names, utilisation
from warroom.simulate.inventory import Stock, initial_stock
from warroom.simulate.marketing import marketing_spend
from warroom.simulate.orders import Book, Ledger, settle
from warroom.simulate.promotions import hot_launch_stock, make_promotions, promotions_table
from warroom.simulate.sessions import (
    EVENTS_PER_VISIT,
    P_CART,
    P_ORDER,
    SAME_CATEGORY,
    VIEW_GEOMETRIC_P,
    Clicks,
    Shelf,
    Visits,
    make_clicks,
    make_visits,
    order_candidates,
)
from warroom.simulate.streams import stream
from warroom.simulate.writer import TableWriter

TARGET_EVENTS_PER_SCALE = 1_000_000  # events over the default period at scale 1
# Expected events per chunk at most; measured peak RSS 0.8 GiB at scale 10 and 1.0 GiB at scale 100.
CHUNK_EVENTS = 1_500_000
CHUNK_BOUNDARY_HOUR = 4
# Order lines per event, measured at scale 1 over the default period (43.0k lines / 1.03M events); sizes
# the starting stock.
LINES_PER_EVENT = 0.0417
MEAN_UNITS_PER_LINE = 1.13
Progress = Callable[[int, int, str], None]


def _check(scale: float, seed: int, start: datetime, end: datetime) -> None:
    if not scale > 0 or scale > 10_000:
        raise UserError(f"--scale must be above 0 and at most 10000 (got {scale}); 1 makes about 1M events")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    for name, t in (("start", start), ("end", end)):
        if t.tzinfo is None:
            raise UserError(f"--{name} {t} has no time zone; give one, e.g. 2026-11-11T00:00+08:00")
        if t.minute or t.second or t.microsecond:
            raise UserError(f"--{name} {t.isoformat()} must be on a whole hour (spend is hourly)")
    if end <= start:
        raise UserError(f"--end {end.isoformat()} must be after --start {start.isoformat()}")


def plan_chunks(
    cal: Calendar, per_minute_events: Callable[[np.ndarray], np.ndarray]
) -> list[tuple[int, int]]:
    hours = np.arange(cal.start_us, cal.end_us, HOUR_US, dtype=np.int64)
    load = np.array([per_minute_events(cal.minutes(h, h + HOUR_US)).sum() for h in hours])
    chunks, begin, acc = [], int(hours[0]), 0.0
    for h, events in zip(hours, load, strict=True):
        local_hour = ((int(h) + LOCAL_OFFSET_US) // HOUR_US) % 24
        if h > begin and (local_hour == CHUNK_BOUNDARY_HOUR or acc + events > CHUNK_EVENTS):
            chunks.append((begin, int(h)))
            begin, acc = int(h), 0.0
        acc += events
    chunks.append((begin, cal.end_us))
    return chunks


def _clear(out: Path) -> None:
    """Remove a previous run's output (only the files this writes), so no stale part survives."""
    for name in TABLES:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    (out / "incidents.json").unlink(missing_ok=True)


def simulate(
    out: Path, scale: float, seed: int, start: datetime | None = None, end: datetime | None = None,
    progress: Progress | None = None,
) -> dict:  # fmt: skip
    """Simulate the Double 11 of 2026 (or [start, end)) into out/<table>/part-*.parquet + incidents.json.

    Returns a summary: rows per table, chunks, seconds taken. `progress(done, total, label)` is called
    after each chunk.
    """
    began = time.monotonic()
    d_start, d_end = default_period()
    start, end = start or d_start, end or d_end
    _check(scale, seed, start, end)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    cal = Calendar.of(start, end)

    # Visits per unit of calendar rate, so the default period holds TARGET_EVENTS_PER_SCALE x scale events.
    default = Calendar.of(
        *default_period(datetime.fromtimestamp(cal.sale_day_us // 1_000_000, SHANGHAI).year)
    )
    default_rate = default.rate(default.minutes(default.start_us, default.end_us)).sum()
    visits_per_rate = TARGET_EVENTS_PER_SCALE * scale / EVENTS_PER_VISIT / default_rate
    chunks = plan_chunks(cal, lambda m: cal.rate(m) * visits_per_rate * EVENTS_PER_VISIT)

    catalog = make_catalog(stream(seed, "catalog"), sku_count(scale))
    plan = make_plan(cal, catalog)
    customers, customer_cols = make_customers(
        stream(seed, "customers"), customer_count(scale), cal.start_us, cal.end_us
    )
    expected_lines = LINES_PER_EVENT * TARGET_EVENTS_PER_SCALE * scale
    share = catalog.popularity / np.bincount(catalog.l1, weights=catalog.popularity)[catalog.l1]
    share *= (np.asarray(L1_WEIGHTS) / sum(L1_WEIGHTS))[catalog.l1]
    on_hand = initial_stock(stream(seed, "stock"), share * expected_lines * MEAN_UNITS_PER_LINE)
    hot_stock = hot_launch_stock(_expected_launch_lines(cal, plan, visits_per_rate))
    on_hand[plan.hot_sku] = hot_stock
    promos = make_promotions(cal, catalog, plan, hot_stock)
    ledger = Ledger(customers, Stock(on_hand), {}, next_order_id=1, next_refund_id=1)
    shelf = Shelf(catalog, hidden=plan.hot_sku)
    hosts = host_names(scale)
    peak_rate = default.rate(default.minutes(default.start_us, default.end_us)).max()

    numbered = {"events": "event_id", "payments": "payment_id"}
    writers = {name: TableWriter(out, spec, numbered.get(name)) for name, spec in TABLES.items()}
    writers["customers"].add({"customer_id": customers.customer_id, **customer_cols})
    del customer_cols  # millions of names and phones at large scale: written below, not needed after
    writers["products"].add(_columns(catalog.to_arrow(TABLES["products"].arrow_schema)))
    writers["channels"].add(_columns(channels_table(TABLES["channels"].arrow_schema)))
    writers["promotions"].add(_columns(promotions_table(promos, TABLES["promotions"].arrow_schema)))
    writers["inventory"].add(
        {"ts": np.full(len(catalog), cal.start_us), "sku_id": catalog.sku_id, "on_hand": on_hand.copy()}
    )
    for name, spec in TABLES.items():
        if spec.time_column is None and spec.kind == "dimension":
            writers[name].flush()

    next_visit = 1
    for i, (c0, c1) in enumerate(chunks):
        minutes = cal.minutes(c0, c1)
        visits = make_visits(
            stream(seed, "visits", i), cal, customers, minutes, cal.rate(minutes) * visits_per_rate
        )
        clicks = make_clicks(stream(seed, "clicks", i), cal, catalog, shelf, visits, plan)
        cand = order_candidates(stream(seed, "orders", i), catalog, visits, clicks)
        book = settle(stream(seed, "settle", i), cand, visits, catalog, promos, plan, cal.end_us, ledger)
        events = _events(visits, clicks, book, customers.customer_id, catalog.sku_id, next_visit)
        next_visit += len(visits.start_us)
        writers["events"].add(events)
        for name, rows in book.rows.items():
            writers[name].add(rows)
        util = utilisation(cal.rate(minutes), peak_rate)
        counts = _per_minute(minutes, events["ts"], events["event_type_code"], book.attempt_ts)
        writers["api_requests"].add(api_requests(stream(seed, "api", i), minutes, counts, util, hosts, plan))
        writers["host_metrics"].add(host_metrics(stream(seed, "hosts", i), minutes, util, hosts, plan))
        hours = np.arange(c0, c1, HOUR_US, dtype=np.int64)
        writers["marketing_spend"].add(
            marketing_spend(stream(seed, "spend", i), hours, visits.start_us, visits.channel, promos, plan)
        )
        for w in writers.values():
            if w.spec.kind == "fact":
                w.flush(c1)
        if progress:
            label = datetime.fromtimestamp(c1 / 1_000_000, SHANGHAI).strftime("%Y-%m-%d %H:%M")
            progress(i + 1, len(chunks), label)
    for w in writers.values():
        w.close(cal.end_us)

    stockout = int(ledger.stock.stockout_us[plan.hot_sku])
    doc = incidents_doc(plan, cal, catalog, stockout if stockout >= 0 else None)
    (out / "incidents.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return {
        "out": str(out),
        "scale": scale,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "chunks": len(chunks),
        "rows": {name: w.rows for name, w in writers.items()},
        "incidents": [d["id"] for d in doc],
        "seconds": round(time.monotonic() - began, 2),
    }


def _columns(table: pa.Table) -> dict:
    return {name: table[name] for name in table.column_names}


EVENT_CODES = ("view", "favorite", "cart", "order", "pay")


def _events(
    visits: Visits,
    clicks: Clicks,
    book: Book,
    customer_ids: np.ndarray,
    sku_ids: np.ndarray,
    first_visit_id: int,
) -> dict:
    """The click stream rows: views, favourites, cart adds, then the orders and payments that happened."""
    f, c = np.flatnonzero(clicks.fav), np.flatnonzero(clicks.cart)
    visit = np.concatenate([clicks.visit, clicks.visit[f], clicks.visit[c], book.order_visit, book.pay_visit])
    sku = np.concatenate([clicks.sku, clicks.sku[f], clicks.sku[c]])
    kind = np.repeat(
        np.arange(5), [len(clicks.visit), len(f), len(c), len(book.order_visit), len(book.pay_visit)]
    )
    no_sku = len(book.order_visit) + len(book.pay_visit)

    return {
        "ts": np.concatenate([clicks.ts, clicks.fav_ts[f], clicks.cart_ts[c], book.order_ts, book.pay_ts]),
        "session_id": first_visit_id + visit,
        "customer_id": customer_ids[visits.customer[visit]],
        "channel_id": pa.array(CHANNEL_IDS).take(pa.array(visits.channel[visit])),
        "event_type": pa.array(EVENT_CODES).take(pa.array(kind)),
        "event_type_code": kind,
        "sku_id": pa.array(np.concatenate([sku_ids[sku], np.zeros(no_sku, dtype=np.int64)]),
                           mask=np.r_[np.zeros(len(sku), dtype=bool), np.ones(no_sku, dtype=bool)]),
        "device": pa.array(DEVICES).take(pa.array(visits.device[visit])),
    }  # fmt: skip


def _per_minute(minutes: np.ndarray, ts: np.ndarray, kind: np.ndarray, attempt_ts: np.ndarray) -> dict:
    n = len(minutes)

    def bins(t: np.ndarray) -> np.ndarray:
        m = (t - minutes[0]) // MINUTE_US
        return np.bincount(m[(m >= 0) & (m < n)], minlength=n)

    out = {name: bins(ts[kind == k]) for k, name in enumerate(EVENT_CODES)}
    out["attempt"] = bins(attempt_ts)
    return out


def _expected_launch_lines(cal: Calendar, plan: Plan, visits_per_rate: float) -> float:
    """Order lines the hot SKU's launch window would bring with unlimited stock (a rough model of the
    funnel: views of electronics x launch boost x cart rate x order rate)."""
    minutes = cal.minutes(plan.hot_launch.start_us, plan.hot_launch.end_us)
    visits = (cal.rate(minutes) * visits_per_rate).sum()
    elec = L1_NAMES.index("数码")
    p_elec = SAME_CATEGORY * calmod.CATEGORY_GIVEN_HOUR[0, elec] + (1 - SAME_CATEGORY) * L1_WEIGHTS[elec]
    views = visits / VIEW_GEOMETRIC_P * p_elec
    return views * HOT_LAUNCH_BOOST * P_CART[calmod.CLIMAX] * P_ORDER[calmod.CLIMAX]
