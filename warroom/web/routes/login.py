"""Logging in and out (form posts with CSRF protection; rate limited by the access layer)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warroom.access import (
    LoginFailed,
    LoginThrottled,
    authenticate,
    create_login_session,
    delete_login_session,
)
from warroom.web.auth import CSRF_COOKIE, SESSION_COOKIE, MetaDep, OptionalUserDep, check_csrf, new_csrf_token
from warroom.web.deps import LangDep
from warroom.web.routes.pages import render

router = APIRouter()


def _login_page(request: Request, lang: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    token = new_csrf_token()
    response = render(request, "login.html", lang, csrf=token, error=error)
    response.status_code = status
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, lang: LangDep, user: OptionalUserDep) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, lang)


@router.post("/login")
def login(
    request: Request,
    lang: LangDep,
    meta: MetaDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    ip = request.client.host if request.client else None
    try:
        user = authenticate(meta, username=username, password=password, ip=ip)
    except LoginThrottled as exc:
        return _login_page(request, lang, str(exc), status=429)
    except LoginFailed as exc:
        return _login_page(request, lang, str(exc), status=401)
    response = RedirectResponse("/", status_code=303)
    secret = create_login_session(meta, user=user)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", max_age=12 * 3600)
    response.set_cookie("lang", user.language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.post("/logout")
def logout(request: Request, meta: MetaDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        delete_login_session(meta, secret=secret, ip=request.client.host if request.client else None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
