"""Feishu / Lark (飞书) custom bot: an interactive card with a lark_md body, signed ("签名校验").

Signing, as Feishu documents it (and unlike DingTalk): timestamp = now in SECONDS; the HMAC-SHA256 KEY is
timestamp + "\\n" + secret and the message is EMPTY; sign = Base64 of the digest. Both go in the JSON
body as "timestamp" (a string) and "sign". Feishu refuses a timestamp more than an hour off its clock.
It answers {"code": 0, "msg": "success"}; 19021 means a bad signature or a stale timestamp.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import fit, render_batch
from warroom.alerts.notify.result import DeliveryResult, errcode_check, post_json
from warroom.alerts.notify.webhook import DEFAULT_TIMEOUT

# Feishu custom bots refuse request bodies over about 20 KB (as commonly reported; not confirmed here);
# 16000 bytes of card text leaves room for the rest of the card.
MAX_BYTES = 16000
_COLOR = {"critical": "red", "warning": "orange", "info": "blue"}
# Feishu's own rate-limit answer is HTTP 429 (retryable in post_json); no body code is retried.
_check = errcode_check(0, "code", "msg", frozenset())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class FeishuChannel:
    name: str
    url: str  # https://open.feishu.cn/open-apis/bot/v2/hook/...
    secret: str = ""
    lang: str = "zh"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> dict:
        message = render_batch(batch, self.lang, self.base_url)
        card = {
            "header": {
                "title": {"tag": "plain_text", "content": message.title},
                "template": _COLOR[batch.worst_severity],
            },
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": fit(message.body, MAX_BYTES)}}],
        }
        body: dict = {"msg_type": "interactive", "card": card}
        if self.secret:
            timestamp = int(now.timestamp())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(self.secret, timestamp), **body}
        return body

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        return post_json(self.url, self.payload(batch, now=now), timeout=self.timeout, check_body=_check)
