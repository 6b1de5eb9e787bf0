from datetime import timedelta

from tests.alerts.helpers import T0, at
from warroom.alerts.notification import Notification, group_notifications


def note(rule_id, team, severity, channels, kind="firing", labels=()):
    return Notification(
        rule_id=rule_id, labels=labels, kind=kind, at=at(5), fired_at=at(1), value=1.0, severity=severity,
        team=team, channels=channels, summary_zh=f"{rule_id} zh", summary_en=f"{rule_id} en", link="",
    )  # fmt: skip


def test_group_per_team_and_channel_most_severe_first():
    a = note("stock", "ops", "warning", ("ops_chat",))
    b = note("roi", "ops", "critical", ("ops_chat",))
    c = note("roi_old", "ops", "critical", ("ops_chat",), kind="resolved")
    d = note("p99", "tech", "critical", ("tech_chat", "tech_email"))
    e = note("margin", "finance", "info", ("finance_chat",))
    batches = group_notifications([a, d, c, e, b])
    assert [(x.team, x.channel, [n.rule_id for n in x.notifications]) for x in batches] == [
        ("ops", "ops_chat", ["roi", "stock", "roi_old"]),
        ("finance", "finance_chat", ["margin"]),
        ("tech", "tech_chat", ["p99"]),
        ("tech", "tech_email", ["p99"]),
    ]
    assert batches[0].worst_severity == "critical" and batches[1].worst_severity == "info"


def test_notification_key_identifies_episode_kind_and_tick():
    n = note("stock", "ops", "warning", ("ops_chat",), labels=(("sku_id", "1"),))
    assert n.key == f"stock|sku_id=1|{(T0 + timedelta(minutes=1)).isoformat()}|firing|{at(5).isoformat()}"
    assert n.status == "firing" and note("x", "ops", "info", (), kind="resolved").status == "resolved"
