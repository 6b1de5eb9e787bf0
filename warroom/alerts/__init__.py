"""Alerts: rules as data (rules.py), a pure evaluation (evaluate.py), mutes (silences.py), and delivery
channels (notify/). The engine takes samples as input; the scheduler and outbox that feed it and persist
its states live with the metadata store."""

from warroom.alerts.evaluate import AlertState, Evaluation, evaluate, samples_needed
from warroom.alerts.notification import Batch, Labels, Notification, group_notifications, labels_of
from warroom.alerts.rules import Rule, builtin_rules, load_rules, parse_rules
from warroom.alerts.silences import Ack, Matcher, Silence, parse_matcher

__all__ = [
    "Ack", "AlertState", "Batch", "Evaluation", "Labels", "Matcher", "Notification", "Rule", "Silence",
    "builtin_rules", "evaluate", "group_notifications", "labels_of", "load_rules", "parse_matcher",
    "parse_rules", "samples_needed",
]  # fmt: skip
