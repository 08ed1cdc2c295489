"""End to end: real Linked Data clients dereference the IRIs of the real ``kgpub serve`` process.

- curl and rdflib dereference ``/id/country/KR`` on the test server itself, negotiating the format.
- Comunica link traversal starts at the *canonical* IRI ``https://w3id.org/kjtrade/id/country/KR``
  and follows links from document to document, through :mod:`helpers.proxy`, which maps the base
  onto the test server and refuses every other host without connecting anywhere; it answers
  queries only dereferencing can answer (what links to Korea: the incoming links of the
  documents; two hops: the label of an observation's counterpart) exactly as ``/sparql`` does.
- Comunica SPARQL queries ``/fragments`` as a Triple Pattern Fragments source (it finds the
  Hydra controls itself) and gets the answers of ``/sparql``.

Every Node.js client runs with ``tests/node/no-network.cjs`` (127.0.0.1 only) and a time limit
(:mod:`helpers.node`); the proxy records what it refused, so the tests also prove that nothing
but the test server was reached. Comunica starts slowly (about 1.5 s a run): the queries are few.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from rdflib import RDFS, Graph, Literal, Namespace, URIRef

from helpers import node
from helpers.proxy import PrefixProxy, prefix_proxy
from helpers.requirements import missing
from helpers.server import Server, copy_project, serve

BASE = "https://w3id.org/kjtrade/"
KR = BASE + "id/country/KR"
JP = BASE + "id/country/JP"
KJT = Namespace(BASE + "ontology#")
FOAF_PRIMARY_TOPIC = "http://xmlns.com/foaf/0.1/primaryTopic"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SPARQL_JSON = "application/sparql-results+json"
NODE_TIMEOUT = 60.0  # seconds per client run

PREFIXES = f"""\
PREFIX kjt: <{KJT}>
PREFIX rdfs: <{RDFS}>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""
# what links to Korea: only the incoming links of KR's own document can answer it
INCOMING = f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{KR}> }}"
# two hops from KR: its observations (KR's document), their counterpart (each observation's document), its label
COUNTERPART_LABEL = PREFIXES + f"""\
SELECT DISTINCT ?obs ?label WHERE {{
  ?obs kjt:refArea <{KR}> ; kjt:counterpartArea ?area .
  ?area rdfs:label ?label FILTER(lang(?label) = "ko")
}}"""
# the labels of everything that links to Korea
LINKER_LABELS = f"SELECT DISTINCT ?s ?label WHERE {{ ?s ?p <{KR}> . ?s <{RDFS.label}> ?label }}"
TRAVERSALS = {"counterpart-label": COUNTERPART_LABEL, "linker-labels": LINKER_LABELS}
EVERYTHING = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"  # follows every link it meets

# Triple Pattern Fragments: a join of two patterns, a filter, a count
TPF_QUERIES = {
    "bgp": PREFIXES + f"SELECT ?obs ?year WHERE {{ ?obs kjt:refArea <{KR}> ; kjt:refYear ?year }}",
    "filter": PREFIXES + """\
SELECT ?obs ?value WHERE {
  ?obs a qb:Observation ; sdmx-measure:obsValue ?value FILTER(?value > 1000)
}""",
    "count": PREFIXES + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s kjt:refArea <{KR}> }}",
}

Row = frozenset[tuple[str, tuple[str, str, str | None, str | None]]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(copy_project(tmp_path_factory.mktemp("linked-data") / "kjtrade")) as running:
        yield running


@pytest.fixture
def proxy(server: Server) -> Iterator[PrefixProxy]:
    with prefix_proxy(BASE, server.base) as running:
        yield running


# --------------------------------------------------------------------------- helpers


def curl(url: str, accept: str, workdir: Path) -> tuple[int, dict[str, str], bytes]:
    """``curl -L`` with an Accept header: the final status, the final answer's headers (lower-cased), the body."""
    if shutil.which("curl") is None:
        missing("curl is not available")
    head, body = workdir / "head.txt", workdir / "body.bin"
    done = subprocess.run(["curl", "-s", "-L", "--max-time", "30", "-H", f"Accept: {accept}", "-D", str(head),
                           "-o", str(body), "-w", "%{http_code}", url],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    last = head.read_bytes().decode("latin-1").strip().split("\r\n\r\n")[-1]  # after any redirects
    headers = {}
    for line in last.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(done.stdout), headers, body.read_bytes()


def term(value: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """One SPARQL JSON term, comparable across implementations (``typed-literal`` and xsd:string folded)."""
    kind = "literal" if value["type"] == "typed-literal" else value["type"]
    datatype = value.get("datatype")
    return kind, value["value"], value.get("xml:lang"), None if datatype == XSD_STRING else datatype


def rows(results: dict[str, Any]) -> set[Row]:
    return {frozenset((name, term(value)) for name, value in binding.items())
            for binding in results["results"]["bindings"]}


def endpoint(server: Server, query: str) -> set[Row]:
    """The answer of the server's own /sparql, the reference."""
    r = httpx.post(server.sparql, data={"query": query}, headers={"Accept": SPARQL_JSON}, timeout=30)
    assert r.status_code == 200, r.text
    return rows(r.json())


def comunica(name: str, *args: str) -> tuple[set[Row], node.Run]:
    run = node.run(name, "-t", SPARQL_JSON, *args, timeout=NODE_TIMEOUT)
    return rows(run.json()), run


def iris(found: set[Row], var: str) -> set[str]:
    return {value[1] for row in found for name, value in row if name == var}


# --------------------------------------------------------------------------- the clients installed


def test_the_installed_clients_are_the_pinned_versions() -> None:
    for name in (node.LINK_TRAVERSAL, node.SPARQL):
        node.binary(name)
        assert node.version(name) == node.pinned(name), f"{name}: run {node.INSTALL}"


# --------------------------------------------------------------------------- curl and rdflib on the test server


@pytest.mark.parametrize(("accept", "media_type", "rdflib_format", "suffix"), [
    pytest.param("text/turtle", "text/turtle", "turtle", ".ttl", id="turtle"),
    pytest.param("application/ld+json", "application/ld+json", "json-ld", ".jsonld", id="jsonld"),
])
def test_curl_dereferences_an_iri_with_content_negotiation(server: Server, tmp_path: Path, accept: str,
                                                           media_type: str, rdflib_format: str, suffix: str) -> None:
    url = f"{server.base}/id/country/KR"
    status, headers, body = curl(url, accept, tmp_path)
    assert status == 200, body[:500]
    assert headers["content-type"].split(";")[0].strip() == media_type
    assert "accept" in {v.strip().lower() for v in headers["vary"].split(",")}
    location = urljoin(url, headers["content-location"])
    assert location == f"{server.base}/id/country/KR{suffix}"
    graph = Graph().parse(data=body, format=rdflib_format)
    kr = URIRef(KR)
    assert (kr, RDFS.label, Literal("대한민국", lang="ko")) in graph
    assert (None, KJT.refArea, kr) in graph  # the document holds the links into KR too
    assert b"127.0.0.1" not in body  # canonical IRIs only, never the local origin

    # the Content-Location names a document that answers the same bytes without negotiation
    status, named, same = curl(location, "*/*", tmp_path)
    assert status == 200 and same == body
    assert named["content-type"].split(";")[0].strip() == media_type


def test_rdflib_parses_the_iri_negotiating_itself(server: Server) -> None:
    graph = Graph().parse(f"{server.base}/id/country/KR")
    kr = URIRef(KR)
    assert (kr, RDFS.label, Literal("South Korea", lang="en")) in graph
    assert set(graph.objects(kr, RDFS.label)) >= {Literal("대한민국", lang="ko"), Literal("大韓民国", lang="ja")}
    observations = set(graph.subjects(KJT.refArea, kr))
    assert URIRef(BASE + "id/observation/trade-value-KR-JP-2024") in observations
    # every thing mentioned is labelled
    assert all(graph.value(s, RDFS.label) is not None for s in observations)
    assert not [t for t in graph.all_nodes() if str(t).startswith(server.base)]


# --------------------------------------------------------------------------- link traversal from the canonical IRI


def assert_nothing_but_the_test_server_was_reached(server: Server, proxy: PrefixProxy, run: node.Run) -> None:
    """The client connected to 127.0.0.1 only; the proxy forwarded IRIs of the base (and at most the
    endpoint the service description names) and connected to nothing but the test server; what it
    refused was on other hosts."""
    assert run.refused_by_guard() == [], run.stderr
    assert {entry.target for entry in proxy.forwarded if not entry.target.startswith(BASE)} <= {server.sparql}
    assert [url for url in proxy.refused if url.startswith((BASE, server.base))] == []
    assert "w3id.org" not in proxy.refused_hosts()
    assert set(proxy.connections) <= {(proxy.upstream_host, proxy.upstream_port)}


def retired(server: Server) -> set[str]:
    """The IRIs the served project retired (``data/retired.csv``): they answer 410 Gone."""
    path = server.project / "data" / "retired.csv"
    if not path.is_file():
        return set()
    with path.open(encoding="utf-8", newline="") as f:
        return {row["iri"] for row in csv.DictReader(f)}


def test_link_traversal_cli_finds_what_links_to_korea(server: Server, proxy: PrefixProxy) -> None:
    """``comunica-sparql-link-traversal --proxy P https://w3id.org/kjtrade/id/country/KR``, as a user runs it.

    Only the incoming links of KR's own document can answer "what links to Korea". ``--lenient``:
    the documents mention vocabulary IRIs on other hosts (schema.org, FOAF, …), which Comunica
    dereferences too and the proxy refuses; a strict client gives up on the first refusal.
    """
    got, run = comunica(node.LINK_TRAVERSAL, "--lenient", "--proxy", proxy.url, KR, INCOMING)
    expected = endpoint(server, INCOMING)
    assert len(expected) >= 9 and BASE + "id/observation/trade-value-KR-JP-1965" in iris(expected, "s")
    # the endpoint's answer, plus at most the documents describing KR
    # (``<…/KR.nq> foaf:primaryTopic <…/KR>``: metadata of a document, not a fact of the graph)
    def documents(found: set[Row]) -> set[Row]:
        return {row for row in found if dict(row)["p"][1] == FOAF_PRIMARY_TOPIC and dict(row)["s"][1].startswith(KR)}
    assert got - documents(got) == expected - documents(expected)
    assert proxy.forwarded[0].target == KR and proxy.forwarded[0].status == 200
    assert_nothing_but_the_test_server_was_reached(server, proxy, run)


def test_link_traversal_follows_links_as_far_as_the_query_needs(server: Server, proxy: PrefixProxy) -> None:
    """Comunica's engine, started at KR: two-hop queries give the endpoint's answers; then every link.

    The everything-query follows every link it finds: every IRI of the base it meets must
    dereference (a retired IRI answers 410 Gone), and no term it collects names the test
    server's origin but the endpoint the service description names (the URL the request used,
    where a client sends its queries).
    """
    answers, run = node.query("link-traversal", {"sources": [KR], "proxy": proxy.url, "lenient": True,
                                                 "queries": {**TRAVERSALS, "everything": EVERYTHING}},
                              timeout=NODE_TIMEOUT * 2)
    failed = {name: answer["error"] for name, answer in answers.items() if "error" in answer}
    assert failed == {}, f"{failed}\n{run.stderr[-3000:]}"
    got = {name: rows(answer) for name, answer in answers.items()}

    # two hops: KR's document has no counterpart; the observations' own documents had to be read
    document = Graph().parse(data=httpx.get(f"{server.base}/id/country/KR", headers={"Accept": "application/n-triples"},
                                            timeout=30).text, format="nt")
    assert (None, KJT.counterpartArea, None) not in document
    expected = endpoint(server, COUNTERPART_LABEL)
    assert got["counterpart-label"] == expected
    assert {value[1:3] for row in expected for name, value in row if name == "label"} == {("일본", "ko")}
    assert iris(expected, "obs") <= {entry.target for entry in proxy.forwarded}
    assert got["linker-labels"] == endpoint(server, LINKER_LABELS)

    everything = got["everything"]
    assert {KR, JP} <= iris(everything, "s") and KR in iris(everything, "o")
    gone = retired(server)
    broken = [(entry.target, entry.status) for entry in proxy.forwarded
              if entry.status >= 400 and not (entry.status == 410 and entry.target in gone)]
    assert broken == [], f"IRIs of the base that do not dereference: {broken}"
    local = {value[1] for row in everything for _, value in row if value[1].startswith(server.base)}
    assert local <= {server.sparql}
    assert_nothing_but_the_test_server_was_reached(server, proxy, run)


# --------------------------------------------------------------------------- Triple Pattern Fragments


def test_comunica_queries_the_fragments_as_a_tpf_source(server: Server, proxy: PrefixProxy) -> None:
    """Comunica SPARQL given the test server's /fragments finds the Hydra controls and answers as /sparql does.

    Through the proxy, so the Hydra controls may name the canonical IRIs or the server's own URLs.
    """
    answers, run = node.query("sparql", {"sources": [f"{server.base}/fragments"], "proxy": proxy.url,
                                         "lenient": False, "queries": TPF_QUERIES}, timeout=NODE_TIMEOUT)
    for name, query in TPF_QUERIES.items():
        assert "error" not in answers[name], f"{name}: {answers[name]['error']}\n{run.stderr[-3000:]}"
        expected = endpoint(server, query)
        assert expected, f"{name}: the reference answer is empty, the comparison would prove nothing"
        assert rows(answers[name]) == expected, f"{name}:\n{json.dumps(answers[name], ensure_ascii=False)[:2000]}"
    (count,) = endpoint(server, TPF_QUERIES["count"])
    assert int(dict(count)["n"][1]) >= 5
    fragments = [entry for entry in proxy.forwarded if urlsplit(entry.upstream).path == "/fragments"]
    assert len(fragments) > len(TPF_QUERIES)  # the patterns were asked for as fragments
    assert [(entry.target, entry.status) for entry in fragments if entry.status != 200] == []
    assert run.refused_by_guard() == [], run.stderr
    assert proxy.refused == []
    assert set(proxy.connections) == {(proxy.upstream_host, proxy.upstream_port)}
