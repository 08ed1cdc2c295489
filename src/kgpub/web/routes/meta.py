"""Service endpoints: liveness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/healthz", summary="Liveness: the release served and the query workers")
async def healthz(request: Request) -> dict[str, Any]:
    endpoint = request.app.state.endpoint
    return {"status": "ok", "release": endpoint.release.version,
            "workers": {"size": endpoint.pool.size, "idle": endpoint.pool.idle, "replaced": endpoint.pool.replaced}}
