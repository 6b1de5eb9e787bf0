"""Two rule options, with a fake clock: `every` (judge whole multiples of it: an hourly rule reads complete
hours, and counts its time from the hour) and `min_volume` (too little evidence neither fires nor holds)."""

from datetime import timedelta

import pytest

from tests.alerts.helpers import T0, at, make_rule, minutes
from warroom.alerts.conditions import judged_at
from warroom.alerts.evaluate import evaluate
from warroom.alerts.located import RuleFileError
from warroom.alerts.rules import Change, MinVolume, parse_rules

HOUR = timedelta(hours=1)
HOURLY = make_rule(condition=Change(200, 100), window=HOUR, every=HOUR)


def test_an_hourly_rule_judges_the_last_complete_hour_whatever_minute_it_runs():
    assert judged_at(HOURLY, at(37)) == T0 and judged_at(HOURLY, at(60)) == T0 + HOUR
    assert judged_at(make_rule(), at(37.5)) == at(37)  # the default: the minute
    # hour buckets: 1.0 a visit, then 4.0 (+300%) in the hour from T0, then the hour still running at 9.0
    points = {(): [(T0 - HOUR, 1.0), (T0, 4.0), (T0 + HOUR, 9.0)]}
    quiet = evaluate(HOURLY, points, {}, at(59))  # judged at T0: [T0-1h, T0) vs the hour before: no data
    assert quiet.notifications == () and quiet.states == {}
    fired = evaluate(HOURLY, points, {}, at(61))  # judged at T0+1h: the complete hour T0 vs T0-1h
    (note,) = fired.notifications
    # 4.0, not 9.0: the hour still running is not read
    assert (note.kind, note.at, note.value, fired.states[()].fired_at) == (
        "firing",
        T0 + HOUR,
        4.0,
        T0 + HOUR,
    )
    again = evaluate(HOURLY, points, fired.states, at(119))  # same judged hour: nothing new to say
    assert again.notifications == () and again.states == fired.states


def test_below_min_volume_a_reading_neither_fires_nor_holds():
    rule = make_rule(window=timedelta(minutes=3), min_volume=MinVolume("attempts", 20))
    values = {(): minutes([50, 50, 50, 50, 50, 50], start=0)}
    few = {(): minutes([5, 5, 5, 5, 5, 5], start=0)}  # 15 in any 3 minutes: below 20
    many = {(): minutes([7, 7, 7, 7, 7, 7], start=0)}  # 21
    assert evaluate(rule, values, {}, at(4), volume=few).notifications == ()
    fired = evaluate(rule, values, {}, at(4), volume=many)
    assert [n.kind for n in fired.notifications] == ["firing"]
    # the volume falls away while firing: no longer held, so it resolves (clear_for 0 in make_rule)
    later = evaluate(rule, values, fired.states, at(5), volume=few)
    assert [n.kind for n in later.notifications] == ["resolved"]
    with pytest.raises(ValueError, match="min_volume attempts, but no volume samples"):
        evaluate(rule, values, {}, at(4))


RULE = """rules:
  - id: r
    metric: m
    condition: {threshold: {op: ">", value: 1}}
    every: %s
    min_volume: %s
    severity: info
    team: ops
    channels: [c]
    message: {zh: z, en: e}
"""


def test_every_and_min_volume_are_checked_with_their_line():
    (rule,) = parse_rules(RULE % ("1h", "{metric: m2, value: 5}"), known_metrics={"m", "m2"})
    assert (rule.every, rule.min_volume) == (HOUR, MinVolume("m2", 5.0))
    with pytest.raises(RuleFileError) as err:
        parse_rules(RULE % ("7m", "{metric: nope, value: 0}"), known_metrics={"m"})
    text = str(err.value)
    assert "<rules>:5" in text and "divides an hour" in text
    assert "<rules>:6" in text and "'nope' is not a catalog metric" in text
