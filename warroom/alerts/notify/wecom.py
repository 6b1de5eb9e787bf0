"""WeCom (企业微信) group robot: markdown message to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...

No signing: the key in the URL is the credential. Answers {"errcode": 0, "errmsg": "ok"}; errcode 45009
(API frequency limit: 20 messages a minute per robot) passes with time.
"""

from dataclasses import dataclass
from datetime import datetime

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import fit, render_batch
from warroom.alerts.notify.result import DeliveryResult, errcode_check, post_json
from warroom.alerts.notify.webhook import DEFAULT_TIMEOUT

MAX_BYTES = 4096  # WeCom: markdown content at most 4096 bytes, UTF-8
_check = errcode_check(0, "errcode", "errmsg", frozenset({45009}))


@dataclass(frozen=True)
class WeComChannel:
    name: str
    url: str
    lang: str = "zh"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> dict:
        message = render_batch(batch, self.lang, self.base_url)
        return {"msgtype": "markdown", "markdown": {"content": fit(message.markdown, MAX_BYTES)}}

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        return post_json(self.url, self.payload(batch, now=now), timeout=self.timeout, check_body=_check)
