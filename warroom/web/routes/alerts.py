"""Alerts: the JSON API, the alerts page (firing now, history, silences, delivery status) and its forms.

  GET  /api/v1/alerts             the caller's teams' open alerts, each with its delivery
  GET  /api/v1/alerts/overview    that plus the 24 h history, silences and the delivery log
  GET  /api/v1/alerts/live        the overview over server-sent events, computed once per team set
  GET  /alerts                    the page
  POST /alerts/ack                "I am on it": mutes the repeats of this firing episode
  POST /alerts/silences           silence matching alerts for a while
  POST /alerts/silences/{id}/end  end a silence now

A user's teams are their role when it is ops, finance or tech; admins have every team; other roles none.
Acks and silences take the room's clock (the replay's in the demo), so they line up with what the
evaluator sees. Every change is audited.
"""

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from warroom.access.audit import Action, audit
from warroom.alerts.overview import open_alerts, overview, teams_of
from warroom.alerts.rules import parse_duration
from warroom.alerts.scheduler import labels_key
from warroom.alerts.silences import parse_matcher
from warroom.errors import NotFound, UserError
from warroom.meta.alerts import AckRow, AlertStateRow, SilenceRow
from warroom.web.auth import MetaDep, OptionalUserDep, UserDep, check_csrf
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.boards import _sse
from warroom.web.routes.pages import render

router = APIRouter()

TEXT: dict[str, dict[str, str]] = {
    "alerts": {"zh": "告警", "en": "Alerts"},
    "firing_now": {"zh": "当前告警", "en": "Open now"},
    "none_open": {"zh": "没有未解决的告警", "en": "No open alerts"},
    "none_history": {"zh": "最近 24 小时没有告警", "en": "Nothing fired in the last 24 hours"},
    "none_silences": {"zh": "没有静默", "en": "No silences"},
    "none_deliveries": {"zh": "还没有投递", "en": "Nothing sent yet"},
    "no_team": {
        "zh": "你的角色不属于任何团队，看不到告警。",
        "en": "Your role belongs to no team: no alerts.",
    },
    "history": {"zh": "最近 24 小时", "en": "Last 24 hours"},
    "silences": {"zh": "静默", "en": "Silences"},
    "deliveries": {"zh": "投递状态", "en": "Delivery status"},
    "severity": {"zh": "级别", "en": "Severity"},
    "critical": {"zh": "严重", "en": "critical"},
    "warning": {"zh": "警告", "en": "warning"},
    "info": {"zh": "提示", "en": "info"},
    "rule": {"zh": "规则", "en": "Rule"},
    "labels": {"zh": "维度", "en": "Labels"},
    "team": {"zh": "团队", "en": "Team"},
    "status": {"zh": "状态", "en": "Status"},
    "since": {"zh": "开始", "en": "Since"},
    "summary": {"zh": "内容", "en": "Summary"},
    "delivery": {"zh": "投递", "en": "Delivery"},
    "ack": {"zh": "确认", "en": "Acknowledge"},
    "acked": {"zh": "已确认", "en": "acknowledged"},
    "claimed": {"zh": "已认领", "en": "claimed"},
    "acked_by": {"zh": "处理人", "en": "On it"},
    "comment": {"zh": "备注", "en": "Comment"},
    "matchers": {"zh": "匹配条件", "en": "Matchers"},
    "matchers_hint": {"zh": "如 channel=live, host=~search-.*", "en": "e.g. channel=live, host=~search-.*"},
    "duration": {"zh": "时长", "en": "For"},
    "until": {"zh": "直到", "en": "Until"},
    "by": {"zh": "创建人", "en": "By"},
    "add_silence": {"zh": "新建静默", "en": "New silence"},
    "end": {"zh": "结束", "en": "End"},
    "at": {"zh": "时间", "en": "At"},
    "kind": {"zh": "类型", "en": "Kind"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "attempts": {"zh": "次数", "en": "Tries"},
    "error": {"zh": "错误", "en": "Error"},
    "planned": {"zh": "计划中", "en": "planned"},
    "any_rule": {"zh": "任意规则", "en": "any rule"},
    "firing": {"zh": "告警中", "en": "firing"},
    "pending": {"zh": "待定", "en": "pending"},
    "resolved": {"zh": "已恢复", "en": "resolved"},
    "repeat": {"zh": "重复", "en": "repeat"},
    "escalation": {"zh": "升级", "en": "escalated"},
    "escalated_at": {"zh": "已升级", "en": "escalated"},
    "sent": {"zh": "已送达", "en": "sent"},
    "undelivered": {"zh": "未送达", "en": "undelivered"},
    "open": {"zh": "查看", "en": "Open"},
}


@router.get("/api/v1/alerts")
def alerts_api(user: UserDep, meta: MetaDep, lang: LangDep) -> dict:
    """In the page's language (as the overview), so a screen switched to English ticks in English."""
    teams = teams_of(user.role)
    return {"teams": list(teams), "alerts": open_alerts(meta, teams, lang)}


@router.get("/api/v1/alerts/overview")
def alerts_overview(user: UserDep, meta: MetaDep, rt: RuntimeDep, lang: LangDep) -> dict:
    return overview(meta, teams_of(user.role), rt.now(), lang)


@router.get("/api/v1/alerts/live")
async def alerts_live(
    request: Request, meta: MetaDep, user: UserDep, rt: RuntimeDep, lang: LangDep
) -> StreamingResponse:
    teams = teams_of(user.role)

    def compute() -> dict:
        with rt.meta() as session:
            return overview(session, teams, rt.now(), lang)

    return await _sse(rt.hub.subscribe(("alerts", teams, lang), compute), request, meta)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, rt: RuntimeDep, lang: LangDep, user: OptionalUserDep) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    strings = {key: value[lang] for key, value in TEXT.items()}
    return render(
        request, "alerts.html", lang, user=user, a=strings, teams=teams_of(user.role),
        timezone=rt.settings.timezone,
    )  # fmt: skip


class NotYourTeam(UserError):
    status_code = 403


def _member(user, team: str | None = None) -> None:
    teams = teams_of(user.role)
    if not teams or (team is not None and team not in teams):
        raise NotYourTeam(
            f"user {user.username!r} (role {user.role}) is not on the team that owns this alert"
        )


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/alerts/ack")
def ack_alert(
    request: Request,
    rt: RuntimeDep,
    meta: MetaDep,
    user: UserDep,
    rule_id: Annotated[str, Form()],
    labels_key_: Annotated[str, Form(alias="labels_key")] = "",
    comment: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    state = meta.query(AlertStateRow).filter_by(rule_id=rule_id, labels_key=labels_key_).one_or_none()
    if state is None:
        raise NotFound(f"no alert {rule_id} {labels_key_!r}: it may have resolved and been cleared")
    _member(user, state.team)
    key = tuple(sorted(state.labels.items()))
    meta.add(
        AckRow(
            rule_id=rule_id, labels_key=labels_key(key), labels=dict(key), at=rt.now().astimezone(UTC),
            by=user.username, comment=comment.strip(),
        )
    )  # fmt: skip
    audit(
        meta,
        actor=user.username,
        action=Action.ALERT_ACKED,
        target=f"{rule_id} {labels_key_}",
        ip=_ip(request),
    )
    meta.commit()
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/silences")
def add_silence(
    request: Request,
    rt: RuntimeDep,
    meta: MetaDep,
    user: UserDep,
    matchers: Annotated[str, Form()] = "",
    rule_id: Annotated[str, Form()] = "",
    duration: Annotated[str, Form()] = "1h",
    comment: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    _member(user)
    parsed = [parse_matcher(m) for m in matchers.split(",") if m.strip()]  # UserError names a bad one
    if not rule_id.strip() and not parsed:
        raise UserError("give a rule id or at least one label matcher; a silence of everything is refused")
    try:
        length = parse_duration(duration)
    except ValueError as exc:
        raise UserError(f"silence duration {duration!r}: {exc}") from None
    now = rt.now().astimezone(UTC)
    row = SilenceRow(
        rule_id=rule_id.strip() or None, matchers=[f"{m.name}{m.op}{m.value}" for m in parsed], starts_at=now,
        ends_at=now + length, created_by=user.username, comment=comment.strip(), created_at=now,
    )  # fmt: skip
    meta.add(row)
    meta.flush()
    detail = {"rule_id": row.rule_id, "matchers": row.matchers, "ends_at": row.ends_at.isoformat()}
    audit(
        meta,
        actor=user.username,
        action=Action.SILENCE_CREATED,
        target=str(row.id),
        ip=_ip(request),
        detail=detail,
    )
    meta.commit()
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/silences/{silence_id}/end")
def end_silence(
    silence_id: int,
    request: Request,
    rt: RuntimeDep,
    meta: MetaDep,
    user: UserDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    _member(user)
    row = meta.get(SilenceRow, silence_id)
    if row is None:
        raise NotFound(f"no silence {silence_id}")
    now = rt.now().astimezone(UTC)
    starts = row.starts_at if row.starts_at.tzinfo else row.starts_at.replace(tzinfo=UTC)  # SQLite: naive UTC
    row.ends_at = max(now, starts)
    audit(meta, actor=user.username, action=Action.SILENCE_ENDED, target=str(silence_id), ip=_ip(request))
    meta.commit()
    return RedirectResponse("/alerts", status_code=303)
