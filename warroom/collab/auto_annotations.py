"""Annotations nobody has to write: each promotion's start and end (the promotion calendar in the warehouse)
and each alert's firing and resolution (the alert states in the metadata store), as points on the time axis.

They are made when asked, from the data they mark, never stored: a promotion moved in the calendar, or an
alert that resolves, shows so at the next reload. Pure functions of the rows; the web layer reads the rows
(alerts only of the teams the viewer may see, as on the alerts page).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from warroom.collab.timerange import utc_text

PROMOTION = "promotion"
ALERT = "alert"
_WORDS = {
    "zh": {"starts": "开始", "ends": "结束", "fired": "告警", "resolved": "恢复"},
    "en": {"starts": "starts", "ends": "ends", "fired": "alert", "resolved": "resolved"},
}


def _mark(board: str, at: datetime, label: str, source: str, ref: str) -> dict[str, Any]:
    """In the shape of a stored annotation (collab routes' annotation_json), with where it came from."""
    return {"id": None, "board": board, "time_from": utc_text(at), "time_to": None, "label": label,
            "author": source, "created_at": None, "auto": source, "ref": ref}  # fmt: skip


def promotion_marks(rows: Iterable[Mapping[str, Any]], *, board: str, lang: str) -> list[dict[str, Any]]:
    """Two points per promotion: "▶ <name> starts" at starts_at, "■ <name> ends" at ends_at."""
    words = _WORDS[lang]
    marks = []
    for r in rows:
        name = r.get("name") or r["promo_id"]
        if r.get("starts_at") is not None:
            marks.append(
                _mark(board, r["starts_at"], f"▶ {name} {words['starts']}", PROMOTION, r["promo_id"])
            )
        if r.get("ends_at") is not None:
            marks.append(_mark(board, r["ends_at"], f"■ {name} {words['ends']}", PROMOTION, r["promo_id"]))
    return marks


def alert_marks(states: Iterable[Any], *, board: str, lang: str) -> list[dict[str, Any]]:
    """A point where each alert fired ("⚠ <summary>") and, once resolved, where it resolved."""
    words = _WORDS[lang]
    marks = []
    for s in states:
        if s.fired_at is None:
            continue  # pending: it has not fired (yet)
        summary = s.summary_zh if lang == "zh" else s.summary_en
        ref = f"{s.rule_id}|{s.labels_key}"
        marks.append(_mark(board, s.fired_at, f"⚠ {words['fired']}: {summary}", ALERT, ref))
        if s.resolved_at is not None:
            marks.append(_mark(board, s.resolved_at, f"✓ {words['resolved']}: {summary}", ALERT, ref))
    return marks


def in_window(mark: Mapping[str, Any], time_from: datetime | None, time_to: datetime | None) -> bool:
    at = datetime.fromisoformat(mark["time_from"])
    return (time_from is None or at >= time_from) and (time_to is None or at < time_to)
