"""Dereferenceable IRIs: negotiation tables, what each document holds, 404/410/406, validators, HEAD, Link."""

from __future__ import annotations

from email.utils import format_datetime

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Triple, parse

from helpers.descriptions import INDEPENDENT
from helpers.published import PublishedGraph

BASE = "https://w3id.org/kjtrade/"
KR = BASE + "id/country/KR"
DOC_TRIPLES = 4  # a document says: a foaf:Document, foaf:primaryTopic, dcterms:isPartOf, dcterms:license
OX = {"text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
      "application/ld+json": RdfFormat.JSON_LD, "application/rdf+xml": RdfFormat.RDF_XML,
      "application/trig": RdfFormat.TRIG, "application/n-quads": RdfFormat.N_QUADS}
EXT = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
       "rdf": "application/rdf+xml", "trig": "application/trig", "nq": "application/n-quads"}


def triples(r: object) -> set[Triple]:
    media_type = r.headers["content-type"].split(";")[0]  # type: ignore[attr-defined]
    quads = parse(r.content, format=OX[media_type])  # type: ignore[attr-defined]
    found = set()
    for q in quads:
        assert isinstance(q, Quad) and q.graph_name == DefaultGraph(), "a document is one graph"
        found.add(q.triple)
    return found


@pytest.mark.parametrize(("accept", "media_type"), [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("text/plain", "text/plain"),  # N-Triples' older name, answered as asked
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/trig", "application/trig"),
    ("application/n-quads", "application/n-quads"),
    ("application/ld+json;q=0.5, text/turtle;q=0.9", "text/turtle"),
    ("text/turtle;q=0, */*", "application/n-triples"),  # the next in the server's order
    ("application/*", "application/n-triples"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),  # a browser: the page
    ("text/*", "text/turtle"),  # the server's order: RDF first
])
def test_accept_negotiation(client: TestClient, accept: str | None, media_type: str) -> None:
    r = client.get("/id/country/KR", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    assert r.headers["vary"].startswith("Accept")
    ext = {"text/plain": "nt", "text/html": "html"}.get(media_type) or next(
        e for e, m in EXT.items() if m == media_type)
    assert r.headers["content-location"] == f"/id/country/KR.{ext}"


@pytest.mark.parametrize("accept", ["image/png", "application/sparql-results+json", "text/turtle;q=0"])
def test_406_lists_the_offers(client: TestClient, accept: str) -> None:
    r = client.get("/id/country/KR", headers={"Accept": accept + ", application/json;q=0.1"})
    assert r.status_code == 406 and r.headers["content-type"] == "application/json"  # the error body, never a page
    message = r.json()["error"]["message"]
    assert "this document" in message and all(m in message for m in EXT.values())


def test_text_html_alone_gets_the_page(client: TestClient) -> None:
    r = client.get("/id/country/KR", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-location"] == "/id/country/KR.html"


@pytest.mark.parametrize("ext", sorted(EXT))
def test_a_suffix_is_the_document_in_that_format_whatever_the_accept(client: TestClient, ext: str) -> None:
    r = client.get(f"/id/country/KR.{ext}", headers={"Accept": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == EXT[ext]
    assert "accept" not in r.headers.get("vary", "").lower().split(", ")  # nothing was negotiated
    assert r.headers["content-location"] == f"/id/country/KR.{ext}"
    negotiated = client.get("/id/country/KR", headers={"Accept": EXT[ext]})
    assert negotiated.content == r.content and negotiated.headers["etag"] == r.headers["etag"]


@pytest.mark.parametrize(("names", "media_type"), [
    (["turtle"], "text/turtle"), (["ttl"], "text/turtle"), (["jsonld"], "application/ld+json"),
    (["json"], "application/ld+json"), (["xml"], "application/rdf+xml"), (["nt"], "application/n-triples"),
    (["png", "nt"], "application/n-triples"),
])
def test_format_parameter(client: TestClient, names: list[str], media_type: str) -> None:
    r = client.get("/id/country/KR", params=[("format", n) for n in names], headers={"Accept": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type


def test_bad_format_parameters(client: TestClient) -> None:
    r = client.get("/id/country/KR", params={"format": "png"})
    assert r.status_code == 406 and "format=png" in r.json()["error"]["message"]
    r = client.get("/id/country/KR.ttl", params={"format": "jsonld"})
    assert r.status_code == 400 and "contradicts" in r.json()["error"]["message"]
    assert client.get("/id/country/KR.ttl", params={"format": "turtle"}).status_code == 200


@pytest.mark.parametrize("iri", [
    KR, BASE + "id/country/JP", BASE + "id/observation/trade-value-KR-JP-2024", BASE + "id/dataset/bilateral-trade",
    BASE + "id/organization/kita-iitc", BASE + "id/concept/indicator/trade-value",
])
@pytest.mark.parametrize("ext", sorted(EXT))
def test_every_entity_document_is_the_documented_description(client: TestClient, published: PublishedGraph,
                                                             iri: str, ext: str) -> None:
    path = "/" + iri.removeprefix(BASE)
    found = triples(client.get(f"{path}.{ext}"))
    expected = set(published.store.query(INDEPENDENT.replace("$TARGET", iri)))  # type: ignore[arg-type]
    document = NamedNode(f"{iri}.{ext}")
    about = {t for t in found if t.subject == document}
    assert found - about == expected
    assert {(t.predicate.value, t.object.value) for t in about} == {  # type: ignore[union-attr]
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://xmlns.com/foaf/0.1/Document"),
        ("http://xmlns.com/foaf/0.1/primaryTopic", iri),
        ("http://purl.org/dc/terms/isPartOf", BASE + "id/dataset/kjtrade"),
        ("http://purl.org/dc/terms/license", "https://creativecommons.org/licenses/by/4.0/")}


def test_documents_name_canonical_iris_only(client: TestClient) -> None:
    for path in ("/id/country/KR.ttl", "/id/country/KR.jsonld", "/ontology.nt", "/graph/data.ttl"):
        body = client.get(path, headers={"Host": "127.0.0.1:8000"}).text
        assert "127.0.0.1" not in body and "testserver" not in body, path
    found = triples(client.get("/id/country/KR.nt", headers={"Host": "127.0.0.1:8000"}))
    # vocabulary IRIs are never rewritten (Trifid's fault): the predicates are the ontology's
    assert NamedNode("https://w3id.org/kjtrade/ontology#refArea") in {t.predicate for t in found}


def test_what_links_to_korea_is_in_its_document(client: TestClient, published: PublishedGraph) -> None:
    found = triples(client.get("/id/country/KR.nt"))
    incoming = {t for t in found if t.object == NamedNode(KR) and t.subject != NamedNode(KR + ".nt")}
    expected = {Triple(q.subject, q.predicate, q.object)
                for q in published.store.quads_for_pattern(None, None, NamedNode(KR), DefaultGraph())}
    assert incoming == expected and len(incoming) >= 5


def graph(published: PublishedGraph, name: str) -> set[Triple]:
    return {q.triple for q in published.store.quads_for_pattern(None, None, None, NamedNode(BASE + "graph/" + name))}


@pytest.mark.parametrize(("path", "name", "topic"), [
    ("/ontology", "ontology", BASE + "ontology"), ("/ontology/0.2.0", "ontology", BASE + "ontology"),
    ("/shapes", "shapes", BASE + "shapes"), ("/validation", "validation", BASE + "validation"),
])
def test_the_ontology_shapes_and_report_are_their_graphs(client: TestClient, published: PublishedGraph,
                                                         path: str, name: str, topic: str) -> None:
    for ext in ("ttl", "jsonld", "rdf"):
        found = triples(client.get(f"{path}.{ext}"))
        document = NamedNode(f"{BASE}{path.lstrip('/')}.{ext}")
        assert {t for t in found if t.subject != document} == graph(published, name)
        assert Triple(document, NamedNode("http://xmlns.com/foaf/0.1/primaryTopic"), NamedNode(topic)) in found


def test_hash_terms_of_the_ontology_resolve_to_the_ontology_document(client: TestClient) -> None:
    found = triples(client.get("/ontology.nt"))
    terms = {t.subject.value for t in found if isinstance(t.subject, NamedNode)
             and t.subject.value.startswith(BASE + "ontology#")}
    assert BASE + "ontology#refArea" in terms and len(terms) > 20  # every term is described in the one document


def test_a_named_graph_iri_says_what_the_graph_is(client: TestClient, published: PublishedGraph) -> None:
    found = triples(client.get("/graph/data.nt"))
    size = next(t.object for t in found if t.predicate == NamedNode("http://rdfs.org/ns/void#triples"))
    assert int(size.value) == published.release.graph_triples[BASE + "graph/data"]  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["/id/country/XX", "/id/", "/id/country/KR/extra", "/graph/nothing", "/ontology/9.9.9",
                                  "/id/country/xx.ttl", "/ontology/0.2.0/x"])
def test_unknown_iris_are_404_never_stored(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"
    assert r.json()["error"]["code"] == "not_found" and BASE in r.json()["error"]["message"]
    assert client.head(path).status_code == 404


def test_a_retired_iri_is_410_gone_with_its_reason(client: TestClient) -> None:
    for path in ("/ontology/0.1.0", "/ontology/0.1.0.ttl"):
        r = client.get(path)
        assert r.status_code == 410 and r.json()["error"]["code"] == "gone"
        assert "0.2.0" in r.json()["error"]["message"] and "public" in r.headers["cache-control"]


def test_validators_and_304(client: TestClient, published: PublishedGraph) -> None:
    first = client.get("/id/country/KR", headers={"Accept": "text/turtle"})
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["last-modified"] == format_datetime(published.release.built, usegmt=True)
    assert "public" in first.headers["cache-control"] and "max-age" in first.headers["cache-control"]
    others = {client.get("/id/country/KR", headers={"Accept": m}).headers["etag"] for m in EXT.values()}
    assert len(others) == len(EXT) and etag in others  # one per representation
    assert client.get("/id/country/JP", headers={"Accept": "text/turtle"}).headers["etag"] != etag
    again = client.get("/id/country/KR", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert again.headers["content-location"] == "/id/country/KR.ttl" and again.headers["vary"].startswith("Accept")
    since = client.get("/id/country/KR", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    other = client.get("/id/country/KR", headers={"Accept": "application/ld+json", "If-None-Match": etag})
    assert other.status_code == 200  # another representation is not the one the client holds


def test_a_compressed_answer_has_its_own_strong_etag_and_revalidates(client: TestClient) -> None:
    plain = client.get("/ontology.ttl", headers={"Accept-Encoding": "identity"})
    packed = client.get("/ontology.ttl", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    again = client.get("/ontology.ttl", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304


def test_head_answers_the_headers_of_get(client: TestClient) -> None:
    for path in ("/id/country/KR", "/id/country/KR.jsonld", "/ontology", "/graph/data"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200 and head.content == b""
        for name in ("etag", "content-type", "content-location", "link", "last-modified", "cache-control"):
            assert head.headers[name] == got.headers[name], (path, name)


def test_link_headers_name_every_other_format_and_the_description(client: TestClient) -> None:
    r = client.get("/id/country/KR.ttl")
    links = r.headers["link"]
    for ext, media_type in EXT.items():
        if ext != "ttl":
            assert f'</id/country/KR.{ext}>; rel="alternate"; type="{media_type}"' in links
    assert '</id/country/KR.ttl>; rel="alternate"' not in links
    assert '</.well-known/void>; rel="describedby"' in links


def test_every_answer_links_the_dataset_description(client: TestClient) -> None:
    for path in ("/sparql", "/healthz", "/dump.ttl", "/id/country/XX"):
        assert 'rel="describedby"' in client.get(path, headers={"Accept": "text/turtle"}).headers["link"], path


def test_cors_lets_a_browser_read_the_headers(client: TestClient) -> None:
    r = client.get("/id/country/KR", headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = r.headers["access-control-expose-headers"].lower()
    assert "link" in exposed and "content-location" in exposed and "etag" in exposed


def test_only_safe_methods(client: TestClient) -> None:
    r = client.post("/id/country/KR", content=b"x")
    assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_the_base_itself_answers_machines_with_the_dataset_description(client: TestClient) -> None:
    root = client.get("/", headers={"Accept": "text/turtle"})
    void = client.get("/.well-known/void.ttl")
    assert root.status_code == 200 and root.headers["content-location"] == "/.well-known/void.ttl"
    assert root.content == void.content and root.headers["etag"] == void.headers["etag"]
    assert '</.well-known/void.jsonld>; rel="alternate"' in root.headers["link"]


def test_every_url_the_description_names_answers_on_the_server(client: TestClient) -> None:
    """Download and access URLs, the endpoint, the landing page, the versions: canonical IRIs that this
    server answers at their paths (what the w3id.org redirect relies on)."""
    found = triples(client.get("/.well-known/void.nt"))
    urls = {t.object.value for t in found if isinstance(t.object, NamedNode) and t.object.value.startswith(BASE)
            and t.predicate.value.startswith(("http://www.w3.org/ns/dcat#", "http://rdfs.org/ns/void#"))
            and t.predicate.value.rsplit("#")[-1] in (
                "downloadURL", "accessURL", "endpointURL", "landingPage", "hasVersion", "hasCurrentVersion",
                "previousVersion", "sparqlEndpoint", "dataDump", "exampleResource")}
    assert any("/dump.nt" in u for u in urls) and any("/datasets/" in u for u in urls)
    for url in sorted(urls):
        r = client.get("/" + url.removeprefix(BASE), headers={"Accept": "text/turtle"})
        assert r.status_code == 200, url
