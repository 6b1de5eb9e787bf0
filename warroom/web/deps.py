"""FastAPI dependency aliases: routes ask for what they need by name."""

from typing import Annotated

from fastapi import Depends, Request

from warroom.web.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in ("zh", "en") else "zh"


LangDep = Annotated[str, Depends(get_lang)]
