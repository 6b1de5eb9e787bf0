"""The operations board in a real browser on the replayed small sale, in Chinese and English."""

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_ops_board_renders_live(live_server, logged_in, screenshot):
    page = logged_in
    page.goto(live_server + "/ops")
    page.wait_for_function("document.querySelector('#live-status').dataset.state === 'live'", timeout=15_000)
    # The tables fill from the first snapshot; the heatmap lists each category with its peak hour.
    page.wait_for_selector("[data-panel=promotions] table tbody tr", timeout=30_000)
    page.wait_for_selector("[data-panel=stockouts] table", timeout=30_000)
    assert "按人" in page.content() and "按会话" in page.content()  # each funnel says its basis
    assert page.locator("[data-panel=funnel_user] .drops span").count() == 3
    # The customer panels: segments drawn, repurchase stated, the riskiest repeat customers listed.
    page.wait_for_selector("[data-panel=churn] table tbody tr", timeout=30_000)
    assert "复购率" in page.locator("[data-panel=churn] .kpi-line").inner_text()
    assert "今日买家" in page.locator("[data-panel=segments] .mix").inner_text()
    page.wait_for_timeout(1500)  # let the charts finish their entry animation before the picture
    path = screenshot(page, "ops-zh")
    assert path.stat().st_size > 50_000


def test_ops_board_filter_and_english(live_server, logged_in, screenshot):
    page = logged_in
    page.goto(live_server + "/lang/en")
    page.goto(live_server + "/ops")
    page.wait_for_selector("[data-panel=promotions] table tbody tr", timeout=30_000)
    page.select_option("select[name=promo_type]", "coupon")
    page.wait_for_function(
        "[...document.querySelectorAll('.ignored')].some((n) => n.textContent.includes('promo_type'))",
        timeout=15_000,
    )  # promotions honour it; traffic (page views have no promotion) says it does not apply
    assert "Funnel (people)" in page.content()
    page.wait_for_timeout(1500)
    screenshot(page, "ops-en")


def test_ops_snapshot_rejects_an_unknown_filter(live_server, logged_in):
    cookies = {c["name"]: c["value"] for c in logged_in.context.cookies()}
    r = httpx.get(live_server + "/api/v1/boards/ops?province=浙江", cookies=cookies)
    assert r.status_code == 400
