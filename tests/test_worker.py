"""The query worker: framing, format choice, and queries that used to crash the process."""

import io
import json

import pytest
from fastapi.testclient import TestClient

from kgpub.errors import UnsupportedFormat
from kgpub.query.backends.worker import pick_format, read_frame, write_frame

N = 10_000  # each of these killed a worker running on the main thread's 8 MiB stack
DEEP_BUT_LEGAL = {
    "not chain": "ASK { FILTER(" + "!" * N + "true) }",
    "plus chain": "SELECT * { BIND(" + "+".join(["1"] * N) + " AS ?x) }",
    "and chain": "SELECT * { BIND(true AS ?a) FILTER(" + "&&".join(["?a"] * N) + ") }",
}


@pytest.mark.parametrize("name", DEEP_BUT_LEGAL)
def test_long_chains_never_crash_a_worker(client: TestClient, name: str) -> None:
    before = client.get("/healthz").json()["workers"]["replaced"]
    r = client.post("/sparql", data={"query": DEEP_BUT_LEGAL[name], "timeout": "2"})
    assert r.status_code in (200, 503), r.text
    if r.status_code == 503:
        assert r.json()["error"]["code"] == "query_timeout"
    else:
        assert client.get("/healthz").json()["workers"]["replaced"] == before  # no worker died


def test_frames_round_trip() -> None:
    stream = io.BytesIO()
    write_frame(stream, b'{"a": 1}')
    write_frame(stream, b"")
    stream.seek(0)
    assert json.loads(read_frame(stream) or b"") == {"a": 1}
    assert read_frame(stream) == b""
    assert read_frame(stream) is None  # end of input: the worker exits


@pytest.mark.parametrize(("kind", "accept", "name", "expected"), [
    ("results", None, None, ("json", "application/sparql-results+json")),
    ("results", "application/json", None, ("json", "application/json")),
    ("results", "text/*", None, ("xml", "text/xml")),  # the first text/ type offered
    ("rdf", None, None, ("turtle", "text/turtle")),
    ("rdf", "application/json, application/ld+json;q=0.9", None, ("jsonld", "application/ld+json")),
    ("results", "text/csv", "tsv", ("tsv", "text/tab-separated-values")),
    ("rdf", None, "ttl", ("turtle", "text/turtle")),
])
def test_pick_format(kind: str, accept: str | None, name: str | None, expected: tuple[str, str]) -> None:
    fmt, media_type = pick_format(kind, accept, [name] if name else [])
    assert (fmt.name, media_type) == expected


@pytest.mark.parametrize(("kind", "accept", "name"), [
    ("results", "image/png", None), ("rdf", None, "csv"), ("results", None, "nonsense")])
def test_pick_format_refuses_what_does_not_fit(kind: str, accept: str | None, name: str | None) -> None:
    with pytest.raises(UnsupportedFormat, match="offered"):
        pick_format(kind, accept, [name] if name else [])


@pytest.mark.parametrize(("kind", "names", "expected"), [
    ("rdf", ["xml"], "rdfxml"), ("rdf", ["n3"], "turtle"), ("rdf", ["rdf+xml", "application/rdf+xml"], "rdfxml"),
    ("rdf", ["json-ld", "application/ld+json"], "jsonld"), ("results", ["xml"], "xml"), ("results", ["json"], "json"),
    ("results", ["turtle", "csv"], "csv"),  # the first value that fits this result
])
def test_format_names_clients_send(kind: str, names: list[str], expected: str) -> None:
    assert pick_format(kind, None, names)[0].name == expected
