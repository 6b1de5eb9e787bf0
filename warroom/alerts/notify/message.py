"""A batch rendered into words, in Chinese or English: a title, a markdown body and a plain-text body.

Each channel wraps this in its own payload; all show the same words.
"""

from dataclasses import dataclass

from warroom.alerts.notification import Batch, Notification

# One message lists at most this many alerts, then "and N more": a screenful on a phone, and the
# whole message stays far below WeCom's 4096-byte markdown limit with the summaries we write (~150 bytes).
MAX_ITEMS = 20

_SEVERITY = {"zh": {"critical": "严重", "warning": "警告", "info": "提示"}}
_TEAM = {"zh": {"ops": "运营", "finance": "财务", "tech": "技术"}}
_ACTION = {
    "zh": {"ack": "确认", "claim": "认领", "resolve": "已解决"},
    "en": {"ack": "ack", "claim": "claim", "resolve": "resolve"},
}
_KIND = {
    "zh": {"firing": "告警", "repeat": "持续", "resolved": "恢复", "escalation": "升级:无人确认"},
    "en": {
        "firing": "FIRING",
        "repeat": "STILL FIRING",
        "resolved": "RESOLVED",
        "escalation": "ESCALATED: unacknowledged",
    },
}


@dataclass(frozen=True)
class Message:
    title: str
    markdown: str  # "### title", then one "- **[tag]** summary [link](url)" line per alert
    body: str  # the markdown without its title line, for channels that show the title apart
    text: str
    link: str  # the first alert's dashboard link (absolute), for channels with one button


def render_batch(batch: Batch, lang: str = "zh", base_url: str = "") -> Message:
    notes = batch.notifications
    firing = sum(n.kind != "resolved" for n in notes)
    resolved = len(notes) - firing
    worst = batch.worst_severity
    if lang == "zh":
        title = f"【{_SEVERITY['zh'][worst]}】{_TEAM['zh'][batch.team]}:{firing} 条告警"
        title += f",{resolved} 条恢复" if resolved else ""
        more, open_link = "…另有 {} 条", "看板"
    else:
        title = f"[{worst.upper()}] {batch.team}: {firing} firing" + (
            f", {resolved} resolved" if resolved else ""
        )
        more, open_link = "… and {} more", "dashboard"
    shown, hidden = notes[:MAX_ITEMS], len(notes) - MAX_ITEMS
    md_lines, text_lines = [], [title, ""]
    for n in shown:
        tag = _KIND[lang if lang == "zh" else "en"][n.kind]
        link = _absolute(n.link, base_url)
        actions = [(_ACTION[lang][a], _absolute(path, base_url)) for a, path in n.actions]
        md_lines.append(
            f"- **[{tag}]** {n.summary(lang)}"
            + (f" [{open_link}]({link})" if link else "")
            + "".join(f" · [{word}]({url})" for word, url in actions)
        )
        text_lines.append(f"[{tag}] {n.summary(lang)}" + (f" {link}" if link else ""))
        text_lines.extend(f"    {word}: {url}" for word, url in actions)
    if hidden > 0:
        md_lines.append(f"- {more.format(hidden)}")
        text_lines.append(more.format(hidden))
    first_link = _absolute(notes[0].link, base_url) if notes else ""
    body = "\n".join(md_lines)
    return Message(title, f"### {title}\n\n{body}", body, "\n".join(text_lines), first_link)


def _absolute(link: str, base_url: str) -> str:
    if not link or "://" in link or not base_url:
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def fit(text: str, max_bytes: int) -> str:
    """Cut text to at most max_bytes of UTF-8 without splitting a character, marking the cut with "…"."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"


def alert_json(n: Notification, lang: str, base_url: str = "") -> dict:
    """One alert as the generic webhook sends it; `actions` maps ack / claim / resolve to their links."""
    return {
        "rule_id": n.rule_id,
        "labels": dict(n.labels),
        "kind": n.kind,
        "status": n.status,
        "severity": n.severity,
        "team": n.team,
        "value": n.value,
        "at": n.at.isoformat(),
        "fired_at": n.fired_at.isoformat(),
        "summary": n.summary(lang),
        "link": n.link,
        "key": n.key,
        "actions": {action: _absolute(path, base_url) for action, path in n.actions},
    }
