"""Operator endpoints: liveness (``/healthz``) and readiness (``/readyz``), from what the site really holds."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.web import conditional
from kgpub.web.deps import SiteDep

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _json(request: Request, version: str, data: dict[str, object], status: int = 200,
          volatile: tuple[str, ...] = ()) -> Response:
    """``data`` as JSON; its weak ETag ignores the ``volatile`` counters (an answer that differs only in
    them is semantically the same, RFC 9110 §8.8.1), so a poll a moment later can still be a 304."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    response = Response(body, status_code=status, media_type="application/json", headers=NO_STORE)
    if status != 200:
        return response
    stable = json.dumps({k: v for k, v in data.items() if k not in volatile}, ensure_ascii=False)
    return conditional.respond(request, response, conditional.validator(version, stable))


@router.get("/healthz", summary="Liveness: the process answers; the release served and how its backend is")
async def healthz(request: Request, site: SiteDep) -> Response:
    return _json(request, site.release.version, site.liveness(), volatile=("uptime_s",))


@router.get("/readyz", summary="Readiness: 200 when queries can be answered now, else 503 with the reason",
            responses={503: {"description": "not ready (starting, shutting down, or no query worker running)"}})
async def readyz(request: Request, site: SiteDep) -> Response:
    ready = site.readiness()
    data: dict[str, object] = {"ready": ready.ready, "release": site.release.version, "backend": ready.detail}
    if ready.reason:
        data["reason"] = ready.reason
    return _json(request, site.release.version, data, 200 if ready.ready else 503)
