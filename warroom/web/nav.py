"""The top navigation: the pages a user may open, in order, labelled in their language.

A board needing a sensitivity (the finance board: cost, margin, profit) is listed only for viewers who hold
it; the page itself still refuses anyone else (the navigation hides, the query path enforces).
"""

from warroom.access import policy_for
from warroom.alerts.overview import teams_of
from warroom.meta import User
from warroom.web.boards import ALL

DATA_ROLES = ("admin", "tech")  # sources, ingest status and quarantined raw rows: the people who fix them

_PAGES = {
    "alerts": {"zh": "告警", "en": "Alerts"},
    "dashboards": {"zh": "我的看板", "en": "My dashboards"},
    "data": {"zh": "数据", "en": "Data"},
    "admin": {"zh": "管理", "en": "Admin"},
}


def may_see_data(user: User) -> bool:
    return user.role in DATA_ROLES


def navigation(user: User | None, lang: str) -> list[tuple[str, str]]:
    if user is None:
        return []
    held = set(policy_for(user)["allowed_sensitivities"])
    links = [(b.path, b.title[lang]) for b in ALL.values() if b.nav and (b.needs is None or b.needs in held)]
    links.append(("/dashboards", _PAGES["dashboards"][lang]))
    if teams_of(user.role):
        links.append(("/alerts", _PAGES["alerts"][lang]))
    if may_see_data(user):
        links.append(("/data", _PAGES["data"][lang]))
    if user.role == "admin":
        links.append(("/admin", _PAGES["admin"][lang]))
    return links
