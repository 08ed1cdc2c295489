"""The remote store backend's parts that need no triple store: quirks, datasets, credentials, and how a store's
failures are answered.

The quirk fixtures are answers recorded from the real stores (Virtuoso 7.2.5 of Debian, Oxigraph server 0.5.13)
over the real release; the failures come from small HTTP servers on 127.0.0.1 that behave like broken stores
(refusing, hanging, erring, streaming without end). The end-to-end tests serve from the real stores.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, QueryBoolean, QueryResultsFormat, parse_query_results

from kgpub.errors import InputError, QueryRejected, StoreFailed, StoreTimeout, StoreUnavailable
from kgpub.query.backends.remote import (
    Dataset,
    Endpoint,
    RemoteBackend,
    StoreConfig,
    VirtuosoJson,
    declared_dataset,
    normalized,
)
from kgpub.query.checks import QueryLimits
from kgpub.query.protocol import Chosen, FormatChoice, QueryJob
from kgpub.settings import Settings

VIRTUOSO = "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"
OXIGRAPH = "Oxigraph/0.5.13"
XSD = "http://www.w3.org/2001/XMLSchema#"
QB = "http://purl.org/linked-data/cube#"
JSON = QueryResultsFormat.JSON

# Recorded from Virtuoso: SELECT ?s ?p ?o over the data graph's component specifications (blank nodes whose
# qb:componentRequired the release stores as "false"/"true"^^xsd:boolean).
VIRTUOSO_SELECT = (
    b'\n{ "head": { "link": [], "vars": ["s", "p", "o"] },\n  "results": { "distinct": false, "ordered": true, '
    b'"bindings": [\n    { "s": { "type": "bnode", "value": "nodeID://b10000" }\t, "p": { "type": "uri", "value": '
    b'"http://purl.org/linked-data/cube#componentRequired" }\t, "o": { "type": "typed-literal", "datatype": '
    b'"http://www.w3.org/2001/XMLSchema#boolean", "value": "0" }},\n    { "s": { "type": "bnode", "value": '
    b'"nodeID://b10005" }\t, "p": { "type": "uri", "value": "http://purl.org/linked-data/cube#componentRequired" }'
    b'\t, "o": { "type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1" }},'
    b'\n    { "s": { "type": "bnode", "value": "nodeID://b10007" }\t, "p": { "type": "uri", "value": '
    b'"http://purl.org/linked-data/cube#componentRequired" }\t, "o": { "type": "typed-literal", "datatype": '
    b'"http://www.w3.org/2001/XMLSchema#boolean", "value": "1" }} ] } }')
# Recorded from Virtuoso: ASK { ?s ?p ?o }; and its answer to a malformed query.
VIRTUOSO_ASK = b'{  "head": { "link": [] }, "boolean": true}'
VIRTUOSO_400 = (b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error at '}' before '}'\n\nSPARQL query:"
                b"\ndefine sql:big-data-const 0 SELECT ?x WHERE { ?x ?y }")
# Recorded from Virtuoso: a language-tagged label (escaped non-ASCII) of country:KR.
VIRTUOSO_LABELS = (b'\n{ "head": { "link": [], "vars": ["l"] },\n  "results": { "distinct": false, "ordered": true, '
                   b'"bindings": [\n    { "l": { "type": "literal", "xml:lang": "en", "value": "South Korea" }},\n    '
                   b'{ "l": { "type": "literal", "xml:lang": "ja", "value": "\\u5927\\u97D3\\u6C11\\u56FD" }} ] } }')
# Recorded from Oxigraph server, the same SELECT: nothing to fix.
OXIGRAPH_SELECT = (
    b'{"head":{"vars":["s","p","o"]},"results":{"bindings":[{"s":{"type":"bnode","value":'
    b'"cb87b3fea9a1ed40cb18d6e5ea912876"},"p":{"type":"uri","value":"http://purl.org/linked-data/cube#'
    b'componentRequired"},"o":{"type":"literal","value":"false","datatype":"http://www.w3.org/2001/XMLSchema#'
    b'boolean"}}]}}')


def rows(body: bytes) -> list[dict[str, object]]:
    found = parse_query_results(body, format=JSON)
    names = [v.value for v in found.variables]  # type: ignore[union-attr]
    return [{n: s[n] for n in names} for s in found]  # type: ignore[union-attr]


# ---- Virtuoso's quirks ---------------------------------------------------------------------------------------


def test_virtuosos_blank_nodes_need_the_fix_and_its_typed_literal_does_not() -> None:
    """The evidence: pyoxigraph refuses Virtuoso's blank nodes as they come, and reads its "typed-literal"."""
    with pytest.raises(SyntaxError, match="bnode"):
        rows(VIRTUOSO_SELECT)
    typed = (b'{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"typed-literal","datatype":'
             b'"http://www.w3.org/2001/XMLSchema#integer","value":"4"}}]}}')
    assert rows(typed) == [{"o": Literal("4", datatype=NamedNode(XSD + "integer"))}]


def test_virtuosos_select_reads_as_the_release_stores_it() -> None:
    found = rows(normalized(VIRTUOSO_SELECT, server=VIRTUOSO))
    boolean = NamedNode(XSD + "boolean")
    assert found == [
        {"s": BlankNode("b10000"), "p": NamedNode(QB + "componentRequired"), "o": Literal("false", datatype=boolean)},
        {"s": BlankNode("b10005"), "p": NamedNode(QB + "componentRequired"), "o": Literal("true", datatype=boolean)},
        {"s": BlankNode("b10007"), "p": NamedNode(QB + "componentRequired"), "o": Literal("true", datatype=boolean)}]


def test_virtuosos_other_answers_read_unchanged() -> None:
    assert bool(parse_query_results(normalized(VIRTUOSO_ASK, server=VIRTUOSO), format=JSON)) is True
    assert isinstance(parse_query_results(VIRTUOSO_ASK, format=JSON), QueryBoolean)
    assert normalized(VIRTUOSO_LABELS, server=VIRTUOSO) == VIRTUOSO_LABELS
    assert [r["l"] for r in rows(VIRTUOSO_LABELS)] == [Literal("South Korea", language="en"),
                                                       Literal("大韓民国", language="ja")]


def test_other_stores_answers_are_left_as_they_are() -> None:
    assert normalized(OXIGRAPH_SELECT, server=OXIGRAPH) == OXIGRAPH_SELECT
    one = OXIGRAPH_SELECT.replace(b'"false"', b'"1"')  # a store that stored "1"^^xsd:boolean: its lexical form kept
    assert normalized(one, server=OXIGRAPH) == one


def test_a_literal_that_looks_like_a_virtuoso_blank_node_is_not_touched() -> None:
    body = (b'{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"literal","value":"nodeID://b1"}},'
            b'{"o":{"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#string","value":"1"}}]}}')
    assert normalized(body, server=VIRTUOSO) == body


@pytest.mark.parametrize("size", [1, 7, 64, 500])
def test_the_fix_streams_whatever_the_chunk_boundaries(size: int) -> None:
    """Every split of the answer into chunks gives the whole answer's fix (matches across two chunks included)."""
    whole = normalized(VIRTUOSO_SELECT * 3, server=VIRTUOSO)
    fix = VirtuosoJson()
    data = VIRTUOSO_SELECT * 3
    streamed = b"".join(fix.feed(data[i:i + size]) for i in range(0, len(data), size)) + fix.flush()
    assert streamed == whole
    for cut in range(0, len(VIRTUOSO_SELECT), 3):
        fix = VirtuosoJson()
        assert fix.feed(VIRTUOSO_SELECT[:cut]) + fix.feed(VIRTUOSO_SELECT[cut:]) + fix.flush() == normalized(
            VIRTUOSO_SELECT, server=VIRTUOSO)


# ---- the dataset ---------------------------------------------------------------------------------------------

G = "https://w3id.org/kjtrade/graph/"
RELEASE = Dataset(default_graphs=(G + "data", G + "ontology"),
                  graphs=frozenset({G + "data", G + "ontology", G + "shapes", G + "validation"}))
EMPTY = "urn:kgpub:empty-graph"


def job(query: str, default: tuple[str, ...] | None = None, named: tuple[str, ...] | None = None,
        base: str | None = None) -> QueryJob:
    formats = FormatChoice(Chosen("json", "application/sparql-results+json"), Chosen("turtle", "text/turtle"))
    return QueryJob(query=query, default_graphs=default, named_graphs=named, base_iri=base, formats=formats)


def test_a_query_without_a_dataset_gets_the_release_explicitly() -> None:
    """Virtuoso's default graph is all it holds (system graphs too): the release's are always named."""
    assert RELEASE.of(job("SELECT * { ?s ?p ?o }")) == (
        [G + "data", G + "ontology"], [G + "data", G + "ontology", G + "shapes", G + "validation"])


def test_a_dataset_the_client_names_is_kept_to_the_release() -> None:
    virtrdf = "http://www.openlinksw.com/schemas/virtrdf#"  # a Virtuoso system graph
    assert RELEASE.of(job("SELECT * { ?s ?p ?o }", default=(G + "shapes", virtrdf))) == ([G + "shapes"], [EMPTY])
    assert RELEASE.of(job("SELECT * { ?s ?p ?o }", named=(virtrdf,))) == ([EMPTY], [EMPTY])
    query = f"SELECT * FROM <{virtrdf}> FROM NAMED <{G}shapes> {{ ?s ?p ?o }}"
    assert RELEASE.of(job(query)) == ([EMPTY], [G + "shapes"])


def test_from_clauses_are_read_with_prefixes_base_and_comments() -> None:
    query = f"""# FROM <http://not/this> in a comment
    BASE <{G}>
    PREFIX kjg: <{G}>
    PREFIX : <http://example.org/>
    SELECT ?from FROM kjg:data FROM <ontology> FROM NAMED :x FROM NAMED <{G}shapes>
    WHERE {{ ?from ?p "FROM <http://nor/this>" }}"""
    assert declared_dataset(query) == ([G + "data", G + "ontology"], ["http://example.org/x", G + "shapes"])
    assert declared_dataset("SELECT ?from WHERE { ?from ?p ?o }") is None
    assert declared_dataset("SELECT * FROM <data> {}", base=G) == ([G + "data"], [])


# ---- credentials ---------------------------------------------------------------------------------------------


def test_the_password_comes_from_a_file_or_a_variable_and_never_shows(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret word\nignored\n", encoding="utf-8")
    settings = Settings.load(env={}, store="http://127.0.0.1:1/sparql", store_user="kgpub",
                             store_password_file=secret)
    config = StoreConfig.from_settings(settings)
    assert config.password == "s3cret word" and "s3cret" not in repr(config)
    settings = Settings.load(env={"KGPUB_STORE": "http://127.0.0.1:1/sparql", "KGPUB_STORE_USER": "kgpub",
                                  "KGPUB_STORE_PASSWORD_ENV": "STORE_PW"})
    assert StoreConfig.from_settings(settings, env={"STORE_PW": "from env"}).password == "from env"
    with pytest.raises(InputError, match="STORE_PW: the variable is not set"):
        StoreConfig.from_settings(settings, env={})
    missing = Settings.load(env={}, store="http://127.0.0.1:1/sparql", store_user="u",
                            store_password_file=tmp_path / "nope")
    with pytest.raises(InputError, match="cannot be read"):
        StoreConfig.from_settings(missing)


@pytest.mark.parametrize(("options", "message"), [
    ({"store": "ftp://127.0.0.1/sparql"}, "http:// or https://"),
    ({"store": "127.0.0.1:7878/query"}, "http:// or https://"),
    ({"store": "http://kgpub:hunter2@127.0.0.1/sparql"}, "holds credentials"),
    ({"store": "http://127.0.0.1/sparql", "store_user": "kgpub"}, "needs --store-password-file"),
    ({"store": "http://127.0.0.1/sparql", "store_password_env": "X"}, "no --store-user"),
    ({"store": "http://127.0.0.1/sparql", "store_user": "u", "store_password_env": "X",
      "store_password_file": Path("f")}, "both given"),
])
def test_store_settings_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as refused:
        Settings.load(env={}, **options)
    assert "hunter2" not in refused.value.message


# ---- a store's failures --------------------------------------------------------------------------------------

Handler = Callable[[BaseHTTPRequestHandler, dict[str, list[str]]], None]


@contextmanager
def store(handle: Handler) -> Iterator[str]:
    """A small HTTP server on 127.0.0.1 that answers every POST with ``handle(request, form)``; its URL."""

    class Requests(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            handle(self, parse_qs(self.rfile.read(length).decode("ascii")))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Requests)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def answer(request: BaseHTTPRequestHandler, status: int, body: bytes, media_type: str = "text/plain",
           headers: dict[str, str] | None = None) -> None:
    request.send_response(status)
    request.send_header("Content-Type", media_type)
    request.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)


def endpoint(url: str, *, user: str | None = None, password: str | None = None, timeout: float = 2.0) -> Endpoint:
    return Endpoint(StoreConfig(url, user, password), dataset=RELEASE, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_store_that_is_down_is_unavailable_502() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    probe = endpoint(url)
    with pytest.raises(StoreUnavailable, match="cannot be reached") as down:
        probe.select("ASK {}")
    assert down.value.status == 502 and down.value.headers()["Retry-After"] == "1" and url in down.value.message
    assert "cannot be reached" in probe.probe()
    probe.close()


def test_a_store_that_never_answers_times_out_504_at_the_limit() -> None:
    with socket.socket() as hung:  # accepts connections (the kernel's backlog) and never answers them
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        probe = endpoint(f"http://127.0.0.1:{hung.getsockname()[1]}/sparql", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(StoreTimeout, match=r"0\.5 s time limit") as slow:
            probe.select("ASK {}")
        assert time.monotonic() - started < 1.5
        assert slow.value.status == 504 and slow.value.headers()["X-Query-Timeout"] == "0.5"
        probe.close()


def test_a_store_error_names_its_status_and_message_never_the_password() -> None:
    def failing(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        answer(request, 500, b"internal error\n  while running query for user kgpub / hunter2 " + b"x" * 2000)

    with store(failing) as url:
        probe = endpoint(url, user="kgpub", password="hunter2")
        with pytest.raises(StoreFailed) as failed:
            probe.select("ASK {}")
        probe.close()
    message = failed.value.message
    assert failed.value.status == 502 and "answered 500" in message and "internal error while running" in message
    assert "hunter2" not in message and len(message) < 500


def test_a_400_is_the_store_refusing_a_clients_query_and_a_failure_for_ours() -> None:
    def refusing(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        answer(request, 400, VIRTUOSO_400, headers={"Server": VIRTUOSO})

    with store(refusing) as url:
        probe = endpoint(url)
        with pytest.raises(QueryRejected, match=r"cannot run this query .*SP030"), probe.exchange(
                probe.form("SELECT * {}", None, None), "application/sparql-results+json", time_limit=2, limit=1000,
                user_query=True):
            pass
        with pytest.raises(StoreFailed, match="answered 400"):
            probe.select("SELECT * {}")
        probe.close()


def test_a_login_the_store_asks_for_is_named() -> None:
    def locked(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        answer(request, 401, b"", headers={"WWW-Authenticate": 'Basic realm="store"'})

    with store(locked) as url:
        probe = endpoint(url)
        with pytest.raises(StoreFailed, match=r"asks for a login .*--store-user"):
            probe.select("ASK {}")
        probe.close()
        probe = endpoint(url, user="kgpub", password="wrong")
        with pytest.raises(StoreFailed, match="refused kgpub's login"):
            probe.select("ASK {}")
        probe.close()


def test_a_store_asking_for_basic_authentication_gets_it() -> None:
    """Digest is answered by httpx; a store whose challenge is Basic gets Basic (and keeps getting it)."""
    expected = "Basic " + base64.b64encode(b"kgpub:s3cret").decode()
    seen: list[str | None] = []

    def basic(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != expected:
            answer(request, 401, b"", headers={"WWW-Authenticate": 'Basic realm="store"'})
        else:
            answer(request, 200, VIRTUOSO_ASK, "application/sparql-results+json")

    with store(basic) as url:
        probe = endpoint(url, user="kgpub", password="s3cret")
        assert bool(probe.select("ASK {}")) is True
        assert bool(probe.select("ASK {}")) is True
        probe.close()
    assert seen == [None, expected, expected]


def test_an_answer_kgpub_cannot_read_is_a_failure() -> None:
    def html(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        answer(request, 200, b"<html>a login page</html>", "text/html")

    with store(html) as url:
        probe = endpoint(url)
        with pytest.raises(StoreFailed, match="'text/html', not SPARQL query results"):
            probe.select("ASK {}")
        probe.close()


def test_a_long_answer_is_read_only_to_the_row_cap() -> None:
    """A store streaming a million rows: the answer is cut at the row cap, said so, and the rest is never read."""
    sent = {"bytes": 0, "broken": False}
    row = b'{"n":{"type":"literal","value":"%d"}}'

    def endless(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/sparql-results+json")
        request.end_headers()  # no Content-Length: the body ends when the connection does
        try:
            if form["query"][0].strip() == "ASK {}":
                request.wfile.write(VIRTUOSO_ASK)
                return
            head = b'{"head":{"vars":["n"]},"results":{"bindings":['
            request.wfile.write(head)
            for i in range(1_000_000):
                chunk = (b"," if i else b"") + row % i
                request.wfile.write(chunk)
                sent["bytes"] += len(chunk)
            request.wfile.write(b"]}}")
        except (BrokenPipeError, ConnectionResetError):
            sent["broken"] = True
        request.close_connection = True

    async def ask(url: str) -> tuple[int, bool, bytes]:
        backend = RemoteBackend(endpoint(url), size=1, limits=QueryLimits(), max_rows=50, prefixes={})
        await backend.start()
        try:
            found = await backend.run(job("SELECT ?n WHERE { ?s ?p ?n }"), timeout=5)
        finally:
            await backend.close()
        return found.count, found.truncated, found.body

    with store(endless) as url:
        count, truncated, body = asyncio.run(ask(url))
        end = time.monotonic() + 5
        while not sent["broken"] and time.monotonic() < end:
            time.sleep(0.05)
    assert (count, truncated) == (50, True)
    assert [r["n"] for r in rows(body)] == [Literal(str(i)) for i in range(50)]
    assert sent["broken"] and sent["bytes"] < 10_000_000  # the store was cut off long before its 37 MB


def test_the_backend_checks_a_query_before_the_store_sees_it() -> None:
    """Our checks and parse come first, the same as on the embedded store: a bad query never reaches the store."""
    asked: list[str] = []

    def recording(request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        asked.append(form["query"][0])
        answer(request, 200, VIRTUOSO_ASK, "application/sparql-results+json")

    async def run(query: str) -> None:
        backend = RemoteBackend(endpoint(url), size=1, limits=QueryLimits(max_depth=4), max_rows=50, prefixes={})
        await backend.start()
        try:
            await backend.run(job(query), timeout=5)
        finally:
            await backend.close()

    with store(recording) as url:
        for query, error in (("SELECT ?x WHERE { ?x ?y }", "malformed query at line 1, column 26"),
                             ("SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }", "SERVICE calls"),
                             ("INSERT DATA { <a:a> <a:a> <a:a> }", "read-only"),
                             ("ASK { { { { { ?s ?p ?o } } } } }", "nests groups 5 deep")):
            with pytest.raises((QueryRejected, InputError), match=error):
                asyncio.run(run(query))
    assert asked == ["ASK {}"] * 4  # the probes only
