"""FastAPI dependencies: the site and the settings.

Routes hold the served release for a request with ``async with site.serving()``, not through
a yield dependency: FastAPI's generator dependencies cost more than the whole cached answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kgpub.settings import Settings
from kgpub.site import Site


async def get_site(request: Request) -> Site:  # async: sync dependencies cost a thread hop
    site: Site = request.app.state.site
    return site


async def get_settings(request: Request) -> Settings:
    site: Site = request.app.state.site
    return site.settings


SiteDep = Annotated[Site, Depends(get_site)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
