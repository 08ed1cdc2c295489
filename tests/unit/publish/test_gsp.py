"""The Graph Store Protocol publisher's own parts: endpoints, credentials, the upload request as it goes on the wire,
the temporary graph names, the store's messages, the size advice, the dry run. The stores themselves are in
tests/e2e/test_publish.py."""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import socket
import threading
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from helpers.published import PublishedGraph
from kgpub.errors import InputError, PublishLoginRefused
from kgpub.publish import GSP_ADVICE, check_iri, write_graph
from kgpub.publish.gsp import (
    MESSAGE_CHARS,
    Credentials,
    FileBody,
    Session,
    Target,
    publish,
    size_warnings,
    temporary_graph,
    upload_request,
)

SECRET = "s3cr3t-Pässword"
GRAPH = "https://w3id.org/kjtrade/graph/data"


class RawServer:
    """An HTTP/1.1 server on 127.0.0.1 for one request: it keeps the request's bytes exactly as they arrived (head and
    body, either framing) and answers 201, so a test sees what a store sees."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.head, self.body = b"", b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        self.head, rest = data.split(b"\r\n\r\n", 1)
        headers = dict(line.split(b":", 1) for line in self.head.split(b"\r\n")[1:])
        headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
        if b"content-length" in headers:
            while len(rest) < int(headers[b"content-length"]):
                rest += conn.recv(65536)
        else:
            while not rest.endswith(b"0\r\n\r\n"):
                rest += conn.recv(65536)
        self.body = rest
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        self.sock.close()

    def headers(self) -> dict[str, str]:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}

    def target(self) -> str:
        return self.head.decode("latin-1").split("\r\n", 1)[0]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- endpoints -----------------------------------------------------------------------------------------------


def test_the_query_and_update_endpoints_follow_from_a_known_layout() -> None:
    oxi = Target.of("http://127.0.0.1:7878/store")
    assert (oxi.kind, oxi.query_url, oxi.update_url) == ("oxigraph", "http://127.0.0.1:7878/query",
                                                         "http://127.0.0.1:7878/update")
    vt = Target.of("http://h:8890/sparql-graph-crud-auth")
    assert (vt.kind, vt.query_url, vt.update_url) == ("virtuoso", "http://h:8890/sparql-auth",
                                                      "http://h:8890/sparql-auth")
    open_vt = Target.of("https://h/db/sparql-graph-crud")
    assert (open_vt.query_url, open_vt.update_url) == ("https://h/db/sparql", "https://h/db/sparql")
    chosen = Target.of("http://h/store", sparql="http://q/sparql", update="http://u/update")
    assert (chosen.query_url, chosen.update_url) == ("http://q/sparql", "http://u/update")


def test_another_store_names_its_endpoints() -> None:
    with pytest.raises(InputError, match="--sparql and --update"):
        Target.of("http://h:3030/ds/data")
    other = Target.of("http://h:3030/ds/data", sparql="http://h:3030/ds/query", update="http://h:3030/ds/update")
    assert other.kind == "store" and size_warnings(other, 10**9) == []


@pytest.mark.parametrize("url", ["ftp://h/store", "store", "http:///store"])
def test_an_endpoint_is_an_http_url(url: str) -> None:
    with pytest.raises(InputError, match="not an http"):
        Target.of(url)


def test_credentials_in_a_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(InputError) as e:
        Target.of(f"http://kgpub:{SECRET}@h:8890/sparql-graph-crud-auth")
    assert SECRET not in str(e.value) and "--password-file" in str(e.value)


def test_the_endpoint_carries_no_query_string() -> None:
    with pytest.raises(InputError, match="without a query string"):
        Target.of("http://h/store?graph=x")


# ---- credentials -----------------------------------------------------------------------------------------------


def test_the_password_comes_from_the_first_line_of_a_file_or_a_variable(tmp_path: Path) -> None:
    file = tmp_path / "pw"
    file.write_text(SECRET + "\nignored\n", encoding="utf-8")
    assert Credentials.read("kgpub", password_file=file) == Credentials("kgpub", SECRET)
    assert Credentials.read("kgpub", password_env="PW", env={"PW": SECRET}) == Credentials("kgpub", SECRET)
    assert Credentials.read(None) is None
    assert SECRET not in repr(Credentials("kgpub", SECRET))


def test_a_login_needs_exactly_one_password_source(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    cases = [({"password_env": "PW"}, "no --user", None),
             ({"password_file": empty, "password_env": "PW"}, "both given", "u"),
             ({}, "needs --password-file or --password-env", "u"),
             ({"password_file": empty}, "first line", "u"),
             ({"password_file": tmp_path / "missing"}, "cannot be read", "u"),
             ({"password_env": "PW", "env": {}}, "not set or empty", "u")]
    for kwargs, message, user in cases:
        with pytest.raises(InputError, match=message):
            Credentials.read(user, **kwargs)  # type: ignore[arg-type]


# ---- the upload on the wire ---------------------------------------------------------------------------------


def test_the_upload_has_a_content_length_and_is_never_chunked(tmp_path: Path) -> None:
    body = tmp_path / "g.nt"
    body.write_bytes(b'<http://ex.org/a> <http://ex.org/p> "x" .\n' * 5000)  # several chunks of FileBody
    with httpx.Client() as client:
        request = upload_request(client, "http://h/store", GRAPH, body)
    assert request.method == "PUT"
    assert request.headers["content-length"] == str(body.stat().st_size)
    assert "transfer-encoding" not in request.headers
    assert request.headers["content-type"] == "application/n-triples"
    assert parse_qs(urlsplit(str(request.url)).query) == {"graph": [GRAPH]}

    server = RawServer()  # and as it arrives at a server
    with httpx.Client() as client:
        Session(client, Target.of(server.url + "/store"), None).put(GRAPH, body)
    server.thread.join(10)
    headers = server.headers()
    assert headers["content-length"] == str(body.stat().st_size)
    assert "transfer-encoding" not in headers
    assert server.body == body.read_bytes()
    assert parse_qs(urlsplit(server.target().split()[1]).query) == {"graph": [GRAPH]}


def test_a_body_can_be_sent_again(tmp_path: Path) -> None:
    """A digest login challenged anew (a stale nonce) sends the request again: the body reads from the start."""
    body = tmp_path / "g.nt"
    body.write_bytes(bytes(range(256)) * 1000)
    stream = FileBody(body)
    assert b"".join(stream) == b"".join(stream) == body.read_bytes()
    assert stream.size == body.stat().st_size


def test_the_temporary_graph_is_absolute_and_never_shared() -> None:
    first, second = temporary_graph(GRAPH, "v1"), temporary_graph(GRAPH, "v1")
    assert first != second and first.startswith(GRAPH + "?kgpub-publish=v1-")
    assert temporary_graph("http://ex.org/g?x=1", "v1", "t") == "http://ex.org/g?x=1&kgpub-publish=v1-t"
    assert check_iri(first) == first


@pytest.mark.parametrize("iri", ["relative/graph", "http://ex.org/a b", "http://ex.org/a>", "<http://ex.org/a>",
                                 "1http://x", ""])
def test_only_absolute_iris_are_sent(iri: str) -> None:
    with pytest.raises(ValueError, match="absolute IRI"):
        check_iri(iri)


# ---- messages, advice, dry run -------------------------------------------------------------------------------


def test_a_store_message_is_its_text_trimmed_with_no_password() -> None:
    with httpx.Client() as client:
        session = Session(client, Target.of("http://h/store"), Credentials("kgpub", SECRET))
    virtuoso = httpx.Response(500, text="<html><body><h3>Error 22023</h3><xmp>The PUT request for graph <x> is "
                                        "rejected</xmp></body></html>")
    assert session.message(virtuoso) == "The PUT request for graph <x> is rejected"
    long = httpx.Response(400, text=f"Parser error {SECRET} " + "x" * 1000)
    shown = session.message(long)
    assert SECRET not in shown and "***" in shown and len(shown) == MESSAGE_CHARS


def test_a_release_too_large_for_the_protocol_is_told_about_bulk() -> None:
    for kind, limit in GSP_ADVICE.items():
        target = Target.of({"oxigraph": "http://h/store", "virtuoso": "http://h/sparql-graph-crud-auth"}[kind])
        assert size_warnings(target, limit) == []
        (warning,) = size_warnings(target, limit + 1)
        assert "--bulk" in warning and kind in warning


def test_a_graph_is_written_streaming_with_its_count_and_size(published: PublishedGraph) -> None:
    store = published.release.open_store()
    out = io.BytesIO()
    triples, size = write_graph(store, GRAPH, out)
    assert triples == published.release.manifest.graphs[GRAPH] and size == len(out.getvalue())
    assert out.getvalue().count(b"\n") == triples
    assert write_graph(store, GRAPH, None) == (triples, size)  # the dry run's size, without keeping the bytes


def test_a_dry_run_sends_nothing(published: PublishedGraph) -> None:
    """Nothing listens on the port: a dry run that connected anywhere would fail."""
    target = Target.of(f"http://127.0.0.1:{closed_port()}/store")
    report = publish(published.release, target, credentials=Credentials("kgpub", SECRET), dry_run=True)
    manifest = published.release.manifest
    assert report.dry_run and report.login == "not tried"
    assert {g.graph: g.expected for g in report.graphs} == manifest.graphs
    assert all(g.found is None and g.bytes > 0 and g.status == "dry run" for g in report.graphs)
    assert SECRET not in repr(report)


def test_an_html_error_page_is_read_as_text() -> None:
    with httpx.Client() as client:
        session = Session(client, Target.of("http://h/store"), None)
    page = httpx.Response(502, text="<!DOCTYPE html><html><body><h1>Bad &amp; gateway</h1></body></html>")
    assert session.message(page) == "Bad & gateway"
    assert session.message(httpx.Response(400, text="")) == "(no message)"


class BasicStore(http.server.BaseHTTPRequestHandler):
    """A tiny Graph Store Protocol store behind basic authentication (neither Oxigraph nor Virtuoso offers basic):
    graphs are counted lines; it records every request as (method, authorized, body bytes)."""

    graphs: ClassVar[dict[str, int]] = {}
    seen: ClassVar[list[tuple[str, bool, int]]] = []
    token = "Basic " + base64.b64encode(f"kgpub:{SECRET}".encode()).decode()

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", media: str = "text/plain") -> None:
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="store"')
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        authorized = self.headers.get("Authorization") == self.token
        self.seen.append((self.command, authorized, len(body)))
        if not authorized:
            return self._answer(401)
        url = urlsplit(self.path)
        if url.path == "/store":
            graph = parse_qs(url.query)["graph"][0]
            if self.command == "PUT":
                self.graphs[graph] = body.count(b"\n")
                return self._answer(201)
            return self._answer(404)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if url.path == "/query":
            graph = re.search(r"GRAPH <([^>]*)>", form["query"]).group(1)  # type: ignore[union-attr]
            n = self.graphs.get(graph, 0)
            answer = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": str(n)}}]}}
            return self._answer(200, json.dumps(answer).encode(), "application/sparql-results+json")
        move = re.match(r"MOVE GRAPH <([^>]*)> TO GRAPH <([^>]*)>", form["update"])
        if move:
            self.graphs[move.group(2)] = self.graphs.pop(move.group(1))
        return self._answer(204)

    do_GET = do_PUT = do_POST = _handle


def test_a_basic_login_is_settled_before_any_body_is_sent(published: PublishedGraph) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BasicStore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        target = Target.of(base + "/store", sparql=base + "/query", update=base + "/update")
        report = publish(published.release, target, credentials=Credentials("kgpub", SECRET))
        with pytest.raises(PublishLoginRefused, match="refused the login of user 'kgpub' \\(401, basic\\)") as e:
            publish(published.release, target, credentials=Credentials("kgpub", "wrong"))
        assert SECRET not in str(e.value)
    finally:
        server.shutdown()
        server.server_close()
    assert report.login == "basic" and not report.warnings
    assert {g.graph: g.found for g in report.graphs} == published.release.manifest.graphs
    assert BasicStore.seen[0] == ("GET", False, 0)  # the first request: the login, without a body
    puts = [(authorized, size) for method, authorized, size in BasicStore.seen if method == "PUT"]
    assert len(puts) == len(report.graphs) and all(authorized and size > 0 for authorized, size in puts)
    assert all(authorized for method, authorized, size in BasicStore.seen if size > 0)  # a body: always with it


def test_a_virtuoso_deadlock_is_run_again_and_a_lasting_one_is_refused(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso answers 500 "SR172: Transaction deadlocked" to a large PUT now and then (seen at 1M triples);
    the upload (to the temporary graph, which a PUT replaces) is sent again, at most DEADLOCK_ATTEMPTS times."""
    from kgpub.errors import PublishRejected
    from kgpub.publish import gsp

    monkeypatch.setattr(gsp.time, "sleep", lambda _s: None)
    body = tmp_path / "g.nt"
    body.write_bytes(b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n")
    answers: list[int] = []

    def store(failures: int) -> httpx.Client:
        def handle(request: httpx.Request) -> httpx.Response:
            answers.append(int(request.headers["content-length"]))
            if len(answers) <= failures:
                return httpx.Response(500, text="<xmp>SR172: Transaction deadlocked</xmp>")
            return httpx.Response(201)
        return httpx.Client(transport=httpx.MockTransport(handle))

    target = gsp.Target.of("http://127.0.0.1:9/store")
    gsp.Session(store(2), target, None).put("http://example.org/g?kgpub-publish=x", body)
    assert len(answers) == 3 and set(answers) == {body.stat().st_size}  # the whole body, each time
    answers.clear()
    with pytest.raises(PublishRejected, match="SR172"):
        gsp.Session(store(5), target, None).put("http://example.org/g?kgpub-publish=x", body)
    assert len(answers) == gsp.DEADLOCK_ATTEMPTS
