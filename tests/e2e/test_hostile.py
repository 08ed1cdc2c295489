"""The request catalogue: hostile requests against the real ``kgpub serve``, none of which may cost a 500, a hang
past the limits, or a crash.

- bytes 0x80-0xFF in every header the server reads, on every GET route (finding 4);
- nothing the server is asked about is fetched: SERVICE, FROM / FROM NAMED, graph parameters, fragment terms,
  JSON-LD contexts, hosts in headers (a listener on 127.0.0.1 counts zero connections);
- no file-serving route reads outside the release or static folder: ``..``, encoded and double-encoded paths,
  backslashes, NUL, absolute paths, symlinks in the release folder;
- no header or response splitting through what ends up in headers (``format=``, ``lang=`` and its cookie,
  ``Content-Location``, ``Link``, paths);
- huge, deep, non-UTF-8 and binary queries; enormous and malformed Accept and Accept-Language;
  50,000 form fields answered fast; request-body gzip bombs refused or left opaque, without memory growth;
- slow headers and slow bodies are cut at ``KGPUB_HEADER_TIMEOUT`` / ``KGPUB_BODY_TIMEOUT``;
- after all of it the server still answers /healthz and its log has no traceback.

Requests go to 127.0.0.1 only, as raw bytes (:mod:`helpers.hostile`) where a client library would
normalise them; every loop is bounded in count and time.
"""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from helpers import hostile
from helpers.hostile import Answer, exchange, request
from helpers.listener import Listener
from helpers.server import HOST, Server, built_copy, serve
from kgpub.release.reader import open_release
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web import static_files
from kgpub.web.app import create_app

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
QUERY_TIMEOUT = 3.0
SLACK = 1.5  # seconds beyond a limit before it counts as not enforced (a shared, busy machine)
FAST = 2.0  # seconds: what "answers fast" means for a request that must not hold the CPU
SECRET = "kgpub-hostile-canary-7d1f0c"  # in files beside the releases folder: never in an answer
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


# --------------------------------------------------------------------------- the server and what it serves


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built project with canary files outside its releases folder and symlinks inside its release."""
    root = built_copy(tmp_path_factory.mktemp("hostile") / "kjtrade")
    (root / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (root.parent / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    folder = (root / "release" / "current").resolve()
    for name, target in (("leak.csv", root / "secret.txt"), ("leak.csv-metadata.json", root / "secret.txt"),
                         ("passwd", Path("/etc/passwd")), ("leak.ttl", root / "secret.txt")):
        (folder / name).symlink_to(target)
    (root / "release" / "leakdir").symlink_to(root, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    """One server for the whole catalogue, with short header and body time limits; its log must stay clean
    (``serve`` checks it when the module ends, :func:`test_still_healthy_after_the_catalogue` before)."""
    env = {"KGPUB_HEADER_TIMEOUT": f"{HEADER_TIMEOUT:g}", "KGPUB_BODY_TIMEOUT": f"{BODY_TIMEOUT:g}"}
    with serve(project, "--timeout", f"{QUERY_TIMEOUT:g}", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    socket.create_connection((HOST, lst.port), timeout=5).close()  # the counter works
    assert lst.wait_for(1) == 1
    yield lst
    lst.close()


def version(project: Path) -> str:
    return open_release(project / "release").version


def get_routes(project: Path) -> list[str]:
    """The path template of every route that answers GET, read from the application itself."""
    settings = Settings.load(env={}, project=project)
    app = create_app(Site(settings, open_release(project / "release")))  # never started: only its routes
    found: list[str] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(str(route.path))  # type: ignore[attr-defined]

    walk(list(app.router.routes))
    return sorted(set(found))


def examples(project: Path, server: Server) -> dict[str, list[str]]:
    """A real target (or two) for each route template that has parameters."""
    v = version(project)
    files = open_release(project / "release").manifest.files
    table = next(name.removesuffix(".csv") for name in sorted(files) if name.endswith(".csv"))
    home = httpx.get(server.base + "/", headers={"Accept": "text/html"}, timeout=30).text
    chart = re.search(r'/charts/[^"]+\.vl\.json', home)
    assert chart is not None, "the home page links no chart"
    return {
        "/id/{rest:path}": ["/id/country/KR", "/id/country/KR.ttl"],
        "/graph/{rest:path}": ["/graph/data"],
        "/ontology.{ext}": ["/ontology.ttl"],
        "/ontology/{rest:path}": ["/ontology/x"],
        "/shapes.{ext}": ["/shapes.nt"],
        "/validation.{ext}": ["/validation.ttl"],
        "/.well-known/void.{ext}": ["/.well-known/void.jsonld"],
        "/releases/{version}/": [f"/releases/{v}/"],
        "/releases/{version}/{name}": [f"/releases/{v}/dataset.ttl"],
        "/datasets/{name}.csv": [f"/datasets/{table}.csv"],
        "/datasets/{name}.csv-metadata.json": [f"/datasets/{table}.csv-metadata.json"],
        "/static/{digest}/{name:path}": [static_files.url("site.css")],
        "/charts/{name}": [chart.group(0)],
        "/sparql": ["/sparql", "/sparql?query=ASK%7B%7D"],
        "/search": ["/search", "/search?q=korea"],
    }


@pytest.fixture(scope="module")
def targets(project: Path, server: Server) -> list[str]:
    """A target for every GET route: a route without an example here fails the test that needs it."""
    known = examples(project, server)
    found, missing = [], []
    for template in get_routes(project):
        if template in known:
            found += known[template]
        elif "{" in template:
            missing.append(template)
        else:
            found.append(template)
    assert not missing, f"GET routes without an example in the catalogue: {missing}; add one to examples()"
    return found


RETRYABLE = (b'"code":"query_timeout"', b'"code":"overloaded"')
"""The designed 503s (a query stopped at its time limit; admission control): limits, not failures."""


def ok(answer: Answer, what: object) -> Answer:
    """An answer that is an answer: a status below 500 (a 4xx is the expected refusal), or a designed 503."""
    assert answer.status is not None, f"{what}: no answer ({answer.describe()}, {answer.send_error})"
    retryable = answer.status == 503 and any(code in answer.body for code in RETRYABLE)
    assert answer.status < 500 or retryable, f"{what}: {answer.describe()}"
    return answer


def send(server: Server, method: str, target: str | bytes, headers: Sequence[hostile.Header] | None = None,
         body: bytes = b"") -> Answer:
    return exchange(server.port, request(method, target, headers or [], body), method=method)


def rss(server: Server) -> int:
    """The server process's resident memory, in bytes (Linux /proc)."""
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


# --------------------------------------------------------------------------- finding 4: bytes that are not UTF-8


def test_every_get_route_has_a_target(targets: list[str]) -> None:
    assert "/sparql" in targets and "/healthz" in targets and "/docs" in targets and len(targets) > 25


@pytest.mark.parametrize("header", hostile.READ_HEADERS)
def test_non_utf8_header_bytes_on_every_get_route(server: Server, targets: list[str], header: str) -> None:
    """Raw bytes 0x80-0xFF in a header the server reads: a 2xx, 3xx or 4xx on every GET route, never a 500."""
    for target in targets:
        for value in hostile.non_utf8_values(header):
            ok(send(server, "GET", target, [(header, value)]), (target, header, value[:40]))


# --------------------------------------------------------------------------- SSRF: nothing is fetched


def ssrf_requests(listener: Listener) -> list[tuple[str, str, list[hostile.Header], bytes]]:
    """Every way a request can name an IRI of the listener: (method, target, headers, body)."""
    url, base = listener.url, listener.base

    def q(text: str) -> str:
        return quote(text, safe="")

    queries = [
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }} LIMIT 1",
        f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
        f"SELECT * FROM <{url}> FROM NAMED <{base}/g> WHERE {{ ?s ?p ?o }} LIMIT 1",
        f"ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE <{url}>",
        f"CONSTRUCT {{ <{url}> ?p ?o }} WHERE {{ <{url}> ?p ?o }}",
        f"BASE <{base}/> SELECT * FROM <data> WHERE {{ ?s ?p ?o }} LIMIT 1",
        f"SELECT (IRI(\"{url}\") AS ?x) (STR(<{url}>) AS ?y) WHERE {{}}",
        f"LOAD <{url}>",
        f"LOAD SILENT <{url}> INTO GRAPH <{base}/g>",
        f"CREATE GRAPH <{url}>",
    ]
    graphs = f"default-graph-uri={q(url)}&named-graph-uri={q(base + '/g')}"
    found: list[tuple[str, str, list[hostile.Header], bytes]] = []
    for text in queries:
        found += [
            ("GET", f"/sparql?query={q(text)}", [], b""),
            ("GET", f"/sparql?query={q(text)}&format=html", [("Accept", "text/html")], b""),
            ("POST", "/sparql", [("Content-Type", FORM)], f"query={q(text)}".encode()),
            ("POST", f"/sparql?{graphs}", [("Content-Type", DIRECT)], text.encode()),
            ("GET", f"/sparql?edit={q(text)}", [("Accept", "text/html")], b""),
        ]
    found += [
        ("GET", f"/sparql?query={q('ASK {}')}&{graphs}", [], b""),
        ("POST", "/sparql", [("Content-Type", FORM)], f"query={q('SELECT * {?s ?p ?o} LIMIT 1')}&{graphs}".encode()),
        ("POST", "/sparql", [("Content-Type", FORM)], f"update={q(f'LOAD <{url}>')}".encode()),
        ("POST", "/sparql", [("Content-Type", "application/sparql-update")], f"LOAD <{url}>".encode()),
        ("GET", f"/fragments?subject={q(url)}&predicate={q(url)}&object={q(url)}&graph={q(url)}", [], b""),
        ("GET", f"/fragments?object={q(chr(34) + url + chr(34) + '^^<' + url + '>')}", [], b""),
        ("GET", f"/search?q={q(url)}&format=json", [], b""),
        ("GET", f"/search?q={q(url)}", [("Accept", "text/html")], b""),
        ("GET", f"/id/{q(url)}", [], b""),
        ("GET", f"/id/country/KR?format={q(url)}", [], b""),
        # a JSON-LD document with a remote context, and a Link to one: never loaded
        ("POST", "/sparql", [("Content-Type", "application/ld+json")],
         f'{{"@context": "{url}/context.jsonld", "@id": "{url}"}}'.encode()),
        ("GET", "/dump?format=jsonld", [("Link", f'<{url}/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"')],
         b""),
        ("GET", "/context.jsonld", [("Link", f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"')], b""),
        # hosts and origins in headers: the base of the answer's URLs at most, never a connection
        ("GET", f"/fragments?subject={q(url)}", [("X-Forwarded-Host", f"{HOST}:{listener.port}"),
                                                 ("Forwarded", f"host={HOST}:{listener.port}")], b""),
        ("GET", "/sparql?query=ASK%7B%7D", [("Referer", url), ("Origin", base)], b""),
    ]
    return found


def test_nothing_named_in_a_request_is_fetched(server: Server, listener: Listener) -> None:
    before = listener.count()
    catalogue = ssrf_requests(listener)
    for method, target, headers, body in catalogue:
        ok(send(server, method, target, headers, body), (method, target, body[:80]))
    # a Host header naming the listener: the URLs the server writes may name it, it never connects
    ok(exchange(server.port, f"GET /sparql HTTP/1.1\r\nHost: {HOST}:{listener.port}\r\n"
                             "Accept: text/turtle\r\nConnection: close\r\n\r\n".encode()), "Host")
    after = listener.count(settle=0.5)
    assert after == before, f"the server connected to the listener {after - before} time(s)"
    assert len(catalogue) > 60


# --------------------------------------------------------------------------- path traversal


def file_prefixes(project: Path) -> list[str]:
    """Every file-serving prefix a path can be appended to."""
    v = version(project)
    digest = static_files.files()["site.css"].digest
    return [f"/releases/{v}/", "/releases/", "/datasets/", f"/static/{digest}/", "/static/", "/charts/", "/docs/",
            "/dump.", "/dump/", "/context.jsonld/", "/changes.rdfp.gz/", "/", "/id/", "/graph/", "/ontology/",
            "/.well-known/", "/fragments/", "/search/"]


def leaked(answer: Answer) -> bool:
    return SECRET.encode() in answer.body or any(s in answer.body for s in hostile.SECRETS)


def test_no_path_reads_outside_the_release_or_static_folder(server: Server, project: Path) -> None:
    statuses: dict[int, int] = {}
    for prefix in file_prefixes(project):
        for tail in hostile.TRAVERSALS:
            answer = ok(send(server, "GET", prefix + tail), prefix + tail)
            statuses[answer.status or 0] = statuses.get(answer.status or 0, 0) + 1
            assert not leaked(answer), f"{prefix + tail}: {answer.describe()}"
            assert answer.status is not None and answer.status >= 300, f"{prefix + tail}: {answer.describe()}"
    print(f"traversal answers by status: {dict(sorted(statuses.items()))}")


def test_release_files_are_only_the_published_ones(server: Server, project: Path) -> None:
    """Relative paths out of the release folder, files in it that are not published, and symlinks in it (to
    the project's files, to /etc/passwd, a releases-folder link to the project) are all 404s."""
    v = version(project)
    tails = [t.format(secret="secret.txt") for t in hostile.OUTSIDE] + list(hostile.NOT_PUBLISHED)
    tails += ["leak.csv", "leak.csv-metadata.json", "passwd", "leak.ttl"]
    targets = [f"/releases/{v}/{t}" for t in tails] + [f"/releases/current/{t}" for t in tails]
    targets += ["/releases/leakdir/", "/releases/leakdir/secret.txt", "/releases/leakdir/release/current/dataset.ttl",
                "/datasets/leak.csv", "/datasets/leak.csv-metadata.json", "/releases/..%2f/secret.txt",
                f"/releases/{v}%2f..%2f..%2fsecret.txt/x", "/dump.ttl/../secret.txt"]
    for target in targets:
        answer = ok(send(server, "GET", target), target)
        assert not leaked(answer), f"{target}: {answer.describe()}"
        assert answer.status in (400, 404), f"{target}: {answer.describe()}"
    listing = httpx.get(server.base + "/releases/", timeout=30).json()
    assert [r["version"] for r in listing["releases"]] == [v]  # the link to a folder is not a release
    assert not any("leak" in name or name == "passwd" for name in listing["releases"][0]["files"])


# --------------------------------------------------------------------------- header and response splitting


def splitting_targets(project: Path) -> list[tuple[str, Sequence[hostile.Header]]]:
    """Targets with an ``X`` where the injection goes: each parameter or path part that may reach a header."""
    v = version(project)
    digest = static_files.files()["site.css"].digest
    html = [("Accept", "text/html")]
    return [
        ("/dump?format=X", []), ("/dump.ttlX", []), ("/releases/?format=X", []),
        ("/?lang=X", html), ("/?lang=koX", html), ("/id/country/KR?lang=X", html), ("/search?lang=X", html),
        ("/sparql?lang=X", html), ("/sparql?query=ASK%7B%7D&format=X", []),
        ("/sparql?query=ASK%7B%7D&format=html&lang=koX", html), ("/sparql?query=ASK%7B%7D&timeout=X", []),
        ("/sparql?edit=X", html), ("/id/country/KR?format=X", []), ("/id/country/KRX", []),
        ("/id/country/KR.ttlX", []), ("/id/country/KRX.ttl", []), ("/search?q=X&format=json", []),
        ("/search?q=X", html), ("/charts/X.vl.json", []), ("/releases/X/", []), (f"/releases/{v}/X", []),
        ("/datasets/X.csv", []), ("/datasets/X.csv-metadata.json", []), ("/fragments?subject=X", []),
        ("/fragments?format=X", []), (f"/static/{digest}/X", []), ("/static/X/site.css", []),
    ]


def test_no_header_or_response_splitting(server: Server, project: Path) -> None:
    for template, headers in splitting_targets(project):
        for spelling in hostile.CRLF_SPELLINGS:
            target = template.replace("X", spelling)
            answer = ok(send(server, "GET", target, headers), target)
            problems = hostile.injected(answer)
            assert not problems, f"{target}: {problems}: {answer.describe()}"
            for cookie in answer.all("set-cookie"):
                assert re.fullmatch(r"kgpub_lang=(en|ko|ja); [^\r\n]*", cookie), (target, cookie)


# --------------------------------------------------------------------------- huge, deep, non-UTF-8 and binary queries


def query_bodies() -> dict[str, bytes]:
    return {
        "900 kB query": b"ASK {} #" + b"x" * 900_000,
        "2 MB query (over the body limit)": b"ASK {} #" + b"x" * 2_000_000,
        "100 000 characters of CJK": ("ASK { ?s ?p \"" + "漢字かなカナ한글" * 12_500 + "\" }").encode(),
        "50 000 nested groups": b"SELECT * WHERE " + b"{" * 50_000 + b"}" * 50_000,
        "unbalanced braces": b"SELECT * WHERE " + b"{" * 50_000,
        "100 000 parentheses": b"ASK { FILTER(" + b"(" * 100_000 + b"1" + b")" * 100_000 + b") }",
        "binary": bytes(range(256)) * 64,
        "NUL bytes": b"ASK {\0\0\0}" + b"\0" * 10_000,
        "a lone surrogate": "ASK { ?s ?p \"\ud800\" }".encode("utf-8", "surrogatepass"),
        "invalid UTF-8 in a literal": b'ASK { ?s ?p "\xc3\x28\xa0\xa1" }',
        "UTF-8 BOM": b"\xef\xbb\xbfASK {}",
        "UTF-16": "ASK {}".encode("utf-16"),
        "20 000 VALUES": ("SELECT * { VALUES ?x { " + " ".join(str(i) for i in range(20_000)) + " } }").encode(),
        "10 000 UNIONs": ("SELECT * { " + " UNION ".join("{ ?s ?p ?o }" for _ in range(10_000)) + " }").encode(),
        "catastrophic regex": b'SELECT (COUNT(*) AS ?n) { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) }',
        "huge number": b"ASK { FILTER(" + b"9" * 50_000 + b" > 1) }",
        "huge IRI": b"ASK { <http://x/" + b"a" * 90_000 + b"> ?p ?o }",
        "many prefixes": b"".join(b"PREFIX p%d: <http://x/%d/> " % (i, i) for i in range(3_000)) + b"ASK {}",
    }


@pytest.mark.parametrize("name", list(query_bodies()))
def test_hostile_queries_by_every_transport(server: Server, name: str) -> None:
    body = query_bodies()[name]
    limit = QUERY_TIMEOUT + SLACK + FAST
    direct = ok(send(server, "POST", "/sparql", [("Content-Type", DIRECT)], body), f"{name}, direct")
    form = ok(send(server, "POST", "/sparql", [("Content-Type", FORM)], b"query=" + quote(body).encode()),
              f"{name}, form")
    answers = [direct, form]
    if len(body) < 300_000:
        answers.append(ok(send(server, "GET", b"/sparql?query=" + quote(body).encode()), f"{name}, GET"))
    for answer in answers:
        assert answer.seconds < limit, f"{name}: {answer.describe()}"


def test_non_utf8_and_raw_bytes_in_the_request_target(server: Server) -> None:
    for target in (b"/sparql?query=ASK%7B%7D%FF", b"/sparql?query=%C3%28", b"/sparql?%FF=1&query=ASK%7B%7D",
                   b"/sparql?query=ASK{}\xff", b"/id/country/\xff\xfe", b"/search?q=\xe6\x97\xa5",
                   b"/sparql?query=ASK%7B%7D&default-graph-uri=%FF", b"/\x80", b"/%80", b"/fragments?subject=%FF",
                   b"/sparql?query=" + b"%00" * 1000, b"/?lang=%FF", b"/search?q=%ED%A0%80"):
        answer = exchange(server.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ok(answer, target)


def test_a_request_line_of_megabytes(server: Server) -> None:
    for size in (200_000, 1_100_000, 3_000_000):
        answer = send(server, "GET", "/sparql?query=ASK%7B%7D%23" + "x" * size)
        assert answer.status is None or answer.status < 500, answer.describe()
        assert answer.status is not None or answer.closed, f"{size}: neither an answer nor a hang-up"
        assert answer.seconds < FAST * 2, answer.describe()


def test_a_get_query_of_100_kb_is_answered_or_refused_by_the_limit(server: Server) -> None:
    """A GET may carry a query as long as a POST body may (the request-line limit is 1 MiB): answered, or refused
    with the one error body of a 414 (never a parser's plain-text 400)."""
    answer = ok(send(server, "GET", "/sparql?query=ASK%7B%7D%23" + "x" * 100_000), "100 kB GET")
    if answer.status != 200:
        assert answer.status == 414 and answer.header("content-type") == "application/json", answer.describe()


# --------------------------------------------------------------------------- enormous and malformed Accept


NEGOTIATED = ["/sparql?query=ASK%7B%7D", "/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20a%20%3Fo%7D%20LIMIT%201",
              "/sparql", "/id/country/KR", "/dump", "/releases/", "/fragments", "/search?q=korea", "/", "/docs"]


@pytest.mark.parametrize("name", list(hostile.ACCEPT_BOMBS))
def test_enormous_and_malformed_accept(server: Server, name: str) -> None:
    for target in NEGOTIATED:
        answer = ok(send(server, "GET", target, [("Accept", hostile.ACCEPT_BOMBS[name])]), (name, target))
        assert answer.seconds < FAST, f"{name} {target}: {answer.seconds:.2f} s"


@pytest.mark.parametrize("name", list(hostile.ACCEPT_LANGUAGE_BOMBS))
def test_enormous_and_malformed_accept_language(server: Server, name: str) -> None:
    for target in NEGOTIATED:
        headers = [("Accept", "text/html"), ("Accept-Language", hostile.ACCEPT_LANGUAGE_BOMBS[name])]
        answer = ok(send(server, "GET", target, headers), (name, target))
        assert answer.seconds < FAST, f"{name} {target}: {answer.seconds:.2f} s"


def test_thousands_of_accept_headers_are_not_remembered(server: Server) -> None:
    """600 distinct 60 kB Accept headers (each one a key of the documents' negotiation cache, if long ones were
    kept: 512 of them are 30 MB): the server's memory stays flat."""
    before = rss(server)
    for i in range(600):
        accept = f"text/turtle;v={i}" + "x" * 60_000
        ok(send(server, "GET", "/id/country/KR", [("Accept", accept)]), i)
    grown = rss(server) - before
    assert grown < 16 << 20, f"the server grew by {grown >> 20} MB for 600 distinct 60 kB Accept headers"


def test_thousands_of_long_paths_are_not_remembered(server: Server) -> None:
    """400 distinct 60 kB paths under /id/ (each one a key of a per-path memo, if long ones were kept:
    24 MB): the server's memory stays flat."""
    def four_hundred(first: int) -> None:
        for i in range(first, first + 400):
            answer = ok(send(server, "GET", f"/id/{i}/" + "a" * 60_000), i)
            assert answer.status == 404, answer.describe()

    four_hundred(0)  # the allocator's high-water mark for requests this size (freed memory is not given back)
    before = rss(server)
    four_hundred(400)  # a memo of paths would grow by 24 MB more
    grown = rss(server) - before
    assert grown < 8 << 20, f"the server grew by {grown >> 20} MB for 400 more distinct 60 kB paths"


# --------------------------------------------------------------------------- thousands of form fields


@pytest.mark.parametrize("query", [None, "ASK {}"])
def test_fifty_thousand_form_fields_are_answered_fast(server: Server, query: str | None) -> None:
    body = hostile.form_fields(50_000, query=query)
    answer = ok(send(server, "POST", "/sparql", [("Content-Type", FORM)], body), "50 000 fields")
    assert answer.status in (200, 400), answer.describe()
    assert answer.seconds < FAST, f"50 000 form fields took {answer.seconds:.2f} s"


@pytest.mark.parametrize("field", ["format", "default-graph-uri", "named-graph-uri", "query", "timeout"])
def test_a_parameter_repeated_twenty_thousand_times(server: Server, field: str) -> None:
    value = {"format": "json", "default-graph-uri": "urn:g", "named-graph-uri": "urn:g", "query": "ASK{}",
             "timeout": "1"}[field]
    body = f"query={quote('ASK {}')}&".encode() * (field != "query") + f"{field}={quote(value)}&".encode() * 20_000
    for answer in (send(server, "POST", "/sparql", [("Content-Type", FORM)], body),
                   send(server, "GET", "/sparql?" + body.decode())):
        ok(answer, field)
        assert answer.seconds < FAST, f"{field} x 20 000: {answer.seconds:.2f} s"


# --------------------------------------------------------------------------- gzip bombs and odd framing


def test_gzip_bomb_bodies_are_refused_or_opaque(server: Server) -> None:
    """A 10 MB gzip stream that would inflate to 10 GB, with a length and chunked; a 1 MB one that would
    inflate to 1 GB (under the body limit): refused or read as the bytes they are, fast, memory flat."""
    assert hostile.gzip_bomb_ratio() > 900  # the bomb is one: a valid deflate stream, inflating ~1000 times
    before = rss(server)
    big = b"".join(hostile.gzip_bomb(compressed=10 << 20))
    small = b"".join(hostile.gzip_bomb(compressed=1000 << 10))
    for content_type in (FORM, DIRECT):
        headers: list[hostile.Header] = [("Content-Type", content_type), ("Content-Encoding", "gzip")]
        answer = exchange(server.port, [request("POST", "/sparql", [*headers, ("Content-Length", str(len(big)))]),
                                        big], method="POST")
        ok(answer, (content_type, "10 MB with a length"))
        assert answer.status in (413, 415) and answer.seconds < FAST, answer.describe()

        def chunked(data: bytes = big, headers: list[hostile.Header] = headers) -> Iterator[bytes]:
            yield request("POST", "/sparql", [*headers, ("Transfer-Encoding", "chunked")])
            for start in range(0, len(data), 1 << 16):
                piece = data[start:start + (1 << 16)]
                yield b"%x\r\n" % len(piece) + piece + b"\r\n"
            yield b"0\r\n\r\n"

        answer = exchange(server.port, chunked(), method="POST")
        ok(answer, (content_type, "10 MB chunked"))
        assert answer.status in (413, 415) and answer.seconds < FAST, answer.describe()

        answer = ok(send(server, "POST", "/sparql", headers, small), (content_type, "1 MB"))
        assert 400 <= answer.status < 500 and answer.seconds < FAST, answer.describe()  # type: ignore[operator]
    grown = rss(server) - before
    assert grown < 64 << 20, f"the server grew by {grown >> 20} MB while refusing gzip bombs"


def test_a_gzipped_query_is_not_inflated(server: Server) -> None:
    """A real gzipped form or query is refused (or read as the bytes it is): never answered as the query."""
    for content_type, body in ((FORM, b"query=ASK%7B%7D"), (DIRECT, b"ASK {}")):
        answer = ok(send(server, "POST", "/sparql", [("Content-Type", content_type), ("Content-Encoding", "gzip")],
                         hostile.gzipped(body)), content_type)
        assert 400 <= answer.status < 500, answer.describe()  # type: ignore[operator]


def test_odd_framing(server: Server) -> None:
    """Contradictory lengths, bad chunks, a coding in Transfer-Encoding: a 4xx or a hang-up, never a 500."""
    raw = [
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 6\r\n"
        b"Content-Length: 60\r\nConnection: close\r\n\r\nASK {}",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 6\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nASK {}\r\n0\r\n\r\n",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n6\r\nASK {}\r\n0\r\n\r\n",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: -1\r\n"
        b"Connection: close\r\n\r\nASK {}",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 99999999999999999999\r\nConnection: close\r\n\r\nASK {}",
        b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n",
        b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 2000 + b"Connection: close\r\n\r\n",
        b"GET /sparql HTTP/1.1\r\n\r\n",
        b"GET /sparql HTTP/1.0\r\n\r\n",
        b"GET http://" + HOST.encode() + b"/sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"BREW /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,  # a TLS ClientHello
    ]
    for data in raw:
        answer = exchange(server.port, data, timeout=HEADER_TIMEOUT + SLACK + 3)
        assert answer.status is None or answer.status < 500 or answer.status == 501, (data[:80], answer.describe())
        assert answer.status is not None or answer.closed, (data[:80], "neither an answer nor a hang-up")


def test_a_client_gone_mid_body_is_not_a_server_error(server: Server) -> None:
    """Half a body, then the client hangs up (or sends a chunk the parser refuses, or is cut by the body timeout):
    nobody is there to read an answer, but the server must not count it as its own failure (no 500, no
    traceback; it was both: ClientDisconnect reached web/errors.unexpected_error)."""
    head = request("POST", "/sparql", [("Content-Type", FORM), ("Content-Length", "100")])
    slow = exchange(server.port, itertools.chain([head], hostile.slowly(b"query=ASK" * 11, pieces=10, seconds=4)),
                    timeout=BODY_TIMEOUT + SLACK + 2, method="POST")  # cut by the body timeout
    assert slow.status in (None, 408), slow.describe()
    for data in (head + b"query=ASK", b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query"
                 b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nASK {}\r\n0\r\n\r\n"):
        with socket.create_connection((HOST, server.port), timeout=5) as s:
            s.sendall(data)
            time.sleep(0.3)  # the route is reading the body
        time.sleep(0.3)
    assert httpx.get(server.base + "/healthz", timeout=5).status_code == 200
    log = server.stderr()
    assert "Traceback" not in log and '"status":500' not in log, log[-3000:]


# --------------------------------------------------------------------------- slow headers and slow bodies


def test_slow_headers_are_cut_at_the_header_timeout(server: Server) -> None:
    """Slowloris: a header line every 0.2 s, never the blank line; the server answers 408 or hangs up
    within KGPUB_HEADER_TIMEOUT (plus slack), well before the client is done."""
    head = request("GET", "/healthz", [(f"X-Slow-{i}", "x") for i in range(40)])[:-2]  # without the final CRLF
    answer = exchange(server.port, hostile.slowly(head, pieces=40, seconds=8.0), timeout=HEADER_TIMEOUT + SLACK + 2)
    assert answer.closed or answer.status == 408, f"still open after {answer.seconds:.2f} s"
    assert answer.seconds < HEADER_TIMEOUT + SLACK, answer.describe()
    assert answer.status in (None, 408), answer.describe()


def test_slow_bodies_are_cut_at_the_body_timeout(server: Server) -> None:
    """The headers at once, then a 2,000-byte body a few bytes every 0.2 s: 408 within KGPUB_BODY_TIMEOUT."""
    body = b"query=" + b"A" * 1994
    head = request("POST", "/sparql", [("Content-Type", FORM), ("Content-Length", str(len(body)))])
    answer = exchange(server.port, itertools.chain([head], hostile.slowly(body, pieces=40, seconds=8.0)),
                      timeout=BODY_TIMEOUT + SLACK + 2, method="POST")
    assert answer.status == 408 or answer.closed, f"still reading after {answer.seconds:.2f} s"
    assert answer.seconds < BODY_TIMEOUT + SLACK, answer.describe()
    assert answer.status in (None, 408), answer.describe()


def test_idle_and_slow_connections_do_not_block_others(server: Server) -> None:
    """100 connections that send half a request and wait: /healthz and a query still answer at once."""
    held: list[socket.socket] = []
    try:
        for _ in range(100):
            s = socket.create_connection((HOST, server.port), timeout=5)
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n")
            held.append(s)
        started = time.monotonic()
        health = httpx.get(server.base + "/healthz", timeout=10)
        query = httpx.get(server.sparql, params={"query": "ASK {} # while 100 clients stall"}, timeout=10)
        elapsed = time.monotonic() - started
        assert health.status_code == 200 and query.status_code == 200, (health.text, query.text)
        assert elapsed < FAST, f"/healthz and one query took {elapsed:.2f} s beside 100 stalled clients"
    finally:
        for s in held:
            s.close()


# --------------------------------------------------------------------------- concurrency of the catalogue


def test_the_catalogue_in_parallel(server: Server, targets: list[str]) -> None:
    """A few threads sending mixed hostile requests at once: still no 500 (races in caches, negotiation)."""
    failures: list[str] = []
    deadline = time.monotonic() + 10

    def hammer(seed: int) -> None:
        for i in range(60):
            if time.monotonic() > deadline:
                return
            target = targets[(seed * 7 + i) % len(targets)]
            header = hostile.READ_HEADERS[(seed + i) % len(hostile.READ_HEADERS)]
            value = hostile.non_utf8_values(header)[i % 3]
            answer = send(server, "GET", target, [(header, value), ("Accept", hostile.ACCEPT_BOMBS["q=NaN"])])
            if answer.status is None or answer.status >= 500:
                failures.append(f"{target} {header}: {answer.describe()}")

    threads = [threading.Thread(target=hammer, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not failures, failures[:5]


# --------------------------------------------------------------------------- last: still healthy, log clean


def test_still_healthy_after_the_catalogue(server: Server) -> None:
    health = server.health()
    assert health["status"] == "ok", health
    assert health["backend"]["live"] == health["backend"]["size"], health
    r = httpx.get(server.sparql, params={"query": "ASK { ?s ?p ?o } # after the catalogue"}, timeout=10)
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert server.proc.poll() is None
    assert "Traceback" not in server.stderr(), server.stderr()[-5000:]
