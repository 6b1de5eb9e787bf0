"""The outbox against a real HTTP receiver: down, then up (retried, then delivered once); a receiver that
refuses (undelivered at once) or never comes back (undelivered after MAX_ATTEMPTS); shown as undelivered."""

import threading
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.alerts.conftest import _Handler, free_port
from warroom.alerts.notification import Notification
from warroom.alerts.notify import MAX_ATTEMPTS, WebhookChannel
from warroom.alerts.overview import open_alerts
from warroom.alerts.scheduler import send_outbox, write_outbox
from warroom.meta import open_metadata
from warroom.meta.alerts import AlertStateRow, DeliveryRow, OutboxRow

T0 = datetime(2026, 11, 10, 16, 5, tzinfo=UTC)


def note(rule_id: str = "payment_failure_spike", channels=("tech_chat",)) -> Notification:
    return Notification(
        rule_id=rule_id, labels=(("service", "payment"),), kind="firing", at=T0, fired_at=T0, value=0.4,
        severity="critical", team="tech", channels=channels, summary_zh="支付失败率 40%",
        summary_en="payment failing at 40%", link="/tech/payments",
    )  # fmt: skip


@pytest.fixture
def sessions(tmp_path):
    return open_metadata(f"sqlite:///{tmp_path / 'meta.sqlite'}")


def rows(sessions):
    with sessions() as s:
        return s.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()


def log(sessions):
    with sessions() as s:
        return [(d.attempt, d.ok) for d in s.scalars(select(DeliveryRow).order_by(DeliveryRow.id))]


def test_receiver_down_then_up_is_retried_then_delivered_once(sessions):
    port = free_port()
    channels = {"tech_chat": WebhookChannel("tech_chat", f"http://127.0.0.1:{port}/webhook", lang="en")}
    with sessions() as s:
        assert write_outbox(s, [note()], T0) == 1
        assert write_outbox(s, [note()], T0) == 0  # the same tick written twice: one row
        s.commit()

    first = send_outbox(sessions, channels, T0)  # nothing listens on the port
    assert (first.sent, first.retrying, first.undelivered) == (0, 1, 0)
    (row,) = rows(sessions)
    assert row.status == "pending" and row.attempts == 1 and "could not reach" in row.last_error
    # next_attempt: 30 s doubled per attempt, scaled by a jitter in [1/2, 1]
    assert T0 + timedelta(seconds=15) <= row.next_attempt_at <= T0 + timedelta(seconds=30)
    assert send_outbox(sessions, channels, T0 + timedelta(seconds=14)).retrying == 0  # not due yet

    second = send_outbox(sessions, channels, T0 + timedelta(seconds=30))  # due, still down
    assert second.retrying == 1
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.recorded = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        third = send_outbox(sessions, channels, T0 + timedelta(minutes=2))
        assert third.sent == 1
        fourth = send_outbox(sessions, channels, T0 + timedelta(minutes=30))
        assert (fourth.sent, fourth.retrying) == (0, 0)  # sent rows are not sent again
    finally:
        server.shutdown()
        server.server_close()
    (got,) = server.recorded
    body = got.json()
    assert body["team"] == "tech" and [a["rule_id"] for a in body["alerts"]] == ["payment_failure_spike"]
    assert body["alerts"][0]["summary"] == "payment failing at 40%"
    (row,) = rows(sessions)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, T0 + timedelta(minutes=2))
    assert log(sessions) == [(1, False), (2, False), (3, True)]


def test_one_message_per_team_and_channel(sessions, receiver):
    channels = {"tech_chat": WebhookChannel("tech_chat", receiver.url("/webhook"))}
    with sessions() as s:
        write_outbox(s, [note("a"), note("b"), note("c")], T0)
        s.commit()
    assert send_outbox(sessions, channels, T0).sent == 3
    (got,) = receiver.recorded
    assert sorted(a["rule_id"] for a in got.json()["alerts"]) == ["a", "b", "c"]


def test_a_refusing_receiver_is_undelivered_at_once_and_shown(sessions, receiver):
    channels = {"tech_chat": WebhookChannel("tech_chat", receiver.url("/bad400"))}
    with sessions() as s:
        write_outbox(s, [note()], T0)
        s.add(
            AlertStateRow(
                rule_id="payment_failure_spike", labels_key="service=payment", labels={"service": "payment"},
                team="tech", severity="critical", status="firing", active_since=T0, value=0.4, fired_at=T0,
                notified_at=T0, summary_zh="支付失败率 40%", summary_en="payment failing at 40%",
                link="/tech/payments", updated_at=T0,
            )
        )  # fmt: skip
        s.commit()
    report = send_outbox(sessions, channels, T0)
    assert (report.sent, report.retrying, report.undelivered) == (0, 0, 1)
    (row,) = rows(sessions)
    assert row.status == "undelivered" and "HTTP 400" in row.last_error
    with sessions() as s:
        tech = open_alerts(s, ("tech",), "en")
        ops = open_alerts(s, ("ops",), "en")
    (alert,) = tech
    assert alert["undelivered"] is True and alert["delivery"] == "undelivered"
    assert alert["summary"] == "payment failing at 40%" and alert["delivery_errors"][0].startswith(
        "tech_chat: HTTP 400"
    )
    assert ops == []  # another team's alert is not theirs


def test_a_receiver_that_never_comes_back_is_undelivered_after_max_attempts(sessions):
    channels = {"tech_chat": WebhookChannel("tech_chat", f"http://127.0.0.1:{free_port()}/webhook")}
    with sessions() as s:
        write_outbox(s, [note()], T0)
        s.commit()
    now = T0
    for _ in range(MAX_ATTEMPTS):
        send_outbox(sessions, channels, now)
        now += timedelta(hours=1)  # past any backoff (capped at 30 min)
    (row,) = rows(sessions)
    assert (row.status, row.attempts) == ("undelivered", MAX_ATTEMPTS)
    assert send_outbox(sessions, channels, now + timedelta(days=1)).undelivered == 0  # given up: not retried


def test_rows_of_an_unconfigured_channel_stay_pending(sessions):
    with sessions() as s:
        write_outbox(s, [note()], T0)
        s.commit()
    report = send_outbox(sessions, {}, T0)
    assert (report.sent, report.retrying, report.undelivered) == (0, 0, 0)
    assert rows(sessions)[0].status == "pending"
