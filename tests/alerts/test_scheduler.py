"""Scheduler ticks with an explicit `now` over a hand-made warehouse: states stored and carried between
ticks, one outbox row per notification and channel, silences from the store, a repeated tick harmless."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.alerts.helpers import failing_payments, make_rule
from tests.metrics.data import insert
from warroom.alerts.rules import Threshold
from warroom.alerts.scheduler import Scheduler, tick
from warroom.meta import open_metadata
from warroom.meta.alerts import AlertStateRow, OutboxRow, SilenceRow
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
RULE = make_rule(
    id="payment_failure_spike", metric="payment_failure_rate", condition=Threshold(">", 0.25, 0.1),
    window=timedelta(minutes=3), team="tech", severity="critical", channels=("tech_chat", "tech_email"),
    message_en="failing at {value:.0%}",
)  # fmt: skip


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    insert(w, "payments", failing_payments(T0))
    yield w
    w.close()


@pytest.fixture
def sessions(tmp_path):
    return open_metadata(f"sqlite:///{tmp_path / 'meta.sqlite'}")


def outbox(sessions):
    with sessions() as s:
        return [
            (r.kind, r.channel, r.created_at) for r in s.scalars(select(OutboxRow).order_by(OutboxRow.id))
        ]


def states(sessions):
    with sessions() as s:
        return [(r.rule_id, r.status, r.value) for r in s.scalars(select(AlertStateRow))]


def test_ticks_fire_store_and_resolve(wh, sessions):
    at = lambda m: T0 + timedelta(minutes=m)  # noqa: E731
    report = tick(wh, sessions, [RULE], at(3) + timedelta(seconds=40), tz=SHANGHAI)
    assert report.at == at(3) and report.errors == [] and report.notifications == 1
    assert states(sessions) == [("payment_failure_spike", "firing", 0.5)]  # minutes 0-2 at 50% each
    assert outbox(sessions) == [("firing", "tech_chat", at(3)), ("firing", "tech_email", at(3))]
    tick(wh, sessions, [RULE], at(3) + timedelta(seconds=55), tz=SHANGHAI)  # same minute again
    assert len(outbox(sessions)) == 2
    # at 00:07 the window [00:04, 00:07) averages minute rates 0.5, 0, 0 = 1/6: still past resolve 0.1
    tick(wh, sessions, [RULE], at(7), tz=SHANGHAI)
    assert states(sessions)[0][1] == "firing"
    tick(wh, sessions, [RULE], at(8), tz=SHANGHAI)  # [00:05, 00:08): 0%
    assert states(sessions)[0][:2] == ("payment_failure_spike", "resolved")
    assert [k for k, _, _ in outbox(sessions)] == ["firing", "firing", "resolved", "resolved"]


def test_a_stored_silence_mutes_and_the_state_still_moves(wh, sessions):
    with sessions() as s:
        s.add(
            SilenceRow(
                rule_id="payment_failure_spike", matchers=[], starts_at=T0, ends_at=T0 + timedelta(hours=1),
                created_by="ops", comment="known provider issue", created_at=T0,
            )
        )  # fmt: skip
        s.commit()
    tick(wh, sessions, [RULE], T0 + timedelta(minutes=3), tz=SHANGHAI)
    assert states(sessions)[0][1] == "firing" and outbox(sessions) == []
    with sessions() as s:
        assert s.scalars(select(AlertStateRow.muted_by)).one().startswith("silence ")


def test_a_failing_rule_is_reported_and_the_others_still_run(wh, sessions):
    broken = make_rule(id="broken", metric="latency_p99", by=("no_such_dimension",))
    report = tick(wh, sessions, [broken, RULE], T0 + timedelta(minutes=3), tz=SHANGHAI)
    assert report.rules == 1 and report.errors[0].startswith("broken: UserError")
    assert states(sessions)[0][0] == "payment_failure_spike"


def test_the_server_scheduler_reads_its_clock(wh, sessions):
    clock = [T0 + timedelta(minutes=3)]
    scheduler = Scheduler(wh, sessions, [RULE], {}, lambda: clock[0], SHANGHAI, interval=15)
    ticked, sent = scheduler.run_once()
    assert ticked.at == T0 + timedelta(minutes=3) and sent.sent == 0  # no channels configured: kept
    assert len(outbox(sessions)) == 2


def test_a_pending_alert_is_named_by_its_rule_title_until_its_message_is_said(wh, sessions):
    rule = replace(
        RULE, hold_for=timedelta(minutes=2), title_zh="支付失败率飙升", title_en="Payment failures"
    )
    tick(wh, sessions, [rule], T0 + timedelta(minutes=3), tz=SHANGHAI)
    with sessions() as s:
        pending = s.scalars(select(AlertStateRow)).one()
        assert (pending.status, pending.summary_zh, pending.summary_en) == (
            "pending",
            "支付失败率飙升",
            "Payment failures",
        )
    tick(wh, sessions, [rule], T0 + timedelta(minutes=5), tz=SHANGHAI)  # held 2 minutes: fires, says it
    with sessions() as s:
        firing = s.scalars(select(AlertStateRow)).one()
        assert (firing.status, firing.summary_en) == ("firing", "failing at 50%")
