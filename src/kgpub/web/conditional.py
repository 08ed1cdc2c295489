"""Conditional GET in one place: validators, ``If-None-Match``, and 304s, for every route.

Every computed validator is one scheme, :func:`validator`: a weak ETag over the served release's
version and what else determines the answer (a query job, a negotiated media type and URL,
or the body itself). Routes call :func:`not_modified` before doing any work; answers the
framework writes (``/openapi.json``, the Swagger UI page of ``/docs``) get theirs from
:class:`ETagMiddleware`, which uses the same functions.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

# Headers a 304 repeats (RFC 9110 §15.4.5): the validator and what caches need to store it again.
KEPT_ON_304 = ("etag", "vary", "cache-control", "content-location", "expires", "last-modified")


def validator(version: str, *parts: str | bytes, strong: bool = False) -> str:
    """The ETag of an answer determined by the release ``version`` and ``parts``: weak (any content coding),
    or ``strong`` when the bytes are a function of exactly those (deterministic rendering, one coding)."""
    digest = hashlib.sha256(version.encode())
    for part in parts:
        digest.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return ('"' if strong else 'W/"') + digest.hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value matches ``etag`` (weak comparison, ``*`` matches any; a tag
    with the ``-gzip`` mark of :func:`gzip_tag` is the same entity compressed)."""
    if not if_none_match:
        return False
    wanted = {_entity(tag) for tag in if_none_match.split(",")}
    return "*" in wanted or _entity(etag) in wanted


GZIP_MINIMUM = 1024
"""Answers shorter than this are sent uncompressed (the app's gzip middleware uses the same threshold)."""


def accepts_gzip(request: Request) -> bool:
    """Whether to answer gzip-compressed: the gzip middleware's own rule (Starlette's ``"gzip" in
    Accept-Encoding``), so an answer compressed ahead of time is compressed exactly when any other would be."""
    return "gzip" in request.headers.get("accept-encoding", "")


def compress(body: bytes) -> bytes:
    """``body`` gzip-compressed, deterministically (no timestamp): for answers compressed once and kept."""
    return gzip.compress(body, compresslevel=9, mtime=0)


GZIP_MARK = "-gzip"


def gzip_tag(etag: bytes) -> bytes:
    """The ETag of the gzip-compressed representation of an answer whose ETag is ``etag``."""
    if etag.startswith(b"W/") or etag.endswith(GZIP_MARK.encode() + b'"'):
        return etag  # weak tags already stand for any content coding
    return etag[:-1] + GZIP_MARK.encode() + b'"'


def _entity(tag: str) -> str:
    tag = tag.strip().removeprefix("W/")
    return tag[: -len(GZIP_MARK) - 1] + '"' if tag.endswith(GZIP_MARK + '"') else tag


SAFE = ("GET", "HEAD")
SAFE_QUERY = ("GET", "HEAD", "POST")  # a SPARQL query by POST is safe too (Protocol §2.1): it may be revalidated


def not_modified(request: Request, etag: str, headers: Mapping[str, str] | None = None, *,
                 methods: tuple[str, ...] = SAFE, modified: datetime | None = None) -> Response | None:
    """A 304 when the client has the answer already (for safe ``methods`` only), else None.

    ``If-None-Match`` matching ``etag``; or, for an answer with a ``modified`` time and only
    when the request has no ``If-None-Match`` (RFC 9110 §13.1.3), ``If-Modified-Since`` at or
    after it (an unparsable date is ignored)."""
    if request.method not in methods:
        return None
    if not matches(request.headers.get("if-none-match"), etag) and not _unmodified_since(request, modified):
        return None
    return Response(status_code=304, headers=_kept({**(headers or {}), "ETag": etag}))


def _unmodified_since(request: Request, modified: datetime | None) -> bool:
    value = request.headers.get("if-modified-since")
    if modified is None or not value or "if-none-match" in request.headers:
        return False
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def respond(request: Request, response: Response, etag: str) -> Response:
    """``response`` with its validator, or a 304 in its place when the client has it already."""
    extra = {k: v for k, v in response.headers.items() if k.lower() in KEPT_ON_304}
    return not_modified(request, etag, extra) or _with_etag(response, etag)


def _with_etag(response: Response, etag: str) -> Response:
    response.headers["ETag"] = etag
    return response


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in KEPT_ON_304}


Scope = dict[str, Any]
Message = dict[str, Any]


class ETagMiddleware:
    """Validators for the 200 GET answers that a route did not give one (the framework's own pages)."""

    def __init__(self, app: Any, *, version: Callable[[], str]) -> None:
        self.app, self.version = app, version

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        wanted = ", ".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match")
        held: list[Message] = []

        async def buffered(message: Message) -> None:
            if message["type"] == "http.response.start":
                has_etag = any(k.lower() == b"etag" for k, _ in message.get("headers", []))
                if message["status"] != 200 or has_etag:
                    await send(message)
                    return
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if not message.get("more_body", False):
                await self._finish(held, wanted, send)

        await self.app(scope, receive, buffered)

    async def _finish(self, held: list[Message], wanted: str, send: Any) -> None:
        start, bodies = held[0], held[1:]
        body = b"".join(m.get("body", b"") for m in bodies)
        etag = validator(self.version(), body)
        headers = [*start.get("headers", []), (b"etag", etag.encode())]
        if matches(wanted, etag):
            kept = [(k, v) for k, v in headers if k.decode("latin-1").lower() in KEPT_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
