"""``/dataset.jsonld``: the dataset as schema.org ``Dataset`` JSON-LD (:mod:`kgpub.metadata.schema_org`), for
search engines and other harvesters of schema.org; the same facts as the VoID + DCAT description.

The body is computed once per served release, settings and kept releases. Its ETag is strong (the
SHA-256 of the bytes, which name the release version, so it changes with the release),
``Last-Modified`` the release's build time; a 304 comes from the one conditional-GET helper, and
the cache lifetime is the dumps' (it follows the served release).
"""

from __future__ import annotations

import hashlib
import json
from email.utils import format_datetime
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import Store

from kgpub.metadata import schema_org
from kgpub.rdf.formats import BY_NAME
from kgpub.release import history
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.web import conditional
from kgpub.web.deps import SiteDep
from kgpub.web.routes.dumps import CURRENT_CACHE

router = APIRouter()
PATH = "/dataset.jsonld"
MEDIA_TYPE = BY_NAME["jsonld"].media_type


@lru_cache(maxsize=4)
def body(release: Release, settings: Settings, kept: tuple[Release, ...], store: Store) -> bytes:
    """The JSON-LD document's bytes (``kept``: the releases kept beside ``release``, newest first; ``store``: the
    served release's, embedded or remote)."""
    document = schema_org.dataset_jsonld(release, settings, store=store, releases=kept)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@router.head(PATH, include_in_schema=False)
@router.get(PATH, summary="The dataset as schema.org Dataset JSON-LD (for search engines)")
async def dataset(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:
        release = served.release
        kept = tuple(history.kept(history.root_of(release)))
        data = await served.off_loop(lambda: body(release, served.settings, kept, served.store))
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        modified = release.built
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
                   "Cache-Control": CURRENT_CACHE}
        unchanged = conditional.not_modified(request, etag, headers, modified=modified)
        if unchanged is not None:
            return unchanged
        return Response(data, media_type=MEDIA_TYPE, headers=headers)
