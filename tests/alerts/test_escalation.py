"""Escalation: a critical alert nobody acknowledged goes, once, to a second channel after a set time. On a
fake clock through evaluate, then through the store, the outbox and a real HTTP receiver."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.alerts.helpers import MIN, T0, at, make_rule
from warroom.alerts.evaluate import evaluate
from warroom.alerts.notify import WebhookChannel
from warroom.alerts.rules import Escalation, parse_rules
from warroom.alerts.scheduler import acks_by_rule, load_states, save_states, send_outbox, write_outbox
from warroom.alerts.silences import Ack, Silence
from warroom.meta import open_metadata
from warroom.meta.alerts import AckRow

LABELS = (("service", "payment"),)
RULE = make_rule(
    id="pay", severity="critical", team="tech", channels=("tech_chat",), by=("service",), repeat=timedelta(hours=4),
    escalate=Escalation(timedelta(minutes=10), ("tech_oncall",)),
)  # fmt: skip


def run(minutes_firing: int, acks=(), silences=(), rule=RULE):
    """Evaluate every minute from T0 with the value above the limit; the notifications per minute."""
    states, said = {}, {}
    for m in range(minutes_firing):
        states, notes = evaluate(
            rule, {LABELS: [(at(m - 1), 50.0)]}, states, at(m), acks=acks, silences=silences
        )
        said[m] = [(n.kind, n.channels) for n in notes]
    return states, {m: n for m, n in said.items() if n}


def test_an_unacknowledged_critical_alert_escalates_once_after_the_set_time():
    states, said = run(30)
    assert said == {0: [("firing", ("tech_chat",))], 10: [("escalation", ("tech_oncall",))]}
    assert states[LABELS].escalated_at == at(10)


def test_an_ack_in_the_episode_prevents_it_and_one_from_an_earlier_episode_does_not():
    _, said = run(30, acks=[Ack("pay", LABELS, at(9), "tec")])
    assert [k for notes in said.values() for k, _ in notes] == ["firing"]
    _, said = run(30, acks=[Ack("pay", LABELS, at(-5), "tec")])  # given in an earlier episode
    assert said[10] == [("escalation", ("tech_oncall",))]


def test_a_silence_holds_it_back_until_it_ends_and_warnings_never_escalate():
    quiet = Silence("s1", at(-1), at(15), (), rule_id="pay")
    _, said = run(30, silences=[quiet])
    # the firing was silenced, so it is said when the silence ends; the escalation, due since minute 10,
    # follows at the next tick (nobody could answer what was never said), and the clock was not restarted
    assert said == {15: [("firing", ("tech_chat",))], 16: [("escalation", ("tech_oncall",))]}
    warning = make_rule(id="pay", severity="warning", by=("service",), repeat=timedelta(hours=4),
                        escalate=Escalation(timedelta(minutes=10), ("tech_oncall",)))  # fmt: skip
    _, said = run(30, rule=warning)  # (the rule file refuses escalate on a warning in the first place)
    assert said == {0: [("firing", ("ops_chat",))]}


def test_the_rule_file_gives_each_team_a_default_for_its_critical_rules():
    text = """
escalation:
  tech: {after: 15m, channels: [tech_oncall]}
rules:
  - {id: a, metric: m, condition: {threshold: {op: ">", value: 1}}, severity: critical, team: tech,
     channels: [tech_chat], message: {zh: x, en: y}}
  - {id: b, metric: m, condition: {threshold: {op: ">", value: 1}}, severity: warning, team: tech,
     channels: [tech_chat], message: {zh: x, en: y}}
  - {id: c, metric: m, condition: {threshold: {op: ">", value: 1}}, severity: critical, team: tech,
     channels: [tech_chat], escalate: {after: 5m, channels: [cto]}, message: {zh: x, en: y}}
  - {id: d, metric: m, condition: {threshold: {op: ">", value: 1}}, severity: critical, team: ops,
     channels: [ops_chat], message: {zh: x, en: y}}
"""
    a, b, c, d = parse_rules(text)
    assert a.escalate == Escalation(timedelta(minutes=15), ("tech_oncall",))
    assert b.escalate is None and d.escalate is None  # a warning; a team without a default
    assert c.escalate == Escalation(timedelta(minutes=5), ("cto",))  # its own wins
    with pytest.raises(Exception, match="tech_oncall' is not a configured channel"):
        parse_rules(text, known_channels={"tech_chat", "ops_chat", "cto"})


def test_escalation_through_the_store_reaches_the_second_receiver_once(tmp_path, receiver):
    sessions = open_metadata(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    channels = {
        "tech_chat": WebhookChannel("tech_chat", receiver.url("/webhook?c=chat"), lang="en"),
        "tech_oncall": WebhookChannel("tech_oncall", receiver.url("/webhook?c=oncall"), lang="en"),
    }
    for m in range(25):  # the tick's own steps: stored states and acks in, states and outbox out
        now = T0 + m * MIN
        with sessions() as s:
            prior, acks = load_states(s, ["pay"])["pay"], acks_by_rule(s, ["pay"])["pay"]
            states, notes = evaluate(RULE, {LABELS: [(now - MIN, 50.0)]}, prior, now, acks=acks)
            write_outbox(s, notes, now)
            save_states(s, [(RULE, states, notes)], now)
            s.commit()
        send_outbox(sessions, channels, now)
    got = [(r.query["c"][0], [a["kind"] for a in r.json()["alerts"]]) for r in receiver.recorded]
    assert got == [("chat", ["firing"]), ("oncall", ["escalation"])]
    assert "ESCALATED" in receiver.recorded[1].json()["text"]

    # a second episode, acknowledged in time, is not escalated
    receiver.recorded.clear()
    with sessions() as s:
        later = T0 + 40 * MIN
        s.add(AckRow(rule_id="pay", labels_key="service=payment", labels={"service": "payment"},
                     at=later + 2 * MIN, by="tec", comment="", kind="claim"))  # fmt: skip
        s.commit()
    for m in range(40, 70):
        now = T0 + m * MIN
        value = 0.0 if m < 40 + 1 else 50.0
        with sessions() as s:
            prior, acks = load_states(s, ["pay"])["pay"], acks_by_rule(s, ["pay"])["pay"]
            states, notes = evaluate(RULE, {LABELS: [(now - MIN, value)]}, prior, now, acks=acks)
            write_outbox(s, notes, now)
            save_states(s, [(RULE, states, notes)], now)
            s.commit()
        send_outbox(sessions, channels, now)
    kinds = [a["kind"] for r in receiver.recorded for a in r.json()["alerts"]]
    assert "firing" in kinds and "escalation" not in kinds  # it fired again, and was claimed in time
    with sessions() as s:
        assert s.scalars(select(AckRow)).one().kind == "claim"
