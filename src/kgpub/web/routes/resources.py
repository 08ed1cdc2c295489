"""Every IRI under the base dereferences: ``/id/…``, ``/ontology``, ``/graph/…``, ``/shapes``,
``/validation``, the dataset IRI and ``/.well-known/void``.

One strategy everywhere (Cool URIs §4.2, "hash and slash with content negotiation", answered
200 as the W3C's own namespace documents and Trifid do): the IRI answers **200** with the
negotiated document and ``Content-Location`` naming the format's own document
(``/id/country/KR.ttl``), which answers the same bytes without negotiation. A 303 would cost
every Linked Data client a second round trip for no information the ``Content-Location``
does not give. The format comes from the suffix, else ``format=`` (the names ``/sparql``
takes), else ``Accept`` through the one negotiation (:func:`kgpub.rdf.negotiate.pick`).

Every answer: a strong ETag per representation (release version, format, path), ``Last-Modified``
(the release's build time), 304, HEAD, ``Vary: Accept`` when negotiated, ``Link`` to each other
format (``rel="alternate"``) and to the dataset description (``rel="describedby"``).
"""

from __future__ import annotations

from email.utils import format_datetime
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import BadRequest
from kgpub.rdf.formats import HTML, Format, Kind
from kgpub.rdf.negotiate import pick
from kgpub.resources.documents import VOID_PATH, Resource
from kgpub.resources.iris import DOCUMENT_FORMATS, split_suffix
from kgpub.site import Served, Site
from kgpub.web import conditional, page_views, pages, templates
from kgpub.web.routes.dumps import CURRENT_CACHE

router = APIRouter()
PATHS = ("/", "/id/{rest:path}", "/graph/{rest:path}", "/ontology", "/ontology.{ext}", "/ontology/{rest:path}",
         "/shapes", "/shapes.{ext}", "/validation", "/validation.{ext}", VOID_PATH, VOID_PATH + ".{ext}")
DESCRIBED_BY = f'<{VOID_PATH}>; rel="describedby"; type="text/turtle"'


async def document(request: Request) -> Response:
    site: Site = request.app.state.site
    path, suffix = split_suffix(request.url.path)
    async with site.serving() as served:
        resource = await served.off_loop(lambda: served.documents.resolve(path))
        fmt, media_type = _format(request, suffix)
        if fmt is HTML:
            return await served.off_loop(lambda: _page(request, served, resource, negotiated=suffix is None))
        etag = _etag(served, resource, fmt)
        documents = resource.document_path
        modified = served.release.built
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
                   "Cache-Control": CURRENT_CACHE, "Content-Location": served.documents.ns.document(documents, fmt),
                   "Link": _links(documents, fmt)}
        if suffix is None:
            headers["Vary"] = "Accept"
        unchanged = conditional.not_modified(request, etag, headers, modified=modified)
        if unchanged is not None:
            return unchanged
        body = await served.off_loop(lambda: served.documents.render(resource, fmt))
        return Response(body, media_type=media_type, headers=headers)


for _path in PATHS:  # plain Starlette routes: FastAPI's parameter machinery cost a third of a document's time
    router.add_route(_path, document, methods=["GET", "HEAD"], include_in_schema=False)


def _page(request: Request, served: Served, resource: Resource, *, negotiated: bool) -> Response:
    """The resource's page for people, in the reader's language (remembered per release, path and language)."""
    lang = pages.language(request).lang
    path = resource.document_path
    headers = {"Content-Location": served.documents.ns.document(path, HTML), "Link": _links(path, HTML),
               "Cache-Control": CURRENT_CACHE}
    if not negotiated:
        headers["Vary"] = "Accept-Language, Cookie"

    def render() -> str:
        template, context = page_views.context(request, served, resource, lang)
        return templates.render(template, lang, **context)

    return pages.answer_with(request, lang=lang, release=served.release, key=(request.url.path, _params(request)),
                             render=render, headers=headers, cache=CURRENT_CACHE, memo=True)


def _params(request: Request) -> str:
    """The query parameters the page's links keep (all but ``lang``), as the page's bytes depend on them."""
    return "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()) if k != "lang")


def _format(request: Request, suffix: Format | None) -> tuple[Format, str]:
    names = request.query_params.getlist("format")
    if suffix is not None:
        if names and pick(Kind.RDF, None, names, offered=DOCUMENT_FORMATS, what="this document")[0] is not suffix:
            raise BadRequest(f"format={', '.join(names)} contradicts the .{suffix.extension} document asked for; "
                             "drop one of them")
        return suffix, suffix.media_type
    if names:
        return pick(Kind.RDF, None, names, offered=DOCUMENT_FORMATS, what="this document")
    accept = request.headers.get("accept")
    if accept is not None and len(accept) > REMEMBERED_ACCEPT:  # never a key of the cache: 512 of them could
        return _negotiate(accept)  # hold as many 64 kB headers
    return _by_accept(accept)


REMEMBERED_ACCEPT = 1024
"""Accept headers up to this length are remembered (a browser's is a few hundred characters)."""


def _negotiate(accept: str | None) -> tuple[Format, str]:
    return pick(Kind.RDF, accept, (), offered=DOCUMENT_FORMATS, what="this document")


@lru_cache(maxsize=512)
def _by_accept(accept: str | None) -> tuple[Format, str]:
    """Negotiation by ``Accept`` alone, remembered: clients send the same few headers again and again."""
    return _negotiate(accept)


def _etag(served: Served, resource: Resource, fmt: Format) -> str:
    """Strong: the bytes are a function of the release, the path and the format, nothing else."""
    return conditional.validator(served.release.version, "document", resource.document_path, fmt.name, strong=True)


def _links(path: str, fmt: Format) -> str:
    others = [f'<{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"' for f in DOCUMENT_FORMATS
              if f is not fmt]
    return ", ".join([*others, DESCRIBED_BY])
