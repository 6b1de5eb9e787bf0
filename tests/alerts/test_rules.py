import re
from datetime import date, timedelta

import pytest

from warroom.alerts.located import RuleFileError
from warroom.alerts.rules import (
    Absent,
    Anomaly,
    BaselineChange,
    Change,
    Threshold,
    builtin_rules,
    load_rules,
    parse_duration,
    parse_rules,
)
from warroom.errors import UserError

GOOD = """\
rules:
  - id: p99
    metric: latency_p99
    filters: {service: [cart, pay], env: prod}
    by: [service]
    condition: {threshold: {op: ">", value: 800, resolve: 600}}
    for: 5m
    severity: critical
    team: tech
    channels: [tech_chat]
    message: {zh: "{labels[service]} p99 {value:.0f}", en: "p99 {value:.0f} ms"}
"""


def test_a_good_rule_parses_with_defaults():
    (rule,) = parse_rules(GOOD, "good.yaml")
    assert rule.id == "p99" and rule.metric == "latency_p99"
    assert rule.filters == (("service", ("cart", "pay")), ("env", ("prod",)))
    assert rule.by == ("service",)
    assert rule.condition == Threshold(">", 800.0, 600.0)
    assert rule.hold_for == timedelta(minutes=5)
    # defaults documented in rules.py
    assert rule.window == timedelta(minutes=5) and rule.reduce == "avg"
    assert rule.clear_for == timedelta(minutes=5) and rule.repeat == timedelta(minutes=30)
    assert rule.link == "" and rule.channels == ("tech_chat",)


def test_every_condition_kind_parses():
    text = """\
rules:
  - {id: a, metric: m, severity: info, team: ops, channels: [c], message: {zh: z, en: e},
     condition: {change: {pct: -30, resolve: -15}}}
  - {id: b, metric: m, severity: info, team: ops, channels: [c], message: {zh: z, en: e},
     condition: {baseline: {pct: 50, day: 2024-11-11}}}
  - {id: c, metric: m, severity: info, team: ops, channels: [c], message: {zh: z, en: e},
     condition: {anomaly: {history: 2h, direction: up}}}
  - {id: d, metric: m, severity: info, team: ops, channels: [c], message: {zh: z, en: e},
     condition: {absent: {after: 10m}}}
"""
    a, b, c, d = parse_rules(text)
    assert a.condition == Change(-30.0, -15.0)
    assert b.condition == BaselineChange(50.0, 50.0, None, date(2024, 11, 11))
    assert c.condition == Anomaly(3.5, 3.5, timedelta(hours=2), "up", 10)
    assert d.condition == Absent(timedelta(minutes=10))


BAD = """\
rules:
  - id: a
    metric: m
    condition: {threshold: {op: "=>", value: 1}}
    severity: urgent
    team: ops
    channels: [x]
    message: {zh: "{valu}", en: "ok {value:.1f}"}
    windw: 5m
  - id: a
    metric: m
    condition: {anomaly: {history: 2h}, absent: {after: 1m}}
    severity: info
    team: sales
    channels: x
    message: {zh: a, en: "{value:.1q}"}
    for: 5 minutes
  - id: b
    metric: m
    condition: {threshold: {op: ">", value: 10, resolve: 12}}
    severity: info
    team: ops
    channels: [x]
    message: {zh: a}
"""


def test_a_title_names_the_rule_in_both_languages():
    (rule,) = parse_rules(GOOD + '    title: {zh: "支付延迟", en: "Payment latency"}\n', "t.yaml")
    assert (rule.title_zh, rule.title_en) == ("支付延迟", "Payment latency")
    assert parse_rules(GOOD, "t.yaml")[0].title_en == ""  # optional: the page falls back to the rule id
    for bad, says in [
        ('    title: "Payment latency"\n', "rules[0].title: expected a mapping"),
        ('    title: {zh: "支付延迟"}\n', "rules[0].title.en: required"),
        ('    title: {zh: "支付延迟", en: "", de: "x"}\n', "rules[0].title.de: unknown field"),
    ]:
        with pytest.raises(RuleFileError, match=re.escape(says)):
            parse_rules(GOOD + bad, "t.yaml")


def test_a_bad_file_reports_every_problem_with_its_line():
    with pytest.raises(RuleFileError) as caught:
        parse_rules(BAD, "bad.yaml")
    got = [(p.where, p.path) for p in caught.value.problems]
    assert got == [
        ("bad.yaml:4", "rules[0].condition.threshold.op"),
        ("bad.yaml:5", "rules[0].severity"),
        ("bad.yaml:8", "rules[0].message.zh"),
        ("bad.yaml:9", "rules[0].windw"),
        ("bad.yaml:10", "rules[1].id"),
        ("bad.yaml:12", "rules[1].condition"),
        ("bad.yaml:14", "rules[1].team"),
        ("bad.yaml:15", "rules[1].channels"),
        ("bad.yaml:16", "rules[1].message.en"),
        ("bad.yaml:17", "rules[1].for"),
        ("bad.yaml:20", "rules[2].condition.threshold.resolve"),
        ("bad.yaml:24", "rules[2].message.en"),
    ]
    message = str(caught.value)
    assert "12 problem(s)" in message
    assert "duplicate id, first at line 2" in message
    assert "unknown field {valu}" in message
    assert isinstance(caught.value, UserError)


def test_yaml_syntax_errors_and_wrong_shapes_are_located():
    with pytest.raises(RuleFileError) as caught:
        parse_rules("rules:\n  - id: a\n   metric: [", "x.yaml")
    assert caught.value.problems[0].where.startswith("x.yaml:")
    with pytest.raises(RuleFileError, match="expected a mapping of rules"):
        parse_rules("- id: a\n", "x.yaml")
    with pytest.raises(RuleFileError, match="duplicate key"):
        parse_rules(GOOD.replace("    for: 5m\n", "    for: 5m\n    for: 6m\n"), "x.yaml")


def test_known_metrics_and_channels_are_checked():
    with pytest.raises(RuleFileError) as caught:
        parse_rules(GOOD, known_metrics={"gmv"}, known_channels={"ops_chat"})
    assert [p.message for p in caught.value.problems] == [
        "'latency_p99' is not a catalog metric",
        "'tech_chat' is not a configured channel",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(1)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5", "5 m", "-5m", "1w", "", "m"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


# The metric names the built-in pack uses; the catalog must define them (reported to the lead).
PACK_METRICS = {
    "stock_hours_left", "stock_on_hand", "roi", "cost_per_session", "sales_margin", "refund_count",
    "refund_rate", "payment_failure_rate", "latency_p99", "error_rate_5xx", "host_cpu", "host_scrapes",
}  # fmt: skip
VOLUME_METRICS = {
    "orders",
    "sessions",
    "refund_count",
    "payment_attempts",
    "sampled_requests",
    "units_ordered",
}


def test_the_builtin_pack_covers_the_sale_day():
    rules = builtin_rules(known_metrics=PACK_METRICS | VOLUME_METRICS)
    assert {r.metric for r in rules} == PACK_METRICS
    assert {r.min_volume.metric for r in rules if r.min_volume} == VOLUME_METRICS
    assert {r.team for r in rules} == {"ops", "finance", "tech"}
    kinds = {type(r.condition) for r in rules}
    assert kinds == {Threshold, Change, BaselineChange, Anomaly, Absent}
    assert len({r.id for r in rules}) == len(rules) == 13
    assert all(r.title_zh and r.title_en for r in rules)  # a pending alert is named on the page


def test_load_rules_from_a_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_rules(path)[0].id == "p99"
    with pytest.raises(UserError, match="cannot read alert rule file"):
        load_rules(tmp_path / "missing.yaml")
