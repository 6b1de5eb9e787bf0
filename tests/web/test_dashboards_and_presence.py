"""User dashboards and presence in a real browser against a real server replaying the small sale.

A finance user makes a dashboard from catalog panels of two boards (one a finance panel) through the form;
an ops user opens its link: the ops panels are drawn by the boards' own renderers with the panel API's
numbers, the finance slot says "not allowed". Presence: two browsers watching the ops board see each other's
names in its header (once each, however many tabs), and a name goes when its last tab closes."""

import os
import subprocess
import sys
import time
from datetime import datetime

import httpx
import pytest

from tests.web.conftest import _free_port, serving

pytestmark = pytest.mark.browser

USERS = {"fin": ("finance", "财务小王"), "op": ("ops", "运营小李"), "tec": ("tech", "技术小张")}
PAST = "from=2026-11-10T12:00&to=2026-11-10T20:00"  # history loaded before the replay: figures stay put


@pytest.fixture(scope="module")
def server(small_sim, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {"WARROOM_HOME": str(home), "WARROOM_PORT": str(_free_port()), "WARROOM_REPLAY_SPEED": "60"}
    env = {**os.environ, **env}
    for username, (role, name) in USERS.items():
        subprocess.run(
            [sys.executable, "-m", "warroom", "users", "add", username, "--role", role, "--password",
             f"{username}-double11", "--display-name", name],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    with serving(home, env, small_sim, "2026-11-10 23:58") as url:
        yield url


def _login(browser, server: str, username: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-double11")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    return page


def test_a_shared_dashboard_obeys_its_viewer(server, browser, screenshot):
    fin = _login(browser, server, "fin")
    fin.goto(server + "/dashboards")
    fin.fill("input[name=name]", "零点作战")
    for value, query in (
        ("ops/leaders_category", PAST),
        ("finance/margins_channel", PAST),
        ("tech/latency", ""),
    ):
        fin.check(f"input[name=panels][value='{value}']")
        if query:
            fin.fill(f"input[name='query.{value}']", query)
    fin.click("#new-dashboard button[type=submit]")
    fin.wait_for_url(f"{server}/dashboards/*")
    link = fin.url
    fin.wait_for_selector("body[data-loaded=true]", timeout=30_000)
    assert fin.locator("[data-key=margins_channel] .refused").count() == 0  # finance sees its own panel
    screenshot(fin, "dashboard-owner-finance")

    op = _login(browser, server, "op")
    op.goto(link)
    op.wait_for_selector("body[data-loaded=true]", timeout=30_000)
    assert op.text_content("#dashboard-name") == "零点作战"
    assert op.locator("form[action$='/rename']").count() == 0  # not the owner: no rename or delete
    slot = op.locator("[data-key=margins_channel] article")
    assert "refused" in slot.get_attribute("class")
    assert "无权查看" in op.text_content("[data-key=margins_channel] .slot-status")
    # The ops panel is drawn by ops.js's renderer with the panel API's numbers for the saved range.
    drawn = op.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('[data-key=leaders_category] .chart'))"
        ".getOption().series[0].data"
    )
    api = op.request.get(f"{server}/api/v1/boards/ops/panels/leaders_category?{PAST}").json()
    assert sorted(drawn) == pytest.approx(sorted(r["gmv_paid"] for r in api["data"]["rows"])) and drawn
    lines = op.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('[data-key=latency] .chart')).getOption().series.length"
    )
    assert lines >= 2  # the tech panel (p50/p95/p99) drawn by tech.js on an ops viewer's page
    screenshot(op, "dashboard-shared-to-ops")
    fin.context.close()
    op.context.close()


def test_a_board_panels_dashboard_link_carries_the_pages_filters(server, browser):
    page = _login(browser, server, "op")
    page.goto(f"{server}/ops?channel=live&range=24h")
    page.wait_for_function(
        "() => (document.querySelector('[data-panel=traffic] [data-pick]') || {}).href?.includes('range%3D24h')",
        timeout=30_000,
    )
    page.click("[data-panel=traffic] [data-pick]")
    page.wait_for_url(f"{server}/dashboards?*")
    assert page.is_checked("input[name=panels][value='ops/traffic']")
    assert page.input_value("input[name='query.ops/traffic']") == "channel=live&range=24h"
    page.context.close()


def test_presence_shows_who_watches_a_board(server, browser):
    op = _login(browser, server, "op")
    tec = _login(browser, server, "tec")
    op.goto(server + "/ops")
    tec.goto(server + "/ops")
    second_tab = tec.context.new_page()  # one person, two tabs: one name
    second_tab.goto(server + "/ops")
    op.wait_for_function(
        "() => (document.getElementById('presence').dataset.viewers || '') === 'tec,op'", timeout=30_000
    )
    # By display name (技术小张 before 运营小李), each once though tec has two tabs open.
    assert op.text_content("#presence") == "正在看 2: 技术小张, 运营小李"
    tec.context.close()  # both of tec's tabs
    op.reload()
    op.wait_for_function(
        "() => (document.getElementById('presence').dataset.viewers || '') === 'op'", timeout=30_000
    )
    # The finance board's watchers are not for those who may not see it.
    r = op.request.get(server + "/api/v1/boards/finance/presence")
    assert r.status == 403
    op.context.close()


def test_presence_follows_the_live_streams_themselves(server):
    """Two SSE clients over real HTTP: each counts while its stream is open, and is gone once it closes."""

    def client(username: str) -> httpx.Client:
        c = httpx.Client(base_url=server, timeout=30, follow_redirects=False)
        csrf = c.get("/login").cookies["warroom_csrf"]
        assert (
            c.post(
                "/login", data={"username": username, "password": f"{username}-double11", "csrf": csrf}
            ).status_code
            == 303
        )
        return c

    fin, op = client("fin"), client("op")

    def first_snapshot(lines) -> None:
        for line in lines:  # not next() on a generator: closing it would close the stream under it
            if line.startswith("data: "):
                return

    def names() -> list[str]:
        return [v["username"] for v in fin.get("/api/v1/boards/tech/presence").json()["viewers"]]

    assert "op" not in names()
    with op.stream("GET", "/api/v1/live/tech") as stream:
        first_snapshot(lines := stream.iter_lines())
        with fin.stream("GET", "/api/v1/live/tech") as other:
            first_snapshot(other_lines := other.iter_lines())
            assert names() == ["fin", "op"]  # display names 财务小王 < 运营小李
            assert lines and other_lines  # held open: dropping a line iterator closes its connection
        for _ in range(100):
            if names() == ["op"]:
                break
            time.sleep(0.1)  # the server leaves the stream when it sees the close
        assert names() == ["op"]
    fin.close()
    op.close()


def test_automatic_annotations_are_drawn_on_every_time_chart_covering_them(server, browser):
    """Each promotion's start and end (from the calendar): on every time chart of the ops and tech boards
    whose x-range covers it, and on no chart that does not."""
    page = _login(browser, server, "op")
    checked = 0
    for board, charts in (("ops", ("traffic", "roi")), ("tech", ("rps", "latency"))):
        page.goto(f"{server}/{board}?range=24h")
        marks = page.request.get(f"{server}/api/v1/boards/{board}/annotations").json()["annotations"]
        promos = [a for a in marks if a.get("auto") == "promotion"]
        assert promos, "the small sale has a promotion calendar"
        for key in charts:
            page.wait_for_function(
                f"() => {{ const c = echarts.getInstanceByDom(document.querySelector('[data-panel={key}] .chart'));"
                " return !!(c && WarroomAnnotations.items.length && WarroomAnnotations.extent(c)"
                " && c.getOption().series[0].markLine); }",
                timeout=30_000,
            )
            span, drawn = page.evaluate(
                f"() => {{ const c = echarts.getInstanceByDom(document.querySelector('[data-panel={key}] .chart'));"
                " return [WarroomAnnotations.extent(c), c.getOption().series[0].markLine.data.map((d) => d.name)]; }"
            )
            inside = sorted(
                a["label"] for a in promos
                if span[0] <= datetime.fromisoformat(a["time_from"]).timestamp() * 1000 <= span[1]
            )  # fmt: skip
            assert sorted(n for n in drawn if n[:1] in "▶■") == inside, (board, key)
            checked += len(inside)
    assert checked > 0  # at least one chart covered a promotion boundary, else nothing was tested
    page.context.close()
