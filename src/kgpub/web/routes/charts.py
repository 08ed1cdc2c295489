"""``/charts/<id>.vl.json``: each chart of the pages as a Vega-Lite specification, its data inline.

The same chart the pages draw (:func:`kgpub.resources.home.chart_views`), in the reader's language
(``lang=``, the cookie, ``Accept-Language``), so a user can restyle or embed it with any Vega-Lite tool.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import NotFound
from kgpub.resources import charts
from kgpub.resources.home import chart_views
from kgpub.site import Site
from kgpub.web import conditional, pages
from kgpub.web.routes.dumps import CURRENT_CACHE

router = APIRouter()
SUFFIX = ".vl.json"


async def chart_spec(request: Request) -> Response:
    site: Site = request.app.state.site
    name = request.path_params["name"]
    async with site.serving() as served:
        lang = pages.language(request).lang
        etag = conditional.validator(served.release.version, "chart", name, lang, strong=True)
        headers = {"ETag": etag, "Cache-Control": CURRENT_CACHE, "Content-Language": lang, "Vary": pages.PAGE_VARY}
        views = await served.off_loop(lambda: chart_views(served.views, lang))
        found = next((v for v in views if v.chart.id + SUFFIX == name), None)
        if found is None:
            raise NotFound(f"/charts/{name}: no such chart in release {served.release.version} "
                           "(the home page links every chart's specification)")
        unchanged = conditional.not_modified(request, etag, headers)
        if unchanged is not None:
            return unchanged
        body = json.dumps(charts.vega_lite(found.chart), ensure_ascii=False, indent=1).encode("utf-8")
        return pages.remember(request, Response(body, media_type="application/json", headers=headers))


router.add_route("/charts/{name}", chart_spec, methods=["GET", "HEAD"], include_in_schema=False)
