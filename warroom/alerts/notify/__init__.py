"""Delivery channels: each renders a batch (in zh or en) into its service's payload and sends it.

Every channel has `payload(batch, *, now)` (pure: what would be sent) and `send(batch, *, now) ->
DeliveryResult`; `now` is passed in because signatures (DingTalk, Feishu) are timestamped.
`build_channel` makes one from configuration data: {type: dingtalk, url: ..., secret: ..., lang: zh}.
"""

from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol

from warroom.alerts.notification import Batch
from warroom.alerts.notify.dingtalk import DingTalkChannel
from warroom.alerts.notify.email import EmailChannel
from warroom.alerts.notify.feishu import FeishuChannel
from warroom.alerts.notify.result import DeliveryResult
from warroom.alerts.notify.retry import MAX_ATTEMPTS, next_attempt
from warroom.alerts.notify.slack import SlackChannel
from warroom.alerts.notify.webhook import WebhookChannel
from warroom.alerts.notify.wecom import WeComChannel
from warroom.errors import UserError

CHANNEL_TYPES: dict[str, type] = {
    "webhook": WebhookChannel,
    "dingtalk": DingTalkChannel,
    "wecom": WeComChannel,
    "feishu": FeishuChannel,
    "slack": SlackChannel,
    "email": EmailChannel,
}


class Channel(Protocol):
    name: str

    def payload(self, batch: Batch, *, now: datetime) -> Any: ...

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult: ...


def build_channel(name: str, spec: dict[str, Any], *, base_url: str = "") -> Channel:
    """A channel from its configuration; a UserError names the channel and the field that is wrong."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in CHANNEL_TYPES:
        raise UserError(f"channel {name!r}: type must be one of {', '.join(CHANNEL_TYPES)}, got {kind!r}")
    cls = CHANNEL_TYPES[kind]
    allowed = {f.name for f in fields(cls)} - {"name"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise UserError(f"channel {name!r} ({kind}): unknown field(s) {unknown}; allowed: {sorted(allowed)}")
    if spec.get("lang", "zh") not in ("zh", "en"):
        raise UserError(f"channel {name!r}: lang must be zh or en, got {spec['lang']!r}")
    if "recipients" in spec:
        spec["recipients"] = tuple(spec["recipients"])
    spec.setdefault("base_url", base_url)
    try:
        return cls(name=name, **spec)
    except TypeError as exc:
        raise UserError(f"channel {name!r} ({kind}): {exc}") from None


__all__ = [
    "CHANNEL_TYPES", "MAX_ATTEMPTS", "Channel", "DeliveryResult", "DingTalkChannel", "EmailChannel",
    "FeishuChannel", "SlackChannel", "WeComChannel", "WebhookChannel", "build_channel", "next_attempt",
]  # fmt: skip
