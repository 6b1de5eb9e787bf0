"""@team mentions in comments: "@ops 看一下零点的退款" tells the ops team through its alert channels.

A mention becomes one row per channel in the alert outbox (warroom/alerts' sender drains it with retries
and records each delivery, as for alerts), written in the comment's own transaction: a comment is never
saved without its notifications, nor a notification sent for a comment that was not. Which channels a
team has is the alert rule pack's (every channel its rules send to); the caller passes that mapping.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.alerts.notification import Notification
from warroom.alerts.scheduler import note_to_json
from warroom.meta.alerts import OutboxRow
from warroom.meta.collab import Comment

# The teams as people write them, in English and Chinese; a mention is @ followed by one, not inside a Latin
# word or an e-mail address (x@ops.example.com is no mention). Chinese runs on without spaces ("请@运营看一下"),
# so only Latin letters, digits, "_" and "." around it break a mention.
TEAM_NAMES = {
    "ops": "ops",
    "运营": "ops",
    "finance": "finance",
    "财务": "finance",
    "tech": "tech",
    "技术": "tech",
}
MENTION = re.compile(
    r"(?<![A-Za-z0-9_.@])@(" + "|".join(sorted(TEAM_NAMES, key=len, reverse=True)) + r")(?![A-Za-z0-9_.])",
    re.IGNORECASE,
)
RULE_ID = "comment_mention"  # what a mention's outbox rows carry as their rule, to tell them from alerts
QUOTE = 120  # characters of the comment quoted in the message: a chat line, the link has the rest


def mentioned_teams(text: str) -> list[str]:
    """The teams a text mentions, each once, in the order first mentioned."""
    return list(dict.fromkeys(TEAM_NAMES[m.lower() if m.isascii() else m] for m in MENTION.findall(text)))


def write_mentions(
    session: Session,
    comment: Comment,
    *,
    channels: Mapping[str, Sequence[str]],
    link: str,
    board_title: Mapping[str, str],
    now: datetime,
) -> list[OutboxRow]:
    """Outbox rows for the teams `comment` mentions, added to the session (the caller commits).

    channels: team -> its channels; a team without any gets none (the comment is kept all the same)."""
    quote = comment.text if len(comment.text) <= QUOTE else comment.text[: QUOTE - 1] + "…"
    rows = []
    for team in mentioned_teams(comment.text):
        team_channels = tuple(channels.get(team, ()))
        note = Notification(
            rule_id=RULE_ID, labels=(("comment_id", str(comment.id)),), kind="firing", at=now, fired_at=now,
            value=None, severity="info", team=team, channels=team_channels,
            summary_zh=f"{comment.author} 在「{board_title['zh']} / {comment.panel}」的评论中提到了 @{team}：{quote}",
            summary_en=f"{comment.author} mentioned @{team} on {board_title['en']} / {comment.panel}: {quote}",
            link=link,
        )  # fmt: skip
        for channel in team_channels:
            row = OutboxRow(
                key=f"{note.key}|{channel}", rule_id=RULE_ID, labels_key=f"comment_id={comment.id}", team=team,
                channel=channel, kind=note.kind, payload=note_to_json(note), created_at=now, attempts=0,
                next_attempt_at=now, status="pending", last_error=None, sent_at=None,
            )  # fmt: skip
            session.add(row)
            rows.append(row)
    return rows
