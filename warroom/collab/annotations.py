"""Annotations: a labelled point or range on a board's time axis ("20:00 flash sale starts"), drawn on the
board's time charts that cover it. Audited and committed with their audit entry."""

from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from warroom.access.audit import audit
from warroom.collab.actions import CollabAction
from warroom.collab.comments import check_key, check_text
from warroom.collab.timerange import check_time_range, check_window, overlaps, utc_text
from warroom.errors import UserError
from warroom.meta.collab import Annotation

# Drawn on a chart beside the line: a label longer than this is unreadable there (and the column holds 200).
MAX_LABEL = 200


def post_annotation(
    session: Session,
    *,
    board: str,
    label: str,
    time_from: datetime,
    author: str,
    time_to: datetime | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> Annotation:
    check_key(board, "board")
    text = check_text(label, "the annotation's label", MAX_LABEL)
    if time_from is None:
        raise UserError("an annotation needs time_from: the point (or the start of the range) it marks")
    check_time_range(time_from, time_to, "annotation")
    now = now or datetime.now(UTC)
    annotation = Annotation(
        board=board, time_from=time_from, time_to=time_to, label=text, author=author, created_at=now
    )
    session.add(annotation)
    session.flush()  # assigns annotation.id for the audit entry
    audit(
        session,
        actor=author,
        action=CollabAction.ANNOTATION_POSTED,  # type: ignore[arg-type]  (a StrEnum stored as text, like Action)
        target=f"board:{board}",
        detail={
            "annotation_id": annotation.id,
            "label": text,
            "time_from": utc_text(time_from),
            "time_to": utc_text(time_to),
        },
        ip=ip,
        now=now,
    )
    session.commit()
    return annotation


def list_annotations(
    session: Session,
    *,
    board: str,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    limit: int = 500,
) -> list[Annotation]:
    """A board's annotations whose point or range falls in the window, in time order."""
    check_window(time_from, time_to)
    query = select(Annotation).where(Annotation.board == board)
    window = overlaps(Annotation.time_from, Annotation.time_to, time_from, time_to)
    if window:
        query = query.where(and_(*window))
    return list(session.scalars(query.order_by(Annotation.time_from, Annotation.id).limit(limit)))
