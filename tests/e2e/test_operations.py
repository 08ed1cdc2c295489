"""End to end: a real ``kgpub serve`` counts a query in ``/metrics`` and prints its one JSON access log line.

The server is the command a user runs (:mod:`helpers.server`) over a tiny project it builds first; its
standard error is the log file the helper keeps.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers.projects import write_project
from helpers.server import Server, serve

THINGS = "SELECT ?s WHERE { ?s a <http://example.org/Thing> } ORDER BY ?s"
PLAIN = {"Accept-Encoding": "identity"}  # the bytes logged are the bytes sent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    project = write_project(Path(tmp_path_factory.mktemp("operations")) / "tiny")
    with serve(project) as running:
        yield running


def scrape(server: Server) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = httpx.get(f"{server.base}/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def logged(server: Server, path: str, *, count: int = 1, deadline: float = 5.0) -> list[dict[str, object]]:
    """The JSON lines of the server's stderr for ``path``, once ``count`` of them are there."""
    end = time.monotonic() + deadline
    while True:
        found = [json.loads(line) for line in server.stderr().splitlines()
                 if line.startswith("{") and json.loads(line).get("path") == path]
        if len(found) >= count or time.monotonic() > end:
            return found
        time.sleep(0.05)


def test_a_query_shows_in_metrics_and_in_the_access_log(server: Server) -> None:
    answer = httpx.get(server.sparql, params={"query": THINGS}, headers=PLAIN, timeout=30)
    assert answer.status_code == 200, answer.text
    marker = f"/id/marker-{uuid.uuid4().hex}"  # a path seen once: its line must be there exactly once
    assert httpx.get(server.base + marker, timeout=10).status_code == 404

    samples = scrape(server)

    def get(name: str, **labels: str) -> float | None:
        return samples.get((name, frozenset(labels.items())))

    assert (get("kgpub_http_requests_total", route="/sparql", method="GET", status="200") or 0) >= 1
    assert get("kgpub_http_requests_total", route="/id/{rest:path}", method="GET", status="404") == 1
    assert not [labels for name, labels in samples if ("route", marker) in labels]
    sparql = [v for (name, labels), v in samples.items() if name == "kgpub_http_requests_total"
              and ("route", "/sparql") in labels]
    assert get("kgpub_http_request_duration_seconds_count", route="/sparql") == sum(sparql)
    assert get("kgpub_query_workers", state="live") == 2 and get("kgpub_query_workers_size") == 2
    assert (get("kgpub_answer_cache_misses_total") or 0) >= 1 and get("kgpub_ready") == 1
    assert get("kgpub_release_info", version=server.health()["release"]) == 1

    [query] = [line for line in logged(server, "/sparql") if line["status"] == 200 and line["rows"] is not None]
    assert query["route"] == "/sparql" and query["method"] == "GET" and query["client"] == "127.0.0.1"
    assert query["rows"] == int(answer.headers["x-result-count"]) == 2
    assert query["bytes"] == len(answer.content) and len(query["query_hash"]) == 16
    assert "Thing" not in json.dumps(query)  # the query string is never logged

    [miss] = logged(server, marker)
    assert miss["route"] == "/id/{rest:path}" and miss["status"] == 404
    assert server.stderr().count(marker) == 1  # no second access log (uvicorn's own) prints it again
