"""``/search?q=``: the IRIs of the knowledge graph by their labels in any language (:mod:`kgpub.resources.search`).

A page for people (``text/html``: the form, the hits linked to their pages) or JSON for programs
(``application/json``), by ``format=html|json``, else ``Accept`` through the one negotiation. No ``q``
(or an empty one) is the form alone; a blank or too long ``q`` is a 400. Both answers carry a strong
ETag (release, language, query) and ``Vary: Accept, Accept-Language, Cookie``.
"""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import UnsupportedFormat
from kgpub.rdf.negotiate import choose
from kgpub.resources.search import LIMIT, MAX_QUERY, Hit, Results, parse_query
from kgpub.site import Site
from kgpub.web import conditional, pages

router = APIRouter()
HTML, JSON = "text/html", "application/json"
OFFERED = (HTML, JSON)
FORMATS = {"html": HTML, "json": JSON}
CACHE = "public, max-age=300"


async def search(request: Request) -> Response:
    site: Site = request.app.state.site
    q = parse_query(request.query_params.getlist("q"))
    media_type = _media_type(request)
    lang = pages.language(request).lang
    async with site.serving() as served:
        if media_type == JSON:
            etag = conditional.validator(served.release.version, "search", lang, q or "", "json", strong=True)
            modified = served.release.built
            headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": CACHE,
                       "Content-Language": lang, "Vary": pages.PAGE_VARY}
            unchanged = conditional.not_modified(request, etag, headers, modified=modified)
            if unchanged is not None:
                return pages.remember(request, unchanged)
            results = await served.off_loop(lambda: served.search.search(q, lang=lang)) if q is not None else None
            body = json.dumps(as_json(q or "", results), ensure_ascii=False, separators=(",", ":"))
            return pages.remember(request, Response(body, media_type=JSON, headers=headers))
        results = await served.off_loop(lambda: served.search.search(q, lang=lang)) if q is not None else None
        context: dict[str, Any] = {
            "frame": pages.frame(request, lang, served.release, search=q or ""), "query": q or "",
            "results": results, "hits": [_view(hit) for hit in results.hits] if results else [],
            "max_query": MAX_QUERY, "limit": LIMIT}
        key = ["/search", *(f"{k}={v}" for k, v in request.query_params.multi_items() if k != "lang")]
        return pages.answer(request, template="search.html", lang=lang, release=served.release, key=key,
                            context=context)


router.add_route("/search", search, methods=["GET", "HEAD"], include_in_schema=False)


def _media_type(request: Request) -> str:
    names = request.query_params.getlist("format")
    if names:
        for name in names:
            if name.strip().lower() in FORMATS:
                return FORMATS[name.strip().lower()]
        raise UnsupportedFormat(f"format={', '.join(names)} does not fit a search; offered: {', '.join(FORMATS)}")
    chosen = choose(request.headers.get("accept"), OFFERED)
    if chosen is None:
        raise UnsupportedFormat(f"nothing in Accept fits a search; offered: {', '.join(OFFERED)}")
    return chosen


def as_json(query: str, results: Results | None) -> dict[str, Any]:
    """The JSON answer: the query as asked, the total found, and the hits shown."""
    hits = results.hits if results else []
    return {"query": query, "total": results.total if results else 0, "limit": LIMIT,
            "results": [{"iri": h.iri, "path": h.path, "label": h.label.text, "lang": h.label.lang,
                         "matched": h.matched, "matched_lang": h.matched_lang,
                         "types": [{"iri": t.iri, "label": t.label, "lang": t.lang} for t in h.types]}
                        for h in hits]}


def _view(hit: Hit) -> dict[str, Any]:
    """What the page shows of a hit: where it links (the entity's page, or the IRI itself outside the base)."""
    return {"hit": hit, "href": hit.href, "external": hit.path is None,
            "show_matched": hit.matched != hit.label.text}
