"""``/context.jsonld``: the served release's context file, with its validator, a 304, and the error body."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.sites import EX, IdleBackend, release
from kgpub.rdf.jsonld import CONTEXT_NAME
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

PATH = "/" + CONTEXT_NAME


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(Settings.load(env={}, project=tmp_path), release(tmp_path / "one", "ex"), backend=IdleBackend)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def test_the_context_is_the_releases_file_as_json_ld(client: TestClient, site: Site) -> None:
    r = client.get(PATH, headers={"Origin": "https://elsewhere.example"})  # other sites' processors may fetch it
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    assert r.content == site.release.file(CONTEXT_NAME).read_bytes()
    assert r.json() == {"@context": {"ex": EX}}
    assert r.headers["etag"].startswith('W/"') and r.headers["access-control-allow-origin"] == "*"


def test_if_none_match_gets_a_304_with_the_same_validator(client: TestClient) -> None:
    etag = client.get(PATH).headers["etag"]
    again = client.get(PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(PATH, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    head = client.head(PATH)
    assert head.status_code == 200 and head.headers["etag"] == etag


def test_a_new_release_serves_its_own_context_under_a_new_validator(client: TestClient, site: Site,
                                                                     tmp_path: Path) -> None:
    before = client.get(PATH)
    asyncio.run(site.swap(release(tmp_path / "two", "example")))
    after = client.get(PATH, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert json.loads(after.content) == {"@context": {"example": EX}}


def test_a_release_without_a_context_is_a_404_in_the_error_body(tmp_path: Path) -> None:
    old = release(tmp_path / "old", "ex")
    copy = Release(Path(shutil.copytree(old.path, tmp_path / "copy" / old.version)))
    (copy.path / CONTEXT_NAME).unlink()  # as a release written before the context existed
    with TestClient(create_app(Site(Settings.load(env={}, project=tmp_path), copy, backend=IdleBackend))) as c:
        r = c.get(PATH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert CONTEXT_NAME in r.json()["error"]["message"]
