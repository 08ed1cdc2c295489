"""``create_app(settings, release)``: the FastAPI application over one immutable release.

Nothing is created at import time; the worker pool starts with the application and stops
with it. CORS (any origin, no credentials) wraps everything, errors included; answers are
gzip-compressed when the client accepts it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from kgpub import __version__
from kgpub.query.service import Endpoint
from kgpub.errors import KgpubError
from kgpub.web.conditional import ETagMiddleware
from kgpub.query.backends.pool import WorkerPool
from kgpub.release.reader import Release
from kgpub.web import errors
from kgpub.web.routes import meta, sparql
from kgpub.settings import Settings

EXPOSED_HEADERS = ["ETag", "X-Result-Count", "X-Result-Truncated", "X-Result-Limit", "X-Query-Timeout", "Warning"]


def worker_config(settings: Settings) -> dict[str, object]:
    return {"max_rows": settings.max_rows, "max_length": settings.max_query_length, "max_depth": settings.max_depth,
            "allowed_services": list(settings.allowed_services)}


def create_app(settings: Settings, release: Release) -> FastAPI:
    pool = WorkerPool(release.path, size=settings.workers, config=worker_config(settings))
    endpoint = Endpoint(settings=settings, release=release, pool=pool)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="kgpub", version=__version__, lifespan=lifespan,
                  description=f"Read-only SPARQL 1.1 endpoint and Linked Data for release {release.version}.")
    app.state.endpoint = endpoint
    app.include_router(sparql.router)
    app.include_router(meta.router)
    app.add_exception_handler(KgpubError, errors.kgpub_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(Exception, errors.unexpected_error)
    app.add_middleware(ETagMiddleware, version=release.version)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "POST", "OPTIONS"], allow_headers=["*"],
                       expose_headers=EXPOSED_HEADERS, max_age=86400)
    return app
