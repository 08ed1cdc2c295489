"""``/docs``: the OpenAPI documentation, FastAPI's Swagger UI page over ``/openapi.json``, self-hosted.

FastAPI's own ``/docs`` loads Swagger UI from a CDN; this one loads the vendored copy in
``web/static/swagger-ui/`` (``scripts/vendor-swagger-ui.sh``) under its content-hashed ``/static/`` URLs,
and turns off the validator badge, which would send the OpenAPI document to validator.swagger.io.
The page's Content-Security-Policy holds it to this origin: its one inline script (the initialiser
FastAPI writes) is allowed by its hash; Swagger UI sets inline styles. The app is created with
``docs_url=None`` and ``redoc_url=None`` (ReDoc is not vendored, so it is not served).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from kgpub.web import static_files

router = APIRouter()

FOLDER = "swagger-ui/"
PARAMETERS = {"validatorUrl": None}
"""Swagger UI options beyond FastAPI's defaults: no validator badge (it calls validator.swagger.io)."""
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' {scripts}; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def page(*, openapi_url: str, title: str) -> HTMLResponse:
    """The Swagger UI page over ``openapi_url``, every file it loads from this server, with its policy."""
    answer = get_swagger_ui_html(
        openapi_url=openapi_url, title=title,
        swagger_js_url=static_files.url(FOLDER + "swagger-ui-bundle.js"),
        swagger_css_url=static_files.url(FOLDER + "swagger-ui.css"),
        swagger_favicon_url=static_files.url(FOLDER + "favicon-32x32.png"),
        swagger_ui_parameters=PARAMETERS)
    answer.headers["Content-Security-Policy"] = policy(bytes(answer.body))
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


def policy(html: bytes) -> str:
    """The page's Content-Security-Policy: this origin only, and the inline scripts of ``html`` by their hash."""
    hashes = ["'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
              for body in INLINE_SCRIPT.findall(html)]
    return POLICY.format(scripts=" ".join(hashes))


async def docs(request: Request) -> HTMLResponse:
    app = request.app
    root = request.scope.get("root_path", "").rstrip("/")  # as FastAPI's own /docs, behind a path prefix
    return page(openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI")


router.add_route("/docs", docs, methods=["GET", "HEAD"], include_in_schema=False)
