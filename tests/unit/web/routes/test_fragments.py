"""/fragments through HTTP over the real release: every format, paging by the links, graphs, validators, errors.

What a fragment holds is checked against a SPARQL SELECT on the same release (the way /sparql
answers it), never against the fragments' own index.
"""

from __future__ import annotations

import asyncio
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, Triple, parse

from helpers.published import PublishedGraph
from helpers.sites import IdleBackend, release
from kgpub.rdf.formats import BY_NAME
from kgpub.resources.fragments import MAX_PAGE
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app
from kgpub.web.routes.fragments import FORMATS

ORIGIN = "http://testserver"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
QB = "http://purl.org/linked-data/cube#"
SHAPES = "https://w3id.org/kjtrade/graph/shapes"


def url(**params: str) -> str:
    return "/fragments" + ("?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()) if params else "")


def document(r) -> list[Quad]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    fmt = next(f for f in FORMATS if r.headers["content-type"].split(";")[0] in f.media_types)
    return list(parse(r.content, format=fmt.oxigraph))  # type: ignore[arg-type]


def data(quads: list[Quad]) -> set[Triple]:
    """The data of a document: its default graph, less the metadata (whose subjects are this server's or blank)."""
    return {q.triple for q in quads if q.graph_name == DefaultGraph() and not isinstance(q.subject, BlankNode)
            and not q.subject.value.startswith(ORIGIN)}


def objects(quads: list[Quad], subject: str, predicate: str) -> list[str]:
    return [q.object.value for q in quads if q.subject.value == subject and q.predicate.value == predicate]


def selected(published: PublishedGraph, pattern: str) -> set[Triple]:
    """What SPARQL matches for ``pattern`` (binding ?s ?p ?o), with blank nodes as the release's skolem IRIs."""
    prefix = f"https://w3id.org/kjtrade/.well-known/genid/{published.release.version}/"

    def skolem(term):  # type: ignore[no-untyped-def]
        return NamedNode(prefix + term.value) if isinstance(term, BlankNode) else term

    rows = published.query(f"SELECT ?s ?p ?o WHERE {{ {pattern} }}")
    return {Triple(skolem(r["s"]), r["p"], skolem(r["o"])) for r in rows}  # type: ignore[index]


CASES = [  # parameters, the same selection in SPARQL
    ({"predicate": RDF_TYPE, "object": QB + "Observation"}, f"BIND(<{RDF_TYPE}> AS ?p) BIND(<{QB}Observation> AS ?o) "
                                                            "?s ?p ?o"),
    ({"subject": "https://w3id.org/kjtrade/id/dsd/survey-2025"},
     "BIND(<https://w3id.org/kjtrade/id/dsd/survey-2025> AS ?s) ?s ?p ?o"),
    ({"predicate": QB + "component"}, f"BIND(<{QB}component> AS ?p) ?s ?p ?o"),
    ({"object": '"Not applicable"@en'}, 'BIND("Not applicable"@en AS ?o) ?s ?p ?o'),
    ({"object": '"234"^^http://www.w3.org/2001/XMLSchema#decimal'},
     'BIND("234"^^<http://www.w3.org/2001/XMLSchema#decimal> AS ?o) ?s ?p ?o'),
]


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
@pytest.mark.parametrize(("params", "pattern"), CASES, ids=[p for _, p in CASES])
def test_every_format_parses_and_holds_what_sparql_selects(client: TestClient, published: PublishedGraph,
                                                           fmt: str, params: dict[str, str], pattern: str) -> None:
    r = client.get(url(**params), headers={"Accept": BY_NAME[fmt].media_type})
    assert r.headers["content-type"].split(";")[0] == BY_NAME[fmt].media_type
    quads = document(r)
    expected = selected(published, pattern)
    assert expected and data(quads) == expected
    page = ORIGIN + url(**params)
    assert objects(quads, page, VOID + "triples") == objects(quads, page, HYDRA + "totalItems") == [
        str(len(expected))]
    if BY_NAME[fmt].oxigraph.supports_datasets:  # type: ignore[union-attr]
        assert {q.graph_name for q in quads} == {DefaultGraph(), NamedNode(page + "#metadata")}
    else:
        assert {q.graph_name for q in quads} == {DefaultGraph()}


def test_format_parameter_and_default_format(client: TestClient) -> None:
    assert client.get(url(format="nt")).headers["content-type"] == "application/n-triples"
    assert client.get(url(format="trig"), headers={"Accept": "text/turtle"}).headers["content-type"] \
        == "application/trig"
    assert client.get(url()).headers["content-type"] == "text/turtle; charset=utf-8"  # */*: Turtle
    assert client.get(url(), headers={"Accept": "text/html,*/*;q=0.8"}).headers["content-type"].startswith(
        "text/turtle")


def test_following_hydra_next_walks_the_whole_fragment(client: TestClient, published: PublishedGraph) -> None:
    start = ORIGIN + url(predicate=RDFS_LABEL)
    seen: list[set[Triple]] = []
    pages, link = [], start
    while link:
        quads = document(client.get(link, headers={"Accept": "application/trig"}))
        pages.append(link)
        seen.append(data(quads))
        assert objects(quads, link, HYDRA + "first") == [start]
        assert objects(quads, start, HYDRA + "view") == [link]
        [total] = objects(quads, start, VOID + "triples")
        nexts = objects(quads, link, HYDRA + "next")
        link = nexts[0] if nexts else ""
    expected = selected(published, f"BIND(<{RDFS_LABEL}> AS ?p) ?s ?p ?o")
    assert int(total) == len(expected) > 200
    assert len(pages) == -(-len(expected) // 100) and pages[1] == start + "&page=2"
    assert [len(s) for s in seen[:-1]] == [100] * (len(pages) - 1) and 0 < len(seen[-1]) <= 100
    assert set().union(*seen) == expected and sum(map(len, seen)) == len(expected)  # no triple twice
    last = document(client.get(pages[-1], headers={"Accept": "application/n-quads"}))
    assert objects(last, pages[-1], HYDRA + "previous") == [pages[-2]]
    assert objects(last, pages[-1], HYDRA + "last") == [pages[-1]]


def test_the_whole_knowledge_graph_page_by_page(client: TestClient, published: PublishedGraph) -> None:
    total = published.release.default_graph_triples
    found: set[Triple] = set()
    for page in range(1, -(-total // 100) + 1):
        quads = document(client.get(url(page=str(page)), headers={"Accept": "application/n-quads"}))
        found |= data(quads)
        assert objects(quads, ORIGIN + "/fragments", VOID + "triples") == [str(total)]
    assert found == selected(published, "?s ?p ?o") and len(found) == total
    beyond = document(client.get(url(page="9999")))
    assert not data(beyond) and not objects(beyond, ORIGIN + url(page="9999"), HYDRA + "next")


def test_graph_selects_a_named_graph_and_an_unknown_graph_is_empty(client: TestClient,
                                                                   published: PublishedGraph) -> None:
    quads = document(client.get(url(graph=SHAPES, page="2"), headers={"Accept": "application/n-quads"}))
    in_graph = {q.triple for q in quads if q.graph_name == NamedNode(SHAPES)}
    everything = selected(published, f"GRAPH <{SHAPES}> {{ ?s ?p ?o }}")
    assert len(in_graph) == 100 and in_graph <= everything
    assert objects(quads, ORIGIN + url(graph=SHAPES), VOID + "triples") == [str(len(everything))]
    turtle = document(client.get(url(graph=SHAPES, predicate=RDF_TYPE)))
    assert data(turtle) == selected(published, f"GRAPH <{SHAPES}> {{ BIND(<{RDF_TYPE}> AS ?p) ?s ?p ?o }}")
    default = document(client.get(url(graph="urn:ldf:defaultGraph", predicate=QB + "component")))
    assert data(default) == data(document(client.get(url(predicate=QB + "component"))))
    absent = client.get(url(graph="https://w3id.org/kjtrade/graph/none"))
    assert absent.status_code == 200 and not data(document(absent))
    assert objects(document(absent), ORIGIN + url(graph="https://w3id.org/kjtrade/graph/none"),
                   VOID + "triples") == ["0"]


def test_the_template_points_here(client: TestClient) -> None:
    quads = document(client.get(url(subject="https://w3id.org/kjtrade/id/dsd/survey-2025")))
    [search] = objects(quads, ORIGIN + "/fragments#dataset", HYDRA + "search")
    assert [q.object.value for q in quads if q.predicate.value == HYDRA + "template"] == [
        ORIGIN + "/fragments{?subject,predicate,object,graph}"]
    assert search and ORIGIN + url(subject="https://w3id.org/kjtrade/id/dsd/survey-2025") in objects(
        quads, ORIGIN + "/fragments#dataset", VOID + "subset")
    elsewhere = document(client.get(url(), headers={"Host": "tpf.example:8080"}))  # the origin the client used
    assert objects(elsewhere, "http://tpf.example:8080/fragments", VOID + "triples")


def test_validators_and_caching(client: TestClient, published: PublishedGraph) -> None:
    first = client.get(url(predicate=RDF_TYPE), headers={"Accept": "text/turtle"})
    etag = first.headers["etag"]
    assert not etag.startswith("W/")  # strong: the bytes are a function of release, URL and format
    assert first.headers["vary"].startswith("Accept")
    assert first.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert first.headers["last-modified"] == format_datetime(published.release.built, usegmt=True)
    again = client.get(url(predicate=RDF_TYPE), headers={"Accept": "text/turtle"})
    assert again.content == first.content and again.headers["etag"] == etag
    unchanged = client.get(url(predicate=RDF_TYPE), headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    since = client.get(url(predicate=RDF_TYPE), headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    tags = {client.get(url(predicate=RDF_TYPE), headers={"Accept": f.media_type}).headers["etag"] for f in FORMATS}
    assert len(tags) == len(FORMATS)  # one per representation
    assert client.get(url(predicate=RDF_TYPE, page="2")).headers["etag"] != etag
    other = client.get(url(predicate=RDF_TYPE), headers={"Accept": "application/trig", "If-None-Match": etag})
    assert other.status_code == 200


def test_head_answers_the_headers_of_get(client: TestClient) -> None:
    get = client.get(url(predicate=QB + "component"), headers={"Accept-Encoding": "identity"})
    head = client.head(url(predicate=QB + "component"), headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-type", "last-modified", "vary", "content-length"):
        assert head.headers[name] == get.headers[name]


def test_nothing_acceptable_is_a_406_listing_the_offers(client: TestClient) -> None:
    r = client.get(url(), headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 406 and r.json()["error"]["code"] == "not_acceptable"
    assert all(f.media_type in r.json()["error"]["message"] for f in FORMATS)
    assert client.get(url(format="rdfxml")).status_code == 406
    assert client.get(url(format="csv")).status_code == 406
    assert client.get("/fragments?format=", headers={"Accept": "application/n-quads"}).headers["content-type"] \
        == "application/n-quads"  # an empty format= is no format=


@pytest.mark.parametrize("params", [
    {"subject": '"a literal"'}, {"predicate": "not-an-iri"}, {"object": '"unclosed'}, {"object": '"x"@not a tag'},
    {"graph": "?g"}, {"page": "0"}, {"page": "two"}, {"page": str(MAX_PAGE + 1)}])
def test_malformed_parameters_are_400s(client: TestClient, params: dict[str, str]) -> None:
    r = client.get(url(**params), headers={"If-None-Match": "*"})  # checked before any validator
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_request" and error["message"].startswith(next(iter(params)) + "=")


def test_repeated_and_unknown_parameters(client: TestClient, published: PublishedGraph) -> None:
    assert client.get("/fragments?subject=&subject=").status_code == 400
    asked = "/fragments?callback=x&predicate=" + quote(QB + "component", safe="")
    quads = document(client.get(asked))
    assert data(quads) == data(document(client.get(url(predicate=QB + "component"))))
    count = len(selected(published, f"BIND(<{QB}component> AS ?p) ?s ?p ?o"))
    assert objects(quads, ORIGIN + asked, VOID + "triples") == [str(count)]  # the page is the URL as asked


def test_other_methods_are_405(client: TestClient) -> None:
    assert client.post("/fragments").status_code == 405


def test_a_swapped_release_answers_its_own_fragments(tmp_path: Path) -> None:
    site = Site(Settings.load(env={}, project=tmp_path), release(tmp_path / "releases", "ex", objects=150),
                backend=IdleBackend)
    with TestClient(create_app(site)) as small:
        before = small.get("/fragments", headers={"Accept": "application/n-triples"})
        assert objects(document(before), ORIGIN + "/fragments", VOID + "triples") == ["150"]
        asyncio.run(site.swap(release(tmp_path / "releases", "ex", objects=3)))
        asked = {"Accept": "application/n-triples", "If-None-Match": before.headers["etag"]}
        after = small.get("/fragments", headers=asked)
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        assert objects(document(after), ORIGIN + "/fragments", VOID + "triples") == ["3"]
        assert len(data(document(after))) == 3
