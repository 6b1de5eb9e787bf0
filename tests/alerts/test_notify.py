"""Every channel against a real receiver on 127.0.0.1: payload shape, signatures checked by the receiver's
own code, and the outcome of failures (500, 400, errcode in a 200, timeout, closed port)."""

import base64
import hashlib
import hmac
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import quote_plus

import pytest

from tests.alerts.conftest import DING_SECRET, FEISHU_SECRET, free_port
from tests.alerts.helpers import at
from warroom.alerts.notification import Batch, Notification
from warroom.alerts.notify import (
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    build_channel,
)
from warroom.alerts.notify.dingtalk import dingtalk_sign
from warroom.alerts.notify.feishu import feishu_sign
from warroom.alerts.notify.message import MAX_ITEMS, fit, render_batch
from warroom.errors import UserError

NOW = at(5)


def _note(i=0, kind="firing", severity="critical"):
    return Notification(
        rule_id="stock_running_out", labels=(("sku_id", f"SKU-{i}"),), kind=kind, at=NOW, fired_at=at(1),
        value=2.5, severity=severity, team="ops", channels=("ops_chat",),
        summary_zh=f"库存告急:SKU-{i} 预计 2.5 小时后售罄", summary_en=f"Stock running out: SKU-{i} in 2.5 h",
        link=f"/ops/stock?sku_id=SKU-{i}",
    )  # fmt: skip


BATCH = Batch("ops", "ops_chat", (_note(1), _note(2, kind="resolved", severity="warning")))


def test_render_in_both_languages():
    zh = render_batch(BATCH, "zh", "http://warroom.local:8011")
    assert zh.title == "【严重】运营:1 条告警,1 条恢复"
    assert zh.markdown.splitlines() == [
        "### 【严重】运营:1 条告警,1 条恢复",
        "",
        "- **[告警]** 库存告急:SKU-1 预计 2.5 小时后售罄 [看板](http://warroom.local:8011/ops/stock?sku_id=SKU-1)",
        "- **[恢复]** 库存告急:SKU-2 预计 2.5 小时后售罄 [看板](http://warroom.local:8011/ops/stock?sku_id=SKU-2)",
    ]
    en = render_batch(BATCH, "en")
    assert en.title == "[CRITICAL] ops: 1 firing, 1 resolved"
    assert en.text.splitlines()[2] == "[FIRING] Stock running out: SKU-1 in 2.5 h /ops/stock?sku_id=SKU-1"


def test_long_batches_are_cut_with_a_count():
    big = Batch("ops", "ops_chat", tuple(_note(i) for i in range(MAX_ITEMS + 5)))
    lines = render_batch(big, "en").markdown.splitlines()
    assert lines[-1] == "- … and 5 more" and len(lines) == 2 + MAX_ITEMS + 1
    assert fit("告警" * 10, 10) == "告警…" and len(fit("告警" * 10, 10).encode()) <= 10


def test_signatures_match_the_documented_rules():
    # Hand-checkable equivalents: DingTalk keys the HMAC with the secret; Feishu keys it with "ts\nsecret".
    expected_ding = base64.b64encode(hmac.new(b"s", b"1700000000000\ns", hashlib.sha256).digest()).decode()
    assert dingtalk_sign("s", 1700000000000) == expected_ding
    expected_feishu = base64.b64encode(hmac.new(b"1700000000\ns", b"", hashlib.sha256).digest()).decode()
    assert feishu_sign("s", 1700000000) == expected_feishu
    assert expected_ding != expected_feishu


def test_dingtalk_signed_markdown(receiver):
    channel = DingTalkChannel("ops_chat", receiver.url("/dingtalk?access_token=tok"), secret=DING_SECRET)
    result = channel.send(BATCH, now=NOW)
    assert result.ok and result.status == 200, result
    (req,) = receiver.recorded
    assert req.query["access_token"] == ["tok"]
    assert req.query["timestamp"] == [str(int(NOW.timestamp() * 1000))]
    digest = hmac.new(
        DING_SECRET.encode(), f"{req.query['timestamp'][0]}\n{DING_SECRET}".encode(), hashlib.sha256
    )
    assert req.raw_query.endswith("&sign=" + quote_plus(base64.b64encode(digest.digest()).decode()))
    body = req.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "【严重】运营:1 条告警,1 条恢复"
    assert "SKU-1" in body["markdown"]["text"]


def test_dingtalk_with_a_wrong_secret_is_refused_and_not_retried(receiver):
    channel = DingTalkChannel("ops_chat", receiver.url("/dingtalk?access_token=tok"), secret="SECwrong")
    result = channel.send(BATCH, now=NOW)
    assert not result.ok and not result.retryable and "310000" in result.error


def test_dingtalk_rate_limit_is_retryable(receiver):
    result = DingTalkChannel("c", receiver.url("/too-fast?access_token=t"), secret="x").send(BATCH, now=NOW)
    assert not result.ok and result.retryable and "130101" in result.error


def test_feishu_signed_card(receiver):
    result = FeishuChannel("c", receiver.url("/feishu"), secret=FEISHU_SECRET).send(BATCH, now=NOW)
    assert result.ok, result
    body = receiver.recorded[0].json()
    assert body["timestamp"] == str(int(NOW.timestamp()))
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["template"] == "red"
    assert body["card"]["elements"][0]["text"]["tag"] == "lark_md"
    wrong = FeishuChannel("c", receiver.url("/feishu"), secret="nope").send(BATCH, now=NOW)
    assert not wrong.ok and not wrong.retryable and "19021" in wrong.error


def test_wecom_markdown(receiver):
    result = WeComChannel("c", receiver.url("/wecom?key=abc")).send(BATCH, now=NOW)
    assert result.ok
    req = receiver.recorded[0]
    assert req.query["key"] == ["abc"]
    assert req.json()["msgtype"] == "markdown" and "### 【严重】" in req.json()["markdown"]["content"]


def test_slack_blocks_in_english(receiver):
    result = SlackChannel("c", receiver.url("/slack")).send(BATCH, now=NOW)
    assert result.ok
    body = receiver.recorded[0].json()
    assert body["text"] == "[CRITICAL] ops: 1 firing, 1 resolved"
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][1]["text"]["text"].startswith("[FIRING] Stock running out: SKU-1")


def test_generic_webhook_json(receiver):
    result = WebhookChannel("c", receiver.url("/webhook"), lang="en").send(BATCH, now=NOW)
    assert result.ok
    body = receiver.recorded[0].json()
    assert body["team"] == "ops" and body["severity"] == "critical" and body["sent_at"] == NOW.isoformat()
    assert [a["kind"] for a in body["alerts"]] == ["firing", "resolved"]
    assert body["alerts"][0]["labels"] == {"sku_id": "SKU-1"} and body["alerts"][0]["value"] == 2.5
    assert receiver.recorded[0].headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "status", "retryable"),
    [("/fail500", 500, True), ("/bad400", 400, False), ("/missing", 404, False)],
)
def test_http_failures(receiver, path, status, retryable):
    result = WebhookChannel("c", receiver.url(path)).send(BATCH, now=NOW)
    assert (result.ok, result.status, result.retryable) == (False, status, retryable)
    assert f"HTTP {status}" in result.error


def test_timeout_is_retryable(receiver):
    result = WebhookChannel("c", receiver.url("/slow"), timeout=0.3).send(BATCH, now=NOW)
    assert not result.ok and result.status is None and result.retryable and "timed out" in result.error


def test_closed_port_is_retryable():
    result = WeComChannel("c", f"http://127.0.0.1:{free_port()}/wecom").send(BATCH, now=NOW)
    assert not result.ok and result.status is None and result.retryable and "could not reach" in result.error


def test_email(smtp_server):
    box, port = smtp_server
    channel = EmailChannel("mail", "127.0.0.1", port, "warroom@shop.example", ("oncall@shop.example",))
    result = channel.send(BATCH, now=NOW)
    assert result.ok and result.status == 250, result
    (envelope,) = box.envelopes
    assert envelope.mail_from == "warroom@shop.example" and envelope.rcpt_tos == ["oncall@shop.example"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "【严重】运营:1 条告警,1 条恢复"
    assert "[告警] 库存告急:SKU-1" in mail.get_content()


def test_email_refused_recipient_is_permanent(smtp_server):
    _, port = smtp_server
    channel = EmailChannel("mail", "127.0.0.1", port, "warroom@shop.example", ("ghost@nowhere.invalid",))
    result = channel.send(BATCH, now=NOW)
    assert not result.ok and result.status == 550 and not result.retryable


def test_email_closed_port_is_retryable():
    channel = EmailChannel("mail", "127.0.0.1", free_port(), "w@shop.example", ("o@shop.example",), timeout=2)
    result = channel.send(BATCH, now=NOW)
    assert not result.ok and result.status is None and result.retryable


def test_email_over_starttls(tls_smtp_server):
    box, port, cafile = tls_smtp_server
    plain = EmailChannel("mail", "127.0.0.1", port, "w@shop.example", ("o@shop.example",))
    refused = plain.send(BATCH, now=NOW)  # the server requires STARTTLS
    assert not refused.ok and refused.status == 530 and not refused.retryable
    secure = EmailChannel(
        "mail", "127.0.0.1", port, "w@shop.example", ("o@shop.example",), starttls=True, cafile=cafile
    )
    result = secure.send(BATCH, now=NOW)
    assert result.ok, result
    assert len(box.envelopes) == 1


def test_build_channel_from_config():
    channel = build_channel(
        "ops_chat", {"type": "dingtalk", "url": "http://x/robot", "secret": "s"}, base_url="http://w"
    )
    assert isinstance(channel, DingTalkChannel) and channel.base_url == "http://w" and channel.lang == "zh"
    mail = build_channel(
        "m", {"type": "email", "host": "h", "port": 25, "sender": "a@b", "recipients": ["c@d"]}
    )
    assert mail.recipients == ("c@d",)
    with pytest.raises(UserError, match="type must be one of"):
        build_channel("x", {"type": "pager"})
    with pytest.raises(UserError, match=r"unknown field\(s\) \['secrte'\]"):
        build_channel("x", {"type": "feishu", "url": "u", "secrte": "s"})
    with pytest.raises(UserError, match="lang must be zh or en"):
        build_channel("x", {"type": "wecom", "url": "u", "lang": "fr"})
    with pytest.raises(UserError, match="channel 'x'"):
        build_channel("x", {"type": "wecom"})


def test_payload_is_pure_and_repeatable():
    channel = FeishuChannel("c", "http://unused", secret=FEISHU_SECRET)
    assert channel.payload(BATCH, now=NOW) == channel.payload(BATCH, now=NOW)
    later = channel.payload(BATCH, now=NOW + timedelta(seconds=1))
    assert later["sign"] != channel.payload(BATCH, now=NOW)["sign"]
