"""User-made dashboards: a named pick of board panels, each with its own filters and time range, shared by link.

A dashboard stores references, not figures: (board, panel, query string). Whoever opens it gets every panel
from the panel API under their own policy, so a shared link never shows more than its viewer may see.
Only the owner renames or deletes it; every change is audited and committed with its audit entry. Which
boards and panels exist (and which filters a board takes) is the web layer's to check, as for comments.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.access.audit import audit
from warroom.collab.actions import CollabAction
from warroom.collab.comments import check_key, check_text
from warroom.errors import NotFound, UserError
from warroom.meta.dashboards import Dashboard

MAX_NAME = 120  # the column's width; a title in the page header
# A page drawing more panels than this at once refreshes slowly (each is its own panel API call).
MAX_PANELS = 24
MAX_QUERY = 500


class NotOwner(UserError):
    status_code = 403


@dataclass(frozen=True)
class PanelPick:
    board: str
    panel: str
    query: str = ""  # the board page's query string for this panel: filters and range, e.g. "range=1h"

    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=False)

    def as_json(self) -> dict[str, str]:
        return {"board": self.board, "panel": self.panel, "query": self.query}


def check_picks(picks: list[PanelPick]) -> list[PanelPick]:
    if not picks:
        raise UserError("a dashboard needs at least one panel: pick some from the catalog")
    if len(picks) > MAX_PANELS:
        raise UserError(f"a dashboard holds at most {MAX_PANELS} panels; this one has {len(picks)}")
    for number, pick in enumerate(picks, start=1):
        check_key(pick.board, f"panel {number}: board")
        check_key(pick.panel, f"panel {number}: panel")
        query = pick.query.strip().removeprefix("?")
        if len(query) > MAX_QUERY:
            raise UserError(
                f"panel {number} ({pick.board}/{pick.panel}): its filters exceed {MAX_QUERY} characters"
            )
        try:
            parse_qsl(query, keep_blank_values=False, strict_parsing=bool(query))
        except ValueError:
            raise UserError(
                f"panel {number} ({pick.board}/{pick.panel}): filters {query!r} are not a query string; "
                "write e.g. channel=live&range=1h"
            ) from None
    return [PanelPick(p.board, p.panel, p.query.strip().removeprefix("?")) for p in picks]


def create_dashboard(
    session: Session,
    *,
    owner: str,
    name: str,
    panels: list[PanelPick],
    ip: str | None = None,
    now: datetime | None = None,
) -> Dashboard:
    title = check_text(name, "the dashboard's name", MAX_NAME)
    picks = check_picks(panels)
    now = now or datetime.now(UTC)
    dashboard = Dashboard(
        id=secrets.token_urlsafe(9), name=title, owner=owner, panels=[p.as_json() for p in picks],
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(dashboard)
    audit(
        session, actor=owner, action=CollabAction.DASHBOARD_CREATED,  # type: ignore[arg-type]
        target=f"dashboard:{dashboard.id}", detail={"name": title, "panels": dashboard.panels}, ip=ip, now=now,
    )  # fmt: skip
    session.commit()
    return dashboard


def get_dashboard(session: Session, *, dashboard_id: str) -> Dashboard:
    found = session.get(Dashboard, dashboard_id)
    if found is None:
        raise NotFound(f"no dashboard {dashboard_id!r}: it was deleted, or the link is mistyped")
    return found


def _owned(session: Session, dashboard_id: str, actor: str) -> Dashboard:
    dashboard = get_dashboard(session, dashboard_id=dashboard_id)
    if dashboard.owner != actor:
        raise NotOwner(f"dashboard {dashboard.name!r} is {dashboard.owner}'s: only its owner may change it")
    return dashboard


def rename_dashboard(
    session: Session, *, dashboard_id: str, name: str, actor: str, ip: str | None = None,
    now: datetime | None = None,
) -> Dashboard:  # fmt: skip
    dashboard = _owned(session, dashboard_id, actor)
    title = check_text(name, "the dashboard's name", MAX_NAME)
    now = now or datetime.now(UTC)
    before, dashboard.name, dashboard.updated_at = dashboard.name, title, now
    audit(
        session, actor=actor, action=CollabAction.DASHBOARD_RENAMED,  # type: ignore[arg-type]
        target=f"dashboard:{dashboard.id}", detail={"from": before, "to": title}, ip=ip, now=now,
    )  # fmt: skip
    session.commit()
    return dashboard


def delete_dashboard(
    session: Session, *, dashboard_id: str, actor: str, ip: str | None = None, now: datetime | None = None
) -> None:
    dashboard = _owned(session, dashboard_id, actor)
    audit(
        session, actor=actor, action=CollabAction.DASHBOARD_DELETED,  # type: ignore[arg-type]
        target=f"dashboard:{dashboard.id}", detail={"name": dashboard.name, "panels": dashboard.panels}, ip=ip,
        now=now or datetime.now(UTC),
    )  # fmt: skip
    session.delete(dashboard)
    session.commit()


def list_dashboards(session: Session, *, owner: str) -> list[Dashboard]:
    """The owner's dashboards, newest change first."""
    query = select(Dashboard).where(Dashboard.owner == owner)
    return list(session.scalars(query.order_by(Dashboard.updated_at.desc(), Dashboard.name)))


def picks_of(dashboard: Dashboard) -> list[PanelPick]:
    return [PanelPick(p["board"], p["panel"], p.get("query", "")) for p in dashboard.panels]
