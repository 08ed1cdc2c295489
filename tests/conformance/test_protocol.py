"""The W3C SPARQL 1.1 Protocol tests (``protocol/manifest.ttl``), replayed against ``/sparql``.

Each manifest entry is one or more HTTP requests (``ht:Request``: method, path, headers,
body) with the expected response (``mf:expectedStatus`` as status classes,
``mf:expectedFormat`` "boolean" / "tabular" / "RDF", ``mf:expectedBoolean``). The data the
tests name (``ut:graphData``: ``data1.nt`` ... ``data3.nt``) is loaded into one release as
named graphs called by their ``rdfs:label`` IRIs; the service's default graph is empty.

The ``update_*`` tests expect SPARQL Update to succeed. The endpoint is read-only by design,
so for each of them :func:`test_update_refused` asserts the documented refusal instead
(``403``, code ``read_only``, JSON error body) and that the follow-up query sees no change;
:data:`UPDATE_REFUSED` gives the reason per test. Nothing else is skipped (:data:`SKIPS`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rdflib
from fastapi.testclient import TestClient
from httpx import Response
from pyoxigraph import (
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
)
from rdflib import RDF, RDFS, Namespace, URIRef
from rdflib.collection import Collection

from .w3c_suite import W3C, require_suite, serve, suite_iri, suite_path

MANIFEST = W3C / "protocol" / "manifest.ttl"
require_suite()

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
STATUS_CLASS = "http://www.w3.org/2011/http-statusCodes#StatusCode"  # + "2xx", "3xx", "4xx", "5xx"

RESULTS = {"application/sparql-results+json": QueryResultsFormat.JSON,
           "application/sparql-results+xml": QueryResultsFormat.XML,
           "text/tab-separated-values": QueryResultsFormat.TSV, "text/csv": QueryResultsFormat.CSV}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {"text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
             "application/rdf+xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD}

_UPDATE = "read-only endpoint: SPARQL Update is refused with 403 read_only by design, so the update " \
          "this test performs (and the query that checks its effect) cannot succeed"
UPDATE_REFUSED: dict[str, str] = {
    "update_dataset_default_graph": _UPDATE + " (update with using-graph-uri)",
    "update_dataset_default_graphs": _UPDATE + " (update with two using-graph-uri)",
    "update_dataset_named_graphs": _UPDATE + " (update with using-named-graph-uri)",
    "update_dataset_full": _UPDATE + " (update with using-graph-uri and using-named-graph-uri)",
    "update_post_form": _UPDATE + " (update= in a form-encoded POST)",
    "update_post_direct": _UPDATE + " (application/sparql-update POST)",
    "update_base_uri": _UPDATE + " (service-defined base IRI of an update)",
}
SKIPS: dict[str, str] = {}  # test name -> reason; none: every query and bad_* test runs


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status_classes: frozenset[int]  # 2 for hts:StatusCode2xx, ...
    expected_format: str | None = None  # "boolean", "tabular" or "RDF"
    expected_boolean: bool | None = None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str  # mf:name
    requests: tuple[Request, ...]
    graph_data: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file


def load_tests() -> list[ProtocolTest]:
    graph = rdflib.Graph().parse(MANIFEST, format="turtle", publicID=suite_iri(MANIFEST))
    tests = []
    for entry in _list(graph, graph.value(URIRef(suite_iri(MANIFEST)), MF.entries)):
        data = {str(graph.value(d, RDFS.label)): suite_path(str(graph.value(d, UT.graph)))
                for d in graph.objects(entry, UT.graphData)}
        action = graph.value(entry, MF.action)
        requests = tuple(_request(graph, r) for r in _list(graph, graph.value(action, HT.requests)))
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)), requests, data))
    return tests


def _list(graph: rdflib.Graph, head: rdflib.term.Node | None) -> list[rdflib.term.Node]:
    assert head is not None
    return list(Collection(graph, head))


def _request(graph: rdflib.Graph, node: rdflib.term.Node) -> Request:
    headers = {str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
               for h in _list(graph, graph.value(node, HT.headers) or RDF.nil)}
    body = graph.value(node, HT.body)
    content = None
    if body is not None:  # cnt:chars in its cnt:characterEncoding (the non-UTF-8 tests say UTF-16)
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(graph.value(body, CNT.chars)).encode(encoding)
    path = str(graph.value(node, HT.absolutePath))
    assert path.startswith("/sparql/"), path
    response = graph.value(node, HT.resp)
    classes = frozenset(int(str(s).removeprefix(STATUS_CLASS)[0]) for s in graph.objects(response, MF.expectedStatus))
    fmt, boolean = graph.value(response, MF.expectedFormat), graph.value(response, MF.expectedBoolean)
    return Request(method=str(graph.value(node, HT.methodName)), path="/sparql" + path[len("/sparql/"):],
                   headers=headers, body=content, status_classes=classes,
                   expected_format=str(fmt) if fmt is not None else None,
                   expected_boolean=str(boolean) == "true" if boolean is not None else None)


TESTS = load_tests()
QUERY_TESTS = [t for t in TESTS if t.name not in UPDATE_REFUSED]
UPDATE_TESTS = [t for t in TESTS if t.name in UPDATE_REFUSED]


def graph_quads() -> Iterator[Quad]:
    files = {iri: path for t in TESTS for iri, path in t.graph_data.items()}
    for iri, path in sorted(files.items()):
        for quad in parse(path=path, format=RdfFormat.N_TRIPLES, rename_blank_nodes=True):
            yield Quad(quad.subject, quad.predicate, quad.object, NamedNode(iri))


@pytest.fixture(scope="module")
def w3c_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serve(tmp_path_factory.mktemp("w3c-protocol"), graph_quads()) as client:
        yield client


def send(client: TestClient, request: Request) -> Response:
    response: Response = client.request(request.method, request.path, headers=request.headers, content=request.body)
    return response


def media_type(response: Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def check_response(response: Response, request: Request) -> None:
    """The response meets the manifest's expectation (status class, format, boolean)."""
    assert response.status_code // 100 in request.status_classes, (
        f"{request.method} {request.path}: expected {sorted(request.status_classes)}xx, "
        f"got {response.status_code}: {response.text[:300]}")
    if response.status_code >= 400:  # every refusal has the endpoint's one error shape
        error = response.json()["error"]
        assert error["status"] == response.status_code and error["code"] and error["message"]
        return
    kind = media_type(response)
    if request.expected_format == "boolean":
        assert kind in BOOLEAN_TYPES, kind
        answer = parse_query_results(response.content, format=RESULTS[kind])
        assert isinstance(answer, QueryBoolean), answer
        if request.expected_boolean is not None:
            assert bool(answer) is request.expected_boolean
    elif request.expected_format == "tabular":
        assert kind in RESULTS, kind
        if RESULTS[kind] is QueryResultsFormat.CSV:  # pyoxigraph has no CSV parser: CSV is lossy
            rows = list(csv.reader(io.StringIO(response.text)))
            assert rows and rows[0]
        else:
            answer = parse_query_results(response.content, format=RESULTS[kind])
            assert isinstance(answer, QuerySolutions), answer
            list(answer)
    elif request.expected_format == "RDF":
        assert kind in RDF_TYPES, kind
        list(parse(response.content, format=RDF_TYPES[kind]))


@pytest.mark.parametrize("test", QUERY_TESTS, ids=[t.name for t in QUERY_TESTS])
def test_protocol(w3c_client: TestClient, test: ProtocolTest) -> None:
    if test.name in SKIPS:
        pytest.skip(SKIPS[test.name])
    for request in test.requests:
        check_response(send(w3c_client, request), request)


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_update_refused(w3c_client: TestClient, test: ProtocolTest) -> None:
    """Not the manifest's expectation (the update succeeds) but the documented refusal, for the
    reason in UPDATE_REFUSED; the query that would check the update's effect sees nothing."""
    update, *checks = test.requests
    assert update.headers.get("content-type", "").startswith(("application/sparql-update",
                                                               "application/x-www-form-urlencoded"))
    r = send(w3c_client, update)
    assert r.status_code == 403, r.text
    assert media_type(r) == "application/json"
    assert r.json() == {"error": {"code": "read_only", "status": 403, "message": r.json()["error"]["message"]}}
    assert "read-only" in r.json()["error"]["message"]
    for check in checks:  # the manifest expects true here: the update would have made it so
        assert check.expected_format == "boolean" and check.expected_boolean is True
        answer = send(w3c_client, check)
        assert answer.status_code == 200, answer.text
        assert json.loads(answer.content)["boolean"] is False


def test_manifest_is_fully_covered() -> None:
    """34 tests; every update_* test has a written reason; nothing is dropped silently."""
    assert len(TESTS) == 34
    assert {t.name for t in TESTS if t.name.startswith("update_")} == set(UPDATE_REFUSED)
    assert set(SKIPS) <= {t.name for t in QUERY_TESTS}
    for name, reason in {**UPDATE_REFUSED, **SKIPS}.items():
        print(f"{name}: {reason}")
