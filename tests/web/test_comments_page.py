"""Comments on a board's panel in a real browser: a thread opened from the panel's tools, a comment anchored
to a moment of the time axis, a reply shown under what it answers, and the API holding exactly that."""

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_comment_and_reply_on_a_panel(live_server, logged_in, screenshot):
    page = logged_in
    page.goto(live_server + "/ops")
    page.wait_for_selector("#live-status[data-state=live]", timeout=30_000)
    page.wait_for_selector("[data-comments=traffic]", timeout=30_000)
    page.click("[data-comments=traffic]")
    thread = page.locator("[data-panel=traffic] .comments")
    thread.locator(".thread li.empty").wait_for(timeout=10_000)  # an empty thread says so

    thread.locator("textarea[name=text]").fill("@tech 10点的流量<b>掉了</b>?")
    thread.locator("input[name=time_from]").fill("2026-11-11T10:00")
    thread.locator("button:has-text('发表')").click()
    first = thread.locator(".thread li").first
    first.locator("p").wait_for(timeout=10_000)
    assert first.locator("p").inner_text() == "@tech 10点的流量<b>掉了</b>?"  # text, not markup
    assert (
        "ops" in first.locator("small").inner_text()
        and "2026/11/11 10:00" in first.locator("small").inner_text()
    )
    assert page.locator("[data-comments=traffic]").inner_text() == "评论 1"

    first.locator("button.link").click()
    thread.locator("textarea[name=text]").fill("看到了, 是渠道切换")
    thread.locator("button:has-text('发表')").click()
    page.wait_for_function("document.querySelectorAll('[data-panel=traffic] .thread li').length === 2")
    reply = thread.locator(".thread li").nth(1)
    assert reply.evaluate("li => li.style.marginLeft") == "18px"  # under the comment it answers

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    got = httpx.get(live_server + "/api/v1/boards/ops/comments", params={"panel": "traffic"}, cookies=cookies)
    comments = sorted(got.json()["comments"], key=lambda c: c["id"])
    assert [(c["author"], c["text"], c["parent_id"]) for c in comments] == [
        ("ops", "@tech 10点的流量<b>掉了</b>?", None),
        ("ops", "看到了, 是渠道切换", comments[0]["id"]),
    ]
    assert comments[0]["time_from"].startswith("2026-11-11T02:00")  # 10:00 in Shanghai, stored in UTC
    screenshot(page, "ops-comments")
