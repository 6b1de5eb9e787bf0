"""The admin page of the audit log: the newest entries, filtered by action. Admins only (see admin.py)."""

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from warroom.access import Action, recent_audit
from warroom.collab import CollabAction
from warroom.errors import UserError
from warroom.web.auth import MetaDep
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.routes.admin import AdminPage, admin_page

router = APIRouter(prefix="/admin")

AUDIT_ACTIONS = tuple(a.value for a in Action) + tuple(a.value for a in CollabAction)
# The page is for "what just happened"; older history is a filter away (or in the metadata store itself).
AUDIT_PAGE_ROWS = 200


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    rt: RuntimeDep,
    lang: LangDep,
    meta: MetaDep,
    user: AdminPage,
    action: str = "",
) -> Response:
    """The newest entries first; ?action=<name> shows one action only."""
    if action and action not in AUDIT_ACTIONS:
        raise UserError(f"unknown audit action {action!r}; the actions are {', '.join(AUDIT_ACTIONS)}")
    entries = recent_audit(meta, limit=AUDIT_PAGE_ROWS, action=action or None)  # type: ignore[arg-type]
    rows = [(e, readable(e.detail)) for e in entries]
    return admin_page(request, rt, lang, "audit", user, rows=rows, actions=AUDIT_ACTIONS, chosen=action)


def readable(detail: dict) -> str:
    """An audit entry's detail as key=value pairs, Chinese kept as written (JSON would show \\u5973)."""
    return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in detail.items())
