"""Admin pages: users (add, change role, disable/enable), roles (built-in and custom with row filters),
API tokens (create, shown once; revoke); the audit log page is admin_audit.py. Admins only: anyone else gets
403; every form carries the CSRF token; every change is audited by the access service that makes it.

Forms post back and redirect to their page (so a reload does not post twice); a form the service refuses
shows its page again with the message, status 400.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from warroom.access import (
    LANGUAGES,
    SCOPES,
    SENSITIVITIES,
    create_role,
    create_token,
    create_user,
    disable_user,
    enable_user,
    grant_role,
    list_roles,
    list_tokens,
    list_users,
    parse_expiry,
    revoke_token,
)
from warroom.errors import UserError
from warroom.meta import User
from warroom.metrics import load_catalog
from warroom.web.auth import LoginRequired, MetaDep, NotLoggedIn, caller, check_csrf
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.pages import render

router = APIRouter(prefix="/admin")

TEXT: dict[str, dict[str, str]] = {
    "admin": {"zh": "管理", "en": "Admin"},
    "users": {"zh": "用户", "en": "Users"},
    "roles": {"zh": "角色", "en": "Roles"},
    "tokens": {"zh": "API 令牌", "en": "API tokens"},
    "audit": {"zh": "审计日志", "en": "Audit log"},
    "username": {"zh": "用户名", "en": "Username"},
    "display_name": {"zh": "显示名", "en": "Display name"},
    "password": {"zh": "初始密码", "en": "Initial password"},
    "role": {"zh": "角色", "en": "Role"},
    "language": {"zh": "语言", "en": "Language"},
    "status": {"zh": "状态", "en": "Status"},
    "active": {"zh": "正常", "en": "Active"},
    "disabled": {"zh": "已停用", "en": "Disabled"},
    "created": {"zh": "创建时间", "en": "Created"},
    "add_user": {"zh": "添加用户", "en": "Add user"},
    "change_role": {"zh": "改角色", "en": "Change role"},
    "disable": {"zh": "停用", "en": "Disable"},
    "enable": {"zh": "启用", "en": "Enable"},
    "name": {"zh": "名称", "en": "Name"},
    "description": {"zh": "说明", "en": "Description"},
    "sensitivities": {"zh": "可见指标级别", "en": "Metric levels visible"},
    "row_filters": {"zh": "行过滤", "en": "Row filters"},
    "row_filters_hint": {
        "zh": "每行一个维度：维度: 值1, 值2 （如 category_l1: 女装）",
        "en": "One dimension per line: dimension: value1, value2 (e.g. category_l1: 女装)",
    },
    "unmasked_pii": {"zh": "显示未脱敏个人信息", "en": "Sees PII unmasked"},
    "builtin": {"zh": "内置", "en": "Built-in"},
    "custom": {"zh": "自定义", "en": "Custom"},
    "all_rows": {"zh": "全部行", "en": "All rows"},
    "yes": {"zh": "是", "en": "Yes"},
    "no": {"zh": "否", "en": "No"},
    "add_role": {"zh": "新建角色", "en": "New role"},
    "owner": {"zh": "所属用户", "en": "Owner"},
    "scopes": {"zh": "权限范围", "en": "Scopes"},
    "last_used": {"zh": "最近使用", "en": "Last used"},
    "revoked": {"zh": "已吊销", "en": "Revoked"},
    "expires": {"zh": "有效期至", "en": "Expires"},
    "expires_in": {
        "zh": "有效期（如 90d、12h；留空为永久）",
        "en": "Valid for (e.g. 90d, 12h; blank: never expires)",
    },
    "expired": {"zh": "已过期", "en": "Expired"},
    "revoke": {"zh": "吊销", "en": "Revoke"},
    "create_token": {"zh": "创建令牌", "en": "Create token"},
    "token_once": {
        "zh": "新令牌如下，只显示这一次：请立即复制保存。",
        "en": "The new token, shown this once only: copy it now.",
    },
    "time": {"zh": "时间", "en": "Time"},
    "actor": {"zh": "操作人", "en": "Actor"},
    "action": {"zh": "动作", "en": "Action"},
    "target": {"zh": "对象", "en": "Target"},
    "detail": {"zh": "详情", "en": "Detail"},
    "ip": {"zh": "IP", "en": "IP"},
    "all_actions": {"zh": "全部动作", "en": "All actions"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "never": {"zh": "从未", "en": "Never"},
    "you": {"zh": "你自己", "en": "You"},
    "confirm_disable": {
        "zh": "停用后该用户立即退出登录，其令牌失效。确定？",
        "en": "Disabling logs the user out and stops their tokens at once. Continue?",
    },
    "confirm_revoke": {
        "zh": "吊销后使用该令牌的脚本立即失效。确定？",
        "en": "Scripts using this token stop working at once. Continue?",
    },
}


class NotAdmin(UserError):
    status_code = 403


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def admin_or_none(request: Request, meta: MetaDep) -> User | None:
    """The admin asking; None when nobody is logged in; 403 for anyone else.

    A bearer token must carry the admin scope itself: an admin's read-only script token manages nothing."""
    user = caller(request, meta, scope="admin")
    if user is None:
        return None
    if user.role != "admin":
        raise NotAdmin(f"user {user.username!r} (role {user.role}) may not use the admin pages; ask an admin")
    return user


AdminOrNone = Annotated[User | None, Depends(admin_or_none)]


def admin_page_user(user: AdminOrNone) -> User:
    if user is None:
        raise LoginRequired
    return user


AdminPage = Annotated[User, Depends(admin_page_user)]  # an admin page: nobody logged in goes to /login


def _admin(user: User | None) -> User:
    if user is None:
        raise NotLoggedIn("log in as an admin first: POST /login, or send 'Authorization: Bearer <token>'")
    return user


def admin_page(
    request: Request, rt, lang: str, name: str, user: User, status: int = 200, **context
) -> Response:
    strings = {key: value[lang] for key, value in TEXT.items()}
    response = render(
        request, f"admin_{name}.html", lang, a=strings, section=name, user=user,
        timezone=rt.settings.timezone, tz=rt.settings.tz, **context,
    )  # fmt: skip
    response.status_code = status
    return response


def _back(name: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/{name}", status_code=303)


# ---- users


def _users_page(
    request, rt, lang, meta: Session, user: User, status: int = 200, error: str | None = None,
    form: dict | None = None,
):  # fmt: skip
    return admin_page(
        request, rt, lang, "users", user, status, error=error, users=list_users(meta),
        roles=list_roles(meta), languages=LANGUAGES, form=form or {},
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def admin_home(user: AdminPage) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: AdminPage) -> Response:
    return _users_page(request, rt, lang, meta, user)


@router.post("/users")
def add_user(
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "zh",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    admin = _admin(user)
    check_csrf(request, csrf)
    try:
        create_user(
            meta, username=username, password=password, role=role, display_name=display_name.strip() or None,
            language=language, actor=admin.username, ip=_ip(request),
        )  # fmt: skip
    except UserError as exc:
        meta.rollback()
        typed = {"username": username, "display_name": display_name, "role": role, "language": language}
        return _users_page(request, rt, lang, meta, admin, 400, str(exc), typed)
    return _back("users")


@router.post("/users/{username}/role")
def change_role(
    username: str,
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    role: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    admin = _admin(user)
    check_csrf(request, csrf)
    try:
        if username == admin.username and role != "admin":
            raise UserError("you cannot take the admin role from yourself: ask another admin to do it")
        grant_role(meta, username=username, role=role, actor=admin.username, ip=_ip(request))
    except UserError as exc:
        meta.rollback()
        return _users_page(request, rt, lang, meta, admin, exc.status_code, str(exc))
    return _back("users")


@router.post("/users/{username}/{change}")
def set_enabled(
    username: str,
    change: str,
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """POST /admin/users/<name>/disable or /enable."""
    admin = _admin(user)
    check_csrf(request, csrf)
    actions = {"disable": disable_user, "enable": enable_user}
    try:
        if change not in actions:
            raise UserError(f"unknown change {change!r}: use /disable or /enable")
        if username == admin.username and change == "disable":
            raise UserError("you cannot disable your own account: ask another admin to do it")
        actions[change](meta, username=username, actor=admin.username, ip=_ip(request))
    except UserError as exc:
        meta.rollback()
        return _users_page(request, rt, lang, meta, admin, exc.status_code, str(exc))
    return _back("users")


# ---- roles


def parse_row_filters(text: str) -> dict[str, list[str]]:
    """'category_l1: 女装, 男装' lines -> {"category_l1": ["女装", "男装"]}; dimensions checked against the
    metric catalog, since a row filter on an unknown dimension would refuse every query the role makes."""
    catalog = load_catalog()
    filters: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        dimension, sep, values = line.partition(":")
        dimension = dimension.strip()
        if not sep:
            raise UserError(f"row filters line {number} {line.strip()!r}: write dimension: value1, value2")
        if catalog.dimension(dimension) is None:
            raise UserError(
                f"row filters line {number}: unknown dimension {dimension!r}; "
                f"the dimensions are {', '.join(catalog.dimensions)}"
            )
        if dimension in filters:
            raise UserError(
                f"row filters line {number}: {dimension!r} appears twice; put its values on one line"
            )
        filters[dimension] = [v.strip() for v in values.replace("，", ",").split(",") if v.strip()]
    return filters


def _roles_page(
    request, rt, lang, meta: Session, user: User, status: int = 200, error: str | None = None,
    form: dict | None = None,
):  # fmt: skip
    return admin_page(
        request, rt, lang, "roles", user, status, error=error, roles=list_roles(meta),
        sensitivities=SENSITIVITIES, form=form or {"sensitivities": ["public"]},
    )  # fmt: skip


@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: AdminPage) -> Response:
    return _roles_page(request, rt, lang, meta, user)


@router.post("/roles")
def add_role(
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    sensitivities: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI copies form defaults)
    row_filters: Annotated[str, Form()] = "",
    unmasked_pii: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    admin = _admin(user)
    check_csrf(request, csrf)
    try:
        create_role(
            meta, name=name.strip(), description=description.strip(), allowed_sensitivities=sensitivities,
            row_filters=parse_row_filters(row_filters), unmasked_pii=unmasked_pii, actor=admin.username,
        )  # fmt: skip
    except UserError as exc:
        meta.rollback()
        typed = {"name": name, "description": description, "sensitivities": sensitivities,
                 "row_filters": row_filters, "unmasked_pii": unmasked_pii}  # fmt: skip
        return _roles_page(request, rt, lang, meta, admin, 400, str(exc), typed)
    return _back("roles")


# ---- tokens


def _tokens_page(
    request, rt, lang, meta: Session, user: User, status: int = 200, error: str | None = None,
    new_token: str | None = None,
):  # fmt: skip
    return admin_page(
        request, rt, lang, "tokens", user, status, error=error, new_token=new_token,
        tokens=list_tokens(meta), users=list_users(meta), scopes=SCOPES,
        now=datetime.now(UTC),  # token expiry is wall-clock time, never the demo's simulated sale day
    )  # fmt: skip


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, rt: RuntimeDep, lang: LangDep, meta: MetaDep, user: AdminPage) -> Response:
    return _tokens_page(request, rt, lang, meta, user)


@router.post("/tokens")
def add_token(
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    username: Annotated[str, Form()],
    name: Annotated[str, Form()],
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI copies form defaults)
    expires: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a token and show it on this response only: no redirect, since it is never available again."""
    admin = _admin(user)
    check_csrf(request, csrf)
    try:
        _, plaintext = create_token(
            meta, username=username, name=name, scopes=scopes, actor=admin.username, ip=_ip(request),
            expires_in=parse_expiry(expires) if expires.strip() else None,
        )  # fmt: skip
    except UserError as exc:
        meta.rollback()
        return _tokens_page(request, rt, lang, meta, admin, exc.status_code, str(exc))
    response = _tokens_page(request, rt, lang, meta, admin, 201, new_token=plaintext)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke(
    token_id: int,
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminOrNone,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    admin = _admin(user)
    check_csrf(request, csrf)
    try:
        revoke_token(meta, token_id=token_id, actor=admin.username, ip=_ip(request))
    except UserError as exc:
        meta.rollback()
        return _tokens_page(request, rt, lang, meta, admin, exc.status_code, str(exc))
    return _back("tokens")
