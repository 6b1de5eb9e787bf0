"""The signed action links in alert notifications (warroom.alerts.links), reached without a login:

  GET  /alerts/link/{token}   a small page naming the alert and the action, with one button (a POST):
                              link previews, mail scanners and chat unfurlers fetch GET, and must not act
  POST /alerts/link/{token}   do it: ack, claim or resolve that alert episode, once; audited

A link that was altered answers 400, an expired one 410, a used one 409, one whose alert has moved on 410,
each with a page saying so (and the refusal audited). The POST carries no CSRF token: it needs none, the
token in the URL is the permission and is not in any cookie a forged request could ride on.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from warroom.access.audit import Action, audit
from warroom.alerts.links import LinkError, digest, verify
from warroom.alerts.ownership import act, outbox_row, target_of
from warroom.errors import UserError
from warroom.meta.alerts import LinkUseRow
from warroom.web.auth import MetaDep
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.pages import templates

router = APIRouter()

TEXT: dict[str, dict[str, str]] = {
    "ack": {"zh": "确认告警", "en": "Acknowledge the alert"},
    "claim": {"zh": "认领告警", "en": "Claim the alert"},
    "resolve": {"zh": "标记为已解决", "en": "Mark the alert resolved"},
    "done_ack": {"zh": "已确认,重复通知已停止。", "en": "Acknowledged: its repeats are muted."},
    "done_claim": {"zh": "已认领,重复通知已停止。", "en": "Claimed: its repeats are muted."},
    "done_resolve": {
        "zh": "已标记为已解决;若数据仍超限,将作为新告警再次通知。",
        "en": "Marked resolved; if the data still trips the rule, it fires again as a new alert.",
    },
    "channel": {"zh": "来自渠道", "en": "Sent on"},
    "refused": {"zh": "链接无法使用", "en": "This link cannot be used"},
    "open_alerts": {"zh": "打开告警页", "en": "Open the alerts page"},
}
TokenPath = Annotated[str, Path(max_length=200)]


def _page(request: Request, lang: str, status: int, **context) -> HTMLResponse:
    strings = {key: value[lang] for key, value in TEXT.items()}
    return templates.TemplateResponse(
        request, "alert_link.html", {"lang": lang, "s": strings, **context}, status_code=status
    )


def _refused(request: Request, meta, lang: str, token: str, exc: UserError) -> HTMLResponse:
    reason = getattr(exc, "reason", type(exc).__name__)
    audit(
        meta, actor="link", action=Action.ALERT_LINK_REFUSED, target=f"link {digest(token)[:16]}",
        ip=request.client.host if request.client else None, detail={"reason": reason, "error": str(exc)},
    )  # fmt: skip
    meta.commit()
    return _page(request, lang, exc.status_code, error=str(exc))


def _check(meta, rt, token: str, lang: str):
    """The link's claims, the outbox row it names and the alert episode; LinkError or EpisodeOver if not."""
    claims = verify(rt.link_secret(), token, rt.now())
    if meta.scalar(select(LinkUseRow.id).where(LinkUseRow.digest == digest(token))) is not None:
        raise LinkError("used", "this link has been used already: each link acts once", 409)
    row = outbox_row(meta, claims.outbox_id)
    target, state = target_of(meta, row, lang)
    return claims, row, target, state


@router.get("/alerts/link/{token}", response_class=HTMLResponse)
def confirm_link(token: TokenPath, request: Request, rt: RuntimeDep, meta: MetaDep, lang: LangDep):
    try:
        claims, row, target, _ = _check(meta, rt, token, lang)
    except UserError as exc:
        return _refused(request, meta, lang, token, exc)
    return _page(request, lang, 200, action=claims.action, target=target, channel=row.channel, token=token)


@router.post("/alerts/link/{token}", response_class=HTMLResponse)
def use_link(token: TokenPath, request: Request, rt: RuntimeDep, meta: MetaDep, lang: LangDep):
    try:
        claims, row, target, state = _check(meta, rt, token, lang)
    except UserError as exc:
        return _refused(request, meta, lang, token, exc)
    now, by = rt.now(), f"link:{row.channel}"  # who clicked is not known; which message it came from is
    ip = request.client.host if request.client else None
    meta.add(LinkUseRow(digest=digest(token), outbox_id=row.id, action=claims.action, used_at=now, ip=ip))
    try:
        meta.flush()  # the unique digest: of two racing clicks, one acts
    except IntegrityError:
        meta.rollback()
        return _refused(request, meta, lang, token, LinkError("used", "this link has been used already", 409))
    act(meta, state, claims.action, by=by, now=now, comment=f"from the {row.channel} message")
    action = {"ack": Action.ALERT_ACKED, "claim": Action.ALERT_CLAIMED, "resolve": Action.ALERT_RESOLVED}
    audit(
        meta, actor=by, action=action[claims.action], target=f"{target.rule_id} {target.labels_key}", ip=ip,
        detail={"outbox_id": row.id, "fired_at": target.fired_at.isoformat()},
    )  # fmt: skip
    meta.commit()
    return _page(request, lang, 200, done=claims.action, target=target, channel=row.channel)
