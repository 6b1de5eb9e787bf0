"""`warroom alerts list|check|backtest|silence|ack|outbox`: the alert rules, run now or over history.

The rules are what the server evaluates: a file given with --rules, else the file WARROOM_ALERT_RULES names,
else the built-in Double 11 pack (warroom/alerts/rulepack.yaml), plus the rules stored through the API. States,
silences, acks and the outbox live in the metadata store; `check` runs one tick (evaluate, store, write the
outbox) and `outbox --send` drains the outbox to the channels of WARROOM_ALERT_CHANNELS.
"""

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts import parse_matcher
from warroom.alerts.backtest import backtest
from warroom.alerts.channels import load_channels
from warroom.alerts.rules import parse_duration
from warroom.alerts.ruleset import RuleSet, load_base
from warroom.alerts.scheduler import labels_key, send_outbox, tick
from warroom.cli import app
from warroom.cli.room_clock import room_now
from warroom.cli.times import parse_time
from warroom.config import Settings
from warroom.errors import UserError
from warroom.meta import open_metadata
from warroom.meta.alerts import AckRow, OutboxRow, SilenceRow
from warroom.metrics import load_catalog
from warroom.warehouse import Warehouse

console = Console()
alerts_app = typer.Typer(help="Alert rules: list, check now, backtest over history, silence, ack, outbox.")
app.add_typer(alerts_app, name="alerts")

RULES_OPTION = typer.Option(
    None, "--rules", help="A rule file (YAML) instead of WARROOM_ALERT_RULES's or the built-in pack."
)
ROOM_AT_OPTION = typer.Option(
    None,
    "--at",
    help="Stamp it at this time instead of the running server's room clock (e.g. '2026-11-11 00:10').",
)


def _rule_set(path: Path | None, settings: Settings, meta: sessionmaker[Session]) -> RuleSet:
    """--rules, else WARROOM_ALERT_RULES, else the built-in pack; and the rules stored through the API (read
    from the metadata store, as the server reads them). A stored rule that is skipped is said so."""
    known = load_catalog().metrics
    named = "--rules" if path is not None else "WARROOM_ALERT_RULES"
    base = load_base(path or settings.alert_rules, named, known_metrics=known)
    rule_set = RuleSet(base, meta, known_metrics=known, known_channels=None)
    rule_set.refresh()
    for error in rule_set.errors:
        console.print(f"[yellow]skipped[/yellow] stored rule {error}")
    return rule_set


def _local(t: datetime, settings: Settings) -> str:
    return t.astimezone(settings.tz).strftime("%m-%d %H:%M")


@alerts_app.command("list")
def alerts_list(rules: Path = RULES_OPTION) -> None:
    """The rules: metric, condition, owner team, severity, channels, and where each is defined."""
    table = RichTable(
        "id", "metric", "by", "condition", "window", "for", "severity", "team", "channels", "source"
    )
    settings = Settings()
    for e in _rule_set(rules, settings, open_metadata(settings.metadata_sqlalchemy_url)).entries():
        if (r := e.rule) is not None:
            table.add_row(
                r.id, r.metric, ",".join(r.by), type(r.condition).__name__.lower(), str(r.window),
                str(r.hold_for), r.severity, r.team, ",".join(r.channels), e.source,
            )  # fmt: skip
    console.print(table)


@alerts_app.command("check")
def alerts_check(
    rules: Path = RULES_OPTION,
    at: str = typer.Option(
        None, "--at", help="Evaluate as of this time (default now), e.g. '2026-11-11 00:10'."
    ),
) -> None:
    """Run one evaluation tick now: store the states and write due notifications to the outbox."""
    settings = Settings()
    now = parse_time(at, settings.tz, "--at") if at else datetime.now(UTC)
    warehouse = Warehouse(settings.warehouse_path, read_only=True)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    report = tick(warehouse, meta, _rule_set(rules, settings, meta).rules, now, tz=settings.tz)
    console.print(
        f"{report.rules} rules evaluated at {_local(report.at, settings)}: {report.notifications} notifications, "
        f"{report.outbox_rows} outbox rows written"
    )
    for error in report.errors:
        console.print(f"[red]error[/red] {error}")
    if report.errors:
        raise typer.Exit(1)


@alerts_app.command("backtest")
def alerts_backtest(
    time_from: str = typer.Option(..., "--from", help="Start, e.g. '2026-11-10 23:30' (display time zone)."),
    time_to: str = typer.Option(..., "--to", help="End (exclusive), e.g. '2026-11-11 02:00'."),
    step: str = typer.Option("1m", "--step", help="Evaluate every this long: 1m (as live), 5m, 1h."),
    rules: Path = RULES_OPTION,
) -> None:
    """Replay history through the rules: what would have fired, when, and for whom (team and channels)."""
    settings = Settings()
    start, end = parse_time(time_from, settings.tz, "--from"), parse_time(time_to, settings.tz, "--to")
    try:
        every = parse_duration(step)
    except ValueError as exc:
        raise UserError(f"--step: {exc}") from None
    warehouse = Warehouse(settings.warehouse_path, read_only=True)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    notes = backtest(
        warehouse, _rule_set(rules, settings, meta).rules, start, end, tz=settings.tz, step=every
    )
    table = RichTable("at", "kind", "rule", "labels", "team", "channels", "severity", "message")
    for n in notes:
        table.add_row(
            _local(n.at, settings), n.kind, n.rule_id, labels_key(n.labels), n.team, ",".join(n.channels),
            n.severity, n.summary_en,
        )  # fmt: skip
    console.print(table)
    fired = sum(n.kind == "firing" for n in notes)
    console.print(
        f"{fired} alerts would have fired between {_local(start, settings)} and {_local(end, settings)}"
    )


@alerts_app.command("silence")
def alerts_silence(
    matchers: list[str] = typer.Argument(
        None, help="Label matchers: sku_id=123, host=~search-.*, channel!=live."
    ),
    rule: str = typer.Option(None, "--rule", help="Only this rule id."),
    duration: str = typer.Option("1h", "--for", help="How long: 30m, 2h, 1d."),
    by: str = typer.Option("cli", "--by", help="Who silences (shown with the silence)."),
    comment: str = typer.Option("", "--comment", help="Why."),
    at: str = ROOM_AT_OPTION,
) -> None:
    """Silence matching alerts from now (the room's clock) for --for (they change state, nothing is sent)."""
    settings = Settings()
    parsed = [parse_matcher(m) for m in matchers or []]  # UserError names a bad matcher
    if rule is None and not parsed:
        raise UserError("give --rule or at least one label matcher; a silence of everything is refused")
    try:
        length = parse_duration(duration)
    except ValueError as exc:
        raise UserError(f"--for: {exc}") from None
    now, clock = room_now(settings, at)
    with open_metadata(settings.metadata_sqlalchemy_url)() as session:
        row = SilenceRow(
            rule_id=rule, matchers=[f"{m.name}{m.op}{m.value}" for m in parsed], starts_at=now,
            ends_at=now + length, created_by=by, comment=comment, created_at=now,
        )  # fmt: skip
        session.add(row)
        session.commit()
        console.print(
            f"silence {row.id} from {_local(now, settings)} until {_local(row.ends_at, settings)} (on {clock})"
        )


@alerts_app.command("ack")
def alerts_ack(
    rule: str = typer.Argument(..., help="Rule id of the firing alert."),
    labels: list[str] = typer.Argument(None, help="Its labels as name=value (none for a rule without `by`)."),
    by: str = typer.Option("cli", "--by", help="Who is on it."),
    comment: str = typer.Option("", "--comment", help="What is being done."),
    at: str = ROOM_AT_OPTION,
) -> None:
    """Acknowledge a firing alert: its repeats stop for this episode; the resolution is still sent."""
    settings = Settings()
    pairs = []
    for text in labels or []:
        m = parse_matcher(text)
        if m.op != "=":
            raise UserError(f"ack label {text!r}: give the exact value, name=value")
        pairs.append((m.name, m.value))
    key = tuple(sorted(pairs))
    now, clock = room_now(settings, at)
    with open_metadata(settings.metadata_sqlalchemy_url)() as session:
        session.add(
            AckRow(
                rule_id=rule, labels_key=labels_key(key), labels=dict(key), at=now, by=by,
                comment=comment,
            )
        )  # fmt: skip
        session.commit()
    console.print(f"acknowledged {rule} {labels_key(key)} at {_local(now, settings)} (on {clock})")


@alerts_app.command("outbox")
def alerts_outbox(
    send: bool = typer.Option(False, "--send", help="Send the due rows now (WARROOM_ALERT_CHANNELS)."),
    last: int = typer.Option(50, "--last", help="Show this many of the newest rows."),
) -> None:
    """The outbox: what was, is being, or could not be delivered."""
    settings = Settings()
    sessions = open_metadata(settings.metadata_sqlalchemy_url)
    if send:
        report = send_outbox(sessions, load_channels(settings.alert_channels), datetime.now(UTC))
        console.print(f"sent {report.sent}, retrying {report.retrying}, undelivered {report.undelivered}")
    with sessions() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(last)).all()
    table = RichTable(
        "id", "created", "team", "channel", "kind", "rule", "labels", "status", "tries", "error"
    )
    for r in rows:
        status = f"[red]{r.status}[/red]" if r.status == "undelivered" else r.status
        table.add_row(
            str(r.id), _local(r.created_at, settings), r.team, r.channel, r.kind, r.rule_id, r.labels_key,
            status, str(r.attempts), (r.last_error or "")[:60],
        )  # fmt: skip
    console.print(table)
