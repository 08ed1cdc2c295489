"""``create_app(site)``: the FastAPI application over the :class:`~kgpub.site.Site`.

Nothing is created at import time; the site's backend starts with the application and
stops with it. CORS (any origin, no credentials) wraps everything, errors included; answers
are gzip-compressed when the client accepts it.
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
from kgpub.errors import KgpubError
from kgpub.site import Site
from kgpub.web import errors
from kgpub.web.conditional import ETagMiddleware
from kgpub.web.routes import context, dumps, meta, sparql

EXPOSED_HEADERS = ["ETag", "X-Result-Count", "X-Result-Truncated", "X-Result-Limit", "X-Query-Timeout", "Warning"]


def create_app(site: Site) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await site.start()
        try:
            yield
        finally:
            await site.close()

    app = FastAPI(title="kgpub", version=__version__, lifespan=lifespan,
                  description="Read-only SPARQL 1.1 endpoint and Linked Data over an immutable release.")
    app.state.site = site
    app.include_router(sparql.router)
    app.include_router(meta.router)
    app.include_router(context.router)
    app.include_router(dumps.router)
    app.add_exception_handler(KgpubError, errors.kgpub_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(Exception, errors.unexpected_error)
    app.add_middleware(ETagMiddleware, version=lambda: site.release.version)
    app.add_middleware(FilesUncompressed, minimum_size=1024)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "POST", "OPTIONS"], allow_headers=["*"],
                       expose_headers=EXPOSED_HEADERS, max_age=86400)
    return app


class FilesUncompressed(GZipMiddleware):
    """Gzip for every answer except release files (dumps, /releases/...): those are served as they
    are stored, so Content-Length, Range and the ETag (the file's SHA-256) stay true."""

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["path"].startswith(("/" + dumps.URL_STEM + ".", "/releases/")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
