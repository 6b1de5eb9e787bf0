"""One JSON error envelope for every endpoint: {"ok": false, "status": N, "error": "..."}."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from warroom.errors import UserError
from warroom.web.auth import LoginRequired


def envelope(status: int, error: str, errors: list | None = None) -> JSONResponse:
    body = {"ok": False, "status": status, "error": error}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> JSONResponse:
        return envelope(exc.status_code, str(exc), getattr(exc, "errors", None))  # a rule's field problems

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return envelope(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "error": e.get("msg")} for e in exc.errors()
        ]
        return envelope(422, "the request does not have the expected shape", errors)
