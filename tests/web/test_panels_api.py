"""A board's time range and its panels over HTTP, in-process over the metric tests' seeded random sale:
bad ranges are a 400 naming the parameter, a panel's CSV equals its JSON and a hand-written query, a
forbidden panel is refused (and the refusal audited), and "show the SQL" is for the roles allowed it."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.collab import conftest as collab
from warroom.meta.models import AuditEntry, User
from warroom.web.boards import ALL
from warroom.web.boards.timerange import RangeSpec, parse_range
from warroom.web.routes.boards import live_key

# The collaboration suite's app over the random sale, with its users (op: ops, fin: finance, boss: admin).
app, sale, metadata_url, pg_database = collab.app, collab.sale, collab.metadata_url, collab.pg_database
bearer = collab.bearer
SH = ZoneInfo("Asia/Shanghai")
RANGE = {"from": "2026-11-11T08:00", "to": "2026-11-11T12:00"}  # Shanghai time, inside the sale day


def _category_gmv_sql(sale, start: datetime, end: datetime) -> dict[str, float]:
    rows = sale.cursor().execute(f"""
        SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount)
        FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
        WHERE o.paid_at >= TIMESTAMPTZ '{start.isoformat()}' AND o.paid_at < TIMESTAMPTZ '{end.isoformat()}'
        GROUP BY 1""").fetchall()  # fmt: skip
    return {k: float(v) for k, v in rows}


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"range": "fortnight"}, "range='fortnight'"),
        ({"from": "11/11 8am"}, "from='11/11 8am'"),
        ({"from": "2026-11-11T08:00", "to": "yesterday"}, "to='yesterday'"),
        ({"from": "2026-11-11T12:00", "to": "2026-11-11T08:00"}, "is not before to="),
        ({"from": "2026-01-01T00:00", "to": "2026-11-11T00:00"}, "at most 31 days"),
        ({"to": "2026-11-11T08:00"}, "to= needs from="),
        ({"range": "1h", "from": "2026-11-11T08:00"}, "not both"),
        ({"from": "2027-01-01T00:00"}, "after the room's clock"),
    ],
)
def test_a_bad_range_is_a_400_that_names_the_parameter(app, params, names):
    for url in ("/api/v1/boards/ops", "/api/v1/boards/ops/panels/traffic.csv", "/ops"):
        r = app.client.get(url, params=params, headers=bearer(app, "op"))
        assert r.status_code == 400, (url, r.text)
        assert names in r.json()["error"], r.json()["error"]


def test_the_range_drives_the_ranged_panels_and_not_the_fixed_ones(app, sale):
    snap = app.client.get("/api/v1/boards/ops", params=RANGE, headers=bearer(app, "op")).json()
    start, end = datetime(2026, 11, 11, 8, tzinfo=SH), datetime(2026, 11, 11, 12, tzinfo=SH)
    assert datetime.fromisoformat(snap["range"]["from"]) == start
    assert datetime.fromisoformat(snap["range"]["to"]) == end
    got = {r["category_l1"]: r["gmv_paid"] for r in snap["leaders_category"]["rows"]}
    assert got == pytest.approx(_category_gmv_sql(sale, start, end))
    hours = {datetime.fromisoformat(str(r["time"])) for r in snap["traffic"]["hourly"]}
    assert min(hours) >= start and max(hours) < end
    # The heatmap keeps its 7 days whatever the range: the same as with no range at all.
    default = app.client.get("/api/v1/boards/ops", headers=bearer(app, "op")).json()
    assert snap["heatmap"] == default["heatmap"]
    assert snap["leaders_category"] != default["leaders_category"]


def test_a_panel_csv_equals_its_json_and_is_audited(app, sale):
    r = app.client.get(
        "/api/v1/boards/ops/panels/leaders_category.csv", params=RANGE, headers=bearer(app, "op")
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    panel = app.client.get(
        "/api/v1/boards/ops/panels/leaders_category", params=RANGE, headers=bearer(app, "op")
    )
    data = panel.json()["data"]["rows"]
    assert [row["category_l1"] for row in rows] == [d["category_l1"] for d in data]
    assert [float(row["gmv_paid"]) for row in rows] == pytest.approx([d["gmv_paid"] for d in data])
    start, end = datetime(2026, 11, 11, 8, tzinfo=SH), datetime(2026, 11, 11, 12, tzinfo=SH)
    assert {row["category_l1"]: float(row["gmv_paid"]) for row in rows} == pytest.approx(
        _category_gmv_sql(sale, start, end)
    )
    with app.meta() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.target == "export:panel:ops.leaders_category")
        ).one()
    assert entry.actor == "op" and entry.action == "exported"
    assert entry.detail["rows"] == len(rows) and entry.detail["query"] == RANGE


def test_a_chart_series_csv_is_long_rows_of_the_series(app):
    r = app.client.get("/api/v1/boards/tech/panels/rps.csv", params=RANGE, headers=bearer(app, "op"))
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    series = app.client.get("/api/v1/boards/tech/panels/rps", params=RANGE, headers=bearer(app, "op")).json()
    expected = [(s["name"], float(v)) for s in series["data"] for _, v in s["data"]]
    assert [(row["series"], float(row["value"])) for row in rows] == expected
    assert len(rows) == len(series["rows"]) > 0


def test_a_forbidden_panel_is_refused_and_the_refusal_audited(app):
    r = app.client.get("/api/v1/boards/finance/panels/waterfall.csv", headers=bearer(app, "op"))
    assert r.status_code == 403 and "finance" in r.json()["error"]
    assert (
        app.client.get("/api/v1/boards/finance/panels/waterfall", headers=bearer(app, "op")).status_code
        == 403
    )
    with app.meta() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.target == "export:panel:finance.waterfall")
        ).one()
    assert entry.action == "export_refused" and entry.actor == "op"
    # The finance role gets it, and its steps are the CSV's rows.
    ok = app.client.get("/api/v1/boards/finance/panels/waterfall.csv", headers=bearer(app, "fin"))
    assert ok.status_code == 200
    steps = app.client.get("/api/v1/boards/finance/panels/waterfall", headers=bearer(app, "fin")).json()
    rows = list(csv.DictReader(io.StringIO(ok.content.decode("utf-8-sig"))))
    assert [r["metric"] for r in rows] == [s["metric"] for s in steps["data"]["steps"]]


def test_an_unknown_panel_is_a_404_naming_the_panels(app):
    r = app.client.get("/api/v1/boards/ops/panels/nope.csv", headers=bearer(app, "op"))
    assert r.status_code == 404 and "leaders_category" in r.json()["error"]


def test_show_the_sql_gives_the_statements_that_produced_the_panel(app, sale):
    refused = app.client.get("/api/v1/boards/ops/panels/leaders_category/sql", headers=bearer(app, "op"))
    assert refused.status_code == 403 and "admin" in refused.json()["error"]
    assert (
        app.client.get("/api/v1/boards/ops/panels/traffic/sql", headers=bearer(app, "fin")).status_code == 403
    )
    r = app.client.get(
        "/api/v1/boards/ops/panels/leaders_category/sql", params=RANGE, headers=bearer(app, "boss")
    )
    assert r.status_code == 200
    statements = r.json()["statements"]
    assert len(statements) == 1 and statements[0]["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    # Running the statement as shown gives the panel's figures: it is what produced them.
    st = statements[0]
    table = sale.read(st["sql"], st["params"] or None)  # the params as shown: JSON text, cast by the SQL
    shown = {r["category_l1"]: float(r["gmv_paid"]) for r in table.to_pylist()}
    panel = app.client.get(
        "/api/v1/boards/ops/panels/leaders_category", params=RANGE, headers=bearer(app, "boss")
    )
    assert shown == pytest.approx({d["category_l1"]: d["gmv_paid"] for d in panel.json()["data"]["rows"]})
    # The traffic panel runs its three queries (hourly, mix, the last half hour per minute).
    traffic = app.client.get("/api/v1/boards/ops/panels/traffic/sql", headers=bearer(app, "boss")).json()
    assert len(traffic["statements"]) == 3


def _first_snapshot(stream) -> str:
    return next(line for line in stream.iter_lines() if line.startswith("data: "))


def test_viewers_of_different_ranges_do_not_share_a_live_snapshot(app):
    for preset in ("1h", "24h"):
        with app.client.stream("GET", f"/api/v1/live/ops?range={preset}", headers=bearer(app, "op")) as live:
            assert f'"preset":"{preset}"' in _first_snapshot(live)
    ops = ALL["ops"]
    with app.meta() as s:
        user = s.scalars(select(User).where(User.username == "op")).one()
        hour, day = RangeSpec("1h"), RangeSpec("24h")
        assert live_key(ops, {}, hour, user) != live_key(ops, {}, day, user)
        assert live_key(ops, {}, hour, user) == live_key(ops, {}, RangeSpec("1h"), user)
        fixed = parse_range(RANGE, SH, datetime(2026, 11, 11, 23, tzinfo=SH))
        assert live_key(ops, {}, fixed, user) != live_key(ops, {}, hour, user)


def test_the_query_api_carries_its_sql_only_for_the_roles_that_may_see_sql(app):
    body = {
        "metrics": ["gmv_paid"],
        "time_from": "2026-11-11T00:00:00+08:00",
        "time_to": "2026-11-12T00:00:00+08:00",
    }
    for user, shown in (("op", False), ("fin", False), ("boss", True)):
        r = app.client.post("/api/v1/query", json=body, headers=bearer(app, user))
        assert r.status_code == 200 and r.json()["rows"], (user, r.text)
        sql = r.json()["sql"]
        assert (sql is not None and "order_items" in sql) if shown else sql is None, (user, sql)


def test_the_overview_is_made_of_panels_each_downloadable(app):
    snap = app.client.get("/api/v1/boards/overview", headers=bearer(app, "op")).json()
    assert {"now", "today", "yesterday_same_time", "today_by_hour", "yesterday_by_hour"} <= set(snap)
    hourly = app.client.get("/api/v1/boards/overview/panels/today_by_hour", headers=bearer(app, "op")).json()
    assert hourly["data"] == snap["today_by_hour"] and hourly["data"]

    def csv_rows(key: str) -> list[dict]:  # the file starts with a BOM, for Excel
        r = app.client.get(f"/api/v1/boards/overview/panels/{key}.csv", headers=bearer(app, "op"))
        return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))

    rows = csv_rows("today_by_hour")
    assert [(r["hour"], float(r["gmv_paid"])) for r in rows] == [
        (f"{h:02d}:00", v) for h, v in enumerate(snap["today_by_hour"])
    ]
    (figures,) = csv_rows("today")
    assert float(figures["gmv_paid"]) == snap["today"]["gmv_paid"]
