"""What every page shares: the reader's language (:func:`kgpub.resources.i18n.choose`), the frame around
the content (language switch, alternates, release), and the one way a page is answered (ETag per
release, path and language; ``Content-Language``; ``Vary``; the language cookie when ``lang=`` asked)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from threading import Lock
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from kgpub.rdf.formats import Format
from kgpub.release.reader import Release
from kgpub.resources import i18n
from kgpub.web import conditional, templates

PAGE_VARY = "Accept, Accept-Language, Cookie"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
"""Our pages load nothing from another origin, and run no inline script or style."""


@dataclass(frozen=True)
class Alternate:
    href: str
    media_type: str
    label: str


@dataclass(frozen=True)
class LanguageLink:
    lang: str
    name: str
    href: str


@dataclass(frozen=True)
class Frame:
    lang: str
    languages: list[LanguageLink]
    version: str
    built: str
    built_iso: str
    alternates: list[Alternate] = field(default_factory=list)
    search: str = ""


def language(request: Request) -> i18n.Choice:
    return i18n.choose(param=request.query_params.get("lang"), cookie=request.cookies.get(i18n.COOKIE),
                       accept_language=request.headers.get("accept-language"))


def frame(request: Request, lang: str, release: Release, *, documents: Sequence[Format] = (), path: str = "",
          search: str = "") -> Frame:
    """The frame of the page answering ``request``: the switch keeps the page (and its other parameters)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    here = request.url.path
    switch = [LanguageLink(tag, i18n.NAMES[tag], f"{here}?{urlencode([*params, ('lang', tag)])}")
              for tag in i18n.LANGUAGES]
    alternates = [Alternate(f"{path}.{f.extension}", f.media_type, f.label) for f in documents]
    return Frame(lang=lang, languages=switch, version=release.version,
                 built=i18n.date(release.built.date().isoformat(), i18n.XSD + "date", lang),
                 built_iso=release.built.isoformat(), alternates=alternates, search=search)


def answer(request: Request, *, template: str, lang: str, release: Release, key: Sequence[str],
           context: dict[str, Any], status: int = 200, cache: str = "public, max-age=300",
           headers: dict[str, str] | None = None) -> Response:
    """Render ``template`` (unless the client has it: 304) and answer it as a page.

    ``key`` names what the bytes depend on besides the release and language (the path, the parameters):
    the strong ETag is made of them."""
    return answer_with(request, lang=lang, release=release, key=key, status=status, cache=cache, headers=headers,
                       render=lambda: templates.render(template, lang, **context))


def answer_with(request: Request, *, lang: str, release: Release, key: Sequence[str], render: Callable[[], str],
                status: int = 200, cache: str = "public, max-age=300", headers: dict[str, str] | None = None,
                memo: bool = False) -> Response:
    """A page made by ``render()`` (only when the client does not have it already), remembered when ``memo``
    (a page of the release whose bytes depend on ``key`` and the language only)."""
    etag = page_etag(release, lang, key)
    modified = release.built
    all_headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": cache,
                   "Content-Language": lang, "Vary": PAGE_VARY, "Content-Security-Policy": CSP,
                   "X-Content-Type-Options": "nosniff", **(headers or {})}
    if memo:
        all_headers["Vary"] += ", Accept-Encoding"  # compressed here, not by the middleware
    unchanged = conditional.not_modified(request, etag, all_headers, modified=modified)
    if unchanged is not None:
        return remember(request, unchanged)
    if not memo:
        body = render().encode("utf-8")
    else:
        body = RENDERED.get(etag) or RENDERED.put(etag, render().encode("utf-8"))
        if conditional.accepts_gzip(request) and len(body) >= conditional.GZIP_MINIMUM:
            all_headers["Content-Encoding"] = "gzip"  # compressed once per page, not per request
            body = RENDERED.gzipped(etag, body)
    return remember(request, Response(body, status_code=status, media_type="text/html; charset=utf-8",
                                      headers=all_headers))


def page_etag(release: Release, lang: str, key: Sequence[str]) -> str:
    """The strong validator of a page: the release, the language and what else its bytes depend on."""
    return conditional.validator(release.version, "page", lang, *key, strong=True)


class Rendered:
    """Rendered pages by ETag (which names the release, the language and the page), bounded by bytes."""

    def __init__(self, budget: int) -> None:
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._gzipped: dict[str, bytes] = {}
        self._bytes, self._budget, self._lock = 0, budget, Lock()

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            body = self._pages.get(etag)
            if body is not None:
                self._pages.move_to_end(etag)
            return body

    def put(self, etag: str, body: bytes) -> bytes:
        with self._lock:
            if etag in self._pages:
                return self._pages[etag]
            self._pages[etag] = body
            self._bytes += len(body)
            while self._bytes > self._budget and len(self._pages) > 1:
                dropped_tag, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped) + len(self._gzipped.pop(dropped_tag, b""))
            return body

    def gzipped(self, etag: str, body: bytes) -> bytes:
        """``body`` gzip-compressed, once (kept while the page is kept)."""
        found = self._gzipped.get(etag)
        if found is None:
            found = conditional.compress(body)
            with self._lock:
                if etag in self._pages:
                    self._gzipped[etag] = found
                    self._bytes += len(found)
        return found


RENDERED = Rendered(8 << 20)  # pages (and their gzip) by ETag; the replay answers repeated requests first


def remember(request: Request, response: Response) -> Response:
    """Keep the reader's ``lang=`` choice in a cookie, so it survives a reload and the next page."""
    asked = request.query_params.get("lang")
    if asked is not None and asked.strip().lower() in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, asked.strip().lower(), max_age=i18n.COOKIE_MAX_AGE, path="/",
                            samesite="lax")
    return response
