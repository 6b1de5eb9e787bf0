"""Automatic annotations: each promotion's start and end from the warehouse's calendar, each alert's firing
and resolution from the alert states, served with the written ones by GET /api/v1/boards/<name>/annotations
(so every board's time charts draw them), alerts only to the teams that may see them."""

from datetime import UTC, datetime, timedelta

from tests.collab.conftest import NOW, bearer
from warroom.meta.alerts import AlertStateRow

FIRED = NOW - timedelta(hours=2)
RESOLVED = NOW - timedelta(hours=1)


def _get(app, user: str, board: str = "ops", **params) -> list[dict]:
    r = app.client.get(f"/api/v1/boards/{board}/annotations", params=params, headers=bearer(app, user))
    assert r.status_code == 200, r.text
    return r.json()["annotations"]


def _promotions(app) -> list[tuple]:
    """The calendar, read straight from the warehouse: the oracle for the promotion marks."""
    sql = "SELECT promo_id, starts_at, ends_at FROM promotions WHERE starts_at IS NOT NULL ORDER BY promo_id"
    return app.client.app.state.runtime.warehouse.cursor().execute(sql).fetchall()


def test_every_promotion_marks_its_start_and_end_on_every_board(app):
    calendar = _promotions(app)
    assert calendar  # else the test could not tell marks from none
    want = sorted(
        [(p, s.astimezone(UTC).isoformat()) for p, s, _ in calendar]
        + [(p, e.astimezone(UTC).isoformat()) for p, _, e in calendar if e is not None]
    )
    for board in ("ops", "finance", "tech", "overview"):
        marks = [a for a in _get(app, "fin", board) if a["auto"] == "promotion"]
        assert sorted((a["ref"], a["time_from"]) for a in marks) == want, board
    labels = [a["label"] for a in _get(app, "fin") if a["auto"] == "promotion"]
    assert any(label.startswith("▶ ") and label.endswith(" 开始") for label in labels)
    english = [a["label"] for a in _get(app, "fin", lang="en") if a["auto"] == "promotion"]
    assert any(label.endswith(" ends") for label in english)


def test_a_window_keeps_the_marks_inside_it(app):
    (promo_id, starts, _), *_ = sorted(_promotions(app), key=lambda p: p[1])
    window = {"time_from": starts.isoformat(), "time_to": (starts + timedelta(seconds=1)).isoformat()}
    inside = [a for a in _get(app, "fin", **window) if a["auto"] == "promotion"]
    assert inside and all(a["time_from"] == starts.astimezone(UTC).isoformat() for a in inside)
    assert promo_id in {a["ref"] for a in inside}


def test_alerts_mark_their_firing_and_resolution_for_their_teams_only(app):
    with app.meta() as s:
        s.add(AlertStateRow(
            rule_id="gmv_drop", labels_key="channel=live", labels={"channel": "live"}, team="ops",
            severity="critical", status="resolved", active_since=FIRED, value=0.4, fired_at=FIRED,
            resolved_at=RESOLVED, summary_zh="直播GMV骤降40%", summary_en="live GMV down 40%", link="/ops",
            updated_at=NOW,
        ))  # fmt: skip
        s.add(AlertStateRow(
            rule_id="p99_latency", labels_key="service=payment", labels={"service": "payment"}, team="tech",
            severity="warning", status="pending", active_since=RESOLVED, value=900.0, summary_zh="p99 0.9 秒",
            summary_en="p99 0.9 s", link="/tech", updated_at=NOW,
        ))  # fmt: skip
        s.commit()
    alerts = [a for a in _get(app, "op", "tech") if a["auto"] == "alert"]  # shown on every board
    assert [(a["time_from"], a["label"]) for a in alerts] == [
        (FIRED.astimezone(UTC).isoformat(), "⚠ 告警: 直播GMV骤降40%"),
        (RESOLVED.astimezone(UTC).isoformat(), "✓ 恢复: 直播GMV骤降40%"),
    ]  # the pending tech alert has not fired: no mark
    assert [a for a in _get(app, "boss") if a["auto"] == "alert"] != []  # admins see every team's
    assert [a for a in _get(app, "fin") if a["auto"] == "alert"] == []  # not finance's alert
    assert [a for a in _get(app, "cat") if a["auto"] == "alert"] == []  # a custom role has no alert team


def test_written_annotations_keep_their_place_among_the_automatic_ones(app):
    at = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
    body = {"label": "20:00 flash sale", "time_from": at.isoformat()}
    assert (
        app.client.post("/api/v1/boards/ops/annotations", json=body, headers=bearer(app, "op")).status_code
        == 201
    )
    got = _get(app, "op")
    assert [a["time_from"] for a in got] == sorted(a["time_from"] for a in got)
    (written,) = [a for a in got if "auto" not in a]
    assert (written["label"], written["author"]) == ("20:00 flash sale", "op")
    assert [a for a in _get(app, "op", "tech") if "auto" not in a] == []  # written ones stay on their board
