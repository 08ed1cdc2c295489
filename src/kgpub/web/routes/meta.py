"""Operator endpoints: liveness (``/healthz``), readiness (``/readyz``), from what the site really holds, and
the Prometheus metrics (``/metrics``, :mod:`kgpub.web.metrics`)."""

from __future__ import annotations

import json
import os

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kgpub.web import conditional
from kgpub.web.deps import SiteDep
from kgpub.web.metrics import Metrics

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


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", summary="Liveness: the process answers; the release served, how its backend is, and "
            "which server process answered (pid)")
async def healthz(request: Request, site: SiteDep) -> Response:
    """``pid`` tells the server processes of ``kgpub serve --processes N`` apart (each has its own workers)."""
    return _json(request, site.release.version, {**site.liveness(), "pid": os.getpid()}, volatile=("uptime_s",))


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", summary="Readiness: 200 when queries can be answered now, else 503 with the reason",
            responses={503: {"description": "not ready (starting, shutting down, or no query worker running)"}})
async def readyz(request: Request, site: SiteDep) -> Response:
    ready = site.readiness()
    data: dict[str, object] = {"ready": ready.ready, "release": site.release.version, "backend": ready.detail}
    if ready.reason:
        data["reason"] = ready.reason
    return _json(request, site.release.version, data, 200 if ready.ready else 503)


@router.head("/metrics", include_in_schema=False)
@router.get("/metrics", summary="Prometheus metrics: requests by route and status, latency, query workers and "
            "queue, timeouts, refusals, worker restarts, answer cache, readiness",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                                                      "description": "the Prometheus text format"}})
async def metrics(request: Request) -> Response:  # async: the site's numbers are read on the loop that changes them
    """The Prometheus text format, never stored (``Cache-Control: no-store``). Requests are counted by route
    template (``other`` for a path no route matches), the query workers, queue, answer cache and release are
    read when scraped, and the process's own CPU, memory and file descriptors are included."""
    observed: Metrics = request.app.state.metrics
    return Response(generate_latest(observed.registry), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
