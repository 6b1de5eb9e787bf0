"""User-made dashboards: made from catalog panels with their own filters, shared by link, still obeying the
viewer (a finance panel is refused in its slot to ops, a category manager's panel holds only their rows),
changed only by the owner with the CSRF token, and audited."""

import re

import pytest

from tests.collab.conftest import bearer
from warroom.access import recent_audit
from warroom.collab import PanelPick, create_dashboard, get_dashboard, rename_dashboard
from warroom.collab.dashboards import MAX_PANELS, NotOwner, check_picks
from warroom.errors import NotFound, UserError

PICKS = {
    "panels": ["ops/leaders_category", "finance/margins_channel", "ops/traffic"],
    "query.ops/leaders_category": "range=today",
    "query.ops/traffic": "channel=live&range=1h",
}


def _make(browser, **form) -> str:
    r = browser.post("/dashboards", data={"name": "大促作战", **PICKS, "csrf": browser.csrf, **form})
    assert r.status_code == 303, r.text[:400]
    return r.headers["location"].removeprefix("/dashboards/")


def test_a_dashboard_is_made_from_catalog_panels_and_listed_for_its_owner(app):
    fin = app.login("fin")
    catalog = fin.get("/dashboards").text
    assert 'value="finance/margins_channel"' in catalog and 'value="tech/latency"' in catalog
    assert 'value="finance/margins_channel"' not in app.login("op").get("/dashboards").text  # not for ops
    dashboard_id = _make(fin)
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", dashboard_id)  # random: a link, not a counter to walk
    mine = fin.get("/api/v1/dashboards").json()["dashboards"]
    assert [(d["id"], d["name"], d["owner"]) for d in mine] == [(dashboard_id, "大促作战", "fin")]
    assert [(p["board"], p["panel"], p["query"]) for p in mine[0]["panels"]] == [
        ("ops", "leaders_category", "range=today"),
        ("finance", "margins_channel", ""),
        ("ops", "traffic", "channel=live&range=1h"),
    ]
    one = fin.get(f"/api/v1/dashboards/{dashboard_id}").json()["dashboard"]
    assert one["panels"][2]["url"] == "/api/v1/boards/ops/panels/traffic?channel=live&range=1h"
    page = fin.get(f"/dashboards/{dashboard_id}").text
    # Each slot carries its board's own panel markup and the board's renderers are loaded.
    for board, key in (("ops", "leaders_category"), ("finance", "margins_channel"), ("ops", "traffic")):
        assert f'data-board="{board}" data-key="{key}"' in page and f'data-panel="{key}"' in page
    assert "/static/js/ops.js" in page and "/static/js/finance.js" in page and "/static/js/panels.js" in page
    assert app.login("op").get("/api/v1/dashboards").json()["dashboards"] == []  # listed for its owner only
    with app.meta() as s:
        (entry,) = recent_audit(s, action="dashboard_created")  # type: ignore[arg-type]
    assert (entry.actor, entry.target, entry.detail["name"]) == (
        "fin",
        f"dashboard:{dashboard_id}",
        "大促作战",
    )


def test_the_shared_link_obeys_the_viewer(app):
    dashboard_id = _make(app.login("fin"))
    one = app.client.get(f"/api/v1/dashboards/{dashboard_id}", headers=bearer(app, "op")).json()["dashboard"]
    status = {}
    for viewer in ("fin", "op", "cat"):
        status[viewer] = [
            app.client.get(p["url"], headers=bearer(app, viewer)).status_code for p in one["panels"]
        ]
    assert status == {"fin": [200, 200, 200], "op": [200, 403, 200], "cat": [200, 403, 200]}
    refused = app.client.get(one["panels"][1]["url"], headers=bearer(app, "op")).json()
    assert "finance figures" in refused["error"]
    # The category manager's copy of the same panel holds only 女装, the finance user's every category.
    rows = {
        v: app.client.get(one["panels"][0]["url"], headers=bearer(app, v)).json()["rows"]
        for v in ("cat", "fin")
    }
    assert {r["category_l1"] for r in rows["cat"]} == {"女装"}
    assert len({r["category_l1"] for r in rows["fin"]}) > 1
    # The page opens for anyone signed in (its slots then ask the panel API); anonymous visitors log in first.
    assert app.login("op").get(f"/dashboards/{dashboard_id}").status_code == 200
    assert app.client.get(f"/dashboards/{dashboard_id}").headers["location"] == "/login"


def test_only_the_owner_renames_or_deletes_and_forms_need_the_csrf_token(app):
    fin, op = app.login("fin"), app.login("op")
    dashboard_id = _make(fin)
    url = f"/dashboards/{dashboard_id}"
    r = op.post(url + "/rename", data={"name": "mine now", "csrf": op.csrf})
    assert r.status_code == 403 and "only its owner" in r.json()["error"]
    assert op.post(url + "/delete", data={"csrf": op.csrf}).status_code == 403
    assert fin.post(url + "/rename", data={"name": "stolen"}).status_code == 403  # no CSRF token
    assert fin.post(url + "/delete", data={"csrf": "guess"}).status_code == 403
    r = fin.post(url + "/rename", data={"name": "  零点复盘 ", "csrf": fin.csrf})
    assert r.status_code == 303 and r.headers["location"] == url
    assert fin.get(f"/api/v1{url}").json()["dashboard"]["name"] == "零点复盘"
    assert fin.post(url + "/delete", data={"csrf": fin.csrf}).headers["location"] == "/dashboards"
    assert fin.get(f"/api/v1{url}").status_code == 404 and fin.get(url).status_code == 404
    with app.meta() as s:
        renamed = recent_audit(s, action="dashboard_renamed")  # type: ignore[arg-type]
        deleted = recent_audit(s, action="dashboard_deleted")  # type: ignore[arg-type]
    assert [(e.actor, e.detail) for e in renamed] == [("fin", {"from": "大促作战", "to": "零点复盘"})]
    assert [(e.actor, e.target) for e in deleted] == [("fin", f"dashboard:{dashboard_id}")]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"panels": []}, "at least one panel"),
        ({"panels": ["ops/nope"]}, "panel 1 (ops/nope): no such panel in the catalog"),
        ({"panels": ["nope/traffic"]}, "panel 1 (nope/traffic): no such panel"),
        (
            {"panels": ["ops/traffic"], "query.ops/traffic": "service=api"},
            "board &#39;ops&#39; has no filter service",
        ),
        (
            {"panels": ["ops/traffic"], "query.ops/traffic": "range=forever"},
            "range=&#39;forever&#39; is not a preset",
        ),
        ({"panels": ["ops/traffic"], "name": "   "}, "the dashboard&#39;s name is empty"),
    ],
)
def test_bad_dashboards_are_refused_with_the_reason(app, form, message):
    fin = app.login("fin")
    r = fin.post("/dashboards", data={"name": "x", **{k: v for k, v in PICKS.items() if k != "panels"}, **form,
                                      "csrf": fin.csrf})  # fmt: skip
    assert r.status_code == 400 and message in r.text, r.text[-2000:]
    assert fin.get("/api/v1/dashboards").json()["dashboards"] == []


def test_the_service_checks_picks_and_owners(session):
    with pytest.raises(UserError, match=f"at most {MAX_PANELS} panels"):
        check_picks([PanelPick("ops", "traffic")] * (MAX_PANELS + 1))
    with pytest.raises(UserError, match="are not a query string"):
        check_picks([PanelPick("ops", "traffic", "range")])
    with pytest.raises(UserError, match="panel 1: board 'Ops;'"):
        check_picks([PanelPick("Ops;", "traffic")])
    made = create_dashboard(session, owner="fin", name="d", panels=[PanelPick("ops", "traffic", "?range=1h")])
    assert made.panels == [{"board": "ops", "panel": "traffic", "query": "range=1h"}]
    with pytest.raises(NotOwner):
        rename_dashboard(session, dashboard_id=made.id, name="e", actor="op")
    with pytest.raises(NotFound, match="no dashboard 'missing'"):
        get_dashboard(session, dashboard_id="missing")


def test_a_board_panels_link_ticks_it_and_a_refused_form_keeps_what_was_typed(app):
    op = app.login("op")
    page = op.get("/dashboards", params={"add": "ops/traffic", "query": "channel=live&range=1h"}).text
    assert 'value="ops/traffic" checked' in page
    assert 'name="query.ops/traffic" placeholder="' in page and 'value="channel=live&amp;range=1h"' in page
    r = op.post("/dashboards", data={"name": "夜班", "panels": ["ops/traffic"],
                                     "query.ops/traffic": "range=2h", "csrf": op.csrf})  # fmt: skip
    assert r.status_code == 400 and "range=&#39;2h&#39; is not a preset" in r.text
    assert (
        'value="夜班"' in r.text and 'value="ops/traffic" checked' in r.text and 'value="range=2h"' in r.text
    )
