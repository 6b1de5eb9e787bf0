"""A notification (what evaluation decided to say) and its grouping into one batch per team and channel.

A notification is self-contained (its messages are rendered when it is made) so it can be written to the
outbox, retried, and shown as delivered or not without the rule at hand.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warroom.alerts.rules import SEVERITIES, TEAMS

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs: one alert instance per label set


def labels_of(mapping: dict[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


@dataclass(frozen=True)
class Notification:
    rule_id: str
    labels: Labels
    kind: str  # "firing" (first time), "repeat" (still firing after the repeat interval), "resolved",
    # "escalation" (critical, nobody acknowledged it in time: sent to the rule's escalation channels)
    at: datetime
    fired_at: datetime
    value: float | None
    severity: str
    team: str
    channels: tuple[str, ...]
    summary_zh: str
    summary_en: str
    link: str
    # (action, path) links to ack / claim / resolve this alert from the message (warroom.alerts.links):
    # signed by the sender for the outbox row it sends, so empty until then and on resolutions.
    actions: tuple[tuple[str, str], ...] = ()

    @property
    def status(self) -> str:
        return "resolved" if self.kind == "resolved" else "firing"

    @property
    def key(self) -> str:
        """Unique per alert episode, kind and tick: the outbox's idempotency key."""
        labels = ",".join(f"{k}={v}" for k, v in self.labels)
        return f"{self.rule_id}|{labels}|{self.fired_at.isoformat()}|{self.kind}|{self.at.isoformat()}"

    def summary(self, lang: str) -> str:
        return self.summary_zh if lang == "zh" else self.summary_en


@dataclass(frozen=True)
class Batch:
    """The notifications one team receives on one channel from one evaluation tick: sent as one message."""

    team: str
    channel: str
    notifications: tuple[Notification, ...]

    @property
    def worst_severity(self) -> str:
        return min((n.severity for n in self.notifications), key=SEVERITIES.index)


def group_notifications(notifications: Iterable[Notification]) -> list[Batch]:
    """Per owner team and channel, most severe first, firing before resolved; teams in TEAMS order.

    Grouping is what keeps a sale-day incident (say 40 SKUs running out at once) one message per team
    rather than 40, within the robots' rate limits (DingTalk and WeCom: 20 messages a minute per robot).
    """
    groups: dict[tuple[str, str], list[Notification]] = defaultdict(list)
    for n in notifications:
        for channel in n.channels:
            groups[(n.team, channel)].append(n)

    def order(n: Notification) -> tuple:
        return (n.kind == "resolved", SEVERITIES.index(n.severity), n.rule_id, n.labels)

    return [
        Batch(team, channel, tuple(sorted(items, key=order)))
        for (team, channel), items in sorted(groups.items(), key=lambda kv: (TEAMS.index(kv[0][0]), kv[0][1]))
    ]
