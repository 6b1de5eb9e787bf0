"""Comments and annotations on a board over HTTP: GET lists them, POST adds one (JSON or a form).

A POST from a browser session must carry the CSRF token (form field `csrf` or header X-CSRF-Token, the
value the page holds); a POST with `Authorization: Bearer <token>` needs none, since no cookie is involved.
"""

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from warroom.alerts.overview import teams_of
from warroom.alerts.rules import builtin_rules
from warroom.collab import list_annotations, list_comments, post_annotation, post_comment
from warroom.collab.auto_annotations import alert_marks, in_window, promotion_marks
from warroom.collab.mentions import write_mentions
from warroom.collab.timerange import utc_text
from warroom.errors import NotFound, UserError
from warroom.meta.alerts import AlertStateRow
from warroom.meta.collab import Annotation, Comment
from warroom.web.auth import MetaDep, UserDep, check_csrf
from warroom.web.boards import ALL
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.runtime import Runtime

router = APIRouter(prefix="/api/v1/boards/{name}")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    panel: str
    text: str
    time_from: datetime | None = None
    time_to: datetime | None = None
    parent_id: int | None = None


class AnnotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    time_from: datetime
    time_to: datetime | None = None


async def submitted(request: Request) -> dict[str, Any]:
    """The POST body as a dict, from JSON or a form; blank form fields are absent fields."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise UserError("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise UserError("the request body must be a JSON object")
        return body
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and v != ""}


BodyDep = Annotated[dict[str, Any], Depends(submitted)]


def _check_write(request: Request, body: dict[str, Any]) -> None:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # token auth (already verified): a cross-site page cannot set this header
    check_csrf(request, request.headers.get("x-csrf-token") or body.get("csrf"))


Model = TypeVar("Model", bound=BaseModel)


def _parse(model: type[Model], body: dict[str, Any]) -> Model:
    body.pop("csrf", None)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise UserError(f"{model.__name__.removesuffix('In').lower()}: {problems}") from None


def _board(name: str) -> str:
    if name not in ALL:
        raise NotFound(f"no board {name!r}; the boards are: {', '.join(ALL)}")
    return name


def comment_json(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "board": c.board,
        "panel": c.panel,
        "time_from": utc_text(c.time_from),
        "time_to": utc_text(c.time_to),
        "parent_id": c.parent_id,
        "author": c.author,
        "text": c.text,
        "created_at": utc_text(c.created_at),
    }


def annotation_json(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "board": a.board,
        "time_from": utc_text(a.time_from),
        "time_to": utc_text(a.time_to),
        "label": a.label,
        "author": a.author,
        "created_at": utc_text(a.created_at),
    }


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/comments")
def comments(
    name: str,
    meta: MetaDep,
    user: UserDep,
    panel: str | None = None,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
) -> dict:
    """The board's comments, newest first (one panel's with ?panel=; a time window with time_from/time_to)."""
    found = list_comments(meta, board=_board(name), panel=panel, time_from=time_from, time_to=time_to)
    return {"ok": True, "comments": [comment_json(c) for c in found]}


def team_channels(rt: Runtime) -> dict[str, tuple[str, ...]]:
    """Each team's alert channels: every channel its rules send to (the running scheduler's rules)."""
    rules = rt.alerts.rules if rt.alerts is not None else builtin_rules()
    found: dict[str, set[str]] = {}
    for rule in rules:
        found.setdefault(rule.team, set()).update(rule.channels)
    return {team: tuple(sorted(channels)) for team, channels in found.items()}


@router.post("/comments", status_code=201)
def add_comment(
    name: str, request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep, body: BodyDep
) -> dict:
    """Comment on a panel: {panel, text, time_from?, time_to?, parent_id?}; audited. @ops, @finance, @tech
    (or @运营, @财务, @技术) in the text notify that team on its alert channels."""
    _check_write(request, body)
    data = _parse(CommentIn, body)
    board = ALL[_board(name)]

    def notify(comment: Comment, now: datetime) -> list:
        return write_mentions(
            meta, comment, channels=team_channels(rt), link=board.path, board_title=board.title, now=now
        )

    comment = post_comment(
        meta, board=board.name, author=user.username, ip=_ip(request), notify=notify, **data.model_dump()
    )
    return {"ok": True, "comment": comment_json(comment)}


@router.get("/annotations")
def annotations(
    name: str,
    rt: RuntimeDep,
    meta: MetaDep,
    user: UserDep,
    lang: LangDep,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
) -> dict:
    """The board's annotations falling in the window, in time order: those people wrote, and the automatic
    ones (auto: "promotion" for each promotion's start and end, "alert" for the viewer's teams' alerts)."""
    board = _board(name)
    found = [
        annotation_json(a) for a in list_annotations(meta, board=board, time_from=time_from, time_to=time_to)
    ]
    promos = rt.warehouse.read(
        "SELECT promo_id, name, starts_at, ends_at FROM promotions ORDER BY starts_at, promo_id"
    ).to_pylist()
    teams = teams_of(user.role)
    states = meta.scalars(select(AlertStateRow).where(AlertStateRow.team.in_(teams))) if teams else []
    auto = promotion_marks(promos, board=board, lang=lang) + alert_marks(states, board=board, lang=lang)
    found += [m for m in auto if in_window(m, time_from, time_to)]
    return {"ok": True, "annotations": sorted(found, key=lambda a: (a["time_from"], a["label"]))}


@router.post("/annotations", status_code=201)
def add_annotation(name: str, request: Request, meta: MetaDep, user: UserDep, body: BodyDep) -> dict:
    """Mark a point or range of the board's time axis: {label, time_from, time_to?}; audited."""
    _check_write(request, body)
    data = _parse(AnnotationIn, body)
    annotation = post_annotation(
        meta, board=_board(name), author=user.username, ip=_ip(request), **data.model_dump()
    )
    return {"ok": True, "annotation": annotation_json(annotation)}
