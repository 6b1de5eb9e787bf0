"""The overview page in a real browser: live numbers that tick while the replay runs, in both languages."""

import pytest

pytestmark = pytest.mark.browser


def _gmv_text(page) -> str:
    return page.locator(".kpi[data-metric=gmv_paid] [data-field=value]").inner_text()


def test_overview_ticks_live_without_reload(logged_in, screenshot):
    page = logged_in
    page.wait_for_function("document.querySelector('#live-status').dataset.state === 'live'", timeout=15_000)
    page.wait_for_function(
        "document.querySelector('.kpi[data-metric=gmv_paid] [data-field=value]').textContent.startsWith('¥')",
        timeout=15_000,
    )
    first = _gmv_text(page)
    clock_first = page.locator("#clock").inner_text()
    # At 120x a real second is two simulated minutes: within a few seconds the numbers and clock move on.
    page.wait_for_function(
        f"document.querySelector('.kpi[data-metric=gmv_paid] [data-field=value]').textContent !== {first!r}",
        timeout=15_000,
    )
    assert page.locator("#clock").inner_text() != clock_first
    assert "支付GMV" in page.content()
    path = screenshot(page, "overview-zh")
    assert path.stat().st_size > 20_000  # a rendered page with charts, not a blank one


def test_overview_in_english(live_server, logged_in, screenshot):
    page = logged_in
    page.goto(live_server + "/lang/en")
    page.wait_for_function(
        "document.querySelector('.kpi[data-metric=orders] [data-field=value]').textContent !== '–'",
        timeout=15_000,
    )
    assert page.locator(".kpi[data-metric=gmv_paid] h2").inner_text() == "Paid GMV"
    screenshot(page, "overview-en")


def test_login_rejects_a_wrong_password(live_server, page, screenshot):
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".login-error").is_visible()
    assert page.url.endswith("/login")
    screenshot(page, "login-error")
