"""The one body shape of every error answer: JSON by default, HTML for browsers.

``{"error": {"code": "...", "status": 400, "message": "..."}}``, or an HTML page saying the
same. Expected errors (:class:`kgpub.errors.KgpubError`) carry their status and code;
framework errors (404, 405, 422) are rendered the same way; anything else is a 500 (a bug).
"""

from __future__ import annotations

import html
import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from kgpub import errors
from kgpub.errors import KgpubError
from kgpub.rdf.negotiate import choose

log = logging.getLogger(__name__)

# The framework's own HTTP errors, as the error classes (and so the codes) of the one registry.
_BY_STATUS: dict[int, type[KgpubError]] = {
    400: errors.BadRequest, 404: errors.NotFound, 405: errors.MethodNotAllowed, 406: errors.UnsupportedFormat,
    413: errors.TooLarge, 415: errors.UnsupportedMediaType, 422: errors.BadRequest, 500: errors.InternalError}


GONE_CACHE = "public, max-age=86400"  # a retired IRI stays retired; every other error is never stored


def render(request: Request, *, status: int, code: str, message: str,
           headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "status": status, "message": message}}
    headers = {"Cache-Control": GONE_CACHE if status == 410 else "no-store", "X-Error-Code": code, **(headers or {})}
    if choose(request.headers.get("accept"), ["application/json", "text/html"]) == "text/html":
        return HTMLResponse(_page(request, status=status, code=code, message=message), status_code=status,
                            headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _page(request: Request, *, status: int, code: str, message: str) -> str:
    """The error as a page of the site, in the reader's language (the message itself is English); the plain
    page when the site's page cannot be made (no release yet, or a bug: logged)."""
    from kgpub.resources import i18n
    from kgpub.web import pages, templates

    try:
        try:
            lang = pages.language(request).lang
        except KgpubError:  # the lang= parameter may be what is wrong
            lang = i18n.DEFAULT
        frame = pages.frame(request, lang, request.app.state.site.release)
        return templates.render("error.html", lang, frame=frame, status=status, code=code, message=message)
    except Exception:
        log.exception("the error page of %s could not be rendered; answering the plain one", request.url.path)
        return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {html.escape(code)}</title>"
                f"<h1>{status} {html.escape(code)}</h1><pre>{html.escape(message)}</pre></html>")


async def kgpub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KgpubError)
    return render(request, status=exc.status, code=exc.code, message=exc.message, headers=exc.headers())


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _BY_STATUS[exc.status_code].code if exc.status_code in _BY_STATUS else "error"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names the first matching route's methods only
        headers["Allow"] = allowed_methods(request)
    return render(request, status=exc.status_code, code=code, message=str(exc.detail), headers=headers)


def allowed_methods(request: Request) -> str:
    """The methods some route answers on this path, asked of the router itself."""
    order = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    routes = request.app.router.routes
    return ", ".join(m for m in order
                     if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes))


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return render(request, status=400, code=errors.BadRequest.code, message=problems)


async def client_disconnected(request: Request, exc: Exception) -> Response:
    """The client left before its body was read, or ``web.server`` stopped waiting for it (and answered 408
    itself): no one is left to answer, and nothing went wrong here. 499 (never sent) is what access logs
    conventionally show for "client closed the connection"."""
    assert isinstance(exc, ClientDisconnect)
    return Response(status_code=499)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return render(request, status=500, code=errors.InternalError.code,
                  message=f"internal error ({type(exc).__name__}); this is a bug in kgpub")
