"""Alerting for real: a tick evaluates every rule against the warehouse and the stored states, and writes
what must be said to the outbox; the sender drains the outbox to the channels, with retries.

    tick(warehouse, sessions, rules, now)        fetch samples (batch.py) -> evaluate(prior states, silences, acks)
                                                 -> store states -> one outbox row per notification x channel
    send_outbox(sessions, channels, now)         the due rows, one message per team and channel; a failure
                                                 is retried at notify.next_attempt, and after MAX_ATTEMPTS
                                                 (or an answer that will not improve) marked undelivered

Both take `now` (the room's clock: the replay's simulated time in the demo); neither reads a clock. Delivery
is at-least-once: a message is sent before its rows are marked sent, so a crash in between sends it again,
and nothing is ever deleted from the outbox. Each attempt is in the delivery log.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts import batch, samples
from warroom.alerts.channels import load_channels
from warroom.alerts.evaluate import AlertState, evaluate
from warroom.alerts.links import LinkSigner, link_secret
from warroom.alerts.notification import Labels, Notification, group_notifications
from warroom.alerts.notify import MAX_ATTEMPTS, Channel, next_attempt
from warroom.alerts.notify.result import DeliveryResult
from warroom.alerts.rules import Rule
from warroom.alerts.ruleset import BasePack, RuleSet, load_base
from warroom.alerts.silences import Ack, Silence, parse_matcher
from warroom.config import Settings
from warroom.meta.alerts import AckRow, AlertStateRow, DeliveryRow, OutboxRow, SilenceRow
from warroom.metrics import load_catalog
from warroom.warehouse import Warehouse

log = logging.getLogger(__name__)


def labels_key(labels: Labels) -> str:
    return ",".join(f"{k}={v}" for k, v in labels)


def note_to_json(n: Notification) -> dict:
    """A notification as the outbox stores it (self-contained: the rule may have changed since)."""
    return {
        "rule_id": n.rule_id, "labels": [list(p) for p in n.labels], "kind": n.kind, "at": n.at.isoformat(),
        "fired_at": n.fired_at.isoformat(), "value": n.value, "severity": n.severity, "team": n.team,
        "channels": list(n.channels), "summary_zh": n.summary_zh, "summary_en": n.summary_en, "link": n.link,
    }  # fmt: skip


def note_from_json(d: dict) -> Notification:
    return Notification(
        **{**d, "labels": tuple((k, v) for k, v in d["labels"]), "channels": tuple(d["channels"]),
           "at": datetime.fromisoformat(d["at"]), "fired_at": datetime.fromisoformat(d["fired_at"])}
    )  # fmt: skip


@dataclass
class TickReport:
    at: datetime
    rules: int = 0
    notifications: int = 0
    outbox_rows: int = 0
    errors: list[str] = field(default_factory=list)  # "rule_id: what went wrong"; the other rules still ran


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    undelivered: int = 0


# ---- stored state --------------------------------------------------------------------------------------


def load_states(session: Session, rule_ids: Sequence[str]) -> dict[str, dict[Labels, AlertState]]:
    """The stored states of these rules, by rule id (one query for all: a tick of 500 rules asking one by
    one spent ~0.35 s here)."""
    out: dict[str, dict[Labels, AlertState]] = {rule_id: {} for rule_id in rule_ids}
    table = AlertStateRow.__table__  # plain rows, not ORM objects: ~5x faster for a few thousand states
    for r in session.execute(select(table).where(table.c.rule_id.in_(list(rule_ids)))):
        labels = tuple(sorted(r.labels.items()))
        out[r.rule_id][labels] = AlertState(
            rule_id=r.rule_id, labels=labels, status=r.status, active_since=r.active_since, value=r.value,
            fired_at=r.fired_at, notified_at=r.notified_at, clear_since=r.clear_since,
            resolved_at=r.resolved_at, muted_by=r.muted_by, escalated_at=r.escalated_at,
        )  # fmt: skip
    return out


def save_states(
    session: Session,
    evaluated: Sequence[tuple[Rule, Mapping[Labels, AlertState], Sequence[Notification]]],
    now: datetime,
) -> None:
    """Replace the evaluated rules' stored states; keep each alert's latest words for the alerts page."""
    rule_ids = [rule.id for rule, _, _ in evaluated]
    c = AlertStateRow.__table__.c
    words_of = {
        (r.rule_id, r.labels_key): (r.summary_zh, r.summary_en, r.link)
        for r in session.execute(
            select(c.rule_id, c.labels_key, c.summary_zh, c.summary_en, c.link).where(c.rule_id.in_(rule_ids))
        )
    }
    session.execute(delete(AlertStateRow).where(AlertStateRow.rule_id.in_(rule_ids)))
    rows = []
    for rule, states, notes in evaluated:
        said = {labels_key(n.labels): (n.summary_zh, n.summary_en, n.link) for n in notes}
        for labels, s in states.items():
            key = labels_key(labels)
            # Nothing said yet (pending): the rule's title, so the page names the alert, not its rule id.
            zh, en, link = (
                said.get(key) or words_of.get((rule.id, key)) or (rule.title_zh, rule.title_en, rule.link)
            )
            rows.append(
                dict(
                    rule_id=rule.id, labels_key=key, labels=dict(labels), team=rule.team,
                    severity=rule.severity, status=s.status, active_since=s.active_since, value=s.value,
                    fired_at=s.fired_at, notified_at=s.notified_at, clear_since=s.clear_since,
                    resolved_at=s.resolved_at, muted_by=s.muted_by, escalated_at=s.escalated_at,
                    summary_zh=zh, summary_en=en, link=link,
                    updated_at=now,
                )
            )  # fmt: skip
    if rows:
        session.execute(insert(AlertStateRow.__table__), rows)  # one executemany for the tick


def clear_states_except(session: Session, rule_ids: Sequence[str]) -> int:
    """Delete the states of every rule not in `rule_ids`: a rule deleted or taken out of the file leaves no
    ghost alert on the page. Returns how many went."""
    table = AlertStateRow.__table__
    return session.execute(delete(table).where(table.c.rule_id.not_in(list(rule_ids)))).rowcount


def silences_at(session: Session, now: datetime) -> list[Silence]:
    rows = session.scalars(select(SilenceRow).where(SilenceRow.starts_at <= now, SilenceRow.ends_at > now))
    return [_silence(r) for r in rows]


def _silence(r: SilenceRow) -> Silence:
    return Silence(
        id=str(r.id), starts_at=r.starts_at, ends_at=r.ends_at,
        matchers=tuple(parse_matcher(m) for m in r.matchers), rule_id=r.rule_id,
        created_by=r.created_by, comment=r.comment,
    )  # fmt: skip


def acks_by_rule(session: Session, rule_ids: Sequence[str]) -> dict[str, list[Ack]]:
    out: dict[str, list[Ack]] = {rule_id: [] for rule_id in rule_ids}
    for r in session.scalars(select(AckRow).where(AckRow.rule_id.in_(list(rule_ids)))):
        out[r.rule_id].append(Ack(r.rule_id, tuple(sorted(r.labels.items())), r.at, r.by, r.comment))
    return out


def write_outbox(session: Session, notes: Sequence[Notification], now: datetime) -> int:
    """One pending row per notification and channel; a row already written (same key) is not written again."""
    wanted = {f"{n.key}|{channel}": (n, channel) for n in notes for channel in n.channels}
    if not wanted:
        return 0
    existing = set(session.scalars(select(OutboxRow.key).where(OutboxRow.key.in_(list(wanted)))))
    added = 0
    for key, (n, channel) in wanted.items():
        if key in existing:
            continue
        session.add(
            OutboxRow(
                key=key, rule_id=n.rule_id, labels_key=labels_key(n.labels), team=n.team, channel=channel,
                kind=n.kind, payload=note_to_json(n), created_at=now, attempts=0, next_attempt_at=now,
                status="pending", last_error=None, sent_at=None,
            )
        )  # fmt: skip
        added += 1
    return added


# ---- the tick ------------------------------------------------------------------------------------------


def tick(
    warehouse: Warehouse,
    sessions: sessionmaker[Session],
    rules: Sequence[Rule],
    now: datetime,
    *,
    tz: ZoneInfo,
) -> TickReport:
    """Evaluate every rule at the minute `now` is in; store states; write the outbox. A rule whose samples
    cannot be fetched is reported and keeps its stored state (no data is not "clear")."""
    at = samples.alert_time(now)
    report = TickReport(at)
    fetched = batch.fetch_at(warehouse, rules, at, tz)  # rules asking the same question share a query
    with sessions() as session:
        silences = silences_at(session, at)
        ids = [rule.id for rule in rules if rule.id not in fetched.errors]
        priors, acks = load_states(session, ids), acks_by_rule(session, ids)
        evaluated, said = [], []
        for rule in rules:
            if rule.id in fetched.errors:  # a failed query must not stop the other rules
                log.error("alert rule %s: fetching samples failed: %s", rule.id, fetched.errors[rule.id])
                report.errors.append(f"{rule.id}: {fetched.errors[rule.id]}")
                continue
            states, notes = evaluate(
                rule, fetched.samples[rule.id], priors[rule.id], at, silences=silences, acks=acks[rule.id],
                tz=tz, volume=batch.volume_of(fetched, rule),
            )  # fmt: skip
            evaluated.append((rule, states, notes))
            report.rules += 1
            report.notifications += len(notes)
            said.extend(notes)
        report.outbox_rows = write_outbox(session, said, at)
        save_states(session, evaluated, at)
        session.commit()
    return report


# ---- the sender ----------------------------------------------------------------------------------------


def send_outbox(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    links: LinkSigner | None = None,
) -> SendReport:
    """Send the due pending rows of configured channels, one message per team and channel.

    Rows of a channel that is not configured stay pending (shown as not sent) until it is. With `links`,
    each firing or repeat alert in a message carries signed ack / claim / resolve links for its outbox row
    (made at `now`, so a retried message carries fresh ones)."""
    report = SendReport()
    with sessions() as session:
        due = list(
            session.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
            )
        )
        rows: dict[tuple[str, str], OutboxRow] = {}
        notes = []
        for row in due:
            if row.channel not in channels:
                continue
            note = replace(note_from_json(row.payload), channels=(row.channel,))
            if links is not None and note.kind != "resolved":
                note = replace(note, actions=links.links(row.id, now))
            rows[(note.key, row.channel)] = row
            notes.append(note)
        for batch in group_notifications(notes):
            result = _send(channels[batch.channel], batch, now)
            for note in batch.notifications:
                _record(session, rows[(note.key, batch.channel)], result, now, report)
            session.commit()  # each message's outcome is durable before the next is sent
    return report


def _send(channel: Channel, batch, now: datetime) -> DeliveryResult:
    try:
        return channel.send(batch, now=now)
    except Exception as exc:  # a channel bug must not lose the row: retried, then shown undelivered
        log.exception("alert channel %s failed", channel.name)
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}", True)


def _record(session: Session, row: OutboxRow, result: DeliveryResult, now: datetime, report: SendReport):
    row.attempts += 1
    session.add(
        DeliveryRow(
            outbox_id=row.id, at=now, attempt=row.attempts, ok=result.ok, status=result.status,
            error=result.error,
        )
    )  # fmt: skip
    if result.ok:
        row.status, row.sent_at, row.last_error = "sent", now, None
        report.sent += 1
    elif result.retryable and row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at, row.last_error = next_attempt(row.attempts, now, key=row.key), result.error
        report.retrying += 1
    else:
        row.status, row.last_error = "undelivered", result.error
        report.undelivered += 1


# ---- in the server -------------------------------------------------------------------------------------


@dataclass
class Scheduler:
    """What the server's alerting thread runs every `interval` seconds of wall time, on the room's clock.

    With a `rule_set` (the server's), each tick first takes up the rules changed through the API since the
    last, reports the stored ones that no longer parse among the tick's errors, and clears the states of
    rules that are gone."""

    warehouse: Warehouse
    sessions: sessionmaker[Session]
    rules: Sequence[Rule]
    channels: Mapping[str, Channel]
    clock: Callable[[], datetime]
    tz: ZoneInfo
    interval: float
    links: LinkSigner | None = None
    rule_set: RuleSet | None = None
    last_eval_seconds: float | None = None  # how long the last evaluation of every rule took (self-health)
    ticks: int = 0

    def refresh_rules(self) -> Sequence[Rule]:
        """The rule set's current rules, taken up by this scheduler (and by `rules` readers) at once."""
        if self.rule_set is not None:
            self.rules = self.rule_set.refresh()
        return self.rules

    def run_once(self) -> tuple[TickReport, SendReport]:
        now = self.clock()
        started = time.perf_counter()
        rules = self.refresh_rules()
        report = tick(self.warehouse, self.sessions, rules, now, tz=self.tz)
        if self.rule_set is not None:
            report.errors += self.rule_set.errors
            # a broken stored rule keeps its states: it is skipped, and not known to be clear
            keep = [r.id for r in rules] + list(self.rule_set.stored)
            with self.sessions() as session:
                clear_states_except(session, keep)
                session.commit()
        self.last_eval_seconds = time.perf_counter() - started
        self.ticks += 1
        return report, send_outbox(self.sessions, self.channels, now, links=self.links)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # the server stays up; the next tick tries again
                log.exception("alert tick failed")


def alerting_scheduler(
    settings: Settings, warehouse: Warehouse, sessions: sessionmaker[Session], clock: Callable[[], datetime]
) -> Scheduler:
    """The server's scheduler: the rules of WARROOM_ALERT_RULES (or the built-in pack) and those stored
    through the API, the channels of WARROOM_ALERT_CHANNELS (a rule naming a channel the file lacks is an
    error at start, not a silent drop), links to this server's pages. A bad rule file raises RuleFileError."""
    channels, base, known = _alert_files(settings)
    rule_set = RuleSet(base, sessions, **known)
    return Scheduler(
        warehouse, sessions, rule_set.refresh(), channels, clock, settings.tz, settings.alert_interval_seconds,
        links=link_signer(settings), rule_set=rule_set,
    )  # fmt: skip


def check_alert_files(settings: Settings) -> None:
    """Read what the server's scheduler will, before serving: a bad rule or channel file stops `warroom
    serve` with its problems (file:line) before it listens, rather than as a traceback of its start-up."""
    _alert_files(settings)


def _alert_files(settings: Settings) -> tuple[dict[str, Channel], BasePack, dict]:
    channels = load_channels(settings.alert_channels, base_url=f"http://{settings.host}:{settings.port}")
    known = {
        "known_metrics": load_catalog().metrics,
        "known_channels": channels if settings.alert_channels is not None else None,
    }
    return channels, load_base(settings.alert_rules, **known), known


def link_signer(settings: Settings) -> LinkSigner:
    """The signer of the notifications' action links: the configured secret or the home folder's."""
    secret = link_secret(settings.home, settings.alert_link_secret.get_secret_value())
    return LinkSigner(secret, timedelta(hours=settings.alert_link_expiry_hours))
