"""``/dataset.jsonld``: the schema.org description of the served release, its validators, 304s and HEAD."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.published import PublishedGraph
from helpers.sites import IdleBackend, release
from kgpub.metadata import schema_org
from kgpub.release import history
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

PATH = "/dataset.jsonld"


@pytest.fixture
def site(published: PublishedGraph) -> Site:
    return Site(Settings.load(env={}, project=published.release.path), published.release, backend=IdleBackend)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def test_the_document_is_the_releases_schema_org_dataset(client: TestClient, site: Site) -> None:
    r = client.get(PATH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    served = site.release
    expected = schema_org.dataset_jsonld(served, site.settings, releases=history.kept(history.root_of(served)))
    assert r.json() == expected
    assert r.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert parsedate_to_datetime(r.headers["last-modified"]) == served.built
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong: the bytes
    assert "localhost" not in r.text and "testserver" not in r.text  # canonical URLs only


def test_validators_give_304s_and_head_the_headers(client: TestClient) -> None:
    first = client.get(PATH, headers={"Accept-Encoding": "identity"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    unchanged = client.get(PATH, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    assert client.get(PATH, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(PATH, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert client.get(PATH, headers={"If-Modified-Since": earlier}).status_code == 200
    head = client.head(PATH, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == first.headers["content-length"]


def test_a_new_release_answers_under_a_new_validator(client: TestClient, site: Site, tmp_path: Path) -> None:
    before = client.get(PATH)
    asyncio.run(site.swap(release(tmp_path / "other", "ex")))
    after = client.get(PATH, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json()["version"] == site.release.version != before.json()["version"]
