"""The team boards' tools in a real browser on the replayed small sale: filters and time range from the URL
(kept on reload, in the live stream), each panel's CSV, "show the SQL" refused to the ops role, drill-down
from a category to its SKUs and from a service to its endpoints, annotations drawn on the time charts."""

import re

import pytest

pytestmark = pytest.mark.browser

# A fixed range from the history loaded before the replay starts (23:58 on 10 Nov): its figures do not move.
PAST = "from=2026-11-10T12:00&to=2026-11-10T20:00"


def _api(page, path: str):
    r = page.request.get(page.url.split("/ops")[0].split("/tech")[0] + path)
    assert r.ok, r.text()
    return r.json()


def _chart_option(page, panel: str):
    return page.evaluate(
        f"() => echarts.getInstanceByDom(document.querySelector('[data-panel={panel}] .chart')).getOption()"
    )


def test_url_filters_and_range_drive_the_board_and_survive_a_reload(live_server, logged_in, screenshot):
    page = logged_in
    page.goto(f"{live_server}/ops?channel=search&{PAST}")
    page.wait_for_function(
        "() => { const c = echarts.getInstanceByDom(document.querySelector('[data-panel=leaders_category] .chart'));"
        " const o = c && c.getOption(); return !!(o && o.series && o.series[0].data.length > 0); }",
        timeout=30_000,
    )
    assert page.input_value("select[name=range]") == "custom"
    assert page.input_value("input[name=from]") == "2026-11-10T12:00"
    assert page.input_value("select[name=channel]") == "search"
    # The chart's numbers are the panel API's for the same filters and range.
    api = _api(page, f"/api/v1/boards/ops/panels/leaders_category?channel=search&{PAST}")
    drawn = sorted(_chart_option(page, "leaders_category")["series"][0]["data"])
    assert drawn == pytest.approx(sorted(r["gmv_paid"] for r in api["data"]["rows"]))
    # Every panel has a CSV link carrying the same query; the ops role gets no SQL button.
    href = page.get_attribute("[data-panel=leaders_category] [data-csv]", "href")
    assert "channel=search" in href and "from=2026-11-10T12%3A00" in href
    csv = page.request.get(live_server + href)
    assert csv.ok and csv.text().lstrip("\ufeff").startswith('"category_l1"')
    assert page.locator("[data-sql]").count() == 0
    assert page.request.get(live_server + "/api/v1/boards/ops/panels/traffic/sql").status == 403
    # Fixed-window panels say so.
    assert "7" in page.text_content("[data-panel=heatmap] .fixed-note")
    page.reload()
    page.wait_for_function(
        "document.querySelector('select[name=channel]').value === 'search'", timeout=30_000
    )
    assert page.input_value("input[name=to]") == "2026-11-10T20:00"
    # A preset replaces the custom range in the URL.
    page.select_option("select[name=range]", "24h")
    page.wait_for_function("location.search.includes('range=24h')", timeout=10_000)
    assert "from=" not in page.url and "channel=search" in page.url
    page.wait_for_timeout(1000)
    screenshot(page, "ops-range")


def test_a_bad_custom_range_says_why(live_server, logged_in):
    page = logged_in
    page.goto(f"{live_server}/ops")
    page.select_option("select[name=range]", "custom")
    page.fill("input[name=from]", "2026-10-01T00:00")
    page.fill("input[name=to]", "2026-11-10T00:00")
    page.click("[data-range-apply]")
    page.wait_for_selector("#range-error:not([hidden])", timeout=10_000)
    assert "31" in page.text_content("#range-error")


def test_drill_from_a_category_to_its_skus(live_server, logged_in):
    page = logged_in
    page.goto(f"{live_server}/ops?{PAST}")
    page.wait_for_function(
        "() => { const c = echarts.getInstanceByDom(document.querySelector('[data-panel=leaders_category] .chart'));"
        " const o = c && c.getOption(); return !!(o && o.series && o.series[0].data.length > 1); }",
        timeout=30_000,
    )
    # Click the top bar (the last category of the ascending axis) where ECharts drew it.
    x, y, name = page.evaluate(
        "() => { const el = document.querySelector('[data-panel=leaders_category] .chart');"
        " const c = echarts.getInstanceByDom(el); const o = c.getOption(); const n = o.yAxis[0].data.length - 1;"
        " const p = c.convertToPixel({seriesIndex: 0}, [o.series[0].data[n] / 2, n]);"
        " el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect(); return [r.left + p[0], r.top + p[1], o.yAxis[0].data[n]]; }"
    )
    category = name.split(" ")[0]
    page.mouse.move(x, y)  # ECharts finds the bar under the pointer as it moves; the click then hits it
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_function(
        f"location.search.includes({category!r}) || decodeURIComponent(location.search).includes({category!r})",
        timeout=10_000,
    )
    assert page.input_value("select[name=category_l1]") == category
    api = _api(page, f"/api/v1/boards/ops/panels/leaders_sku?category_l1={category}&{PAST}")
    want = [str(r["sku"]) for r in api["data"]["rows"]]
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('[data-panel=leaders_sku] tbody tr small')].map((s) => s.textContent).join() === want.join()",
        arg=want,
        timeout=30_000,
    )
    everyone = _api(page, f"/api/v1/boards/ops/panels/leaders_sku?{PAST}")
    assert want != [str(r["sku"]) for r in everyone["data"]["rows"]]  # the drill changed the list


def test_drill_from_a_service_to_its_endpoints(live_server, logged_in):
    page = logged_in
    page.goto(f"{live_server}/tech")
    page.wait_for_selector("[data-table=capacity] [data-drill-service]", timeout=30_000)
    page.click("[data-table=capacity] [data-drill-service='payment']")
    page.wait_for_function("location.search.includes('service=payment')", timeout=10_000)
    page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll('[data-table=endpoints] tbody tr')];"
        " return rows.length > 0 && rows.every((r) => r.cells[0].textContent === 'payment'); }",
        timeout=30_000,
    )


def test_an_annotation_made_through_the_api_is_drawn_on_the_time_charts(live_server, logged_in):
    page = logged_in
    page.goto(f"{live_server}/ops?{PAST}")
    csrf = page.get_attribute("#annotate", "data-csrf")
    point = page.request.post(
        live_server + "/api/v1/boards/ops/annotations",
        data={"label": "满减开场", "time_from": "2026-11-10T15:00:00+08:00"},
        headers={"X-CSRF-Token": csrf},
    )
    assert point.status == 201, point.text()
    span = page.request.post(
        live_server + "/api/v1/boards/ops/annotations",
        data={
            "label": "直播高峰",
            "time_from": "2026-11-10T17:00:00+08:00",
            "time_to": "2026-11-10T18:00:00+08:00",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert span.status == 201
    page.reload()
    page.wait_for_function(
        "() => { const c = echarts.getInstanceByDom(document.querySelector('[data-panel=traffic] .chart'));"
        " const o = c && c.getOption(); const s = o && o.series;"
        " return !!(s && s.length && s[0].markLine && s[0].markLine.data.length > 0); }",
        timeout=30_000,
    )
    series = _chart_option(page, "traffic")["series"][0]
    assert [d["name"] for d in series["markLine"]["data"]] == ["满减开场"]
    assert [a[0]["name"] for a in series["markArea"]["data"]] == ["直播高峰"]
    # The ROI chart (the last 24 h of the clock, 23:58 on 10 Nov and later) covers 15:00 too.
    roi = _chart_option(page, "roi")["series"][0]
    assert "满减开场" in [d["name"] for d in roi["markLine"]["data"]]
    # Added from the page's own form, it shows up as well.
    page.fill("#annotate input[name=label]", "page note")
    page.fill("#annotate input[name=time_from]", "2026-11-10T16:00")
    page.click("#annotate button")
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.querySelector('[data-panel=traffic] .chart')).getOption()"
        ".series[0].markLine.data.some((d) => d.name === 'page note')",
        timeout=15_000,
    )
    assert re.search(r"已添加标注|Annotation added", page.text_content("[data-annotate-status]"))
