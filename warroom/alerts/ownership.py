"""Taking ownership of an alert: acknowledge ("someone is on it"), claim ("I own it") or resolve by hand.

The alerts page and the signed links in notifications (warroom.alerts.links) both come here, so the three
actions mean the same wherever they are taken. Each is audited by the caller, who knows who acted.

- ack / claim: an AckRow of that kind for the alert's current episode: its repeats are muted (evaluate.py),
  and so is its escalation (a critical alert someone has taken needs no second channel).
- resolve: the stored state becomes resolved now. The next tick judges the data afresh: if the condition
  still fires, that is a new episode, notified as such; a person cannot make a real problem go quiet.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from warroom.errors import NotFound, UserError
from warroom.meta.alerts import AckRow, AlertStateRow, OutboxRow


class EpisodeOver(UserError):
    """The alert a link was sent for has moved on (resolved and cleared, or fired again since)."""

    status_code = 410


@dataclass(frozen=True)
class Target:
    """One alert episode: what an action applies to."""

    rule_id: str
    labels_key: str
    fired_at: datetime
    team: str
    summary: str


def target_of(session: Session, outbox: OutboxRow, lang: str) -> tuple[Target, AlertStateRow]:
    """The episode an outbox row was sent for, and its stored state; EpisodeOver when it has moved on."""
    fired_at = datetime.fromisoformat(outbox.payload["fired_at"])
    state = (
        session.query(AlertStateRow)
        .filter_by(rule_id=outbox.rule_id, labels_key=outbox.labels_key)
        .one_or_none()
    )
    if state is None or state.fired_at != fired_at:  # UtcDateTime gives aware UTC back, SQLite included
        raise EpisodeOver(
            f"alert {outbox.rule_id} {outbox.labels_key!r} of {fired_at.isoformat()} is over (resolved, "
            "or firing again as a new alert): nothing was done; open the alerts page"
        )
    summary = outbox.payload["summary_zh" if lang == "zh" else "summary_en"]
    return Target(outbox.rule_id, outbox.labels_key, fired_at, outbox.team, summary), state


def outbox_row(session: Session, outbox_id: int) -> OutboxRow:
    row = session.get(OutboxRow, outbox_id)
    if row is None:
        raise NotFound(f"no alert message {outbox_id}: the link names a message this server never sent")
    return row


def act(
    session: Session, state: AlertStateRow, action: str, *, by: str, now: datetime, comment: str = ""
) -> None:
    """Apply ack, claim or resolve to the stored alert (not committed: the caller audits, then commits)."""
    now = now.astimezone(UTC)
    if action in ("ack", "claim"):
        session.add(
            AckRow(
                rule_id=state.rule_id, labels_key=state.labels_key, labels=dict(state.labels), at=now, by=by,
                comment=comment, kind=action,
            )
        )  # fmt: skip
    elif action == "resolve":
        if state.status != "resolved":
            state.status, state.resolved_at, state.clear_since = "resolved", now, None
            state.muted_by, state.updated_at = f"resolved by {by}"[:128], now
    else:
        raise UserError(f"unknown alert action {action!r}: use ack, claim or resolve")
