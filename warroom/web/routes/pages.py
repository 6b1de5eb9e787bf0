"""HTML pages (Jinja2). Figures arrive over the live stream; the page only lays them out."""

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from warroom.web.auth import CSRF_COOKIE, MetaDep, OptionalUserDep, new_csrf_token
from warroom.web.i18n import LANGUAGES, TEXT
from warroom.web.nav import navigation

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def render(request: Request, name: str, lang: str, **context: object) -> HTMLResponse:
    """A page in `lang`; it carries a CSRF token for its forms (and sets the matching cookie if missing).

    Strings: the shell's (i18n.TEXT) plus, for a board, the board's own (Board.text)."""
    board = context.get("board")
    texts = {**TEXT, **(board.text if board else {})}  # type: ignore[attr-defined]
    strings = {key: value[lang] for key, value in texts.items()}
    csrf = context.pop("csrf", None) or request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    response = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": strings, "csrf": csrf, "nav": navigation(context.get("user"), lang), **context},
    )
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, meta: MetaDep, user: OptionalUserDep) -> RedirectResponse:
    """Switch the page language; a signed-in user keeps the choice (it becomes their preference, which the
    next login restores on any browser)."""
    response = RedirectResponse(_same_site(request), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
        if user is not None and user.language != lang:
            user.language = lang
            meta.commit()
    return response


def _same_site(request: Request) -> str:
    """Back to the page the switch was clicked on, but only on this site: a Referer from elsewhere (or a
    `//host` path) would make /lang an open redirect."""
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    path = referer.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    return path + (f"?{referer.query}" if referer.query else "")
