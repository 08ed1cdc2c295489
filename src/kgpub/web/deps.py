"""FastAPI dependencies: the site, and the served release held for one request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from kgpub.settings import Settings
from kgpub.site import Served, Site


async def get_site(request: Request) -> Site:  # async: sync dependencies cost a thread hop
    site: Site = request.app.state.site
    return site


async def get_served(request: Request) -> AsyncIterator[Served]:
    """The release and query service for this request: a swap does not change them under it."""
    site: Site = request.app.state.site
    async with site.serving() as served:
        yield served


async def get_settings(request: Request) -> Settings:
    site: Site = request.app.state.site
    return site.settings


SiteDep = Annotated[Site, Depends(get_site)]
ServedDep = Annotated[Served, Depends(get_served)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
