"""A tour of every page in Chromium, as each demo user, on a still room: the small sale loaded up to
00:20 of 11.11 and replayed at 0.001x, so the numbers hold still while the browser reads them.

Each demo user logs in through the form and finds exactly the pages their role may open; the overview, the
big screen and the team boards show the numbers their JSON snapshots give; an order pushed through the
ingest API shows up on the open big screen without a reload; the language switch changes the page and is
kept as the user's preference; every page is screenshot at 1920x1080 and
1366x768 (test-artifacts/tour-*.png; docs/ holds copies for the README)."""

import json
import os

import httpx
import pyarrow.parquet as pq
import pytest

from tests.web.conftest import ARTIFACTS, _free_port, serving
from warroom.access import create_token
from warroom.access.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from warroom.config import Settings
from warroom.meta import open_metadata

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START = "2026-11-11 00:20"
PASSWORDS = {user: password for user, password, _role, _name in DEMO_ACCOUNTS}
SIZES = ((1920, 1080), (1366, 768))
NAV = {  # what each demo role finds in the top navigation
    "admin": ["/", "/ops", "/finance", "/tech", "/screen", "/dashboards", "/alerts", "/data", "/admin"],
    "ops": ["/", "/ops", "/tech", "/screen", "/dashboards", "/alerts"],
    "finance": ["/", "/ops", "/finance", "/tech", "/screen", "/dashboards", "/alerts"],
    "tech": ["/", "/ops", "/tech", "/screen", "/dashboards", "/alerts", "/data"],
}


@pytest.fixture(scope="module")
def still_room(small_sim, tmp_path_factory):
    """`warroom serve` on the small sale, nearly frozen at START; yields (url, admin ingest token)."""
    home = tmp_path_factory.mktemp("tour")
    port = _free_port()
    with open_metadata(Settings(home=home).metadata_sqlalchemy_url)() as s:
        ensure_demo_accounts(s)
        _, token = create_token(s, username="admin", name="tour pusher", scopes=["ingest"], actor="test")
    env = {**os.environ, "WARROOM_HOME": str(home), "WARROOM_PORT": str(port)}
    with serving(home, env, small_sim, START, "--speed", "0.001") as url:
        yield url, token


def _open(browser, url: str, user: str, size=(1440, 900), lang="zh-CN"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=lang)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def _nav(page) -> list[str]:
    return page.eval_on_selector_all(".topbar nav a", "links => links.map(a => a.getAttribute('href'))")


def _api(page, url: str, path: str) -> dict:
    response = page.request.get(url + path)
    assert response.ok, (path, response.status)
    return response.json()


# Every number an ECharts chart holds in its series (bar heights, line points, {value} items).
CHART_NUMBERS = """(selector) => {
  const chart = echarts.getInstanceByDom(document.querySelector(selector));
  const out = [];
  const walk = (v) => {
    if (typeof v === "number") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object" && "value" in v) walk(v.value);
  };
  const option = chart && chart.getOption();  // undefined until the first snapshot is drawn
  if (option && option.series) option.series.forEach((s) => walk(s.data));
  return out;
}"""


def _chart_numbers(page, selector: str) -> set[float]:
    page.wait_for_function(f"({CHART_NUMBERS})({selector!r}).length > 0", timeout=30_000)
    return {round(v, 2) for v in page.evaluate(CHART_NUMBERS, selector)}


def _formatted(page, kind: str, value: float) -> str:
    return page.evaluate(f"([v, lang]) => WarroomFormat.{kind}(v, lang)", [value, "zh"])


def test_each_demo_user_logs_in_and_finds_the_pages_of_their_role(browser, still_room):
    url, _ = still_room
    for user, expected in NAV.items():
        page = _open(browser, url, user)
        assert _nav(page) == expected, user
        for path in expected:
            response = page.goto(url + path)
            assert response.status == 200, (user, path)
        assert page.errors == [], (user, page.errors)
        page.context.close()


def test_the_finance_board_is_absent_for_ops(browser, still_room):
    url, _ = still_room
    page = _open(browser, url, "ops")
    assert "/finance" not in _nav(page)
    page.goto(url + "/finance")
    page.wait_for_selector("#forbidden:not([hidden])", timeout=15_000)
    assert page.locator("[data-panel]:visible").count() == 0
    assert page.request.get(url + "/api/v1/boards/finance").status == 403
    page.context.close()


def test_pages_show_the_numbers_their_snapshots_give(browser, still_room):
    url, _ = still_room
    page = _open(browser, url, "admin")

    today = _api(page, url, "/api/v1/boards/overview")["today"]
    for metric, kind in (
        ("gmv_paid", "money"),
        ("orders", "compact"),
        ("buyers", "compact"),
        ("aov", "money"),
    ):
        expected = _formatted(page, kind, today[metric])
        page.wait_for_function(
            f"document.querySelector('.kpi[data-metric={metric}] [data-field=value]').textContent === {expected!r}",
            timeout=30_000,
        )

    page.goto(url + "/ops")
    leaders = _api(page, url, "/api/v1/boards/ops")["leaders_category"]["rows"]
    assert {round(r["gmv_paid"], 2) for r in leaders} == _chart_numbers(
        page, "[data-panel=leaders_category] .chart"
    )

    page.goto(url + "/finance")
    steps = _api(page, url, "/api/v1/boards/finance")["waterfall"]["steps"]
    assert {round(abs(s["amount"]), 2) for s in steps} <= _chart_numbers(
        page, "[data-panel=waterfall] .chart"
    )

    page.goto(url + "/tech")
    rps = _api(page, url, "/api/v1/boards/tech")["rps"]
    assert {round(v, 2) for s in rps for _t, v in s["data"] if v is not None} <= _chart_numbers(
        page, "[data-panel=rps] .chart"
    )

    page.goto(url + "/screen")
    headline = _api(page, url, "/api/v1/boards/screen")["headline"]
    orders = _formatted(page, "compact", headline["orders"])
    page.wait_for_function(f"document.getElementById('orders').textContent === {orders!r}", timeout=30_000)
    categories = _api(page, url, "/api/v1/boards/screen")["categories"]
    assert {round(c["gmv_paid"], 2) for c in categories} <= _chart_numbers(page, "#categories")
    assert page.errors == []
    page.context.close()


def _nav_labels(page) -> list[str]:
    return page.eval_on_selector_all(".topbar nav a", "links => links.map(a => a.textContent)")


def test_the_language_switch_changes_the_page_and_is_kept_for_the_user(browser, still_room):
    url, _ = still_room
    page = _open(browser, url, "tech")
    page.goto(url + "/tech")
    assert "告警" in _nav_labels(page)
    page.click(".topbar a.lang")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url == url + "/tech"  # back where the switch was clicked
    assert "Alerts" in _nav_labels(page) and "告警" not in _nav_labels(page)
    page.wait_for_selector("#live-status[data-state=live]", timeout=30_000)
    assert page.errors == []
    page.context.close()

    again = _open(browser, url, "tech")  # another browser: the preference came with the login
    try:
        assert again.evaluate("document.documentElement.lang") == "en"
        assert "Alerts" in _nav_labels(again)
    finally:
        again.click(".topbar a.lang")  # back to Chinese for the other tests
        again.wait_for_function("document.documentElement.lang === 'zh-CN'")
        again.context.close()


def test_the_language_switch_returns_only_to_this_site(still_room):
    url, _ = still_room
    for referer in ("https://elsewhere.example/ops", f"{url}//elsewhere.example/x"):
        r = httpx.get(url + "/lang/en", headers={"referer": referer})
        assert r.status_code == 303 and r.headers["location"] == "/", referer
    r = httpx.get(url + "/lang/en", headers={"referer": url + "/ops?channel=feed"})
    assert r.headers["location"] == "/ops?channel=feed"


def _a_paid_order(small_sim, now_iso: str) -> tuple[dict, list[dict]]:
    """A copy of a paid order of the sale and its lines, with a new id, paid a moment ago."""
    orders = pq.read_table(small_sim / "orders").to_pylist()
    order = next(o for o in orders if o["status"] == "paid")
    lines = [
        r for r in pq.read_table(small_sim / "order_items").to_pylist() if r["order_id"] == order["order_id"]
    ]
    new_id = 9_000_000_001
    order = {**order, "order_id": new_id, "ts": now_iso, "paid_at": now_iso, "updated_at": now_iso}
    return order, [{**line, "order_id": new_id} for line in lines]


def test_an_order_pushed_through_the_api_shows_on_the_open_big_screen(browser, still_room, small_sim):
    url, token = still_room
    page = _open(browser, url, "admin", size=(1920, 1080))
    page.goto(url + "/screen")
    before = _api(page, url, "/api/v1/boards/screen")["headline"]
    shown = _formatted(page, "compact", before["orders"])
    page.wait_for_function(f"document.getElementById('orders').textContent === {shown!r}", timeout=30_000)
    page.evaluate("window.__notReloaded = true")

    now = httpx.get(url + "/api/v1/health").json()["now"]
    order, lines = _a_paid_order(small_sim, now)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    for table, rows in (("orders", [order]), ("order_items", lines)):
        body = json.dumps(rows, default=str)  # parquet gives Decimal money and datetimes: sent as text
        r = httpx.post(f"{url}/api/v1/ingest/{table}", content=body, headers=headers, timeout=30)
        assert r.status_code == 200 and r.json()["rejected"] == 0, r.text

    after = _formatted(page, "compact", before["orders"] + 1)
    page.wait_for_function(f"document.getElementById('orders').textContent === {after!r}", timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True  # the same page, updated live
    assert _api(page, url, "/api/v1/boards/screen")["headline"]["gmv_paid"] > before["gmv_paid"]
    page.context.close()


PAGES = ["/", "/ops", "/finance", "/tech", "/screen", "/alerts", "/data", "/admin/users", "/admin/audit"]
LIVE = {"/", "/ops", "/finance", "/tech", "/screen", "/alerts", "/data"}  # pages fed by a live stream


def test_screenshots_of_every_page_at_both_sizes(browser, still_room):
    url, _ = still_room
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in SIZES:
        login = browser.new_page(viewport={"width": width, "height": height})
        login.goto(url + "/login")
        login.screenshot(path=str(ARTIFACTS / f"tour-login-{width}x{height}.png"))
        login.close()
        page = _open(browser, url, "admin", size=(width, height))
        for path in PAGES:
            page.goto(url + path)
            if path in LIVE:
                page.wait_for_selector("#live-status[data-state=live]", timeout=30_000)
            page.wait_for_timeout(1500)  # charts animate in
            if path == "/alerts":  # every list shows its rows or says it has none, never a blank box
                for key in ("history", "silences", "deliveries"):
                    rows = page.locator(f"#{key} li, #{key} tbody tr").count()
                    assert rows > 0 or page.locator(f"#none-{key}").is_visible(), key
            name = "home" if path == "/" else path.strip("/").replace("/", "-")
            shot = ARTIFACTS / f"tour-{name}-{width}x{height}.png"
            page.screenshot(path=str(shot), full_page=path != "/screen")  # the big screen is one screen
            assert shot.stat().st_size > 20_000, shot
        assert page.errors == [], page.errors
        page.context.close()
