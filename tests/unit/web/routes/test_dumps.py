"""Dumps over HTTP: ``/dump.*`` of the served release and ``/releases/<version>/…``, byte for byte.

Strong ETag = the manifest's SHA-256, Last-Modified = build time, 304 on either validator,
Range (206, 416), HEAD, gzip files as application/gzip and never compressed again,
immutable caching for versioned URLs, and a listing of the kept releases.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.sites import IdleBackend, release
from kgpub.rdf.formats import DUMP_FORMATS
from kgpub.release import layout
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app
from kgpub.web.routes.dumps import dump_url_name

DUMPS = [layout.dump_name(f, gz=gz) for f in DUMP_FORMATS for gz in (False, True)]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "releases"
    return Site(Settings.load(env={}, project=tmp_path), release(root, "ex", objects=300), backend=IdleBackend)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.mark.parametrize("name", DUMPS)
def test_every_dump_is_the_release_file_byte_for_byte(client: TestClient, site: Site, name: str) -> None:
    r = client.get("/" + dump_url_name(name), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    data = site.release.file(name).read_bytes()
    assert r.content == data and int(r.headers["content-length"]) == len(data)
    assert "content-encoding" not in r.headers  # stored bytes as they are, never compressed again
    entry = site.release.manifest.files[name]
    assert r.headers["etag"] == f'"{entry.sha256}"'  # strong: the file's SHA-256
    assert r.headers["accept-ranges"] == "bytes"
    assert "max-age=300" in r.headers["cache-control"]
    fmt = next(f for f in DUMP_FORMATS if name.startswith(layout.dump_name(f)))
    assert r.headers["content-type"].split(";")[0] == ("application/gzip" if name.endswith(".gz") else fmt.media_type)
    if name.endswith(".gz"):
        assert gzip.decompress(r.content) == site.release.file(name.removesuffix(".gz")).read_bytes()


def test_validators_give_304s_and_head_gives_the_headers(client: TestClient) -> None:
    first = client.get("/dump.nt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/dump.nt", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/dump.nt", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/dump.nt", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert client.get("/dump.nt", headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get("/dump.nt", headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get("/dump.nt", headers=both).status_code == 200
    unchanged = client.get("/dump.nt", headers={"If-None-Match": etag})
    assert unchanged.headers["etag"] == etag and unchanged.content == b""
    head = client.head("/dump.nt")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == first.headers["content-length"]


def test_a_download_resumes_with_range_requests(client: TestClient, site: Site) -> None:
    data = site.release.file("dataset.nt").read_bytes()
    half = len(data) // 2
    first = client.get("/dump.nt", headers={"Range": f"bytes=0-{half - 1}"})
    rest = client.get("/dump.nt", headers={"Range": f"bytes={half}-"})
    assert (first.status_code, rest.status_code) == (206, 206)
    assert first.content + rest.content == data
    assert rest.headers["content-range"] == f"bytes {half}-{len(data) - 1}/{len(data)}"
    assert client.get("/dump.nt", headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


def test_versioned_urls_are_immutable_and_listed(client: TestClient, site: Site, tmp_path: Path) -> None:
    old = site.release
    new = release(tmp_path / "releases", "example", objects=2)
    asyncio.run(site.swap(new))
    listing = client.get("/releases/")
    assert listing.status_code == 200
    body = listing.json()
    assert body["current"] == new.version
    assert [r["version"] for r in body["releases"]] == sorted(
        [old.version, new.version], key=lambda v: v == new.version, reverse=True)  # newest first
    assert [r["current"] for r in body["releases"]] == [True, False]
    url = body["releases"][1]["files"]["dataset.nt"]["url"]
    assert url == f"/releases/{old.version}/dataset.nt"
    r = client.get(url)
    assert r.status_code == 200 and r.content == old.file("dataset.nt").read_bytes()
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/dump.nt").content == new.file("dataset.nt").read_bytes()  # the unversioned URL moved on
    index = client.get(f"/releases/{old.version}/")
    assert index.status_code == 200 and index.json()["version"] == old.version


@pytest.mark.parametrize("path", ["/releases/0000000000000000/dataset.nt", "/releases/../dataset.nt",
                                  "/releases/x.y/", "/dump.rdf", "/dump.xyz.gz"])
def test_unknown_releases_and_files_are_404s_in_the_error_body(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["status"] == 404


def test_a_file_outside_the_release_list_is_refused(client: TestClient, site: Site) -> None:
    for name in ("manifest.json", "store", "nope.txt"):
        assert client.get(f"/releases/{site.release.version}/{name}").status_code == 404
