"""The figures as tables over HTTP: ``/datasets/<name>.csv`` and ``/datasets/<name>.csv-metadata.json``.

Both are files of the served release (:mod:`kgpub.metadata.tables` renders them at build
time), streamed as stored by the dump routes' file helper: strong ETag = the file's SHA-256
from the manifest, ``Last-Modified`` = the build time, ``Range``, HEAD and 304. The CSV links
its CSV on the Web metadata (``Link: <…csv-metadata.json>; rel="describedby"``), which a CSVW
processor also finds at the default location (``{+url}-metadata.json``); the metadata's
``url`` is relative, so it describes the CSV beside it here and in ``/releases/<version>/``.
A name the served release has no table for is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kgpub.errors import NotFound
from kgpub.metadata import tables
from kgpub.release.reader import Release
from kgpub.web.deps import SiteDep
from kgpub.web.routes.dumps import CURRENT_CACHE, _file

router = APIRouter()

PREFIX = "/datasets/"


def _table(release: Release, name: str) -> None:
    """Refuse a name the release has no table for (both files must be there)."""
    files = release.manifest.files
    if tables.csv_name(name) not in files or tables.metadata_name(name) not in files:
        known = sorted(f.removesuffix(tables.METADATA_SUFFIX) for f in files if f.endswith(tables.METADATA_SUFFIX))
        raise NotFound(f"release {release.version} has no table {name!r}; the tables are: "
                       f"{', '.join(PREFIX + tables.csv_name(k) for k in known) or 'none'}")


def described_by(name: str) -> str:
    """The ``Link`` of a table's CSV to its metadata (CSV on the Web, "Locating Metadata": Link header)."""
    return f'<{PREFIX}{tables.metadata_name(name)}>; rel="describedby"; type="{tables.METADATA_MEDIA_TYPE}"'


@router.head(PREFIX + "{name}" + tables.CSV_SUFFIX, include_in_schema=False)
@router.get(PREFIX + "{name}" + tables.CSV_SUFFIX,
            summary="A data set's observations as a table (CSV, one row per observation), from the served release")
async def table_csv(request: Request, site: SiteDep, name: str) -> Response:
    async with site.serving() as served:
        _table(served.release, name)
        response = _file(request, served.release, tables.csv_name(name), CURRENT_CACHE)
        response.headers["Link"] = described_by(name)
        return response


@router.head(PREFIX + "{name}" + tables.METADATA_SUFFIX, include_in_schema=False)
@router.get(PREFIX + "{name}" + tables.METADATA_SUFFIX,
            summary="The CSV on the Web metadata of a data set's table: columns, datatypes, and how rows become RDF")
async def table_metadata(request: Request, site: SiteDep, name: str) -> Response:
    async with site.serving() as served:
        _table(served.release, name)
        return _file(request, served.release, tables.metadata_name(name), CURRENT_CACHE)
