"""End to end: ``kgpub serve`` as a real process, queried by real SPARQL clients over TCP.

The server is started exactly as a user starts it (``python -m kgpub serve --project …``) on a
free port of 127.0.0.1 (:mod:`helpers.server`); every answer is compared with what
``kgpub query`` gives on the same release.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, Quad, RdfFormat, parse
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TURTLE, URLENCODED, XML, SPARQLWrapper

from helpers.server import Server, clean_env, cli_query, copy_project, free_port, serve

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "data" / "queries"
GRAPH = "https://w3id.org/kjtrade/graph/"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("serve") / "kjtrade")


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    with serve(project) as running:
        yield running


# --------------------------------------------------------------------------- helpers

TRADE_GROWTH = (QUERIES / "02-trade-growth-1965-2024.rq").read_text(encoding="utf-8")
TRADE_BY_YEAR = (QUERIES / "01-trade-value-by-year.rq").read_text(encoding="utf-8")
ASKS = sorted(QUERIES.glob("*-ask-*.rq"))
TRADE_OBSERVATIONS = """\
PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
PREFIX indicator: <https://w3id.org/kjtrade/id/concept/indicator/>
CONSTRUCT { ?o ?p ?v } WHERE { ?o kjt:indicator indicator:trade-value ; ?p ?v }
"""
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
WRAPPER_METHODS = [pytest.param(GET, URLENCODED, id="GET"), pytest.param(POST, URLENCODED, id="POST-form"),
                   pytest.param(POST, POSTDIRECTLY, id="POST-direct")]


def wrapper(server: Server, query: str, return_format: str, method: str, request_method: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.sparql)
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    sparql.setTimeout(30)
    return sparql


def cli_graph(project: Path, query: str) -> Graph:
    return Graph().parse(data=cli_query(project, query, "ntriples").decode(), format="nt")


def curl(*args: str) -> tuple[str, dict[str, str], bytes]:
    """Run curl (always -s -i, so headers come first); the status line, headers (lower-cased names), body."""
    done = subprocess.run(["curl", "-s", "-i", "--max-time", "30", *args], capture_output=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# --------------------------------------------------------------------------- the process


def test_server_builds_a_release_announces_its_url_and_reports_health(server: Server) -> None:
    log = server.stderr()
    assert "No release yet: building one first." in log  # the project copy had no release
    health = server.health()
    assert health["status"] == "ok"
    assert f"Serving release {health['release']} at {server.sparql}" in log
    backend = health["backend"]
    assert {k: backend[k] for k in ("size", "live", "idle", "replaced")} == {"size": 2, "live": 2, "idle": 2,
                                                                              "replaced": 0}
    assert len(backend["pids"]) == 2 and server.proc.pid not in backend["pids"]
    ready = httpx.get(f"{server.base}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert "Traceback" not in log


# --------------------------------------------------------------------------- SPARQLWrapper


@pytest.mark.parametrize(("method", "request_method"), WRAPPER_METHODS)
def test_sparqlwrapper_select_matches_the_cli(server: Server, project: Path, method: str, request_method: str) -> None:
    expected = json.loads(cli_query(project, TRADE_GROWTH))
    got = wrapper(server, TRADE_GROWTH, JSON, method, request_method).queryAndConvert()
    assert got == expected
    (row,) = got["results"]["bindings"]
    assert (row["value1965"]["value"], row["value2024"]["value"]) == ("200000000", "77200000000")


@pytest.mark.parametrize(("method", "request_method"), WRAPPER_METHODS)
@pytest.mark.parametrize("ask", ASKS, ids=lambda p: p.stem)
def test_sparqlwrapper_ask_matches_the_cli(server: Server, project: Path, ask: Path, method: str,
                                          request_method: str) -> None:
    query = ask.read_text(encoding="utf-8")
    expected = json.loads(cli_query(project, query))["boolean"]
    got = wrapper(server, query, JSON, method, request_method).queryAndConvert()
    assert got["boolean"] is expected


@pytest.mark.parametrize("return_format", [XML, RDFXML, JSONLD, TURTLE, N3])
def test_sparqlwrapper_construct_gives_the_cli_graph(server: Server, project: Path, return_format: str) -> None:
    """SPARQLWrapper adds ``format=``/``output=``/``results=`` naming its return format to every request
    (twice for RDFXML and JSONLD); the server must still answer the RDF the client asked for. XML is
    SPARQLWrapper's default return format, and the one whose ``convert()`` gives an rdflib Graph."""
    expected = cli_graph(project, TRADE_OBSERVATIONS)
    assert len(expected) > 20
    for method, request_method in ((GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)):
        result = wrapper(server, TRADE_OBSERVATIONS, return_format, method, request_method).query()
        converted = result.convert()
        graph = converted if isinstance(converted, Graph) else Graph().parse(data=converted, format="turtle")
        assert isomorphic(graph, expected), (return_format, method, request_method)


# --------------------------------------------------------------------------- rdflib SPARQLStore


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server: Server, project: Path, method: str) -> None:
    store = SPARQLStore(query_endpoint=server.sparql, method=method, timeout=30)
    graph = Graph(store)

    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected_count = int(json.loads(cli_query(project, count))["results"]["bindings"][0]["n"]["value"])
    assert [int(row[0]) for row in graph.query(count)] == [expected_count]
    assert len(graph) == expected_count

    expected_graphs = {b["g"]["value"]: int(b["n"]["value"])
                       for b in json.loads(cli_query(project, GRAPH_COUNTS))["results"]["bindings"]}
    got_graphs = {str(row[0]): int(row[1]) for row in graph.query(GRAPH_COUNTS)}
    assert got_graphs == expected_graphs
    assert set(got_graphs) == {GRAPH + name for name in ("data", "ontology", "shapes", "validation")}
    assert got_graphs[GRAPH + "data"] + got_graphs[GRAPH + "ontology"] == expected_count  # default = data ∪ ontology

    in_data = """
        PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
        PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
        SELECT ?year ?value WHERE {
          GRAPH <https://w3id.org/kjtrade/graph/data> {
            ?o kjt:indicator <https://w3id.org/kjtrade/id/concept/indicator/trade-value> ;
               kjt:refYear ?year ; sdmx-measure:obsValue ?value } }
        ORDER BY ?year"""
    expected_rows = [(b["year"]["value"], b["value"]["value"])
                     for b in json.loads(cli_query(project, in_data))["results"]["bindings"]]
    got_rows = [(str(row[0]), str(row[1])) for row in graph.query(in_data)]
    assert got_rows == expected_rows
    assert ("1965", "200000000") in got_rows
    in_ontology = "ASK { GRAPH <https://w3id.org/kjtrade/graph/data> { ?c a <http://www.w3.org/2002/07/owl#Class> } }"
    assert graph.query(in_ontology).askAnswer is False  # classes live in the ontology graph only

    # a Graph over one named graph sends it as default-graph-uri
    shapes = Graph(store, identifier=URIRef(GRAPH + "shapes"))
    assert [int(row[0]) for row in shapes.query(count)] == [expected_graphs[GRAPH + "shapes"]]

    assert isomorphic(graph.query(TRADE_OBSERVATIONS).graph, cli_graph(project, TRADE_OBSERVATIONS))
    countries = set(graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                   URIRef("http://schema.org/Country")))
    assert countries == {URIRef("https://w3id.org/kjtrade/id/country/KR"), URIRef("https://w3id.org/kjtrade/id/country/JP")}


# --------------------------------------------------------------------------- curl


def test_curl_csv_head_gzip_and_conditional_requests(server: Server, project: Path) -> None:
    query = f"query={TRADE_BY_YEAR}"

    status, headers, body = curl("-H", "Accept: text/csv", "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/csv; charset=utf-8"
    etag = headers["etag"]
    assert etag.startswith('W/"')
    assert body == cli_query(project, TRADE_BY_YEAR, "csv")

    status, headers, body = curl("-H", "Accept: text/csv", "-H", f"If-None-Match: {etag}",
                                 "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 304 Not Modified"
    assert headers["etag"] == etag
    assert body == b""
    status, _, _ = curl("-H", "Accept: text/csv", "-H", f'If-None-Match: W/"other", {etag}',
                        "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 304 Not Modified"
    status, _, _ = curl("-H", "Accept: text/csv", "-H", 'If-None-Match: W/"other"', "--data-urlencode", query,
                        server.sparql)
    assert status == "HTTP/1.1 200 OK"
    status, _, _ = curl("-H", "Accept: text/tab-separated-values", "-H", f"If-None-Match: {etag}",
                        "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 200 OK"  # another representation, another validator

    # HEAD (-I) over GET with the query in the URL (-G): the GET's headers, no body
    status, head, body = curl("-I", "-G", "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 200 OK"
    assert head["content-type"] == "application/sparql-results+json"
    assert head["etag"].startswith('W/"')
    assert body == b""
    status, got, body = curl("-G", "--data-urlencode", query, server.sparql)
    assert status == "HTTP/1.1 200 OK"
    assert got["etag"] == head["etag"]
    assert int(head["content-length"]) == len(body)
    assert json.loads(body) == json.loads(cli_query(project, TRADE_BY_YEAR))
    status, _, body = curl("-G", "-H", f"If-None-Match: {head['etag']}", "--data-urlencode", query, server.sparql)
    assert (status, body) == ("HTTP/1.1 304 Not Modified", b"")

    # gzip: --compressed decodes it; without it the bytes on the wire are gzip
    big = "query=SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 300"
    status, headers, plain = curl("-G", "--data-urlencode", big, server.sparql)
    assert status == "HTTP/1.1 200 OK" and "content-encoding" not in headers
    status, headers, decoded = curl("--compressed", "-G", "--data-urlencode", big, server.sparql)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert headers["etag"].startswith('W/"')
    assert decoded == plain
    assert len(json.loads(decoded)["results"]["bindings"]) == 300
    status, headers, raw = curl("-H", "Accept-Encoding: gzip", "-G", "--data-urlencode", big, server.sparql)
    assert headers["content-encoding"] == "gzip"
    assert raw[:2] == b"\x1f\x8b" and len(raw) < len(plain)
    assert gzip.decompress(raw) == plain
    status, _, body = curl("--compressed", "-H", f"If-None-Match: {headers['etag']}", "-G", "--data-urlencode", big,
                           server.sparql)
    assert (status, body) == ("HTTP/1.1 304 Not Modified", b"")


def test_curl_head_on_the_service_description(server: Server) -> None:
    status, headers, body = curl("-I", server.sparql)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/turtle; charset=utf-8"
    assert "etag" in headers and body == b""


# --------------------------------------------------------------------------- service description


def test_service_description_names_the_endpoint_url_used(server: Server) -> None:
    r = httpx.get(server.sparql, headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    sd = Graph().parse(data=r.text, format="turtle")
    endpoint = URIRef(server.sparql)
    assert set(sd.objects(None, SD.endpoint)) == {endpoint}
    assert (endpoint, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SD.Service) in sd
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (endpoint, SD.feature, SD.BasicFederatedQuery) not in sd  # SERVICE is off
    names = {str(n) for n in sd.objects(None, SD.name)}
    assert names == {GRAPH + name for name in ("data", "ontology", "shapes", "validation")}
    triples = {int(t) for t in sd.objects(None, URIRef("http://rdfs.org/ns/void#triples")) if isinstance(t, Literal)}
    assert triples  # sizes are advertised

    # behind a proxy the Host header is the URL the client used
    proxied = httpx.get(server.sparql, headers={"Accept": "text/turtle", "Host": "kg.example.org"}, timeout=10)
    sd = Graph().parse(data=proxied.text, format="turtle")
    assert set(sd.objects(None, SD.endpoint)) == {URIRef("http://kg.example.org/sparql")}


# --------------------------------------------------------------------------- choosing the release


def test_serve_a_given_release_folder(server: Server, project: Path) -> None:
    """``--release`` serves that folder (here: the release the module's server built)."""
    release = (project / "release" / "current").resolve()
    with serve(project, "--release", str(release)) as other:
        assert other.health()["release"] == release.name
        got = httpx.get(other.sparql, params={"query": TRADE_GROWTH}, timeout=10)
        assert got.status_code == 200
        assert got.json() == json.loads(cli_query(project, TRADE_GROWTH))


def _not_a_release(kind: str, tmp: Path, project: Path) -> Path:
    if kind == "empty folder":
        (tmp / "empty").mkdir()
        return tmp / "empty"
    if kind == "source folder":
        return project / "data"
    if kind == "missing folder":
        return tmp / "missing"
    # a release folder without its store: only the manifest was copied
    broken = tmp / "broken"
    broken.mkdir()
    shutil.copy(project / "release" / "current" / "manifest.json", broken)
    return broken


@pytest.mark.parametrize("how", ["flag", "variable"])
@pytest.mark.parametrize("kind", ["empty folder", "source folder", "missing folder", "manifest only"])
def test_refuses_to_start_without_a_release(server: Server, project: Path, tmp_path: Path, kind: str,
                                            how: str) -> None:
    target = _not_a_release(kind, tmp_path, project)
    args = ["--release", str(target)] if how == "flag" else []
    env = clean_env({"KGPUB_RELEASE": str(target)} if how == "variable" else {})
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "kgpub", "serve", "--project", str(project), "--port", str(port),
                           *args], capture_output=True, text=True, env=env, timeout=60, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert str(target.name) in output, output  # the message names the folder
    assert "Serving release" not in output, output


# --------------------------------------------------------------------------- dumps over HTTP

def test_a_downloaded_dump_is_the_release_file_and_parses_as_the_endpoint_graph(server: Server,
                                                                                  project: Path) -> None:
    """Downloaded whole and in two Range halves, the dump is the release's file; rdflib reads the
    gzip N-Triples dump as the same graph the endpoint's default graph holds."""
    current = project / "release" / "current"
    data = (current / "dataset.ttl").read_bytes()
    whole = httpx.get(f"{server.base}/dump.ttl", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert whole.status_code == 200 and whole.content == data
    half = len(data) // 2
    parts = [httpx.get(f"{server.base}/dump.ttl", headers={"Range": r}, timeout=30)
             for r in (f"bytes=0-{half - 1}", f"bytes={half}-")]
    assert [p.status_code for p in parts] == [206, 206] and parts[0].content + parts[1].content == data
    nt = httpx.get(f"{server.base}/dump.nt.gz", timeout=30)
    assert nt.headers["content-type"] == "application/gzip"
    downloaded = Graph().parse(data=gzip.decompress(nt.content).decode("utf-8"), format="nt")
    served = Graph().parse(data=httpx.get(server.sparql, params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"},
                                          headers={"Accept": "application/n-triples"}, timeout=30).text, format="nt")
    assert isomorphic(downloaded, served)
    listing = httpx.get(f"{server.base}/releases/", timeout=30).json()
    assert listing["releases"][0]["current"] and listing["current"] == listing["releases"][0]["version"]


def _canonical(quads: Iterable[Quad]) -> set[Quad]:
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@pytest.mark.parametrize("name", ["dump.ttl", "dump.nt", "dump.jsonld", "dump.nq", "dump.trig", "dump.ttl.gz",
                                  "dump.jsonld.gz", "dump.nq.gz"])
def test_oxigraph_loads_each_downloaded_dump_as_the_served_graph(server: Server, project: Path, tmp_path: Path,
                                                                 name: str) -> None:
    """A user's own triple store (the oxigraph CLI, PyPI) loads the download and holds the same graph."""
    oxigraph = Path(sys.executable).with_name("oxigraph")
    if not oxigraph.is_file():
        pytest.fail("the oxigraph command line (PyPI `oxigraph`, in the test extra) is required")
    download = tmp_path / name
    download.write_bytes(httpx.get(f"{server.base}/{name}", timeout=30).content)
    store = tmp_path / "store"
    subprocess.run([str(oxigraph), "load", "--location", str(store), "--file", str(download)], check=True,
                   capture_output=True, timeout=120)
    dumped = subprocess.run([str(oxigraph), "dump", "--location", str(store), "--format", "nq"], check=True,
                            capture_output=True, timeout=120).stdout
    loaded = _canonical(parse(dumped, format=RdfFormat.N_QUADS))
    if name.split(".")[1] in ("nq", "trig"):
        expected = _canonical(parse(path=project / "release" / "current" / "dataset.nq", format=RdfFormat.N_QUADS))
    else:
        answer = httpx.get(server.sparql, params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"},
                           headers={"Accept": "application/n-triples"}, timeout=30).content
        expected = _canonical(Quad(t.subject, t.predicate, t.object) for t in parse(answer, format=RdfFormat.N_TRIPLES))
    assert loaded == expected
