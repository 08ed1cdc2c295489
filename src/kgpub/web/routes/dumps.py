"""Dumps over HTTP: ``/dump.<ext>[.gz]`` of the served release, and every kept release under ``/releases/``.

Files are streamed from the release folder as they are, never rebuilt: the strong ETag is the
file's SHA-256 from the manifest, ``Last-Modified`` the release's build time, and Starlette's
file response answers ``Range`` (resumable downloads) and HEAD. Gzip files are served as
``application/gzip`` (the inner format is in the file name), never compressed again.
The unversioned URLs follow the served release with a short cache lifetime; the versioned
ones never change and say so (``immutable``). Each release's changes since the one before it
(RDF Patch, gzip) are ``/releases/<version>/changes.rdfp.gz``, the served one's ``/changes.rdfp.gz``.
``/releases/`` answers JSON, or DCAT in RDF (:mod:`kgpub.metadata.releases`) when Accept or
``format=`` asks for an RDF format.
"""

from __future__ import annotations

import mmap
import os
import re
from email.utils import format_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from kgpub.errors import NotFound, RangeNotSatisfiable
from kgpub.metadata import releases as release_rdf
from kgpub.metadata import tables
from kgpub.rdf import formats, negotiate
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS
from kgpub.rdf.jsonld import CONTEXT_NAME
from kgpub.rdf.serialize import serialize
from kgpub.release import history, layout
from kgpub.release.reader import Release, open_release
from kgpub.web import conditional
from kgpub.web.deps import SiteDep

router = APIRouter()

CURRENT_CACHE = "public, max-age=300, must-revalidate"  # follows the served release: revalidate by ETag
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # /releases/<version>/... never changes
URL_STEM = layout.DUMP_URL_STEM  # /dump.ttl is the release file dataset.ttl


class _ServedFiles(dict[str, str]):
    """The release files served, name -> media type: the fixed names, and every table's two files
    (``<name>.csv``, ``<name>.csv-metadata.json``: :mod:`kgpub.metadata.tables`), which the data
    decides, by their suffix (``in``, ``[]`` and ``get`` know them; iterating lists the fixed names)."""

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (isinstance(name, str) and tables.media_type(name) is not None)

    def __missing__(self, name: str) -> str:
        found = tables.media_type(name)
        if found is None:
            raise KeyError(name)
        return found

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name) or tables.media_type(name) or default


MEDIA_TYPES = _ServedFiles({layout.dump_name(f): f.media_type for f in DUMP_FORMATS} | {
    layout.dump_name(f, gz=True): "application/gzip" for f in DUMP_FORMATS} | {
    CONTEXT_NAME: BY_NAME["jsonld"].media_type, "validation.ttl": BY_NAME["turtle"].media_type,
    "queries.json": "application/json", "validation.txt": "text/plain; charset=utf-8"})
MEDIA_TYPES[layout.CHANGES] = "application/gzip"  # RDF Patch since the release before (kgpub.release.diff), gzip


def dump_url_name(file_name: str) -> str:
    """``dataset.ttl.gz`` -> ``dump.ttl.gz``: the URL of a dump file relative to the server's root."""
    return URL_STEM + file_name.removeprefix(layout.DUMP_STEM)


def _file(request: Request, release: Release, name: str, cache: str) -> Response:
    entry = release.manifest.files.get(name)
    if entry is None or name not in MEDIA_TYPES:
        raise NotFound(f"release {release.version} has no file {name!r}")
    path: Path = release.file(name)
    etag = f'"{entry.sha256}"'
    modified = release.built
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": cache,
               "Accept-Ranges": "bytes"}
    unchanged = conditional.not_modified(request, etag, headers, modified=modified)
    if unchanged is not None:
        return unchanged
    stat = path.stat()
    if ranged(request.headers.get("range"), stat.st_size):  # Starlette answers Range (206, multipart), If-Range
        if not satisfiable(request.headers["range"], stat.st_size) and _if_range_holds(request, etag):
            raise RangeNotSatisfiable(f"Range {request.headers['range'][:100]!r}: {name} has {stat.st_size} bytes",
                                      size=stat.st_size)
        return FileResponse(path, media_type=MEDIA_TYPES[name], headers=headers, stat_result=stat)
    return MappedFile(path, media_type=MEDIA_TYPES[name], headers=headers)


MAX_RANGES = 16
"""Ranges one request may ask for; more is ignored (RFC 9110 §14.2: many small ranges are a denial of service)."""
_POSITION = re.compile(r"[0-9]{1,19}")


def ranged(header: str | None, size: int) -> bool:
    """Whether to answer ``Range`` (with Starlette's 206 or 416) rather than ignore it and send the whole file.

    RFC 9110 §14.2: a Range in a unit other than bytes, or that is not a valid ranges-specifier
    (``bytes=5-1``, ``bytes=abc``), is ignored, not an error; Starlette would answer those 400. Only
    a valid one reaches it: 206 for what can be satisfied, 416 when nothing can."""
    if header is None:
        return False
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return False
    parts = specs.split(",")
    if len(parts) > MAX_RANGES:
        return False
    for part in parts:
        first, dash, last = (p.strip() for p in part.strip().partition("-"))
        if not dash or not (_POSITION.fullmatch(first) or first == "") or not (_POSITION.fullmatch(last) or last == ""):
            return False
        if first == "" and last == "":  # "-" alone
            return False
        if first and last and int(last) < int(first):
            return False
    return size > 0


def satisfiable(header: str, size: int) -> bool:
    """Whether some range of a valid ``bytes=`` header (see :func:`ranged`) falls within a file of ``size`` bytes."""
    for part in header.partition("=")[2].split(","):
        first, _, last = (p.strip() for p in part.strip().partition("-"))
        if (first and int(first) < size) or (not first and last and int(last) > 0):
            return True
    return False


def _if_range_holds(request: Request, etag: str) -> bool:
    """No If-Range, or one naming this file: the Range applies (otherwise the whole file is sent, RFC 9110 §13.1.5)."""
    wanted = request.headers.get("if-range")
    return wanted is None or wanted.strip() == etag


class MappedFile(Response):
    """A whole release file, memory-mapped and sent in 1 MiB chunks from the event loop.

    Starlette's FileResponse reads through a thread pool, a hop per chunk and per open and close:
    measured, that cost more than everything else a dump answer does (1.5 ms for a 158 KB file).
    Release files never change once written, and the mapping reads from the page cache."""

    CHUNK = 1 << 20

    def __init__(self, path: Path, *, media_type: str, headers: dict[str, str]) -> None:
        self.path, self.status_code, self.media_type, self.background = path, 200, media_type, None
        size = path.stat().st_size
        self.init_headers({**headers, "Content-Length": str(size)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        with self.path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                await send({"type": "http.response.body", "body": b""})
                return
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                for start in range(0, size, self.CHUNK):
                    end = min(start + self.CHUNK, size)
                    await send({"type": "http.response.body", "body": mapped[start:end], "more_body": end < size})


def _dump_routes() -> None:
    for fmt in DUMP_FORMATS:
        for gz in (False, True):
            file_name = layout.dump_name(fmt, gz=gz)

            async def dump(request: Request, site: SiteDep, file_name: str = file_name) -> Response:
                async with site.serving() as served:
                    return _file(request, served.release, file_name, CURRENT_CACHE)

            url = "/" + dump_url_name(file_name)
            summary = f"The whole dataset as {fmt.label}{' (gzip)' if gz else ''}, from the served release"
            router.add_api_route(url, dump, methods=["GET"], summary=summary)
            router.add_api_route(url, dump, methods=["HEAD"], include_in_schema=False)


_dump_routes()


@router.head("/" + URL_STEM, include_in_schema=False)
@router.get("/" + URL_STEM, summary="The whole dataset in the format Accept or format= asks for (Turtle by default); "
            "Content-Location names the file")
async def negotiated_dump(request: Request, site: SiteDep) -> Response:
    """The same bytes as ``/dump.<ext>``, chosen through the one negotiation (``Vary: Accept``)."""
    names = [n for n in request.query_params.getlist("format") if n]
    fmt, _ = negotiate.pick(formats.Kind.RDF, request.headers.get("accept"), names, offered=DUMP_FORMATS,
                            what="a dump")
    file_name = layout.dump_name(fmt)
    async with site.serving() as served:
        response = _file(request, served.release, file_name, CURRENT_CACHE)
    response.headers["Content-Location"] = "/" + dump_url_name(file_name)
    response.headers["Vary"] = "Accept"
    return response


@router.head("/" + layout.CHANGES, include_in_schema=False)
@router.get("/" + layout.CHANGES, summary="What changed in the served release since the one before it "
            "(RDF Patch, gzip)")
async def changes(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        return _file(request, served.release, layout.CHANGES, CURRENT_CACHE)


JSON = "application/json"


def _entry(release: Release, current: str) -> dict[str, object]:
    base = f"/releases/{release.version}/"
    return {"version": release.version, "built_at": release.manifest.built_at, "format": release.manifest.format,
            "current": release.version == current, "url": base, "previous": release.manifest.previous,
            "files": {name: {"url": base + name, "bytes": f.bytes, "sha256": f.sha256}
                      for name, f in sorted(release.manifest.files.items()) if name in MEDIA_TYPES}}


def _listing_format(request: Request) -> tuple[formats.Format, str] | None:
    """The RDF format the client asks the listing in, or None for JSON (the default).

    ``format=`` names an RDF format as ``/sparql`` reads it (``json`` is JSON-LD there too); else
    Accept decides between JSON and the RDF formats, JSON winning ties (``*/*``) and answering
    when no RDF type is acceptable."""
    names = [v for v in request.query_params.getlist("format") if v]
    accept = request.headers.get("accept")
    if names:
        return negotiate.pick(formats.Kind.RDF, accept, names, what="the release listing")
    rdf = [m for f in formats.by_kind(formats.Kind.RDF) for m in f.media_types]
    if negotiate.choose(accept, [JSON, *rdf]) in (None, JSON):
        return None
    return negotiate.pick(formats.Kind.RDF, accept, what="the release listing")


@router.head("/releases/", include_in_schema=False)
@router.get("/releases/", summary="Every kept release, newest first, with its files: JSON, or DCAT in RDF "
            "(Accept or format=)")
async def releases(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        chosen = _listing_format(request)
        media_type = JSON if chosen is None else chosen[1]
        current, base_iri = served.release.version, site.settings.base_iri
        kept = history.kept(history.root_of(served.release))
        etag = conditional.validator(current, "releases", media_type, base_iri, *(r.version for r in kept))
        headers = {"Cache-Control": CURRENT_CACHE, "Vary": "Accept"}
        unchanged = conditional.not_modified(request, etag, headers)
        if unchanged is not None:
            return unchanged
        headers["ETag"] = etag
        if chosen is None:
            listing = {"current": current, "releases": [_entry(r, current) for r in kept]}
            return JSONResponse(listing, headers=headers)
        triples = release_rdf.listing(kept, current=current, base_iri=base_iri, files=MEDIA_TYPES)
        body = serialize(triples, chosen[0], prefixes=release_rdf.PREFIXES).body
        return Response(body, media_type=media_type, headers=headers)


def _release(site_release: Release, version: str) -> Release:
    if not version.isalnum():
        raise NotFound(f"no release {version!r}")
    folder = history.root_of(site_release) / version
    if not (folder / layout.MANIFEST).is_file():
        raise NotFound(f"no release {version!r} is kept here; /releases/ lists them")
    return open_release(folder)


@router.head("/releases/{version}/", include_in_schema=False)
@router.get("/releases/{version}/", summary="One kept release: its files")
async def release_index(request: Request, site: SiteDep, version: str) -> Response:
    async with site.serving() as served:
        release = _release(served.release, version)
        etag = conditional.validator(release.version, "release-index", served.release.version)
        return conditional.respond(request, JSONResponse(_entry(release, served.release.version),
                                                         headers={"Cache-Control": CURRENT_CACHE}), etag)


@router.head("/releases/{version}/{name}", include_in_schema=False)
@router.get("/releases/{version}/{name}", summary="A file of a kept release (immutable)")
async def release_file(request: Request, site: SiteDep, version: str, name: str) -> Response:
    async with site.serving() as served:
        return _file(request, _release(served.release, version), name, IMMUTABLE_CACHE)
