"""Generic webhook: the batch as structured JSON, for whatever the receiving team runs."""

from dataclasses import dataclass
from datetime import datetime

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import alert_json, render_batch
from warroom.alerts.notify.result import DeliveryResult, post_json

# Five seconds: a robot that has not answered by then is down or throttling; the outbox retries later
# rather than holding up the other channels of the tick.
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str
    lang: str = "zh"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> dict:
        message = render_batch(batch, self.lang, self.base_url)
        return {
            "version": 1,
            "channel": self.name,
            "team": batch.team,
            "severity": batch.worst_severity,
            "sent_at": now.isoformat(),
            "title": message.title,
            "text": message.text,
            "alerts": [alert_json(n, self.lang, self.base_url) for n in batch.notifications],
        }

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        return post_json(self.url, self.payload(batch, now=now), timeout=self.timeout)
