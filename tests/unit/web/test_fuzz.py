"""Property-based fuzzing of the app in-process (FastAPI's TestClient over the real article release).

Whatever a client sends (SPARQL text, grammar-ish or random; every /sparql parameter; ``format=``,
``timeout=``, ``lang=``; fragment selectors; search terms; Accept, Accept-Language, If-None-Match,
If-Modified-Since, Range, Cookie, Content-Type with any charset; paths under every prefix), the answer
is never a server error, and every error answer is the one error body of its status
(``{"error": {"code", "status", "message"}}``, or the HTML error page). The only 5xx allowed are the
documented retryable 503s (a query stopped at its time limit; admission control).

The budget is fixed and the run derandomized (same examples on every run, CI included): about a minute
in all. ``KGPUB_FUZZ_EXAMPLES=<n>`` runs ``n`` examples per test instead, with fresh randomness when
``KGPUB_FUZZ_SEED`` is set too; see ``bench/FUZZING.md``.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, example, given, seed, settings
from hypothesis import strategies as st

from helpers import strategies as fuzz
from helpers.published import PublishedGraph
from kgpub import errors
from kgpub.resources import documents
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

EXAMPLES = int(os.environ.get("KGPUB_FUZZ_EXAMPLES", "0") or 0)
SEED = os.environ.get("KGPUB_FUZZ_SEED")
T = TypeVar("T", bound=Callable[..., Any])
RETRYABLE = {"query_timeout", "overloaded"}
"""5xx codes that are the server working as designed (a limit, not a bug)."""


def budget(examples: int) -> settings:
    """``examples`` in CI (derandomized); ``KGPUB_FUZZ_EXAMPLES`` for a longer session."""
    return settings(max_examples=EXAMPLES or examples, derandomize=SEED is None, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    print_blob=True)


def seeded(test: T) -> T:
    """With ``KGPUB_FUZZ_SEED``, a reproducible run of new examples."""
    return seed(int(SEED))(test) if SEED is not None else test


@pytest.fixture(scope="module")
def fuzz_client(published: PublishedGraph) -> Iterator[TestClient]:
    """The app over the real release with a short query time limit (random queries may be expensive)."""
    settings_ = Settings.load(env={}, project=published.release.path, query_timeout=1.0, max_rows=20)
    with TestClient(create_app(Site(settings_, published.release)), raise_server_exceptions=False) as client:
        yield client


def check(response, what: object) -> None:  # type: ignore[no-untyped-def]
    """Never a server error (but the designed 503s); every error answer the one error body of its status."""
    status = response.status_code
    event(f"status {status}")  # --hypothesis-show-statistics: how many examples got how far
    assert not any(c in v for _, v in response.headers.items() for c in "\r\n"), (what, response.headers)
    if status < 400 or response.request.method == "HEAD":  # a HEAD answer has no body to judge
        assert status < 500 or response.request.method != "HEAD" or status == 503, (what, status)
        return
    if status == 416:  # Starlette's own answer, which names the size; its body: see test_unsatisfiable_range_...
        assert response.headers["content-range"].startswith("bytes */"), (what, response.headers)
        return
    media_type = response.headers.get("content-type", "").split(";")[0]
    if media_type == "text/html":
        assert str(status) in response.text, (what, status, response.text[:300])
        found = re.search(r"<title>(\d{3}) ([a-z_]+)", response.text)
        assert found is not None and int(found.group(1)) == status, (what, status, response.text[:300])
        code = found.group(2)
    else:
        assert media_type == "application/json", (what, status, response.headers, response.text[:300])
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "status", "message"}, (what, body)
        assert body["error"]["status"] == status and body["error"]["message"], (what, body)
        code = body["error"]["code"]
    assert errors.by_code(code).status == status, (what, status, code)  # a code of the registry, of this status
    if status >= 500:
        assert code in RETRYABLE, f"{what}: {status} {code}: {response.text[:500]}"


def form(params: list[tuple[str, str]]) -> bytes:
    return urlencode(params, quote_via=quote).encode()


# --------------------------------------------------------------------------- /sparql


@budget(200)
@seeded
@given(params=fuzz.sparql_params(), headers=fuzz.headers())
@example(params=[("query", "ASK {}"), ("format", "json")] * 3, headers={})
@example(params=[("query", "SELECT * { ?s ?p ?o } LIMIT 1"), ("timeout", "nan")], headers={"accept": b"*/*;q=NaN"})
@example(params=[("edit", "SELECT \u0000 {")], headers={"accept": b"text/html", "accept-language": b"ko"})
def test_fuzz_sparql_get(fuzz_client: TestClient, params: list[tuple[str, str]], headers: dict[str, bytes]) -> None:
    r = fuzz_client.get("/sparql?" + urlencode(params, quote_via=quote), headers=headers)
    check(r, ("GET", params, headers))


@budget(150)
@seeded
@given(params=fuzz.sparql_params(), url_params=fuzz.sparql_params(with_query=False), headers=fuzz.headers())
def test_fuzz_sparql_post_form(fuzz_client: TestClient, params: list[tuple[str, str]],
                               url_params: list[tuple[str, str]], headers: dict[str, bytes]) -> None:
    headers = {**headers, "content-type": b"application/x-www-form-urlencoded"}
    r = fuzz_client.post("/sparql?" + urlencode(url_params, quote_via=quote), content=form(params), headers=headers)
    check(r, ("POST form", params, url_params, headers))


@budget(150)
@seeded
@given(query=fuzz.sparql_texts, raw=st.binary(max_size=300), use_raw=st.booleans(),
       url_params=fuzz.sparql_params(with_query=False), content_type=fuzz.content_types(), headers=fuzz.headers())
@example(query="ASK {}", raw=b"", use_raw=False, url_params=[],
         content_type=b"application/sparql-query; charset=utf-16", headers={})
@example(query="", raw=b"\xff\xfe\x00A", use_raw=True, url_params=[],
         content_type=b"application/x-www-form-urlencoded", headers={})
def test_fuzz_sparql_post_body(fuzz_client: TestClient, query: str, raw: bytes, use_raw: bool,
                               url_params: list[tuple[str, str]], content_type: bytes,
                               headers: dict[str, bytes]) -> None:
    """POST with any Content-Type (charsets included) and any body, text or bytes."""
    body = raw if use_raw else query.encode("utf-8")
    r = fuzz_client.post("/sparql?" + urlencode(url_params, quote_via=quote), content=body,
                         headers={**headers, "content-type": content_type})
    check(r, ("POST", content_type, body[:200], url_params, headers))


# --------------------------------------------------------------------------- every other route

ROUTES = ("/", "/sparql", "/fragments", "/search", "/id/country/KR", "/id/country/KR.ttl", "/ontology", "/shapes.nt",
          "/validation", "/.well-known/void", "/graph/data", "/dump", "/dump.ttl", "/dump.nq.gz", "/releases/",
          "/context.jsonld", "/dataset.jsonld", "/datasets/bilateral-trade.csv", "/changes.rdfp.gz", "/healthz",
          "/readyz", "/docs", "/openapi.json")
NAMES = ("format", "lang", "q", "subject", "predicate", "object", "graph", "page", "query", "edit", "timeout", "x")


@st.composite
def route_params(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Parameters any route might read (each route ignores the others): the interesting values per name."""
    values = {"format": fuzz.FORMAT_VALUES, "lang": fuzz.LANG_VALUES, "q": fuzz.search_queries,
              "subject": fuzz.fragment_terms(), "predicate": fuzz.fragment_terms(), "object": fuzz.fragment_terms(),
              "graph": fuzz.fragment_terms(), "page": st.integers(-2, 10**12).map(str) | st.text(max_size=4),
              "query": fuzz.sparql_texts, "edit": fuzz.sparql_texts, "timeout": fuzz.TIMEOUT_VALUES,
              "x": st.text(max_size=20)}
    names = draw(st.lists(st.sampled_from(NAMES), max_size=4))
    return [(name, draw(values[name])) for name in names]


@budget(250)
@seeded
@given(route=st.sampled_from(ROUTES), params=route_params(), headers=fuzz.headers(),
       method=st.sampled_from(("GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "DELETE")))
@example(route="/", params=[("lang", "ko\r\n")], headers={"cookie": b"kgpub_lang=\xff"}, method="GET")
@example(route="/id/country/KR", params=[], headers={"accept-language": "-".join(["ko"] + ["x"] * 30_000).encode()},
         method="GET")
def test_fuzz_parameters_and_headers_on_every_route(fuzz_client: TestClient, route: str,
                                                    params: list[tuple[str, str]], headers: dict[str, bytes],
                                                    method: str) -> None:
    started = time.monotonic()
    r = fuzz_client.request(method, route + ("?" + urlencode(params, quote_via=quote) if params else ""),
                            headers=headers)
    check(r, (method, route, params, headers))
    assert time.monotonic() - started < 5, (method, route, params, headers)


@budget(150)
@seeded
@given(params=fuzz.fragment_params(), headers=fuzz.headers())
@example(params=[("subject", "?s"), ("object", "?s"), ("predicate", "?s")], headers={})
@example(params=[("object", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'), ("page", "99999999999999")],
         headers={})
def test_fuzz_fragments(fuzz_client: TestClient, params: list[tuple[str, str]], headers: dict[str, bytes]) -> None:
    r = fuzz_client.get("/fragments?" + urlencode(params, quote_via=quote), headers=headers)
    check(r, ("fragments", params, headers))


PREFIXES = ("/id/", "/graph/", "/ontology/", "/releases/", "/datasets/", "/static/", "/charts/", "/", "/.well-known/",
            "/dump.", "/search/", "/sparql/")


@budget(200)
@seeded
@given(prefix=st.sampled_from(PREFIXES),
       segments=st.lists(st.one_of(st.text(max_size=20), st.sampled_from(("..", ".", "%2e%2e", "%2F", "%00", "%FF",
                                                                          "%C0%AE", "\\", "ttl", "KR.ttl", "a b"))),
                         max_size=5),
       suffix=st.sampled_from(("", ".ttl", ".csv", ".vl.json", ".csv-metadata.json", "/", ".html", ".gz")))
@example(prefix="/id/", segments=["%c0%ae%c0%ae", "etc"], suffix="")
@example(prefix="/id/", segments=["a b"], suffix="")
@example(prefix="/id/", segments=["\ufffd"], suffix=".ttl")
@example(prefix="/id/", segments=['a"b', "{x}"], suffix="")
def test_fuzz_paths(fuzz_client: TestClient, prefix: str, segments: list[str], suffix: str) -> None:
    """Any path under every prefix: a page, a file or a 4xx (a decoded path with a space or U+FFFD was a 500)."""
    path = prefix + "/".join(quote(s, safe="\\%") for s in segments) + suffix  # "%2e%2e" stays as it is
    path = "/" + path.lstrip("/")  # a client cannot send "//x" as a path (the raw tests of tests/e2e do)
    r = fuzz_client.get(path, headers={"accept": "text/turtle"})
    check(r, path)


@budget(100)
@seeded
@given(q=fuzz.search_queries, fmt=st.sampled_from(("json", "html", "", "xml")), headers=fuzz.headers())
def test_fuzz_search(fuzz_client: TestClient, q: str, fmt: str, headers: dict[str, bytes]) -> None:
    params = [("q", q)] + ([("format", fmt)] if fmt else [])
    r = fuzz_client.get("/search?" + urlencode(params, quote_via=quote), headers=headers)
    check(r, ("search", q, fmt, headers))
    if r.status_code == 200 and r.headers["content-type"].startswith("application/json"):
        assert isinstance(json.loads(r.text)["results"], list)


# --------------------------------------------------------------------------- Range on release files


@pytest.mark.parametrize("value", ["bytes=5-1", "bytes=abc", "items=0-1", "bytes=-", "bytes=1-0,0-0", "bytes=\u0660-1",
                                   "bytes=" + ",".join(f"{i}-{i}" for i in range(100))])
def test_an_invalid_range_is_ignored(fuzz_client: TestClient, value: str) -> None:
    """RFC 9110 §14.2: a Range that is not a valid bytes ranges-specifier (or asks for too many ranges) is
    ignored: the whole file (Starlette answered some of these with a plain-text 400)."""
    whole = fuzz_client.get("/dump.ttl")
    r = fuzz_client.get("/dump.ttl", headers={"range": value.encode("utf-8")})
    assert r.status_code == 200 and r.content == whole.content, (value, r.status_code, r.text[:200])


@pytest.mark.parametrize("value", ["bytes=0-0", "bytes=-10", "bytes=10-", "bytes= 0 - 1 ", "bytes=0-1,5-9"])
def test_a_valid_range_is_answered(fuzz_client: TestClient, value: str) -> None:
    r = fuzz_client.get("/dump.ttl", headers={"range": value})
    assert r.status_code == 206, (value, r.status_code, r.text[:200])


def test_an_unsatisfiable_range_is_the_one_error_body(fuzz_client: TestClient) -> None:
    r = fuzz_client.get("/dump.ttl", headers={"range": "bytes=99999999-"})
    assert r.status_code == 416 and r.headers["content-range"].startswith("bytes */")
    assert r.json()["error"]["status"] == 416


# --------------------------------------------------------------------------- what the fuzzing must not leave behind


def test_long_paths_are_not_remembered(fuzz_client: TestClient) -> None:
    """The documents' memo of resolved paths keeps short paths only: long ones would hold megabytes each."""
    for i in range(20):
        assert fuzz_client.get(f"/id/{i}/" + "a" * 5000).status_code == 404
    site = fuzz_client.app.state.site  # type: ignore[attr-defined]
    remembered = site.current.documents._resolved
    assert remembered, "nothing remembered at all: the memo is not the one this test checks"
    assert max(len(p) for p in remembered) <= documents.REMEMBERED_PATH
