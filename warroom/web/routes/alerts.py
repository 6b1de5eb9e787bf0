"""GET /api/v1/alerts: the alerts of the caller's team that are pending, firing or recently resolved, each
with its delivery: "sent", "pending" (queued or being retried) or "undelivered" (gave up: look at it).

A user's team is their role when it is ops, finance or tech; admins see every team; other roles see none
(alerts carry business numbers, and go to the team that owns them).
"""

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select

from warroom.alerts.rules import SEVERITIES, TEAMS
from warroom.meta.alerts import AlertStateRow, OutboxRow
from warroom.web.auth import MetaDep, UserDep

router = APIRouter(prefix="/api/v1")

_STATUS_ORDER = ("firing", "pending", "resolved")


def teams_of(role: str) -> tuple[str, ...]:
    if role == "admin":
        return TEAMS
    return (role,) if role in TEAMS else ()


def _delivery(rows: list[OutboxRow]) -> str | None:
    """One word for an alert's outbox rows of its current episode: the worst wins."""
    if not rows:
        return None
    statuses = {r.status for r in rows}
    for word in ("undelivered", "pending", "sent"):
        if word in statuses:
            return word
    return None


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


@router.get("/alerts")
def active_alerts(user: UserDep, meta: MetaDep) -> dict:
    teams = teams_of(user.role)
    states = list(meta.scalars(select(AlertStateRow).where(AlertStateRow.team.in_(teams)))) if teams else []
    outbox: dict[tuple[str, str], list[OutboxRow]] = {}
    if states:
        rules = {s.rule_id for s in states}
        for row in meta.scalars(select(OutboxRow).where(OutboxRow.rule_id.in_(rules))):
            outbox.setdefault((row.rule_id, row.labels_key), []).append(row)
    alerts = []
    for s in states:
        episode = [
            r for r in outbox.get((s.rule_id, s.labels_key), []) if s.fired_at and r.created_at >= s.fired_at
        ]
        undelivered = [r for r in episode if r.status == "undelivered"]
        alerts.append(
            {
                "rule_id": s.rule_id, "labels": s.labels, "team": s.team, "severity": s.severity,
                "status": s.status, "value": s.value, "active_since": _iso(s.active_since),
                "fired_at": _iso(s.fired_at), "resolved_at": _iso(s.resolved_at), "muted_by": s.muted_by,
                "summary": s.summary_zh if user.language == "zh" else s.summary_en, "link": s.link,
                "delivery": _delivery(episode), "undelivered": bool(undelivered),
                "delivery_errors": sorted({f"{r.channel}: {r.last_error}" for r in undelivered}),
            }
        )  # fmt: skip
    alerts.sort(
        key=lambda a: (_STATUS_ORDER.index(a["status"]), SEVERITIES.index(a["severity"]), a["rule_id"])
    )
    return {"teams": list(teams), "alerts": alerts}
