"""Remembered answers replayed (web/replay): the same bytes as the application's, never a wrong one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from helpers.published import PublishedGraph
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

ASK = "ASK { ?s ?p ?o }"


@pytest.fixture
def app_client(published: PublishedGraph) -> Iterator[TestClient]:
    settings = Settings.load(env={}, project=published.release.path, access_log=False)
    with TestClient(create_app(Site(settings, published.release))) as client:
        yield client


def same(a: object, b: object) -> None:
    ra, rb = a, b  # httpx responses
    assert ra.status_code == rb.status_code  # type: ignore[attr-defined]
    assert ra.content == rb.content  # type: ignore[attr-defined]
    drop = {"date"}
    assert {k: v for k, v in ra.headers.items() if k not in drop} == \
        {k: v for k, v in rb.headers.items() if k not in drop}  # type: ignore[attr-defined]


def test_a_repeated_query_is_replayed_byte_for_byte_without_the_application(app_client: TestClient) -> None:
    replay = app_client.app.state.replay  # type: ignore[attr-defined]
    service = app_client.app.state.site.current.service  # type: ignore[attr-defined]
    first = app_client.get("/sparql", params={"query": ASK})
    hits = service.cache.hits
    again = app_client.get("/sparql", params={"query": ASK})
    same(first, again)
    assert replay.hits == 1 and service.cache.hits == hits  # the app was not asked again


def test_every_request_header_that_can_change_an_answer_is_part_of_the_key(app_client: TestClient) -> None:
    plain = app_client.get("/sparql", params={"query": ASK})
    xml = app_client.get("/sparql", params={"query": ASK}, headers={"Accept": "application/sparql-results+xml"})
    cors = app_client.get("/sparql", params={"query": ASK}, headers={"Origin": "https://example.org"})
    gz = app_client.get("/id/country/KR", headers={"Accept-Encoding": "gzip"})
    identity = app_client.get("/id/country/KR", headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-type"] != xml.headers["content-type"]
    assert "access-control-allow-origin" not in plain.headers and cors.headers["access-control-allow-origin"] == "*"
    again = app_client.get("/sparql", params={"query": ASK}, headers={"Origin": "https://example.org"})
    same(cors, again)
    assert gz.headers.get("content-encoding") == "gzip" and "content-encoding" not in identity.headers
    same(identity, app_client.get("/id/country/KR", headers={"Accept-Encoding": "identity"}))


def test_conditional_requests_errors_and_volatile_answers_are_never_kept(app_client: TestClient) -> None:
    replay = app_client.app.state.replay  # type: ignore[attr-defined]
    first = app_client.get("/sparql", params={"query": ASK})
    for _ in range(2):
        r = app_client.get("/sparql", params={"query": ASK}, headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304
        bad = app_client.get("/sparql", params={"query": "SELECT"})
        assert bad.status_code == 400
        health = app_client.get("/healthz")
        assert health.status_code == 200
    assert replay.hits == 0


def test_a_page_that_sets_the_language_cookie_is_not_kept(app_client: TestClient) -> None:
    replay = app_client.app.state.replay  # type: ignore[attr-defined]
    for _ in range(2):
        r = app_client.get("/id/country/KR", params={"lang": "ko"}, headers={"Accept": "text/html"})
        assert r.status_code == 200 and "set-cookie" in r.headers
    assert replay.hits == 0


def test_a_new_release_empties_what_was_kept(app_client: TestClient) -> None:
    replay = app_client.app.state.replay  # type: ignore[attr-defined]
    app_client.get("/sparql", params={"query": ASK})
    assert len(replay) == 1
    replay.version = lambda: "another-release"
    app_client.get("/sparql", params={"query": "ASK {}"})
    assert len(replay) == 1 and replay.hits == 0
