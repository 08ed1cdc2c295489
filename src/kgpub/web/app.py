"""``create_app(site)``: the FastAPI application over the :class:`~kgpub.site.Site`.

Nothing is created at import time; the site's backend starts with the application and
stops with it. CORS (any origin, no credentials) wraps everything, errors included; answers
are gzip-compressed when the client accepts it. Outermost, one observer counts and times every
answer for ``/metrics`` and writes its access log line (:mod:`kgpub.web.metrics`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from kgpub import __version__
from kgpub.errors import KgpubError
from kgpub.site import Site
from kgpub.web import access_log, conditional, errors
from kgpub.web.conditional import ETagMiddleware
from kgpub.web.metrics import Metrics, RequestObserver, Routes
from kgpub.web.replay import Replay
from kgpub.web.routes import (
    charts,
    context,
    description,
    docs,
    dumps,
    fragments,
    meta,
    resources,
    search,
    sparql,
    static,
    tables,
)
from kgpub.web.strict import StrictQueryString

DESCRIBED_BY = resources.DESCRIBED_BY.encode()
EXPOSED_HEADERS = ["ETag", "Link", "Content-Location", "X-Result-Count", "X-Result-Truncated", "X-Result-Limit",
                   "X-Query-Timeout", "Warning", "Retry-After"]


def create_app(site: Site) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await site.start()
        try:
            yield
        finally:
            await site.close()

    app = FastAPI(title="kgpub", version=__version__, lifespan=lifespan,
                  description="Read-only SPARQL 1.1 endpoint and Linked Data over an immutable release.",
                  docs_url=None, redoc_url=None,  # /docs is routes/docs (self-hosted); ReDoc is not served
                  # FastAPI's OpenTelemetry hooks asked the tracer provider on every request (6 % of a cached answer);
                  # /metrics and the access log are ours
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.site = site
    app.state.metrics = Metrics(site)
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(KgpubError, errors.kgpub_error)
    app.add_exception_handler(ClientDisconnect, errors.client_disconnected)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(Exception, errors.unexpected_error)
    app.add_middleware(ETagMiddleware, version=lambda: site.release.version)
    app.add_middleware(StrictQueryString)  # before any route reads a parameter; its 400 gets the Link and CORS
    app.add_middleware(DescribedBy)
    app.add_middleware(FilesUncompressed, minimum_size=conditional.GZIP_MINIMUM)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "POST", "OPTIONS"], allow_headers=["*"],
                       expose_headers=EXPOSED_HEADERS, max_age=86400)
    app.state.replay = Replay(None, version=lambda: site.release.version, skip=(*STORED_FILES, *VOLATILE))
    app.state.metrics.watch_replay(app.state.replay)
    app.add_middleware(_Replaying, replay=app.state.replay)  # inside the observer: a replayed answer is logged too
    access_log.configure(site.settings)
    routes = Routes([*app.router.routes, *(route for router in ROUTERS for route in router.routes)])
    app.add_middleware(RequestObserver, metrics=app.state.metrics, routes=routes, log=site.settings.access_log)
    return app


ROUTERS = (sparql.router, resources.router,  # the most requested first: routing is a linear scan
           fragments.router, meta.router, context.router, dumps.router, description.router, tables.router,
           static.router, charts.router, search.router, docs.router)


STORED_FILES = ("/" + dumps.URL_STEM, "/releases/", "/changes.", tables.PREFIX)
"""Paths answered with a release file as stored (strong ETag = its SHA-256, Range): never compressed again."""
VOLATILE = ("/healthz", "/readyz", "/metrics")  # answers that change while a release is served: never replayed


class _Replaying:
    """Starlette builds middleware from a class and options: this puts the app's one :class:`Replay` in the stack."""

    def __init__(self, app: Any, *, replay: Replay) -> None:
        replay.app = app
        self.replay = replay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.replay(scope, receive, send)


class FilesUncompressed(GZipMiddleware):
    """Gzip for every answer except release files (dumps, /releases/..., tables): those are served as they
    are stored, so Content-Length, Range and the ETag (the file's SHA-256) stay true.

    A compressed answer is another representation: its strong ETag gets the ``-gzip`` mark
    (as Apache's), which :func:`conditional.matches` reads as the same entity when revalidating."""

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http" or scope["path"].startswith(STORED_FILES):
            await self.app(scope, receive, send)
            return

        revalidating_gzip = any(k == b"if-none-match" and conditional.GZIP_MARK.encode() in v
                                for k, v in scope["headers"])

        async def marked(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                compressed = any(k.lower() == b"content-encoding" and v == b"gzip" for k, v in headers)
                if compressed or (message["status"] == 304 and revalidating_gzip):
                    message = {**message, "headers": [(k, conditional.gzip_tag(v) if k.lower() == b"etag" else v)
                                                      for k, v in headers]}
            await send(message)

        await super().__call__(scope, receive, marked)


class DescribedBy:
    """Every answer links the dataset description (``Link: </.well-known/void>; rel="describedby"``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def linked(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"link" and b'rel="describedby"' in v for k, v in headers):
                    headers.append((b"link", DESCRIBED_BY))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, linked)
