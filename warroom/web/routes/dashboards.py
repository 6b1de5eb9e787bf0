"""User-made dashboards over HTTP: pick panels of the team boards into a named dashboard, share its link.

  GET  /dashboards                 yours, and the form that makes one from the panel catalog
  POST /dashboards                 make one (form: name, panels=board/key repeated, query.board/key)
  GET  /dashboards/{id}            the dashboard: each panel drawn from the panel API by the board's renderer
  POST /dashboards/{id}/rename     the owner only (form: name)
  POST /dashboards/{id}/delete     the owner only
  GET  /api/v1/dashboards          yours, as JSON
  GET  /api/v1/dashboards/{id}     one, as JSON (any signed-in user with the link)

A link works for anyone signed in, and still obeys them: every panel comes from
/api/v1/boards/{board}/panels/{key} under the viewer's own policy, so a finance panel is refused to an ops
viewer in its slot ("not allowed") and row filters and masking apply as on the boards. Forms carry the CSRF
token; creating, renaming and deleting are audited (warroom.collab.dashboards).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warroom.collab import (
    PanelPick,
    create_dashboard,
    delete_dashboard,
    get_dashboard,
    list_dashboards,
    picks_of,
    rename_dashboard,
)
from warroom.collab.timerange import utc_text
from warroom.errors import UserError
from warroom.meta import User
from warroom.meta.dashboards import Dashboard
from warroom.web import catalog
from warroom.web.auth import MetaDep, PageUserDep, UserDep, check_csrf, principal_of
from warroom.web.boards import ALL
from warroom.web.boards.timerange import PARAMS, parse_range
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.pages import render
from warroom.web.runtime import Runtime

router = APIRouter()

TEXT: dict[str, dict[str, str]] = {
    "dashboards": {"zh": "我的看板", "en": "My dashboards"},
    "new_dashboard": {"zh": "新建看板", "en": "New dashboard"},
    "dashboard_name": {"zh": "看板名称", "en": "Dashboard name"},
    "pick_panels": {
        "zh": "从图表目录中选择面板（每个可设自己的筛选与时间范围）",
        "en": "Pick panels from the chart catalog (each with its own filters and range)",
    },
    "panel_query": {
        "zh": "筛选/范围，如 channel=live&range=1h",
        "en": "filters/range, e.g. channel=live&range=1h",
    },
    "create": {"zh": "创建", "en": "Create"},
    "rename": {"zh": "重命名", "en": "Rename"},
    "delete": {"zh": "删除", "en": "Delete"},
    "confirm_delete": {
        "zh": "删除此看板？分享出去的链接将失效。",
        "en": "Delete this dashboard? Shared links stop working.",
    },
    "share_link": {"zh": "分享链接", "en": "Share link"},
    "owner": {"zh": "创建人", "en": "Owner"},
    "panels_n": {"zh": "面板数", "en": "Panels"},
    "updated_at": {"zh": "更新于", "en": "Updated"},
    "none_yet": {
        "zh": "还没有看板：在下方从目录中挑选面板创建一个。",
        "en": "No dashboards yet: pick panels from the catalog below to make one.",
    },
    "not_allowed": {"zh": "无权查看", "en": "Not allowed"},
    "panel_failed": {"zh": "面板加载失败", "en": "This panel failed to load"},
    "all_filters": {"zh": "看板默认筛选与范围", "en": "the board's default filters and range"},
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _strings(lang: str) -> dict[str, str]:
    return {key: value[lang] for key, value in TEXT.items()}


def check_pick(pick: PanelPick, rt: Runtime, number: int) -> None:
    """The board and panel exist and the board takes the filters (and a valid range) the pick carries."""
    where = f"panel {number} ({pick.board}/{pick.panel})"
    entry = catalog.find(pick.board, pick.panel)
    if entry is None:
        known = ", ".join(f"{p.board}/{p.key}" for p in catalog.catalog())
        raise UserError(f"{where}: no such panel in the catalog; the panels are: {known}")
    board = ALL[pick.board]
    params = dict(pick.params())
    accepted = set(board.filters) | (set(PARAMS) if board.ranged else set())
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise UserError(
            f"{where}: board {board.name!r} has no filter {', '.join(unknown)}; "
            f"it accepts: {', '.join(sorted(accepted)) or 'none'}"
        )
    if board.ranged:
        try:
            parse_range(params, rt.settings.tz, rt.now(), board.default_range)
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None


def dashboard_json(d: Dashboard) -> dict:
    return {"id": d.id, "name": d.name, "owner": d.owner, "link": f"/dashboards/{d.id}", "panels": d.panels,
            "created_at": utc_text(d.created_at), "updated_at": utc_text(d.updated_at)}  # fmt: skip


def _may_see(entry: catalog.CatalogPanel, user: User) -> bool:
    return entry.needs is None or entry.needs in principal_of(user).allowed_sensitivities


def _list_page(
    request, rt: Runtime, lang: str, meta, user: User, status: int = 200, error: str | None = None,
    picked: dict[str, str] | None = None, typed_name: str = "",
):  # fmt: skip
    """The list and the form. ?add=board/key&query=... (a board panel's "+ dashboard" link) ticks that panel
    and fills in its filters; a form sent back with an error keeps what was ticked and typed (`picked`)."""
    entries = [e for e in catalog.catalog() if _may_see(e, user)]
    if picked is None:
        add = request.query_params.get("add")
        picked = {add: request.query_params.get("query", "")} if add else {}
    response = render(
        request, "dashboards.html", lang, user=user, timezone=rt.settings.timezone, tz=rt.settings.tz,
        d=_strings(lang), dashboards=list_dashboards(meta, owner=user.username), catalog=entries,
        boards={b.name: b.title[lang] for b in ALL.values()}, error=error, picked=picked,
        typed_name=typed_name,
    )  # fmt: skip
    response.status_code = status
    return response


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards_page(
    request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: PageUserDep
) -> Response:
    return _list_page(request, rt, lang, meta, user)


@router.post("/dashboards")
async def add_dashboard(
    request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: UserDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    try:
        picks = []
        for value in form.getlist("panels"):
            board, _, key = str(value).partition("/")
            picks.append(PanelPick(board, key, str(form.get(f"query.{value}") or "")))
        for number, pick in enumerate(picks, start=1):
            check_pick(pick, rt, number)
        dashboard = create_dashboard(
            meta, owner=user.username, name=str(form.get("name") or ""), panels=picks, ip=_ip(request)
        )
    except UserError as exc:
        meta.rollback()
        typed = {f"{p.board}/{p.panel}": p.query for p in picks}
        name = str(form.get("name") or "")
        return _list_page(request, rt, lang, meta, user, 400, str(exc), typed, name)
    return RedirectResponse(f"/dashboards/{dashboard.id}", status_code=303)


@router.get("/dashboards/{dashboard_id}", response_class=HTMLResponse)
def dashboard_page(
    dashboard_id: str, request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: PageUserDep
) -> Response:
    dashboard = get_dashboard(meta, dashboard_id=dashboard_id)
    picks = picks_of(dashboard)
    used = list(dict.fromkeys(p.board for p in picks if p.board in ALL))
    marks = {name: catalog.markup(name, lang) for name in used}
    texts: dict[str, str] = {}
    for name in used:  # the renderers read WARROOM_TEXT: every board's strings the page draws
        texts |= catalog.strings(ALL[name], lang)
    slots = [
        {"board": p.board, "panel": p.panel, "query": p.query, "board_title": ALL[p.board].title[lang],
         "html": marks[p.board].panels.get(p.panel, "")}
        for p in picks if p.board in ALL
    ]  # fmt: skip
    return render(
        request, "user_dashboard.html", lang, user=user, timezone=rt.settings.timezone, tz=rt.settings.tz,
        d=_strings(lang), dashboard=dashboard, slots=slots, heads=[marks[n].head for n in used],
        panel_text=texts | _strings(lang), owner=dashboard.owner == user.username,
    )  # fmt: skip


@router.post("/dashboards/{dashboard_id}/rename")
def rename(
    dashboard_id: str,
    request: Request,
    meta: MetaDep,
    user: UserDep,
    name: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    rename_dashboard(meta, dashboard_id=dashboard_id, name=name, actor=user.username, ip=_ip(request))
    return RedirectResponse(f"/dashboards/{dashboard_id}", status_code=303)


@router.post("/dashboards/{dashboard_id}/delete")
def delete(
    dashboard_id: str, request: Request, meta: MetaDep, user: UserDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    delete_dashboard(meta, dashboard_id=dashboard_id, actor=user.username, ip=_ip(request))
    return RedirectResponse("/dashboards", status_code=303)


@router.get("/api/v1/dashboards")
def my_dashboards(meta: MetaDep, user: UserDep) -> dict:
    return {"ok": True, "dashboards": [dashboard_json(d) for d in list_dashboards(meta, owner=user.username)]}


@router.get("/api/v1/dashboards/{dashboard_id}")
def one_dashboard(dashboard_id: str, meta: MetaDep, user: UserDep) -> dict:
    """A dashboard's panels, with the panel API URL each is drawn from (under the asker's own policy)."""
    dashboard = get_dashboard(meta, dashboard_id=dashboard_id)
    body = dashboard_json(dashboard)
    base = "/api/v1/boards/{board}/panels/{panel}"
    body["panels"] = [
        {**p, "url": base.format(**p) + (f"?{p['query']}" if p.get("query") else "")}
        for p in dashboard.panels
    ]
    return {"ok": True, "dashboard": body}
