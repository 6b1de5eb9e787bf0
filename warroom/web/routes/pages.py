"""HTML pages (Jinja2). Figures arrive over the live stream; the page only lays them out."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.i18n import LANGUAGES, TEXT

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def render(request: Request, name: str, lang: str, **context: object) -> HTMLResponse:
    strings = {key: texts[lang] for key, texts in TEXT.items()}
    return templates.TemplateResponse(request, name, {"lang": lang, "t": strings, **context})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, lang: LangDep) -> HTMLResponse:
    return render(request, "home.html", lang, timezone=rt.settings.timezone)


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request) -> RedirectResponse:
    response = RedirectResponse(request.headers.get("referer") or "/", status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
