"""The finance board: finance-only (403 in the envelope for ops, a clear message on the page), and its panels
in a real browser on the replayed small sale with a finance user of its own server."""

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import _free_port, serving
from warroom.access import create_user
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime


@pytest.fixture
def client(tmp_path):
    """The app in-process over an empty warehouse, with an ops and a finance user."""
    settings = Settings(home=tmp_path)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as s:
        create_user(s, username="ops", password="ops-pass-1", role="ops", actor="test")
        create_user(s, username="fin", password="fin-pass-1", role="finance", actor="test")
    with TestClient(create_app(Runtime(settings, Warehouse(settings.warehouse_path), meta))) as c:
        yield c


def _login(client: TestClient, user: str) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": user, "password": f"{user}-pass-1", "csrf": client.cookies["warroom_csrf"]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_ops_gets_403_in_the_envelope(client):
    _login(client, "ops")
    r = client.get("/api/v1/boards/finance")
    assert r.status_code == 403
    body = r.json()
    assert body["ok"] is False and body["status"] == 403 and "finance" in body["error"]


def test_finance_gets_every_panel_even_on_an_empty_warehouse(client):
    _login(client, "fin")
    r = client.get("/api/v1/boards/finance")
    assert r.status_code == 200
    snap = r.json()
    panels = {"waterfall", "margins_category", "margins_channel", "margins_promo", "negative", "cashflow"}
    assert panels | {"reconcile", "anomalies"} <= set(snap)
    assert snap["reconcile"]["ties_out"] is True and snap["reconcile"]["mismatches"] == []
    assert [d["forecast"] for d in snap["cashflow"]["days"]][-3:] == [True, True, True]
    assert client.get("/api/v1/boards/finance?province=浙江").status_code == 400


@pytest.fixture(scope="module")
def finance_server(small_sim, tmp_path_factory):
    """`warroom serve` replaying the small sale from just before midnight of 11.11 at 120x, with ops and fin."""
    home = tmp_path_factory.mktemp("finhome")
    port = _free_port()
    env = {**os.environ, "WARROOM_HOME": str(home), "WARROOM_PORT": str(port), "WARROOM_REPLAY_SPEED": "120"}
    for user, role in (("ops", "ops"), ("fin", "finance")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "warroom",
                "users",
                "add",
                user,
                "--role",
                role,
                "--password",
                f"{user}-pass-1",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    with serving(home, env, small_sim, "2026-11-10 23:58") as url:
        yield url


def _browser_login(page, url: str, user: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", f"{user}-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


@pytest.mark.browser
@pytest.mark.slow
def test_finance_board_renders_live(finance_server, page, screenshot):
    _browser_login(page, finance_server, "fin")
    page.goto(finance_server + "/finance")
    page.wait_for_function("document.querySelector('#live-status').dataset.state === 'live'", timeout=30_000)
    page.wait_for_selector("[data-panel=reconcile] .totals .ok", timeout=30_000)  # ✓ ties out
    # The mispriced beauty SKU of 1 Nov is within the 30 days of lines sold below cost.
    page.wait_for_function(
        "document.querySelector('[data-panel=negative]').textContent.includes('DSC-MISPRICED')",
        timeout=30_000,
    )
    assert "CPN-MISPRICED" in page.locator("[data-panel=negative]").inner_text()
    assert "T+N" in page.content()  # the forecast's method is on the page
    page.wait_for_timeout(1500)  # let the charts finish their entry animation before the picture
    assert screenshot(page, "finance-zh").stat().st_size > 50_000
    page.goto(finance_server + "/lang/en")
    page.goto(finance_server + "/finance")
    page.wait_for_selector("[data-panel=reconcile] .totals .ok", timeout=30_000)
    assert "Profit waterfall" in page.content()
    steps = "echarts.getInstanceByDom(document.querySelector('[data-panel=waterfall] .chart')).getOption().xAxis[0].data"
    assert page.evaluate(steps)[-1] == "Net profit"
    # Marketing spend has no category: filtered by one, the waterfall ends at the contribution profit.
    page.select_option("select[name=category_l1]", "美妆")
    page.wait_for_function(f"{steps}.at(-1) === 'Contribution profit'", timeout=30_000)
    page.wait_for_timeout(1500)
    screenshot(page, "finance-en")


@pytest.mark.browser
@pytest.mark.slow
def test_finance_board_tells_ops_it_is_finance_only(finance_server, page):
    _browser_login(page, finance_server, "ops")
    page.goto(finance_server + "/finance")
    page.wait_for_selector("#forbidden:not([hidden])", timeout=15_000)
    assert "仅限财务" in page.locator("#forbidden").inner_text()
    assert not page.locator("[data-panel=waterfall]").is_visible()
