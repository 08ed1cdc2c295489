"""Proofs of the endpoint's safety properties, against the real ``kgpub serve`` process.

- no outbound network: SERVICE (in any spelling) is refused and nothing connects out, unless the
  endpoint is allow-listed;
- deep nesting is refused before it reaches the query engine (which crashes on it);
- a runaway query is stopped at the time limit while other clients are served without delay,
  and the worker pool recovers; ``timeout=`` may lower the limit, never raise it;
- answers are cut at the row limit, and the cut is signalled;
- the endpoint is read-only.

Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph, Namespace

from helpers.listener import Listener
from helpers.server import HOST, Server, built_copy, clean_env, serve

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "ASK { <https://w3id.org/kjtrade/id/country/KR> ?p ?o }"
ALL_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
LIMIT = 2.0  # the strict server's --timeout
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DIRECT = {"Content-Type": "application/sparql-query"}


# --------------------------------------------------------------------------- a listener that counts


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    socket.create_connection((HOST, lst.port), timeout=5).close()  # the counter works
    assert lst.wait_for(1) == 1
    yield lst
    lst.close()


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with its release built once, shared by this module's servers."""
    return built_copy(tmp_path_factory.mktemp("safety") / "kjtrade")


@pytest.fixture(scope="module")
def strict(project: Path) -> Iterator[Server]:
    """Default settings but a 2 s time limit. Its log is judged by the last test of this module."""
    with serve(project, "--timeout", f"{LIMIT:g}", clean_log=False) as server:
        yield server


@pytest.fixture(scope="module")
def capped(project: Path) -> Iterator[Server]:
    with serve(project, env={"KGPUB_MAX_ROWS": "5"}) as server:
        yield server


def post(server: Server, query: str, *, direct: bool = False, **params: str) -> httpx.Response:
    if direct:
        return httpx.post(server.sparql, content=query.encode(), headers=DIRECT, params=params, timeout=30)
    return httpx.post(server.sparql, data={"query": query, **params}, timeout=30)


def send(server: Server, transport: str, query: str, **params: str) -> httpx.Response:
    if transport == "GET":
        return httpx.get(server.sparql, params={"query": query, **params}, timeout=30)
    return post(server, query, direct=transport == "POST-direct", **params)


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def count_of(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def assert_still_serving(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": SIMPLE + f" # {time.monotonic_ns()}"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["boolean"] is True
    assert server.proc.poll() is None


TRANSPORTS = ["GET", "POST-form", "POST-direct"]


# --------------------------------------------------------------------------- no outbound network

# LISTENER is the listener's /sparql URL, BASE its root; every spelling must be refused.
SERVICE_SPELLINGS = {
    "plain": "SELECT * WHERE { SERVICE <LISTENER> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <LISTENER> { ?s ?p ?o } }",
    "lowercase": "select * where { service silent <LISTENER> { ?s ?p ?o } }",
    "mixed case, no spaces": "SELECT*{SeRvIcE<LISTENER>{?s ?p ?o}}",
    "comments between": "SELECT * { SERVICE # out\n SILENT # quietly\n <LISTENER> { ?s ?p ?o } }",
    "variable endpoint": "SELECT * { VALUES ?endpoint { <LISTENER> } SERVICE ?endpoint { ?s ?p ?o } }",
    "variable endpoint bound after": "SELECT * { SERVICE SILENT $e { ?s ?p ?o } } VALUES ?e { <LISTENER> }",
    "sub-select": "SELECT * { { SELECT ?s WHERE { SERVICE SILENT <LISTENER> { ?s ?p ?o } } LIMIT 1 } }",
    "optional": "SELECT * { ?x a <http://schema.org/Country> OPTIONAL { SERVICE SILENT <LISTENER> { ?x ?p ?o } } }",
    "filter exists": "SELECT * { ?x a ?t FILTER EXISTS { SERVICE SILENT <LISTENER> { ?x ?p ?o } } }",
    "union": "SELECT * { { ?s ?p ?o } UNION { SERVICE SILENT <LISTENER> { ?s ?p ?o } } }",
    "prefixed name": "PREFIX ex: <BASE/> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }",
    "empty prefix": "PREFIX : <BASE/> SELECT * { SERVICE SILENT :sparql { ?s ?p ?o } }",
    "relative IRI": "BASE <BASE/> SELECT * { SERVICE SILENT <sparql> { ?s ?p ?o } }",
    "ask": "ASK { SERVICE SILENT <LISTENER> { ?s ?p ?o } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE SILENT <LISTENER> { ?s ?p ?o } }",
    # `1<2)SERVICE#>` has the shape of an IRI, `#>` starts a comment: SERVICE hidden from a naive lexer
    "after a comparison": "SELECT * { FILTER(1<2)SERVICE#>\n<LISTENER> { ?s ?p ?o } }",
    "after a comparison, silent": "SELECT * { FILTER(1<2)SERVICE#>\nSILENT <LISTENER> { ?s ?p ?o } }",
}


def spell(template: str, listener: Listener) -> str:
    return template.replace("LISTENER", listener.url).replace("BASE", listener.base)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("spelling", list(SERVICE_SPELLINGS))
def test_service_is_refused_and_nothing_connects_out(strict: Server, listener: Listener, spelling: str,
                                                    transport: str) -> None:
    query = spell(SERVICE_SPELLINGS[spelling], listener)
    before = listener.count(settle=0)  # the previous case already let its connections settle
    r = send(strict, transport, query)
    after = listener.count()
    assert after == before, f"the server connected to {listener.url} ({after - before} connection(s)): {r.text}"
    assert r.status_code == 400, r.text
    assert error(r)["code"] == "query_rejected"
    assert "SERVICE" in error(r)["message"]


def test_load_is_refused_and_nothing_connects_out(strict: Server, listener: Listener) -> None:
    before = listener.count()
    for query in (f"LOAD <{listener.url}>", f"LOAD SILENT <{listener.url}> INTO GRAPH <urn:g>"):
        r = post(strict, query, direct=True)
        assert 400 <= r.status_code < 500, r.text
        r = httpx.post(strict.sparql, data={"update": query}, timeout=30)
        assert r.status_code == 403, r.text
    assert listener.count() == before


def test_allow_listed_service_is_called(project: Path, listener: Listener) -> None:
    allowed = Listener()
    try:
        # the worker prints the failed call's traceback (the listener hangs up): not judged here
        with serve(project, env={"KGPUB_ALLOWED_SERVICES": allowed.url}, clean_log=False) as server:
            sd = Graph().parse(data=httpx.get(server.sparql, headers={"Accept": "text/turtle"}, timeout=10).text,
                               format="turtle")
            assert (None, SD.feature, SD.BasicFederatedQuery) in sd

            silent = f"SELECT * {{ SERVICE SILENT <{allowed.url}> {{ ?s ?p ?o }} }}"
            r = httpx.get(server.sparql, params={"query": silent}, timeout=30)
            print(f"allow-listed SERVICE SILENT answered {r.status_code}: {r.text[:200]}")
            assert allowed.wait_for(1) >= 1, "the allow-listed SERVICE endpoint was never contacted"
            assert_still_serving(server)
            before = allowed.count()
            r = post(server, f"SELECT * {{ SERVICE <{allowed.url}> {{ ?s ?p ?o }} }}", direct=True)
            print(f"allow-listed SERVICE answered {r.status_code}: {r.text[:200]}")
            assert allowed.wait_for(before + 1) > before
            assert_still_serving(server)
            assert server.health()["status"] == "ok"

            # the allow list is exact: another path on the same host, or another host, stays refused
            quiet = listener.count()
            for other in (allowed.base + "/other", listener.url):
                r = httpx.get(server.sparql, params={"query": f"ASK {{ SERVICE SILENT <{other}> {{ ?s ?p ?o }} }}"},
                              timeout=30)
                assert r.status_code == 400 and error(r)["code"] == "query_rejected", r.text
            assert listener.count() == quiet
    finally:
        allowed.close()


# --------------------------------------------------------------------------- deep nesting


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_deeply_nested_groups_are_refused(strict: Server, transport: str) -> None:
    replaced = strict.health()["backend"]["replaced"]
    query = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    r = send(strict, transport, query)
    assert r.status_code == 400, r.text
    assert error(r)["code"] == "query_rejected"
    message = error(r)["message"]
    assert "3000" in message and "limit is 64" in message, message
    assert_still_serving(strict)
    assert strict.health()["backend"]["replaced"] == replaced  # refused before any worker crashed


@pytest.mark.parametrize(("depth", "says"), [(100_000, "the limit is 100000"), (45_000, "the limit is 64"),
                                             (3_000, "the limit is 64")])
def test_deeply_nested_parentheses_are_refused(strict: Server, depth: int, says: str) -> None:
    replaced = strict.health()["backend"]["replaced"]
    query = "SELECT * WHERE { FILTER(" + "(" * depth + "true" + ")" * depth + ") }"
    for direct in (True, False):
        r = post(strict, query, direct=direct)
        assert r.status_code == 400, r.text
        assert error(r)["code"] == "query_rejected"
        assert says in error(r)["message"], error(r)["message"]
    assert_still_serving(strict)
    assert strict.health()["backend"]["replaced"] == replaced


def test_parentheses_after_a_comparison_are_counted(strict: Server) -> None:
    """``1<((…2…))#>`` looks like an IRI to a naive lexer (``#>`` starts a comment); the 20,000 nested
    parentheses must still be counted and refused like any others."""
    replaced = strict.health()["backend"]["replaced"]
    depth = 20_000
    query = "SELECT * WHERE { FILTER(1<" + "(" * depth + "2" + ")" * depth + "#>\n) }"
    r = post(strict, query, direct=True)
    assert_still_serving(strict)  # whatever happened, the server is still up
    strict.wait_for_full_pool()
    assert strict.health()["backend"]["replaced"] == replaced, f"a worker died: {r.text}"
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    assert error(r)["code"] == "query_rejected"
    assert "the limit is 64" in error(r)["message"]


# --------------------------------------------------------------------------- runaway queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def test_runaway_query_is_stopped_while_others_are_served(strict: Server) -> None:
    replaced = strict.wait_for_full_pool()["backend"]["replaced"]
    samples: list[tuple[float, float, int]] = []  # (start, latency, status)
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=10) as client:
            for i in range(5000):  # bounded in count…
                if stop.is_set():
                    return
                query = f"{SIMPLE} # probe {i} {time.monotonic_ns()}"  # distinct text: never a cached answer
                start = time.perf_counter()
                status = client.get(strict.sparql, params={"query": query}).status_code
                samples.append((start, time.perf_counter() - start, status))

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    time.sleep(0.2)  # the prober is warmed up (connection open)
    started = time.perf_counter()
    r = httpx.get(strict.sparql, params={"query": RUNAWAY}, timeout=30)
    elapsed = time.perf_counter() - started
    stop.set()
    prober.join(10)  # …and in time
    assert not prober.is_alive()

    assert r.status_code == 503, r.text
    assert error(r)["code"] == "query_timeout"
    assert 1.8 <= elapsed <= 4.0, f"runaway query answered after {elapsed:.2f} s (limit {LIMIT:g} s)"

    during = [(lat, status) for start, lat, status in samples if started <= start and start + lat <= started + elapsed]
    latencies = [lat for lat, _ in during]
    assert len(during) >= 20, f"only {len(during)} probe queries ran during the runaway query"
    assert all(status == 200 for _, status in during), sorted({s for _, s in during})
    ms = [lat * 1000 for lat in latencies]
    print(f"\nrunaway answered 503 after {elapsed:.3f} s; {len(ms)} probe queries during it: "
          f"p50 {percentile(ms, 50):.1f} ms, p90 {percentile(ms, 90):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
          f"max {max(ms):.1f} ms")
    assert percentile(latencies, 99) < 0.2, f"p99 {percentile(ms, 99):.1f} ms while a runaway query ran"

    health = strict.wait_for_full_pool(replaced_at_least=replaced + 1, deadline=5.0)
    assert health["backend"]["replaced"] == replaced + 1
    assert_still_serving(strict)


def test_timeout_parameter_only_lowers_the_limit(strict: Server) -> None:
    for asked, effective, low, high in ((0.5, 0.5, 0.45, 1.5), (100, LIMIT, 1.8, 4.0)):
        replaced = strict.wait_for_full_pool()["backend"]["replaced"]
        started = time.perf_counter()
        r = httpx.get(strict.sparql, params={"query": RUNAWAY, "timeout": f"{asked:g}"}, timeout=30)
        elapsed = time.perf_counter() - started
        assert r.status_code == 503, r.text
        assert error(r)["code"] == "query_timeout"
        assert f"{effective:g} s" in error(r)["message"]
        assert low <= elapsed <= high, f"timeout={asked:g}: answered after {elapsed:.2f} s"
        strict.wait_for_full_pool(replaced_at_least=replaced + 1, deadline=5.0)

    for asked, header in ((None, "2"), ("0.5", "0.5"), ("100", "2"), ("2", "2")):
        params = {"query": f"{SIMPLE} # {asked}"} | ({"timeout": asked} if asked else {})
        r = httpx.get(strict.sparql, params=params, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["X-Query-Timeout"] == header, (asked, r.headers)
    for bad in ("0", "-1", "soon", "nan"):
        r = httpx.get(strict.sparql, params={"query": SIMPLE, "timeout": bad}, timeout=30)
        assert r.status_code == 400, (bad, r.text)


# --------------------------------------------------------------------------- row cap


def test_select_is_cut_at_the_row_limit(capped: Server) -> None:
    r = httpx.get(capped.sparql, params={"query": "SELECT * { ?s ?p ?o }"}, timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]["bindings"]) == 5
    assert r.headers["X-Result-Truncated"] == "true"
    assert r.headers["X-Result-Limit"] == "5"
    assert "Warning" in r.headers

    csv = httpx.post(capped.sparql, data={"query": "SELECT * { ?s ?p ?o }"}, headers={"Accept": "text/csv"},
                     timeout=30)
    assert len(csv.text.strip().splitlines()) == 1 + 5
    assert csv.headers["X-Result-Truncated"] == "true"

    small = httpx.get(capped.sparql, params={"query": "SELECT * { ?s ?p ?o } LIMIT 5"}, timeout=30)
    assert len(small.json()["results"]["bindings"]) == 5
    assert "X-Result-Truncated" not in small.headers


def test_construct_is_cut_at_the_row_limit(capped: Server) -> None:
    r = httpx.post(capped.sparql, content=b"CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                   headers={**DIRECT, "Accept": "application/n-triples"}, timeout=30)
    assert r.status_code == 200, r.text
    graph = Graph().parse(data=r.text, format="nt")
    assert len(graph) == 5
    assert len([line for line in r.text.splitlines() if line.strip()]) == 5
    assert r.headers["X-Result-Truncated"] == "true"
    assert r.headers["X-Result-Limit"] == "5"


# --------------------------------------------------------------------------- read-only


def test_updates_are_refused_and_change_nothing(strict: Server, project: Path) -> None:
    before = count_of(httpx.get(strict.sparql, params={"query": ALL_TRIPLES + " # before"}, timeout=30))
    insert = "INSERT DATA { <urn:kgpub:test:s> <urn:kgpub:test:p> <urn:kgpub:test:o> }"
    in_graph = "INSERT DATA { GRAPH <https://w3id.org/kjtrade/graph/data> { <urn:kgpub:test:s> <urn:kgpub:test:p> 1 } }"
    attempts = [
        ("POST direct", lambda u: post(strict, u, direct=True)),
        ("POST form query=", lambda u: post(strict, u)),
        ("POST form update=", lambda u: httpx.post(strict.sparql, data={"update": u}, timeout=30)),
        ("POST sparql-update", lambda u: httpx.post(strict.sparql, content=u.encode(), timeout=30,
                                                    headers={"Content-Type": "application/sparql-update"})),
        ("GET update=", lambda u: httpx.get(strict.sparql, params={"update": u}, timeout=30)),
        ("GET query=", lambda u: httpx.get(strict.sparql, params={"query": u}, timeout=30)),
    ]
    for update in (insert, in_graph, "DELETE WHERE { ?s ?p ?o }", "CLEAR ALL", "DROP GRAPH <https://w3id.org/kjtrade/graph/data>"):
        for how, attempt in attempts:
            r = attempt(update)
            assert 400 <= r.status_code < 500, (how, update, r.status_code, r.text)
            assert error(r)["code"] in ("read_only", "query_rejected"), (how, update, r.text)
    after = count_of(httpx.get(strict.sparql, params={"query": ALL_TRIPLES + " # after"}, timeout=30))
    assert after == before
    inserted = "ASK { { ?s <urn:kgpub:test:p> ?o } UNION { GRAPH ?g { ?s <urn:kgpub:test:p> ?o } } }"
    r = httpx.get(strict.sparql, params={"query": inserted}, timeout=30)
    assert r.json()["boolean"] is False
    cli = subprocess.run([sys.executable, "-m", "kgpub", "query", "--project", str(project), "--format", "json",
                          ALL_TRIPLES], capture_output=True, text=True, env=clean_env(), timeout=60, check=False)
    assert cli.returncode == 0, cli.stderr
    assert f'"value":"{before}"' in cli.stdout.replace(" ", "")


# --------------------------------------------------------------------------- last: the log


def test_no_tracebacks_in_the_server_log(strict: Server) -> None:
    """Everything above was refused, timed out or answered: nothing was a bug (a traceback is one)."""
    assert_still_serving(strict)
    assert "Traceback" not in strict.stderr(), strict.stderr()
