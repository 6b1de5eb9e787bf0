"""Slack incoming webhook: a header block and a mrkdwn section; `text` is the notification fallback.

Slack answers 200 "ok"; errors come as 4xx with a reason (invalid_payload, no_service, channel_is_archived:
not retryable) or 429 when rate limited (one message a second per webhook; retryable).
"""

from dataclasses import dataclass
from datetime import datetime

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import render_batch
from warroom.alerts.notify.result import DeliveryResult, post_json
from warroom.alerts.notify.webhook import DEFAULT_TIMEOUT

# Slack block limits: header text 150 characters, section text 3000.
HEADER_CHARS, SECTION_CHARS = 150, 3000


@dataclass(frozen=True)
class SlackChannel:
    name: str
    url: str  # https://hooks.slack.com/services/...
    lang: str = "en"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> dict:
        message = render_batch(batch, self.lang, self.base_url)
        # Slack's mrkdwn is not markdown (links are <url|text>); the plain lines, whose URLs Slack links, read right.
        body = message.text.split("\n", 2)[-1]
        return {
            "text": message.title,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": message.title[:HEADER_CHARS]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": body[:SECTION_CHARS]}},
            ],
        }

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        return post_json(self.url, self.payload(batch, now=now), timeout=self.timeout)
