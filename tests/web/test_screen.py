"""The big screen: its snapshot against hand-written SQL, in a real browser at 1920x1080 while the replay
runs, through a dropped stream, and 50 viewers of its live stream sharing one computation per refresh."""

import asyncio
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
import uvicorn

from tests.web.conftest import _free_port
from warroom.access import create_token, create_user, get_user
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.boards import ALL
from warroom.web.boards.board import BoardRequest
from warroom.web.boards.screen import countdown, screen_snapshot
from warroom.web.boards.timerange import RangeSpec
from warroom.web.routes.boards import live_key
from warroom.web.runtime import Runtime

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 11, 0, 20, 30, tzinfo=SHANGHAI)  # 20 minutes into the sale


# ---- the snapshot, against SQL written by hand from the metric definitions ----------------------------


@pytest.fixture(scope="module")
def sale(small_sim, tmp_path_factory) -> Warehouse:
    """The small simulation loaded up to NOW, as the replay would have it at that moment."""
    warehouse = Warehouse(tmp_path_factory.mktemp("screen") / "warehouse.duckdb")
    replayer = Replayer(small_sim, warehouse)
    replayer.load_history(NOW)
    return warehouse


def _sql(warehouse: Warehouse, sql: str) -> list[tuple]:
    cursor = warehouse.cursor()
    try:
        return cursor.execute(sql).fetchall()
    finally:
        cursor.close()


def _paid(since: datetime, until: datetime) -> str:
    return (
        "order_items i JOIN orders o USING (order_id) "
        f"WHERE o.paid_at >= TIMESTAMPTZ '{since.isoformat()}' AND o.paid_at < TIMESTAMPTZ '{until.isoformat()}'"
    )


def test_snapshot_matches_hand_written_sql(sale):
    snap = screen_snapshot(BoardRequest(sale, NOW, SHANGHAI, principal=None))
    midnight = datetime(2026, 11, 11, tzinfo=SHANGHAI)
    today = _paid(midnight, NOW)
    gmv, orders, buyers = _sql(
        sale,
        f"SELECT sum(i.list_price * i.quantity - i.discount_amount), count(DISTINCT order_id), "
        f"count(DISTINCT o.customer_id) FROM {today}",
    )[0]
    assert orders > 0, "the fixture has no paid orders in the window: the test would prove nothing"
    assert snap["headline"]["gmv_paid"] == pytest.approx(float(gmv))
    assert snap["headline"]["orders"] == orders
    assert snap["headline"]["buyers"] == buyers

    (last_minute,) = _sql(
        sale, f"SELECT count(DISTINCT order_id) FROM {_paid(NOW - timedelta(seconds=60), NOW)}"
    )[0]
    assert snap["rate"]["orders_per_second"] == pytest.approx(last_minute / 60)

    provinces = dict(
        _sql(
            sale,
            f"SELECT o.province, sum(i.list_price * i.quantity - i.discount_amount) FROM {today} GROUP BY 1",
        )
    )
    assert {p["name"]: p["gmv_paid"] for p in snap["provinces"]} == {
        name: pytest.approx(float(g)) for name, g in provinces.items()
    }
    top = _sql(
        sale,
        "SELECT p.category_l1, sum(i.list_price * i.quantity - i.discount_amount) AS g FROM "
        f"{today.replace('WHERE', 'JOIN products p USING (sku_id) WHERE')} GROUP BY 1 ORDER BY g DESC LIMIT 8",
    )
    assert [(c["name"], c["gmv_paid"]) for c in snap["categories"]] == [(n, float(g)) for n, g in top]

    events = (
        f"events WHERE ts >= TIMESTAMPTZ '{midnight.isoformat()}' AND ts < TIMESTAMPTZ '{NOW.isoformat()}'"
    )
    people = dict(_sql(sale, f"SELECT event_type, count(DISTINCT customer_id) FROM {events} GROUP BY 1"))
    assert [s["value"] for s in snap["funnel"]] == [
        people["view"],
        people["cart"],
        people["order"],
        people["pay"],
    ]

    # Trend: the 30 whole minutes before 00:20, each minute's paid orders / 60.
    per_minute = dict(
        _sql(
            sale,
            "SELECT date_trunc('minute', timezone('Asia/Shanghai', o.paid_at)), count(DISTINCT order_id) "
            f"FROM {_paid(NOW.replace(second=0) - timedelta(minutes=30), NOW.replace(second=0))} GROUP BY 1",
        )
    )
    got = {
        datetime.fromisoformat(r["time"]).astimezone(SHANGHAI).replace(tzinfo=None): r["orders_per_second"]
        for r in snap["trend"]
    }
    first = datetime(2026, 11, 10, 23, 50)
    minutes = [
        first + timedelta(minutes=i) for i in range(30)
    ]  # 23:50 .. 00:19: the minute running is left out
    assert list(got) == minutes
    assert got == {
        t: pytest.approx(per_minute.get(t, 0) / 60) for t in minutes
    }  # a minute without orders is 0
    assert 0 < len(per_minute) < 30, "the window should hold minutes with and without orders"
    assert snap["countdown"] == {"kind": "to_end", "at": "2026-11-12T00:00:00+08:00"}


def test_countdown_to_the_start_then_the_end_then_since_the_end():
    def at(*utc):
        return countdown(datetime(*utc, tzinfo=UTC), SHANGHAI, (11, 11))

    # 23:59:30 on the 10th in Shanghai: thirty seconds to the start
    assert at(2026, 11, 10, 15, 59, 30) == {"kind": "to_start", "at": "2026-11-11T00:00:00+08:00"}
    assert at(2026, 11, 10, 16, 0) == {"kind": "to_end", "at": "2026-11-12T00:00:00+08:00"}
    # after midnight of the 11th the sale is over: time since its end, not to the next midnight
    assert at(2026, 11, 11, 16, 0, 1) == {"kind": "ended", "at": "2026-11-12T00:00:00+08:00"}
    assert at(2027, 3, 1) == {"kind": "ended", "at": "2026-11-12T00:00:00+08:00"}
    # a month before next year's sale the screen looks ahead to it
    assert at(2027, 10, 20) == {"kind": "to_start", "at": "2027-11-11T00:00:00+08:00"}
    assert countdown(datetime(2026, 6, 18, 12, tzinfo=SHANGHAI), SHANGHAI, (6, 18))["kind"] == "to_end"


def test_snapshot_at_the_stroke_of_midnight_is_zero_not_an_error(sale):
    snap = screen_snapshot(
        BoardRequest(sale, datetime(2026, 11, 11, tzinfo=SHANGHAI), SHANGHAI, principal=None)
    )
    assert snap["headline"]["orders"] == 0
    assert snap["provinces"] == [] and snap["categories"] == []


# ---- 50 viewers of the live stream: one computation per refresh -----------------------------------------


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # runs in a thread: leave the test runner's signals alone
        pass


@pytest.mark.slow
def test_fifty_live_viewers_share_one_computation_per_refresh(tmp_path, run_async):
    settings = Settings(home=tmp_path, refresh_seconds=0.2)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as s:
        create_user(s, username="ops", password="ops-pass-1", role="ops", actor="test")
        _, token = create_token(s, username="ops", name="screen", scopes=["read"], actor="test")
        key = live_key(ALL["screen"], {}, RangeSpec(), get_user(s, username="ops"))
    runtime = Runtime(settings, Warehouse(settings.warehouse_path), meta)
    port = _free_port()
    server = _Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    viewers, wanted = 50, 3

    async def scenario() -> tuple[list[list[str]], dict]:
        received: list[list[str]] = [[] for _ in range(viewers)]
        refused: list[str] = []
        all_have_enough = asyncio.Event()
        release = asyncio.Event()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:

            async def viewer(i: int) -> None:
                async with client.stream("GET", "/api/v1/live/screen", headers=headers) as r:
                    if r.status_code != 200:
                        refused.append(f"viewer {i}: HTTP {r.status_code} {(await r.aread())[:300]!r}")
                        all_have_enough.set()
                        return
                    async for line in r.aiter_lines():
                        if line.startswith("data: "):
                            received[i].append(orjson.loads(line[6:])["now"])
                            if all(len(x) >= wanted for x in received):
                                all_have_enough.set()
                            if len(received[i]) >= wanted:
                                await release.wait()  # stay subscribed until the stats are read
                                return

            tasks = [asyncio.create_task(viewer(i)) for i in range(viewers)]
            await asyncio.wait_for(all_have_enough.wait(), timeout=120)
            stats = runtime.hub.stats(key)
            release.set()
            assert not refused, f"{len(refused)} of {viewers} viewers refused, e.g. {refused[0]}"
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
        return received, stats

    try:
        received, stats = run_async(scenario())
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert stats["subscribers"] == viewers
    # Every viewer saw 3 snapshots; computing per viewer would take at least 150 computations. Shared, it
    # takes the refreshes that passed while the 50 connected and read 3 each: a handful.
    assert stats["computations"] <= wanted + 4, stats
    distinct = {now for r in received for now in r}
    assert len(distinct) <= stats["computations"]


# ---- the page in a real browser -------------------------------------------------------------------------


@pytest.fixture
def wide_page(browser, live_server):
    """A 1920x1080 page logged in as ops (the screen's size in the room)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "ops-pass")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    yield page
    context.close()


def _first_snapshot(page, live_server) -> None:
    page.goto(live_server + "/screen")
    page.wait_for_function("document.getElementById('gmv').textContent.startsWith('¥')", timeout=20_000)


def _check_alerts_ticker(page, live_server: str, empty: str, no_feed: str) -> None:
    """The ticker shows what GET /api/v1/alerts says for this user: its unresolved alerts, or that there are
    none, or (a server without the feed) that there is no feed, never a blank."""
    response = page.request.get(live_server + "/api/v1/alerts")
    items = page.locator("#alerts li")
    if response.status == 404:
        page.wait_for_function(f"document.getElementById('alerts').textContent.startsWith({no_feed!r})")
        return
    active = [a for a in response.json()["alerts"] if a["status"] != "resolved"]
    if not active:
        page.wait_for_function(f"document.getElementById('alerts').textContent === {empty!r}")
        return
    page.wait_for_function("document.querySelector('#alerts li[data-severity]') !== null")
    assert (
        items.first.inner_text().endswith(active[0]["summary"])
        or active[0]["summary"] in items.first.inner_text()
    )


def _yuan(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


@pytest.mark.browser
def test_big_screen_counter_runs_up_smoothly_during_the_replay(wide_page, live_server, screenshot):
    page = wide_page
    _first_snapshot(page, live_server)
    # Every value the counter shows, as it shows it, with the room's day at that moment.
    page.evaluate("""() => {
        window.__shown = [];
        const gmv = document.getElementById('gmv');
        const day = () => document.getElementById('clock').textContent.slice(0, 10);
        new MutationObserver(() => window.__shown.push([day(), gmv.textContent]))
            .observe(gmv, {childList: true, characterData: true, subtree: true});
    }""")
    # At 120x a real second is two simulated minutes; the small sale has a paid order every few of them.
    # The counter restarts from 0 at midnight, so a rise counts only within one day of the room's clock.
    deadline = time.monotonic() + 45
    shown: list[tuple[str, int]] = []
    while time.monotonic() < deadline:
        time.sleep(1)
        shown = [(day, _yuan(text)) for day, text in page.evaluate("window.__shown")]
        firsts = {}
        for day, v in shown:
            firsts.setdefault(day, v)
        if any(v > firsts[day] + 100 for day, v in shown):
            break
    rising = [(day, v) for day, v in shown if v > firsts[day]]
    assert rising, f"the GMV counter did not rise within 45 s of replay: {shown[-5:]}"
    # The day whose rise the page showed most of: a rise just after the room's midnight has few values yet.
    day = max({d for d, _ in rising}, key=lambda d: sum(1 for d2, _ in shown if d2 == d))
    values = [v for d, v in shown if d == day]
    # Animated: between one snapshot's figure and the next the counter shows values in between.
    assert len(set(values)) > 3, values
    assert any(min(values) < v < max(values) for v in values), values

    assert page.locator("#live-status").get_attribute("data-state") == "live"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", page.locator("#countdown").inner_text())
    font_px = page.locator("#gmv").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_px >= 96  # readable from the back of the room
    assert page.locator("#map canvas").count() == 1
    _check_alerts_ticker(page, live_server, empty="当前无告警", no_feed="告警接口尚未接入")
    path = screenshot(page, "screen-1920x1080-zh")
    assert path.stat().st_size > 60_000  # a map, charts and digits, not a blank dark page


@pytest.mark.browser
def test_big_screen_shows_how_stale_it_is_and_catches_up_when_the_stream_returns(
    wide_page, live_server, screenshot
):
    page = wide_page
    snapshot = page.request.get(live_server + "/api/v1/boards/screen").json()
    served = {"once": False, "down": True}

    def stream(route):
        # First connection: one snapshot, then the stream ends (a dropped connection). Every reconnect
        # while "down" is answered 503, as a restarting server's proxy would: EventSource then gives up
        # for good, and live.js must open a new one itself once the server is back.
        if not served["once"]:
            served["once"] = True
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body="retry: 500\n\ndata: " + orjson.dumps(snapshot).decode() + "\n\n",
            )
        elif served["down"]:
            route.fulfill(status=503, body="down for the test")
        else:
            route.fallback()

    page.route("**/api/v1/live/screen", stream)
    _first_snapshot(page, live_server)
    page.wait_for_function("!document.getElementById('stale-banner').hidden", timeout=20_000)
    banner = page.locator("#stale-banner").inner_text()
    assert re.fullmatch(r"数据已停止更新：显示的是\d+秒前的最后数值", banner), banner
    assert page.locator("#live-status").get_attribute("data-state") == "stale"
    shown_gmv = page.locator("#gmv").inner_text()
    last_update = page.locator("#last-update").inner_text()
    assert shown_gmv.startswith("¥") and last_update != "–"
    page.wait_for_timeout(2_000)
    # While nothing arrives the last good values stay on screen, and the band counts the seconds up.
    assert page.locator("#gmv").inner_text() == shown_gmv
    assert page.locator("#last-update").inner_text() == last_update
    assert page.locator("#stale-banner").inner_text() != banner
    screenshot(page, "screen-stale-zh")

    served["down"] = False
    # live.js retries with back-off (1, 2, 4, 8 s): within 20 s the real stream is back with its latest
    # snapshot, the band goes away and the figures move on.
    page.wait_for_function("document.getElementById('stale-banner').hidden", timeout=20_000)
    assert page.locator("#live-status").get_attribute("data-state") == "live"
    assert page.locator("#last-update").inner_text() != last_update


@pytest.mark.browser
def test_big_screen_in_english(wide_page, live_server, screenshot):
    page = wide_page
    page.goto(live_server + "/lang/en")
    _first_snapshot(page, live_server)
    page.wait_for_function("document.getElementById('orders').textContent !== '–'", timeout=15_000)
    assert page.locator(".s-title").inner_text().endswith("Double 11 live war room")
    _check_alerts_ticker(page, live_server, empty="No active alerts", no_feed="No alerts feed yet")
    screenshot(page, "screen-1920x1080-en")
