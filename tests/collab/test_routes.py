"""Comments and annotations over HTTP: listing, posting as JSON or a form, CSRF for browser sessions, tokens
without it, unknown boards, and the audit entries the writes leave."""

from tests.collab.conftest import bearer
from warroom.access import recent_audit


def test_a_token_posts_a_comment_and_everyone_reads_it(app):
    body = {"panel": "hourly", "text": "零点峰值比去年高", "time_from": "2026-11-11T00:00:00+08:00",
            "time_to": "2026-11-11T00:10:00+08:00"}  # fmt: skip
    r = app.client.post("/api/v1/boards/overview/comments", json=body, headers=bearer(app, "op"))
    assert r.status_code == 201, r.text
    posted = r.json()["comment"]
    assert (posted["author"], posted["panel"], posted["time_from"], posted["time_to"]) == (
        "op", "hourly", "2026-11-10T16:00:00+00:00", "2026-11-10T16:10:00+00:00",
    )  # fmt: skip
    reply = {"panel": "hourly", "text": "是直播渠道带的", "parent_id": posted["id"]}
    assert (
        app.client.post(
            "/api/v1/boards/overview/comments", json=reply, headers=bearer(app, "fin")
        ).status_code
        == 201
    )
    got = app.client.get("/api/v1/boards/overview/comments?panel=hourly", headers=bearer(app, "cat")).json()
    assert [(c["author"], c["text"], c["parent_id"]) for c in got["comments"]] == [
        ("fin", "是直播渠道带的", posted["id"]), ("op", "零点峰值比去年高", None),
    ]  # fmt: skip
    with app.meta() as s:
        entries = recent_audit(s, action="comment_posted")  # type: ignore[arg-type]
        assert [(e.actor, e.target, e.detail["comment_id"]) for e in entries] == [
            ("fin", "board:overview/hourly", posted["id"] + 1), ("op", "board:overview/hourly", posted["id"]),
        ]  # fmt: skip


def test_a_browser_session_needs_the_csrf_token(app):
    browser = app.login("op")
    body = {"panel": "hourly", "text": "看这里"}
    forged = browser.post("/api/v1/boards/overview/comments", json=body)
    assert forged.status_code == 403 and "security token" in forged.json()["error"]
    wrong = browser.post("/api/v1/boards/overview/comments", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    ok = browser.post("/api/v1/boards/overview/comments", json=body, headers={"X-CSRF-Token": browser.csrf})
    assert ok.status_code == 201
    form = browser.post("/api/v1/boards/overview/annotations",
                        data={"label": "20:00 秒杀开始", "time_from": "2026-11-11T20:00:00+08:00", "time_to": "",
                              "csrf": browser.csrf})  # fmt: skip
    assert form.status_code == 201, form.text
    assert form.json()["annotation"]["time_to"] is None
    with app.meta() as s:
        assert len(recent_audit(s, action="comment_posted")) == 1  # type: ignore[arg-type]
        [entry] = recent_audit(s, action="annotation_posted")  # type: ignore[arg-type]
        assert (entry.actor, entry.target, entry.detail["label"]) == (
            "op",
            "board:overview",
            "20:00 秒杀开始",
        )


def test_annotations_listed_by_window(app):
    for label, start in (("预热", "2026-11-10T20:00:00+08:00"), ("零点开抢", "2026-11-11T00:00:00+08:00")):
        r = app.client.post("/api/v1/boards/overview/annotations", json={"label": label, "time_from": start},
                            headers=bearer(app, "op"))  # fmt: skip
        assert r.status_code == 201
    got = app.client.get("/api/v1/boards/overview/annotations",
                         params={"time_from": "2026-11-10T23:00:00+08:00"}, headers=bearer(app, "fin"))  # fmt: skip
    # The written ones (the promotion calendar's automatic marks come along, tested in test_auto_annotations).
    assert [a["label"] for a in got.json()["annotations"] if "auto" not in a] == ["零点开抢"]


def test_bad_requests_get_the_envelope(app):
    h = bearer(app, "op")
    unknown = app.client.get("/api/v1/boards/nope/comments", headers=h)
    assert unknown.status_code == 404 and "no board 'nope'" in unknown.json()["error"]
    r = app.client.post("/api/v1/boards/nope/comments", json={"panel": "x", "text": "y"}, headers=h)
    assert r.status_code == 404
    missing = app.client.post("/api/v1/boards/overview/comments", json={"text": "y"}, headers=h)
    assert missing.status_code == 400 and "comment: panel: Field required" in missing.json()["error"]
    extra = app.client.post("/api/v1/boards/overview/annotations",
                            json={"label": "x", "time_from": "2026-11-11T20:00:00+08:00", "board": "ops"}, headers=h)  # fmt: skip
    assert extra.status_code == 400 and "board: Extra inputs are not permitted" in extra.json()["error"]
    naive = app.client.post("/api/v1/boards/overview/annotations", json={"label": "x", "time_from": "2026-11-11T20:00"},
                            headers=h)  # fmt: skip
    assert naive.status_code == 400 and "has no time zone" in naive.json()["error"]
    assert app.client.get("/api/v1/boards/overview/comments").status_code == 401
    with app.meta() as s:
        assert recent_audit(s, action="comment_posted") == []  # type: ignore[arg-type]
