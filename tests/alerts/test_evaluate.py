"""Every transition of the alert state machine, with hand-made series and explicit `now` values.

Rules here use a 1-minute window, so at now = at(k) the reading is the point at minute k-1.
"""

from datetime import timedelta

import pytest

from tests.alerts.helpers import at, kinds, make_rule, minutes, run
from warroom.alerts.evaluate import KEEP_RESOLVED, AlertState, evaluate
from warroom.alerts.notification import labels_of
from warroom.alerts.rules import Absent, Anomaly, BaselineChange, Threshold
from warroom.alerts.silences import Ack, Silence, parse_matcher

ALL = ()  # the label set of a rule without `by`


def test_inactive_pending_firing_resolved_with_for():
    rule = make_rule(hold_for=timedelta(minutes=2))
    series = {ALL: minutes([5, 12, 12, 12, 12, 5, 5])}
    history = run(rule, series, range(1, 8))
    status = {tick: states.get(ALL) and states[ALL].status for tick, _, states in history}
    assert status == {
        1: None,
        2: "pending",
        3: "pending",
        4: "firing",
        5: "firing",
        6: "resolved",
        7: "resolved",
    }
    assert kinds(history) == [(4, "firing", ALL), (6, "resolved", ALL)]
    fired = history[3][1][0]
    assert fired.at == at(4) and fired.fired_at == at(4) and fired.value == 12.0
    assert fired.summary_en == "m is 12 (limit 10) " and fired.summary_zh == "m 值 12"
    resolved_state = history[5][2][ALL]
    assert resolved_state.fired_at == at(4) and resolved_state.resolved_at == at(6)


def test_pending_that_stops_firing_is_dropped_unnotified():
    rule = make_rule(hold_for=timedelta(minutes=3))
    history = run(rule, {ALL: minutes([12, 12, 5, 12])}, range(1, 5))
    assert [ALL in states for _, _, states in history] == [True, True, False, True]
    assert history[3][2][ALL].active_since == at(4)  # a new pending episode starts over
    assert kinds(history) == []


def test_for_zero_fires_at_once():
    history = run(make_rule(), {ALL: minutes([12])}, [1])
    assert kinds(history) == [(1, "firing", ALL)]


def test_repeat_interval_for_still_firing_alerts():
    rule = make_rule(repeat=timedelta(minutes=10))
    history = run(rule, {ALL: minutes([12] * 30)}, range(1, 26))
    assert kinds(history) == [(1, "firing", ALL), (11, "repeat", ALL), (21, "repeat", ALL)]


def test_resolved_is_kept_for_a_while_then_dropped():
    rule = make_rule()
    series = {ALL: minutes([12] + [5] * 40)}
    history = run(rule, series, range(1, 40))
    resolved_at = 2
    kept = [tick for tick, _, states in history if ALL in states and states[ALL].status == "resolved"]
    assert kept == list(range(resolved_at, resolved_at + KEEP_RESOLVED // timedelta(minutes=1)))
    assert kinds(history) == [(1, "firing", ALL), (2, "resolved", ALL)]  # resolved sent once


def test_firing_again_after_resolving_is_a_new_episode():
    history = run(make_rule(), {ALL: minutes([12, 5, 5, 12])}, range(1, 5))
    assert kinds(history) == [(1, "firing", ALL), (2, "resolved", ALL), (4, "firing", ALL)]
    assert history[3][1][0].fired_at == at(4)


FLAPPING = [11, 9, 11, 9, 11, 9, 11, 9, 5, 5, 5, 5, 5]  # around the limit 10, then clearly below


def test_without_hysteresis_a_wobbling_value_flaps():
    rule = make_rule(condition=Threshold(">", 10.0, 10.0), clear_for=timedelta(0))
    history = run(rule, {ALL: minutes(FLAPPING)}, range(1, 14))
    assert [k for _, k, _ in kinds(history)] == ["firing", "resolved"] * 4


def test_hysteresis_band_keeps_it_firing():
    # fires above 10, holds while above 8: 9 is inside the band, so it stays firing through the wobble
    rule = make_rule(condition=Threshold(">", 10.0, 8.0), clear_for=timedelta(0))
    history = run(rule, {ALL: minutes(FLAPPING)}, range(1, 14))
    assert kinds(history) == [(1, "firing", ALL), (9, "resolved", ALL)]  # the point at 8 is the first 5


def test_clear_for_keeps_it_firing_until_clear_long_enough():
    rule = make_rule(condition=Threshold(">", 10.0, 10.0), clear_for=timedelta(minutes=3))
    history = run(rule, {ALL: minutes(FLAPPING)}, range(1, 14))
    # clear from tick 8 on (point 7 = 9, then the 5s): 8 sets clear_since, 11 is 3 minutes later
    assert kinds(history) == [(1, "firing", ALL), (11, "resolved", ALL)]
    assert history[9][2][ALL].clear_since == at(8)  # tick 10 still counting
    assert history[1][2][ALL].clear_since == at(2)  # the 9 at tick 2 started a count that 11 reset
    assert history[2][2][ALL].clear_since is None


def test_no_data_neither_fires_nor_holds():
    rule = make_rule(clear_for=timedelta(minutes=2))
    history = run(rule, {ALL: minutes([12])}, [1, 2, 3, 4])
    assert kinds(history) == [(1, "firing", ALL), (4, "resolved", ALL)]
    assert history[3][1][0].summary_en.startswith("m is - ")  # unknown value renders as "-"


def test_one_alert_per_label_set():
    rule = make_rule(by=("channel",), message_en="{labels[channel]} {value:.0f}")
    live, search = labels_of({"channel": "live"}), labels_of({"channel": "search"})
    history = run(rule, {live: minutes([12, 12]), search: minutes([5, 12])}, [1, 2])
    assert kinds(history) == [(1, "firing", live), (2, "firing", search)]
    assert history[1][1][0].summary_en == "search 12"
    assert history[0][1][0].link == "/ops?channel=live"


def test_samples_must_carry_the_by_labels():
    rule = make_rule(by=("channel",))
    with pytest.raises(ValueError, match="by"):
        evaluate(rule, {labels_of({"sku": "1"}): minutes([1])}, {}, at(1))
    with pytest.raises(ValueError, match="aware"):
        evaluate(rule, {}, {}, at(1).replace(tzinfo=None))


def test_silence_mutes_then_notifies_when_it_ends():
    rule = make_rule(by=("channel",))
    live, search = labels_of({"channel": "live"}), labels_of({"channel": "search"})
    silence = Silence("s1", at(0), at(3), matchers=(parse_matcher("channel=~li.*"),), rule_id="r")
    series = {live: minutes([12] * 6), search: minutes([12] * 6)}
    history = run(rule, series, range(1, 6), silences=[silence])
    # search is not matched; live is muted at ticks 1 and 2, and notified at 3 when the silence has ended
    assert kinds(history) == [(1, "firing", search), (3, "firing", live)]
    assert history[0][2][live].muted_by == "silence s1" and history[0][2][live].status == "firing"
    assert history[2][2][live].muted_by is None


def test_a_silenced_alert_that_resolves_during_the_silence_says_nothing():
    silence = Silence("s2", at(0), at(10), rule_id="r")
    history = run(make_rule(), {ALL: minutes([12, 12, 5])}, [1, 2, 3], silences=[silence])
    assert kinds(history) == []
    assert history[2][2][ALL].status == "resolved"


def test_silence_during_firing_mutes_the_resolution():
    silence = Silence("s3", at(2), at(10), rule_id="r")
    history = run(make_rule(), {ALL: minutes([12, 12, 5])}, [1, 2, 3], silences=[silence])
    assert kinds(history) == [(1, "firing", ALL)]


def test_ack_mutes_repeats_of_its_episode_only():
    rule = make_rule(repeat=timedelta(minutes=10))
    values = [12] * 15 + [5] + [12] * 15  # episode 1 fires at 1, resolves at 16; episode 2 fires at 17
    ack = Ack("r", ALL, at(2), by="li.lei")
    history = run(rule, {ALL: minutes(values)}, range(1, 31), acks=[ack])
    assert kinds(history) == [
        (1, "firing", ALL),
        (16, "resolved", ALL),
        (17, "firing", ALL),
        (27, "repeat", ALL),
    ]
    assert history[10][2][ALL].muted_by == "ack li.lei"  # tick 11: the repeat it muted


def test_absent_fires_when_data_stops_and_resolves_when_it_returns():
    rule = make_rule(condition=Absent(timedelta(minutes=5)), clear_for=timedelta(minutes=1))
    arrived = minutes([100] * 10)  # minutes 0..9
    history = run(rule, {ALL: arrived}, [14, 15])
    assert kinds(history) == [(15, "firing", ALL)]
    assert history[1][1][0].summary_en == "m is 6 (limit 5) "
    states = history[1][2]
    states, notes = evaluate(rule, {ALL: [*arrived, (at(15), 100.0)]}, states, at(16))
    assert notes == () and states[ALL].clear_since == at(16)
    states, notes = evaluate(rule, {ALL: [*arrived, (at(15), 100.0)]}, states, at(17))
    assert [n.kind for n in notes] == ["resolved"]


def test_absent_without_any_samples_at_all():
    rule = make_rule(condition=Absent(timedelta(minutes=5)))
    _, notes = evaluate(rule, {}, {}, at(0))
    assert [n.kind for n in notes] == ["firing"] and notes[0].value is None
    assert notes[0].summary_en == "m is - (limit 5) "


def test_absent_by_label_keeps_an_alert_for_a_label_set_that_vanished():
    rule = make_rule(condition=Absent(timedelta(minutes=5)), by=("host",))
    web1 = labels_of({"host": "web-1"})
    prior = {web1: AlertState("r", web1, "firing", at(0), fired_at=at(0), notified_at=at(0))}
    states, notes = evaluate(rule, {}, prior, at(5))
    assert states[web1].status == "firing" and notes == ()


def test_anomaly_alert():
    rule = make_rule(
        condition=Anomaly(3.5, 2.5, timedelta(minutes=30), "up", 10), message_en="z={change:.2f}"
    )
    series = minutes(
        [100, 101, 99] * 10 + [110, 104, 100]
    )  # history at 0..29, then 110 (z 6.74), 104 (2.70), 100
    history = run(rule, {ALL: series}, [30, 31, 32, 33])
    assert kinds(history) == [(31, "firing", ALL), (33, "resolved", ALL)]
    assert history[1][1][0].summary_en == "z=6.74"
    assert history[2][2][ALL].status == "firing"  # 2.70 is past the resolve limit 2.5: holds


def test_change_vs_baseline_day_alert():
    rule = make_rule(
        condition=BaselineChange(50.0, 25.0, 1, None),
        window=timedelta(minutes=10),
        reduce="sum",
        message_en="{value:.0f} vs {reference:.0f} ({change:+.0f}%)",
    )
    day = timedelta(days=1)
    yesterday = [(t - day, 2.0) for t, _ in minutes([0] * 20)]
    # today: 10 points of 3 (sum 30: +50 %), then 10 points of 2.6 (sum 26: +30 %, inside the band)
    today = minutes([3] * 10 + [2.6] * 10 + [2.0] * 10)
    history = run(rule, {ALL: yesterday + today}, [10, 20, 30])
    # tick 20 still holds (+30 % is past the resolve limit +25 %) and is due a repeat (10 minutes)
    assert kinds(history) == [(10, "firing", ALL), (20, "repeat", ALL), (30, "resolved", ALL)]
    assert history[0][1][0].summary_en == "30 vs 20 (+50%)"
    assert history[1][1][0].summary_en == "26 vs 20 (+30%)"
