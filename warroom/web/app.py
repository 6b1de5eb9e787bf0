"""The FastAPI application: wiring only. Routes live in routes/, one module per noun, found by discovery."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from warroom import __version__
from warroom.web import errors, routes
from warroom.web.runtime import Runtime

STATIC = Path(__file__).parent / "static"


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        await runtime.hub.start()
        # The ~300k objects of a started app (FastAPI, Ibis, SQLAlchemy) never die: left to the collector,
        # each full collection walked them all (0.2 s each, several a minute under a stream of pushes).
        gc.freeze()
        yield
        await runtime.hub.stop()
        runtime.shutdown()
        gc.unfreeze()  # let the interpreter's exit free them (DuckDB's bindings report what was not freed)

    app = FastAPI(title="Warroom", version=__version__, lifespan=lifespan)
    app.state.runtime = runtime
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in routes.discover():
        app.include_router(module.router)
    return app
