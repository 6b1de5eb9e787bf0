"""Comments on a board panel, anchored to a point or range of its time axis, with one level of replies.

Every comment is audited and committed with its audit entry, like the access services. Which boards exist is
the web layer's to check (boards are found there); here a board and a panel are names of a fixed shape.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from warroom.access.audit import audit
from warroom.collab.actions import CollabAction
from warroom.collab.timerange import check_time_range, check_window, overlaps, utc_text
from warroom.errors import NotFound, UserError
from warroom.meta.collab import Comment

KEY = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
# A war-room note, not an essay: long texts belong in the review report. Also bounds what a page loads.
MAX_TEXT = 2000


def check_key(value: str, what: str) -> str:
    if not KEY.match(value):
        raise UserError(f"{what} {value!r}: use 1-64 characters a-z, 0-9, '_' or '-', starting with a letter")
    return value


def check_text(text: str, what: str, limit: int) -> str:
    clean = text.strip()
    if not clean:
        raise UserError(f"{what} is empty: write what you want the room to know")
    if len(clean) > limit:
        raise UserError(f"{what} has {len(clean)} characters; at most {limit} are kept, shorten it")
    return clean


def post_comment(
    session: Session,
    *,
    board: str,
    panel: str,
    text: str,
    author: str,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    parent_id: int | None = None,
    ip: str | None = None,
    now: datetime | None = None,
    notify: Callable[[Comment, datetime], list] | None = None,
) -> Comment:
    """A new comment (or a reply to `parent_id`, which must be a top-level comment on the same panel).

    notify(comment, now), if given, adds what the comment should set off (its @team mentions' outbox rows,
    warroom.collab.mentions) to the same transaction; the audit entry counts them."""
    check_key(board, "board")
    check_key(panel, "panel")
    body = check_text(text, "the comment", MAX_TEXT)
    check_time_range(time_from, time_to, "comment")
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or (parent.board, parent.panel) != (board, panel):
            raise NotFound(f"no comment {parent_id} on board {board!r} panel {panel!r} to reply to")
        if parent.parent_id is not None:
            raise UserError(
                f"comment {parent_id} is itself a reply; reply to comment {parent.parent_id}, "
                "which starts the thread"
            )
    now = now or datetime.now(UTC)
    comment = Comment(
        board=board,
        panel=panel,
        time_from=time_from,
        time_to=time_to,
        parent_id=parent_id,
        author=author,
        text=body,
        created_at=now,
    )
    session.add(comment)
    session.flush()  # assigns comment.id for the audit entry
    notified = notify(comment, now) if notify is not None else []
    audit(
        session,
        actor=author,
        action=CollabAction.COMMENT_POSTED,  # type: ignore[arg-type]  (a StrEnum stored as text, like Action)
        target=f"board:{board}/{panel}",
        detail={
            "comment_id": comment.id,
            "parent_id": parent_id,
            "time_from": utc_text(time_from),
            "time_to": utc_text(time_to),
            "chars": len(body),
        }
        | ({"notified": sorted({f"{r.team}:{r.channel}" for r in notified})} if notified else {}),
        ip=ip,
        now=now,
    )
    session.commit()
    return comment


def list_comments(
    session: Session,
    *,
    board: str,
    panel: str | None = None,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    limit: int = 200,
) -> list[Comment]:
    """A board's comments, newest first: one panel's or all; with a window, those whose time falls in it
    plus those about the panel as a whole (no time), which hold whatever the window."""
    check_window(time_from, time_to)
    query = select(Comment).where(Comment.board == board)
    if panel is not None:
        query = query.where(Comment.panel == panel)
    window = overlaps(Comment.time_from, Comment.time_to, time_from, time_to)
    if window:
        query = query.where(or_(Comment.time_from.is_(None), and_(*window)))
    return list(session.scalars(query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
