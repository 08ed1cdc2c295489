"""The query worker over a real release: long chains that used to crash it, and its replies to bad messages."""

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from helpers.published import PublishedGraph
from kgpub.query import protocol
from kgpub.query.backends import worker
from kgpub.query.checks import QueryLimits
from kgpub.query.execute import QueryContext
from kgpub.query.protocol import Answer, Chosen, Failure, FormatChoice, QueryJob, Ready, WorkerConfig
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

N = 10_000  # each of these killed a worker running on the main thread's 8 MiB stack
DEEP_BUT_LEGAL = {
    "not chain": "ASK { FILTER(" + "!" * N + "true) }",
    "plus chain": "SELECT * { BIND(" + "+".join(["1"] * N) + " AS ?x) }",
    "and chain": "SELECT * { BIND(true AS ?a) FILTER(" + "&&".join(["?a"] * N) + ") }",
}
JSON = FormatChoice(results=Chosen("json", "application/sparql-results+json"), rdf=Chosen("turtle", "text/turtle"))


EXPECTED = {"not chain": {"head": {}, "boolean": True},
            "plus chain": {"head": {"vars": ["x"]}, "results": {"bindings": [
                {"x": {"type": "literal", "value": str(N), "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}},
            "and chain": {"head": {"vars": ["a"]}, "results": {"bindings": [
                {"a": {"type": "literal", "value": "true", "datatype": "http://www.w3.org/2001/XMLSchema#boolean"}}]}}}


@pytest.fixture(scope="module")
def patient(published: PublishedGraph) -> Iterator[TestClient]:
    """The app with a time limit long enough for pyoxigraph's 3-4 s on these chains (on a 2-core machine)."""
    settings = Settings.load(env={}, project=published.release.path, query_timeout=30.0, workers=1)
    with TestClient(create_app(Site(settings, published.release))) as test_client:
        yield test_client


@pytest.mark.slow
@pytest.mark.parametrize("name", DEEP_BUT_LEGAL)
def test_long_chains_are_answered_and_no_worker_dies(patient: TestClient, name: str) -> None:
    before = patient.get("/healthz").json()["backend"]["replaced"]
    r = patient.post("/sparql", data={"query": DEEP_BUT_LEGAL[name]})
    assert r.status_code == 200, r.text
    assert r.json() == EXPECTED[name]
    assert patient.get("/healthz").json()["backend"]["replaced"] == before  # no worker died


def run_worker(release_dir: str, *messages: object) -> list[object]:
    stdin = io.BytesIO(b"".join(protocol.pack(m) for m in messages))
    stdout = io.BytesIO()
    worker.serve(release_dir, stdin, stdout)
    stdout.seek(0)
    replies = []
    while (reply := protocol.read(stdout)) is not None:
        replies.append(reply)
    return replies


def test_worker_speaks_the_protocol(published: PublishedGraph) -> None:
    config = WorkerConfig(limits=QueryLimits(), max_rows=5)
    replies = run_worker(str(published.release.path), config, QueryJob(query="ASK { ?s ?p ?o }", formats=JSON),
                         QueryJob(query="SELECT * {", formats=JSON), config)
    assert replies[0] == Ready(version=published.release.version)
    assert isinstance(replies[1], Answer) and replies[1].body == b'{"head":{},"boolean":true}'
    assert isinstance(replies[2], Failure) and replies[2].code == "query_syntax"
    assert replies[3] == Failure(code="internal", message="a query worker takes query jobs, not WorkerConfig")


def test_worker_without_config_or_release_says_why(tmp_path: object) -> None:
    assert run_worker("/nonexistent", QueryJob(query="ASK {}", formats=JSON)) == [
        Failure(code="internal", message="a query worker must be sent its config first")]
    [reply] = run_worker("/nonexistent", WorkerConfig(limits=QueryLimits(), max_rows=5))
    assert isinstance(reply, Failure) and reply.code == "no_release" and "/nonexistent" in reply.message


def test_a_bug_in_a_query_is_an_internal_failure_not_a_crash(published: PublishedGraph,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = QueryContext.open(published.release, limits=QueryLimits(), max_rows=5)
    monkeypatch.setattr(worker, "answer", lambda *_: 1 / 0)
    reply = worker.reply(ctx, QueryJob(query="ASK {}", formats=JSON))
    assert reply == Failure(code="internal", message="internal error in the query worker: ZeroDivisionError: "
                                                     "division by zero")
