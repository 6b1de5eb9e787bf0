"""What the alerts page and GET /api/v1/alerts show, read from the metadata store for some teams:
the alerts open now, the recent history, silences in force or planned, and the delivery log.

"Delivery" of an alert is one word over its outbox rows of the current episode, the worst winning:
"undelivered" (gave up: look at it), "pending" (queued or being retried) or "sent".
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.alerts.rules import SEVERITIES, TEAMS
from warroom.meta.alerts import AckRow, AlertStateRow, DeliveryRow, OutboxRow, SilenceRow

_STATUS_ORDER = ("firing", "pending", "resolved")
HISTORY = timedelta(hours=24)  # how far back the page's history reaches
DELIVERIES = 50  # newest outbox rows shown


def teams_of(role: str) -> tuple[str, ...]:
    """A user's alert teams: their role when it is ops, finance or tech; admins see every team; other roles
    none (alerts carry business numbers, and go to the team that owns them)."""
    if role == "admin":
        return TEAMS
    return (role,) if role in TEAMS else ()


def _utc(t: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime | None) -> str | None:
    t = _utc(t)
    return t.isoformat() if t else None


def _delivery(rows: list[OutboxRow]) -> str | None:
    statuses = {r.status for r in rows}
    return next((word for word in ("undelivered", "pending", "sent") if word in statuses), None)


def open_alerts(session: Session, teams: tuple[str, ...], lang: str) -> list[dict]:
    """Alert instances of `teams` that are pending, firing or resolved (kept a while so the resolution is
    sent), most urgent first, each with its delivery and who acknowledged it in this episode."""
    if not teams:
        return []
    states = list(session.scalars(select(AlertStateRow).where(AlertStateRow.team.in_(teams))))
    if not states:
        return []
    rules = {s.rule_id for s in states}
    outbox: dict[tuple[str, str], list[OutboxRow]] = {}
    for row in session.scalars(select(OutboxRow).where(OutboxRow.rule_id.in_(rules))):
        outbox.setdefault((row.rule_id, row.labels_key), []).append(row)
    acks: dict[tuple[str, str], list[AckRow]] = {}
    for row in session.scalars(select(AckRow).where(AckRow.rule_id.in_(rules))):
        acks.setdefault((row.rule_id, row.labels_key), []).append(row)
    alerts = []
    for s in states:
        fired = _utc(s.fired_at)
        key = (s.rule_id, s.labels_key)
        episode = [r for r in outbox.get(key, []) if fired and _utc(r.created_at) >= fired]
        undelivered = [r for r in episode if r.status == "undelivered"]
        ack = next((a for a in acks.get(key, []) if fired and _utc(a.at) >= fired), None)
        alerts.append(
            {
                "rule_id": s.rule_id, "labels": s.labels, "labels_key": s.labels_key, "team": s.team,
                "severity": s.severity, "status": s.status, "value": s.value,
                "active_since": _iso(s.active_since), "fired_at": _iso(s.fired_at),
                "resolved_at": _iso(s.resolved_at), "muted_by": s.muted_by,
                "summary": s.summary_zh if lang == "zh" else s.summary_en, "link": s.link,
                "delivery": _delivery(episode), "undelivered": bool(undelivered),
                "delivery_errors": sorted({f"{r.channel}: {r.last_error}" for r in undelivered}),
                "acked_by": ack.by if ack else None, "ack_comment": ack.comment if ack else None,
                "ack_kind": ack.kind if ack else None, "escalated_at": _iso(s.escalated_at),
            }
        )  # fmt: skip
    alerts.sort(
        key=lambda a: (_STATUS_ORDER.index(a["status"]), SEVERITIES.index(a["severity"]), a["rule_id"])
    )
    return alerts


def history(session: Session, teams: tuple[str, ...], now: datetime, lang: str) -> list[dict]:
    """Every notification queued for `teams` in the last 24 h (fired, repeated, resolved), newest first:
    the incident timeline business and tech alerts share."""
    if not teams:
        return []
    rows = session.scalars(
        select(OutboxRow)
        .where(OutboxRow.team.in_(teams), OutboxRow.created_at >= (now - HISTORY).astimezone(UTC))
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc())
    )
    seen: set[tuple] = set()  # one line per notification, not one per channel it went to
    out = []
    for r in rows:
        key = (r.rule_id, r.labels_key, r.kind, r.created_at)
        if key in seen:
            continue
        seen.add(key)
        payload = r.payload or {}
        out.append(
            {
                "at": _iso(r.created_at), "kind": r.kind, "rule_id": r.rule_id, "labels_key": r.labels_key,
                "team": r.team, "severity": payload.get("severity"),
                "summary": payload.get("summary_zh" if lang == "zh" else "summary_en", ""),
            }
        )  # fmt: skip
    return out


def silences(session: Session, now: datetime) -> list[dict]:
    """Silences in force or planned (not yet ended), ending soonest first."""
    rows = session.scalars(
        select(SilenceRow).where(SilenceRow.ends_at > now.astimezone(UTC)).order_by(SilenceRow.ends_at)
    )
    return [
        {
            "id": r.id, "rule_id": r.rule_id, "matchers": r.matchers, "starts_at": _iso(r.starts_at),
            "ends_at": _iso(r.ends_at), "created_by": r.created_by, "comment": r.comment,
            "active": _utc(r.starts_at) <= now,
        }
        for r in rows
    ]  # fmt: skip


def deliveries(session: Session, teams: tuple[str, ...]) -> list[dict]:
    """The newest outbox rows of `teams`: each channel's delivery, its attempts and last error."""
    if not teams:
        return []
    rows = list(
        session.scalars(
            select(OutboxRow).where(OutboxRow.team.in_(teams)).order_by(OutboxRow.id.desc()).limit(DELIVERIES)
        )
    )
    last_status: dict[int, int | None] = {}
    if rows:
        for d in session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.outbox_id.in_([r.id for r in rows]))
            .order_by(DeliveryRow.id)
        ):
            last_status[d.outbox_id] = d.status
    return [
        {
            "id": r.id, "created_at": _iso(r.created_at), "team": r.team, "channel": r.channel, "kind": r.kind,
            "rule_id": r.rule_id, "labels_key": r.labels_key, "status": r.status, "attempts": r.attempts,
            "next_attempt_at": _iso(r.next_attempt_at) if r.status == "pending" else None,
            "sent_at": _iso(r.sent_at), "last_error": r.last_error, "last_code": last_status.get(r.id),
        }
        for r in rows
    ]  # fmt: skip


def overview(session: Session, teams: tuple[str, ...], now: datetime, lang: str) -> dict:
    return {
        "now": now.isoformat(),
        "teams": list(teams),
        "alerts": open_alerts(session, teams, lang),
        "history": history(session, teams, now, lang),
        "silences": silences(session, now),
        "deliveries": deliveries(session, teams),
    }
