"""/sparql through HTTP: the protocol's operations, negotiation, errors, caching headers."""

import html
import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse

from helpers.projects import ROOT
from kgpub.errors import Overloaded, QueryTimeout, WorkerFailed

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASK = "ASK { ?s a <http://purl.org/linked-data/cube#Observation> }"
CONSTRUCT = "CONSTRUCT WHERE { ?s a <http://schema.org/Country> }"


def count(response) -> int:  # type: ignore[no-untyped-def]
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_get_post_form_and_post_direct_agree(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": COUNT})
    form = client.post("/sparql", data={"query": COUNT})
    direct = client.post("/sparql", content=COUNT, headers={"Content-Type": "application/sparql-query"})
    assert get.status_code == form.status_code == direct.status_code == 200
    assert get.headers["content-type"] == "application/sparql-results+json"
    assert count(get) == count(form) == count(direct) > 900


def test_form_body_is_decoded_exactly_once(client: TestClient) -> None:
    query = 'SELECT ?x WHERE { BIND("a+b %2B c&d" AS ?x) }'
    body = "query=" + quote(query, safe="")
    r = client.post("/sparql", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.json()["results"]["bindings"][0]["x"]["value"] == "a+b %2B c&d"


def test_default_dataset_is_data_and_ontology_and_all_graphs_are_named(client: TestClient) -> None:
    graphs = client.get("/sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g {} } ORDER BY ?g"}).json()
    names = [b["g"]["value"].rsplit("/", 1)[1] for b in graphs["results"]["bindings"]]
    assert names == ["data", "ontology", "shapes", "validation"]
    shapes_in_default = client.get("/sparql", params={
        "query": "ASK { ?s a <http://www.w3.org/ns/shacl#NodeShape> }"}).json()
    assert shapes_in_default["boolean"] is False


def test_protocol_dataset(client: TestClient) -> None:
    data = "https://w3id.org/kjtrade/graph/data"
    only_data = client.get("/sparql", params={"query": COUNT, "default-graph-uri": data})
    independent = rdflib.Graph()  # another parser's count of the distinct triples in data/
    for path in sorted((ROOT / "data").glob("*.ttl")):
        independent.parse(path, format="turtle")
    assert count(only_data) == len(independent) == client.app.state.site.release.graph_triples[data]  # type: ignore[attr-defined]
    no_named = client.get("/sparql", params={"query": "ASK { GRAPH ?g { } }", "default-graph-uri": data})
    assert no_named.json()["boolean"] is False


@pytest.mark.parametrize(("accept", "media_type"), [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("application/json", "application/json"),
    ("*/*", "application/sparql-results+json"),
    ("text/html, */*;q=0.1", "text/html; charset=utf-8"),  # a browser: the result page
    ("text/html;q=0.1, */*", "application/sparql-results+json"),
])
def test_select_negotiation(client: TestClient, accept: str, media_type: str) -> None:
    r = client.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == media_type
    assert "Accept" in r.headers["vary"]


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/ld+json", RdfFormat.JSON_LD), ("application/rdf+xml", RdfFormat.RDF_XML),
    ("application/n-quads", RdfFormat.N_QUADS), ("application/trig", RdfFormat.TRIG), (None, RdfFormat.TURTLE),
])
def test_construct_negotiation(client: TestClient, accept: str | None, fmt: RdfFormat) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].startswith(fmt.media_type)
    assert len(list(parse(r.content, format=fmt))) == 2


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": COUNT, "format": "csv"}, headers={"Accept": "application/json"})
    assert r.headers["content-type"] == "text/csv; charset=utf-8" and r.text.startswith("n\r\n")
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"})
    assert r.status_code == 406 and "offered: turtle" in r.json()["error"]["message"]


def test_406_lists_what_is_offered(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": ASK}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["error"]["code"] == "not_acceptable"
    assert "application/sparql-results+json" in r.json()["error"]["message"]


@pytest.mark.parametrize(("method", "kwargs", "status", "code", "text"), [
    ("GET", {"params": {"query": "SELECT * { ?s ?p }"}}, 400, "query_syntax", "malformed query at line 1, column"),
    ("GET", {"params": [("query", ASK), ("query", ASK)]}, 400, "bad_input", "exactly one query="),
    ("GET", {"params": {"query": ASK, "update": "CLEAR ALL"}}, 400, "bad_input", "either query= or update="),
    ("GET", {"params": {"update": "CLEAR ALL"}}, 403, "read_only", "read-only"),
    ("POST", {"data": {"update": "CLEAR ALL"}}, 403, "read_only", "read-only"),
    ("POST", {"content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}, 403,
     "read_only", "read-only"),
    ("POST", {"content": "INSERT DATA { <a:b> <a:c> <a:d> }", "headers": {"Content-Type": "application/sparql-query"}},
     400, "query_rejected", "read-only"),
    ("POST", {"content": ASK, "headers": {"Content-Type": "text/plain"}}, 415, "unsupported_media_type", "text/plain"),
    ("POST", {"content": ASK}, 415, "unsupported_media_type", "no Content-Type"),
    ("POST", {"content": "ASK { FILTER(\"\xe9\") }".encode("latin-1"),
              "headers": {"Content-Type": "application/sparql-query"}}, 400, "bad_input", "not UTF-8"),
    ("POST", {"content": b"query=ASK%20%7B%7D%FF", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
     400, "bad_input", "not UTF-8"),
    ("POST", {"content": b"x" * 2_000_000, "headers": {"Content-Type": "application/sparql-query"}}, 413,
     "too_large", "limit"),
    ("POST", {"content": b"", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400, "bad_input",
     "exactly one query="),
    ("GET", {"params": {"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}}, 400,
     "query_rejected", "SERVICE calls are not allowed"),
    ("GET", {"params": {"query": "SELECT * WHERE " + "{" * 500 + "}" * 500}}, 400, "query_rejected", "nests"),
    ("GET", {"params": {"query": ASK, "timeout": "soon"}}, 400, "bad_input", "timeout="),
    ("GET", {"params": {"query": ASK, "timeout": "-1"}}, 400, "bad_input", "at least 0.001 s"),
    # issue 11, finding 5: an invalid graph IRI was a 500 "internal" from the worker
    ("GET", {"params": {"query": ASK, "default-graph-uri": "not an iri"}}, 400, "bad_input",
     "default-graph-uri='not an iri': not an absolute IRI"),
    ("GET", {"params": {"query": ASK, "named-graph-uri": "relative/path"}}, 400, "bad_input",
     "named-graph-uri='relative/path': not an absolute IRI"),
    ("POST", {"data": {"query": ASK, "named-graph-uri": "<https://x>"}}, 400, "bad_input", "named-graph-uri="),
    ("PUT", {"content": ASK}, 405, "method_not_allowed", "Method Not Allowed"),
    ("DELETE", {}, 405, "method_not_allowed", "Method Not Allowed"),
])
def test_errors(client: TestClient, method: str, kwargs: dict, status: int, code: str, text: str) -> None:
    r = client.request(method, "/sparql", **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert (error["status"], error["code"]) == (status, code) and text in error["message"]
    if status == 405:
        assert r.headers["allow"] == "GET, HEAD, POST, OPTIONS"


@pytest.mark.parametrize("path", [
    "/sparql?query=ASK%7B%7D%23%FF",  # issue 11, finding 10: the query ran with U+FFFD in place of the byte
    "/sparql?query=ASK%7B%7D&default-graph-uri=%C3",
    "/sparql?qu%FFery=ASK%7B%7D",
    "/fragments?subject=%E9",
    "/id/country/KR?lang=%FF",
    "/search?q=%ED%A0%80",  # a UTF-16 surrogate, encoded: not UTF-8 either
])
def test_a_query_string_that_is_not_utf8_is_a_400_naming_the_parameter(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Origin": "https://example.org"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "bad_input" and "not UTF-8" in error["message"]
    assert r.headers["access-control-allow-origin"] == "*" and "describedby" in r.headers["link"]


def test_error_as_html_for_browsers(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT"}, headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "query_syntax" in r.text


def test_unknown_path_has_the_same_error_shape(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_row_cap_is_signalled(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?s ?p ?o { ?s ?p ?o }"})
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 20
    assert r.headers["x-result-truncated"] == "true" and r.headers["x-result-limit"] == "20"
    assert "20 rows" in r.headers["warning"]
    small = client.get("/sparql", params={"query": ASK})
    assert "x-result-truncated" not in small.headers


def test_etag_and_304(client: TestClient) -> None:
    first = client.get("/sparql", params={"query": COUNT})
    etag = first.headers["etag"]
    again = client.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert other.headers["etag"] != etag


def test_head_and_options(client: TestClient) -> None:
    head = client.head("/sparql", params={"query": COUNT})
    assert head.status_code == 200 and head.content == b""
    options = client.options("/sparql")
    assert options.status_code == 204 and "POST" in options.headers["allow"]


def test_cors_on_answers_errors_and_preflight(client: TestClient) -> None:
    origin = {"Origin": "https://example.org"}
    assert client.get("/sparql", params={"query": ASK}, headers=origin).headers["access-control-allow-origin"] == "*"
    bad = client.get("/sparql", params={"query": "nope"}, headers=origin)
    assert bad.status_code == 400 and bad.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers


def test_gzip(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"}, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"


def test_service_description(client: TestClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    graph = list(parse(r.content, format=RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    predicates = {t.predicate.value for t in graph}
    assert {sd + "endpoint", sd + "supportedLanguage", sd + "resultFormat", sd + "defaultDataset"} <= predicates
    assert not any(t.object.value == sd + "BasicFederatedQuery" for t in graph)
    endpoint = next(t.object.value for t in graph if t.predicate.value == sd + "endpoint")
    assert endpoint == "http://testserver/sparql"
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200 and json.loads(jsonld.content)


def test_query_page_for_browsers(client: TestClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<form id="query-form" method="get" action="/sparql">' in r.text
    assert not re.search(r"""<(?:script|link)\b[^>]*(?:src|href)=["'][a-z]+://""", r.text)  # no external asset
    text = html.unescape(r.text)
    examples = sorted((ROOT / "data" / "queries").glob("*.rq"))
    first = examples[0].read_text(encoding="utf-8")
    assert first in text  # the form holds the project's first example query
    for path in examples:  # every example is listed by its title
        title = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# Title: ")
        assert title in text, path.name


def test_healthz_and_readyz_say_what_serves(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.headers["cache-control"] == "no-store"
    body = health.json()
    assert body["status"] == "ok" and body["release"] == client.app.state.site.release.version  # type: ignore[attr-defined]
    backend = body["backend"]
    assert backend["size"] == backend["live"] == 2 and backend["replaced"] == 0 and len(backend["pids"]) == 2
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def _wait_for_the_pool(client: TestClient) -> None:
    """The health answers name the workers: wait until all have started, so the body holds still."""
    deadline = time.monotonic() + 10
    while (backend := client.get("/readyz").json()["backend"]).get("live") != backend.get("size"):
        assert time.monotonic() < deadline, "the worker pool did not start"
        time.sleep(0.05)


def test_healthz_validator_ignores_the_uptime_counter(client: TestClient) -> None:
    """The uptime grows every tenth of a second; a poll that differs only in it is still a 304 (it used to
    flake: two requests either side of a tick had different ETags)."""
    _wait_for_the_pool(client)
    site = client.app.state.site  # type: ignore[attr-defined]
    first = client.get("/healthz")
    site._started_at -= 3600
    later = client.get("/healthz", headers={"If-None-Match": first.headers["etag"]})
    assert later.status_code == 304
    assert client.get("/healthz").json()["uptime_s"] >= first.json()["uptime_s"] + 3600


def test_timeout_is_checked_before_validators_and_cache(client: TestClient) -> None:
    """A bad parameter is a 400 whatever the client or the cache holds (it used to be a 304, or a cached 200)."""
    query = "ASK { ?s a ?type }"
    ok = client.get("/sparql", params={"query": query})
    assert ok.status_code == 200  # now cached by the service
    for headers in ({}, {"If-None-Match": ok.headers["etag"]}, {"If-None-Match": "*"}):
        bad = client.get("/sparql", params={"query": query, "timeout": "-1"}, headers=headers)
        assert bad.status_code == 400 and "at least 0.001 s" in bad.json()["error"]["message"], (headers, bad.text)
    assert client.get("/sparql", params={"query": query}, headers={"If-None-Match": ok.headers["etag"]}
                      ).status_code == 304


def test_a_malformed_query_is_reported_before_any_format_question(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o ?oops }", "format": "png"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "query_syntax"
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }", "format": "png"})
    assert r.status_code == 406 and "offered: json, xml, csv, tsv" in r.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/docs", "/sparql", "/readyz"])
def test_every_get_answer_has_an_etag_and_304(client: TestClient, path: str) -> None:
    accept = {"Accept": "text/turtle"} if path == "/sparql" else {}
    if path in ("/healthz", "/readyz"):
        _wait_for_the_pool(client)
    etag = client.get(path, headers=accept).headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag, **accept})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag


class RefusingBackend:
    """A backend that refuses every query the way admission control and the pool do."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, job: object, *, timeout: float, client: str = "") -> object:
        raise self.error

    def health(self) -> object:
        from kgpub.query.backends.base import BackendHealth

        return BackendHealth(True, {"live": 1})


@pytest.mark.parametrize(("error", "headers"), [
    (Overloaded("the queue is full", retry_after=3), {"retry-after": "3"}),
    (QueryTimeout("too slow", retry_after=1, timeout=2.5), {"retry-after": "1", "x-query-timeout": "2.5"}),
    (WorkerFailed("it died", retry_after=1), {"retry-after": "1"}),
])
def test_a_503_says_when_to_retry_and_which_time_limit_applied(tmp_path: Path, error: Exception,
                                                               headers: dict[str, str]) -> None:
    """Issue 11, finding 8: 503 answers carried neither Retry-After nor X-Query-Timeout."""
    from helpers.sites import release
    from kgpub.settings import Settings
    from kgpub.site import Site
    from kgpub.web.app import create_app

    rel = release(tmp_path / "releases", "ex")
    site = Site(Settings.load(env={}, project=tmp_path), rel, backend=lambda _s, _r: RefusingBackend(error))
    with TestClient(create_app(site)) as test_client:
        r = test_client.get("/sparql", params={"query": ASK}, headers={"Origin": "https://example.org"})
    assert r.status_code == 503 and r.json()["error"]["code"] == error.code  # type: ignore[attr-defined]
    assert {k: r.headers.get(k) for k in headers} == headers
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
