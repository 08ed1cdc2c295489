"""Dumps over HTTP: ``/dump.<ext>[.gz]`` of the served release, and every kept release under ``/releases/``.

Files are streamed from the release folder as they are, never rebuilt: the strong ETag is the
file's SHA-256 from the manifest, ``Last-Modified`` the release's build time, and Starlette's
file response answers ``Range`` (resumable downloads) and HEAD. Gzip files are served as
``application/gzip`` (the inner format is in the file name), never compressed again.
The unversioned URLs follow the served release with a short cache lifetime; the versioned
ones never change and say so (``immutable``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from kgpub.errors import NotFound, ReleaseNotFound
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS
from kgpub.rdf.jsonld import CONTEXT_NAME
from kgpub.release import layout
from kgpub.release.reader import Release, open_release
from kgpub.web import conditional
from kgpub.web.deps import SiteDep

router = APIRouter()

CURRENT_CACHE = "public, max-age=300, must-revalidate"  # follows the served release: revalidate by ETag
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # /releases/<version>/... never changes
URL_STEM = "dump"  # /dump.ttl is the release file dataset.ttl

MEDIA_TYPES = {layout.dump_name(f): f.media_type for f in DUMP_FORMATS} | {
    layout.dump_name(f, gz=True): "application/gzip" for f in DUMP_FORMATS} | {
    CONTEXT_NAME: BY_NAME["jsonld"].media_type, "validation.ttl": BY_NAME["turtle"].media_type,
    "queries.json": "application/json", "validation.txt": "text/plain; charset=utf-8"}


def dump_url_name(file_name: str) -> str:
    """``dataset.ttl.gz`` -> ``dump.ttl.gz``: the URL of a dump file relative to the server's root."""
    return URL_STEM + file_name.removeprefix(layout.DUMP_STEM)


def _built_at(release: Release) -> datetime:
    return datetime.fromisoformat(release.manifest.built_at.replace("Z", "+00:00")).astimezone(UTC)


def _file(request: Request, release: Release, name: str, cache: str) -> Response:
    entry = release.manifest.files.get(name)
    if entry is None or name not in MEDIA_TYPES:
        raise NotFound(f"release {release.version} has no file {name!r}")
    path: Path = release.file(name)
    etag = f'"{entry.sha256}"'
    modified = _built_at(release)
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": cache,
               "Accept-Ranges": "bytes"}
    unchanged = conditional.not_modified(request, etag, headers, modified=modified)
    if unchanged is not None:
        return unchanged
    return FileResponse(path, media_type=MEDIA_TYPES[name], headers=headers, stat_result=path.stat())


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


def _kept(root: Path) -> list[Release]:
    """Every complete release in ``root``, newest first (a folder without a readable manifest is skipped)."""
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.name == layout.CURRENT or folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            found.append(open_release(folder))
        except ReleaseNotFound:  # a damaged or foreign folder is not a release to list
            continue
    return sorted(found, key=lambda r: (r.manifest.built_at, r.version), reverse=True)


def _root(release: Release) -> Path:
    return release.path.resolve().parent


def _entry(release: Release, current: str) -> dict[str, object]:
    base = f"/releases/{release.version}/"
    return {"version": release.version, "built_at": release.manifest.built_at, "format": release.manifest.format,
            "current": release.version == current, "url": base,
            "files": {name: {"url": base + name, "bytes": f.bytes, "sha256": f.sha256}
                      for name, f in sorted(release.manifest.files.items()) if name in MEDIA_TYPES}}


@router.head("/releases/", include_in_schema=False)
@router.get("/releases/", summary="Every kept release, newest first, with its files")
async def releases(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        kept = _kept(_root(served.release))
        listing = {"current": served.release.version, "releases": [_entry(r, served.release.version) for r in kept]}
        etag = conditional.validator(served.release.version, "releases", *(r.version for r in kept))
        headers = {"Cache-Control": CURRENT_CACHE}
        return conditional.respond(request, JSONResponse(listing, headers=headers), etag)


def _release(site_release: Release, version: str) -> Release:
    if not version.isalnum():
        raise NotFound(f"no release {version!r}")
    folder = _root(site_release) / version
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
