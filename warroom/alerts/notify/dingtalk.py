"""DingTalk (钉钉) custom robot: markdown message, signed ("加签").

Signing, as DingTalk documents it: timestamp = now in milliseconds; string_to_sign = timestamp + "\\n" +
secret; sign = Base64(HmacSHA256(key=secret, message=string_to_sign)), then URL-encoded; both go on the
webhook URL as `&timestamp=...&sign=...`. DingTalk refuses a timestamp more than an hour off its clock.
It answers HTTP 200 with {"errcode": 0, "errmsg": "ok"}; errcode 130101 ("send too fast": over 20
messages a minute per robot) passes with time, other errcodes (310000: bad sign or keyword) do not.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import fit, render_batch
from warroom.alerts.notify.result import DeliveryResult, errcode_check, post_json
from warroom.alerts.notify.webhook import DEFAULT_TIMEOUT

# A cap, not a documented DingTalk figure (none found with the search tool): 16000 bytes, the same as for
# Feishu. MAX_ITEMS in message.py keeps real messages near 4 KB, so this only guards against a runaway batch.
MAX_BYTES = 16000
_check = errcode_check(0, "errcode", "errmsg", frozenset({130101}))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Base64 HmacSHA256 of "timestamp\\nsecret" keyed by the secret (before URL-encoding)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()


def signed_url(url: str, secret: str, now: datetime) -> str:
    timestamp = int(now.timestamp() * 1000)
    sign = quote_plus(dingtalk_sign(secret, timestamp))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


@dataclass(frozen=True)
class DingTalkChannel:
    name: str
    url: str  # https://oapi.dingtalk.com/robot/send?access_token=...
    secret: str = ""  # the robot's "加签" secret (SEC...); empty when the robot uses keywords or IPs instead
    lang: str = "zh"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> dict:
        message = render_batch(batch, self.lang, self.base_url)
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": fit(message.markdown, MAX_BYTES)},
        }

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        url = signed_url(self.url, self.secret, now) if self.secret else self.url
        return post_json(url, self.payload(batch, now=now), timeout=self.timeout, check_body=_check)
