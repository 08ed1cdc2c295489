"""``/static/<digest>/<name>``: the package's front-end files, immutable under their content hash."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import NotFound
from kgpub.web import conditional, static_files

router = APIRouter()


async def static(request: Request) -> Response:
    digest, name = request.path_params["digest"], request.path_params["name"]
    found = static_files.find(digest, name)
    if found is None:
        raise NotFound(f"{request.url.path}: no such file (a static file's URL carries its content hash; "
                       "reload the page that linked it)")
    etag = f'"{found.digest}"'
    headers = {"ETag": etag, "Cache-Control": static_files.CACHE, "Vary": "Accept-Encoding"}
    unchanged = conditional.not_modified(request, etag, headers)
    if unchanged is not None:
        return unchanged
    if conditional.accepts_gzip(request) and len(found.body) >= conditional.GZIP_MINIMUM:
        headers["Content-Encoding"] = "gzip"  # compressed once per process, not per request
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


router.add_route(static_files.PREFIX + "{digest}/{name:path}", static, methods=["GET", "HEAD"],
                 include_in_schema=False)
