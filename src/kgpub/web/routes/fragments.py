"""``/fragments``: Triple Pattern Fragments of the served release (:mod:`kgpub.resources.fragments`).

GET and HEAD with ``subject``, ``predicate``, ``object``, ``graph`` and ``page``; the format comes
from ``format=`` (the names ``/sparql`` takes) or ``Accept`` through the one negotiation: Turtle
(for ``*/*``), TriG, N-Quads, N-Triples, JSON-LD; nothing acceptable is a 406 listing them. The
parameters are checked before anything else, so a bad one is a 400 whatever the client holds.

Every answer: a strong ETag per representation (the bytes are a function of the release, the
request URL, which every metadata IRI repeats, and the media type), ``Last-Modified`` (the
release's build time), 304, ``Vary: Accept`` and the dumps' ``Cache-Control``. The request URL
is the one the client sent (scheme and host included): behind a proxy, forward ``Host`` and let
uvicorn trust the proxy's ``X-Forwarded-Proto`` so the fragments name the public URLs.
"""

from __future__ import annotations

from email.utils import format_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.rdf.formats import BY_NAME, Kind
from kgpub.rdf.negotiate import pick
from kgpub.resources import fragments as tpf
from kgpub.site import Served
from kgpub.web import conditional
from kgpub.web.deps import SiteDep
from kgpub.web.routes.dumps import CURRENT_CACHE

router = APIRouter()
FORMATS = tuple(BY_NAME[name] for name in ("turtle", "trig", "nquads", "ntriples", "jsonld"))
"""The formats of a fragment, in the server's order of preference (the spec recommends Turtle)."""


@router.head("/fragments", include_in_schema=False)
@router.get("/fragments", summary="Triple Pattern Fragments (Hydra) of the knowledge graph and its named graphs")
async def fragments(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        asked = tpf.parse_request(request.query_params.multi_items())
        names = [name for name in request.query_params.getlist("format") if name]
        fmt, media_type = pick(Kind.RDF, request.headers.get("accept"), names, offered=FORMATS, what="a fragment")
        where = tpf.locate(str(request.url))
        etag = _etag(served, media_type, where)
        modified = served.release.built
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
                   "Cache-Control": CURRENT_CACHE, "Vary": "Accept"}
        unchanged = conditional.not_modified(request, etag, headers, modified=modified)
        if unchanged is not None:
            return unchanged
        body = await served.off_loop(lambda: served.fragments.render(asked, where, fmt))
        charset = "; charset=utf-8" if media_type.startswith("text/") else ""
        return Response(body, media_type=media_type + charset, headers=headers)


def _etag(served: Served, media_type: str, where: tpf.Locations) -> str:
    """Strong: the one validator's digest, of everything the bytes depend on (rendering is deterministic)."""
    return conditional.validator(served.release.version, "fragments", media_type, where.page, strong=True)
