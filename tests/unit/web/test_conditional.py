"""The one conditional-GET helper: validators, If-None-Match matching, 304s."""

import pytest
from starlette.requests import Request
from starlette.responses import Response

from kgpub.web.conditional import matches, not_modified, respond, validator


def request(method: str = "GET", if_none_match: str | None = None) -> Request:
    headers = [(b"if-none-match", if_none_match.encode())] if if_none_match is not None else []
    return Request({"type": "http", "method": method, "headers": headers, "path": "/", "query_string": b""})


def test_validators_depend_on_release_and_parts() -> None:
    etag = validator("v1", "query", "ASK {}")
    assert etag.startswith('W/"') and etag == validator("v1", "query", b"ASK {}")
    assert etag != validator("v2", "query", "ASK {}") != validator("v1", "query", "ASK {} ")
    assert validator("v1", "ab", "c") != validator("v1", "a", "bc")  # parts are separated


@pytest.mark.parametrize(("header", "expected"), [
    (None, False), ("", False), ('W/"x"', True), ('"x"', True), ('"y", W/"x"', True), ("*", True), ('"y"', False)])
def test_if_none_match_weak_comparison(header: str | None, expected: bool) -> None:
    assert matches(header, 'W/"x"') is expected


def test_304_only_for_get_and_head_and_keeps_cache_headers() -> None:
    etag = validator("v", "x")
    r = not_modified(request("GET", etag), etag, {"Vary": "Accept", "X-Other": "dropped"})
    assert r is not None and r.status_code == 304 and r.body == b""
    assert r.headers["etag"] == etag and r.headers["vary"] == "Accept" and "x-other" not in r.headers
    assert not_modified(request("HEAD", etag), etag) is not None
    assert not_modified(request("POST", etag), etag) is None
    assert not_modified(request("GET", '"other"'), etag) is None


def test_respond_adds_the_validator_or_answers_304() -> None:
    etag = validator("v", "body")
    fresh = respond(request(), Response(b"body", headers={"Cache-Control": "no-store"}), etag)
    assert fresh.status_code == 200 and fresh.headers["etag"] == etag
    cached = respond(request(if_none_match=etag), Response(b"body", headers={"Cache-Control": "no-store"}), etag)
    assert cached.status_code == 304 and cached.headers["cache-control"] == "no-store"
