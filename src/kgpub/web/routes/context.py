"""``/context.jsonld``: the JSON-LD context of the served release, the one its JSON-LD dump embeds.

The dump never needs it (its context is inline); it is served so that other documents can
use our prefixes by reference. The body is the release's ``context.jsonld`` file, as is.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import NotFound
from kgpub.rdf.formats import BY_NAME
from kgpub.rdf.jsonld import CONTEXT_NAME
from kgpub.web import conditional
from kgpub.web.deps import SiteDep

router = APIRouter()
MEDIA_TYPE = BY_NAME["jsonld"].media_type


@router.head("/" + CONTEXT_NAME, include_in_schema=False)
@router.get("/" + CONTEXT_NAME, summary="The JSON-LD context of the dataset (the prefixes its JSON-LD dump uses)")
async def context(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        etag = conditional.validator(served.release.version, CONTEXT_NAME)
        headers = {"ETag": etag}
        unchanged = conditional.not_modified(request, etag, headers)
        if unchanged is not None:
            return unchanged
        path = served.release.file(CONTEXT_NAME)
        if not path.is_file():
            raise NotFound(f"release {served.release.version} has no {CONTEXT_NAME}: it was built by an older "
                           "kgpub; rebuild it with `kgpub build`")
        return Response(path.read_bytes(), media_type=MEDIA_TYPE, headers=headers)
