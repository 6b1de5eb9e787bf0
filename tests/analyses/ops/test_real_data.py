"""The operations analyses on real public data, loaded through the shipped ingest mappings as a user would
load their own exports, checked against the figures published with the data and against an independent
computation over the raw file (Python's csv module and Decimal, no Warroom code)."""

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from warroom.analyses.cohorts import repurchase
from warroom.analyses.ops.funnel import funnel
from warroom.analyses.ops.listings import listing_sales
from warroom.analyses.ops.purchases import pay_events
from warroom.analyses.ops.segments import segments
from warroom.ingest.files import ingest_file
from warroom.ingest.mapping import load_mapping
from warroom.metrics import MetricQuery, run_query
from warroom.warehouse import Warehouse

MAPPINGS = Path(__file__).parents[3] / "examples" / "mappings"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = timezone(timedelta(hours=8))


def _load(tmp_path: Path, source: Path, table: str, mapping: str) -> tuple[Warehouse, object]:
    if not source.exists():
        pytest.skip(f"{source} is absent: this check needs that public data set")
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    report = ingest_file(wh, source, table, load_mapping(MAPPINGS / mapping)).report
    return wh, report


# --- Taobao UserBehavior (the head of Tianchi dataset 649): funnel, PV / UV per day, repurchase ---------


@pytest.fixture
def taobao(tmp_path, shared_data):
    path = shared_data / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    wh, report = _load(tmp_path, path, "events", "taobao_user_behavior.yaml")
    with path.open(newline="") as f:
        lines = [(int(u), b, datetime.fromtimestamp(int(t), CHINA)) for u, _i, _c, b, t in csv.reader(f)]
    yield wh, report, lines
    wh.close()


def test_taobao_pv_and_uv_per_day(taobao):
    wh, report, lines = taobao
    assert (report.received, report.accepted, report.rejected) == (4_321, 4_321, 0)
    pv: dict[date, int] = defaultdict(int)
    uv: dict[date, set] = defaultdict(set)
    for user, behavior, at in lines:
        pv[at.date()] += behavior == "pv"
        uv[at.date()].add(user)
    got = run_query(
        wh,
        MetricQuery(
            metrics=["pv", "uv"],
            grain="day",
            time_from=datetime(2017, 9, 1, tzinfo=SHANGHAI),
            time_to=datetime(2017, 12, 4, tzinfo=SHANGHAI),
        ),
        tz=SHANGHAI,
    ).rows.to_pylist()
    by_day = {r["time"].astimezone(SHANGHAI).date(): (r["pv"], r["uv"]) for r in got if r["uv"]}
    assert by_day == {d: (pv[d], len(uv[d])) for d in uv}
    assert date(2017, 9, 11) in by_day  # the out-of-range row of the original is kept on its own day
    assert len(by_day) == 10


def test_taobao_user_funnel(taobao):
    wh, _, lines = taobao
    start, end = datetime(2017, 11, 25, tzinfo=SHANGHAI), datetime(2017, 12, 4, tzinfo=SHANGHAI)
    who: dict[str, set] = defaultdict(set)
    for user, behavior, at in lines:
        if start <= at < end:
            who[behavior].add(user)
    got = funnel(wh, start=start, end=end, basis="user")
    steps = {s["step"]: s["count"] for s in got["groups"][0]["steps"]}
    # The log has no order step: a `buy` is a completed sale, mapped to pay.
    assert steps == {"view": len(who["pv"]), "cart": len(who["cart"]), "order": 0, "pay": len(who["buy"])}
    assert steps["view"] == 43


def test_taobao_repurchase_from_pay_events(taobao):
    wh, _, lines = taobao
    days: dict[int, set] = defaultdict(set)
    for user, behavior, at in lines:
        if behavior == "buy":
            days[user].add(at.date())
    got = repurchase(pay_events(wh, end=datetime(2018, 1, 1, tzinfo=SHANGHAI), tz=SHANGHAI, principal=None))
    assert (got.customers, got.repeat_customers) == (len(days), sum(len(d) >= 2 for d in days.values()))
    assert got.repeat_customers > 0


# --- UCI Online Retail: RFM ------------------------------------------------------------------------------


def test_uci_online_retail_rfm_gives_the_published_figures(tmp_path, shared_data):
    path = shared_data / "uci_online_retail" / "online_retail.csv"
    wh, report = _load(tmp_path, path, "orders", "uci_online_retail.yaml")
    assert (report.received, report.accepted, report.rejected) == (18_532, 18_532, 0)
    # Recency from 2011-12-10, as published: the reference day is the day before `end`.
    got = segments(
        wh,
        window_start=datetime(2011, 12, 1, tzinfo=SHANGHAI),
        end=datetime(2011, 12, 11, tzinfo=SHANGHAI),
        tz=SHANGHAI,
    )
    rfm = {
        r["customer_id"]: (r["recency_days"], r["frequency"], r["monetary"])
        for r in got["customers"].to_pylist()
    }
    assert len(rfm) == 4_338
    assert rfm[12346] == (326, 1, Decimal("77183.60"))
    assert rfm[12347] == (3, 7, Decimal("4310.00"))
    assert sum(m for _, _, m in rfm.values()) == Decimal("8911407.90")
    # Every customer against the raw file.
    last: dict[int, date] = {}
    invoices: dict[int, int] = defaultdict(int)
    spent: dict[int, Decimal] = defaultdict(Decimal)
    with path.open(newline="") as f:
        for r in csv.DictReader(f):
            c, d = int(r["CustomerID"]), date.fromisoformat(r["InvoiceDate"])
            last[c] = max(last.get(c, d), d)
            invoices[c] += 1
            spent[c] += Decimal(r["TotalPrice"]).quantize(Decimal("0.01"))
    assert rfm == {c: ((date(2011, 12, 10) - last[c]).days, invoices[c], spent[c]) for c in last}
    wh.close()


# --- Taobao beauty listings around Double 11 2016: shops, units and amounts from the sales counter --------


def test_beauty_listings_give_the_published_shop_counts_and_leader(tmp_path, shared_data):
    path = shared_data / "taobao_double11_beauty_2016" / "beauty_2016.csv"
    wh, report = _load(tmp_path, path, "listing_snapshots", "taobao_beauty_2016.yaml")
    # Published: 27,598 rows, 86 of them exact repeats (27,512 left).
    assert (report.received, report.rejected, report.duplicates) == (27_598, 0, 86)
    with path.open(newline="", encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    assert len(raw) == 27_598
    got = listing_sales(
        wh,
        start=datetime(2016, 11, 1, tzinfo=SHANGHAI),
        end=datetime(2016, 12, 1, tzinfo=SHANGHAI),
        tz=SHANGHAI,
    )
    shops = {r["shop"]: r for r in got["shops"]}

    # Published shop figures: 22 shops; rows per shop 悦诗风吟 3,021, 佰草集 2,265, 欧莱雅 1,974, 雅诗兰黛 1,810.
    # Those count the file's lines, repeats included; the warehouse keeps each snapshot once.
    lines_per_shop: dict[str, int] = defaultdict(int)
    distinct: dict[str, set] = defaultdict(set)
    for r in raw:
        lines_per_shop[r["店名"]] += 1
        distinct[r["店名"]].add(tuple(r.values()))
    assert len(shops) == len(lines_per_shop) == 22
    assert [(s, lines_per_shop[s]) for s in ("悦诗风吟", "佰草集", "欧莱雅", "雅诗兰黛")] == [
        ("悦诗风吟", 3_021),
        ("佰草集", 2_265),
        ("欧莱雅", 1_974),
        ("雅诗兰黛", 1_810),
    ]
    assert {s: r["snapshots"] for s, r in shops.items()} == {s: len(v) for s, v in distinct.items()}
    assert sum(r["snapshots"] for r in shops.values()) == 27_512

    # Independently: each listing's counter by day (the file's own days), then its last and its differences.
    snaps: dict[str, dict[date, tuple[int, Decimal]]] = defaultdict(dict)
    shop_of = {}
    for r in raw:
        if r["sale_count"]:
            d = datetime.strptime(r["update_time"], "%Y/%m/%d").date()
            snaps[r["id"]][d] = (int(r["sale_count"]), Decimal(r["price"]).quantize(Decimal("0.01")))
            shop_of[r["id"]] = r["店名"]
    # Three shops (SKII, 植村秀, 玉兰油) show no counter at all: they sold nothing that can be seen.
    to_date: dict[str, list] = {s: [0, Decimal(0)] for s in lines_per_shop}
    in_period: dict[str, int] = dict.fromkeys(lines_per_shop, 0)
    per_day: dict[str, int] = defaultdict(int)
    for listing, by_day in snaps.items():
        ordered = sorted(by_day.items())
        count, price = ordered[-1][1]
        to_date[shop_of[listing]][0] += count
        to_date[shop_of[listing]][1] += count * price
        for (_, (before, _)), (day, (after, _)) in pairwise(ordered):
            in_period[shop_of[listing]] += after - before
            per_day[day.isoformat()] += after - before
    assert {s: (r["units_to_date"], r["amount_to_date"]) for s, r in shops.items()} == {
        s: tuple(v) for s, v in to_date.items()
    }
    assert {s: r["units_in_period"] for s, r in shops.items()} == in_period
    assert {d["day"]: d["units"] for d in got["days"]} == dict(per_day)

    # Published: 相宜本草 first by units and by sales amount (sold to date, each listing's last counter).
    assert max(shops.values(), key=lambda r: r["units_to_date"])["shop"] == "相宜本草"
    assert max(shops.values(), key=lambda r: r["amount_to_date"])["shop"] == "相宜本草"
    # Double 11 is the day the counters jump.
    assert max(got["days"], key=lambda d: d["units"])["day"] == "2016-11-11"
    wh.close()


def test_listing_sales_by_hand(tmp_path):
    """One listing: counters 100, (none), 130, 125 on four days at prices 10, 10, 9, 9; another: one snapshot."""
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    rows = [
        ("2016-11-10", "a", "s1", "10", 100),
        ("2016-11-11", "a", "s1", "10", None),
        ("2016-11-12", "a", "s1", "9", 130),
        ("2016-11-13", "a", "s1", "9", 125),
        ("2016-11-12", "b", "s2", "5", 7),
    ]
    wh.cursor().executemany(
        "INSERT INTO listing_snapshots (ts, listing_id, shop, price, sale_count) "
        "VALUES (?::TIMESTAMP AT TIME ZONE 'Asia/Shanghai', ?, ?, ?, ?)",
        rows,
    )
    got = listing_sales(
        wh,
        start=datetime(2016, 11, 1, tzinfo=SHANGHAI),
        end=datetime(2016, 12, 1, tzinfo=SHANGHAI),
        tz=SHANGHAI,
    )
    assert got["shops"] == [
        {
            "shop": "s1",
            "snapshots": 4,
            "listings": 1,
            "units_to_date": 125,
            "amount_to_date": Decimal("1125.00"),
            "units_in_period": 25,  # +30 to the 12th (across the day without a counter), -5 on the 13th
            "amount_in_period": Decimal("225.00"),  # 30 x 9 - 5 x 9
            "counter_drops": 1,
        },
        {
            "shop": "s2",
            "snapshots": 1,
            "listings": 1,
            "units_to_date": 7,
            "amount_to_date": Decimal("35.00"),
            "units_in_period": 0,
            "amount_in_period": Decimal("0"),
            "counter_drops": 0,
        },
    ]
    assert got["days"] == [
        {"day": "2016-11-12", "units": 30, "amount": Decimal("270.00")},
        {"day": "2016-11-13", "units": -5, "amount": Decimal("-45.00")},
    ]
    wh.close()
