"""``/metrics``: requests by route *template* and status, their latency, and the core's numbers read at scrape time.

The app runs over a one-triple release with one real query worker (the pool's own numbers), or over fake
backends that report every number the collector knows, or only some of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from helpers.sites import IdleBackend, release
from kgpub.query.backends.base import BackendHealth
from kgpub.query.protocol import Answer, QueryJob
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app
from kgpub.web.metrics import BUCKETS, OTHER, Routes

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
REQUESTS = "kgpub_http_requests_total"


def scrape(client: TestClient) -> Samples:
    """Every sample of /metrics, by name and labels (parsed by prometheus_client's own parser)."""
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def requests(samples: Samples, route: str, status: int, method: str = "GET") -> float | None:
    return value(samples, REQUESTS, route=route, method=method, status=str(status))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """One real worker over a one-triple release; the access log off (its own tests are elsewhere)."""
    settings = Settings.load(env={}, project=tmp_path, workers=1, query_timeout=5.0, access_log=False)
    return Site(settings, release(tmp_path / "releases", "ex"))


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    for path in ("/healthz", "/healthz", "/random/xyz", "/random/abc", "/id/nothing-here", "/releases/v1/file.txt"):
        client.get(path)
    client.put("/sparql")
    client.request("BREW", "/sparql")  # a method nobody serves: its own label would be a series per spelling
    samples = scrape(client)
    assert requests(samples, "/healthz", 200) == 2
    assert requests(samples, OTHER, 404) == 2  # two random paths, one series
    assert requests(samples, "/id/{rest:path}", 404) == 1  # a plain Starlette route: matched by its template
    assert requests(samples, "/releases/{version}/{name}", 404) == 1  # a FastAPI route: scope["route"]
    assert requests(samples, "/sparql", 405, method="PUT") == 1
    assert requests(samples, "/sparql", 405, method=OTHER) == 1
    routes = {dict(labels)["route"] for name, labels in samples if name == REQUESTS}
    assert not [r for r in routes if "random" in r or "nothing" in r or "v1" in r]


def test_latency_histogram_counts_match_the_requests(client: TestClient) -> None:
    for _ in range(3):
        client.get("/healthz")
    client.get("/random/xyz")
    samples = scrape(client)
    for route, expected in (("/healthz", 3), (OTHER, 1)):
        buckets = [value(samples, "kgpub_http_request_duration_seconds_bucket", route=route, le=floatToGoString(le))
                   for le in (*BUCKETS, float("inf"))]
        assert value(samples, "kgpub_http_request_duration_seconds_count", route=route) == expected
        assert buckets[-1] == expected and buckets == sorted(buckets)  # cumulative, all of them under +Inf
        seconds = value(samples, "kgpub_http_request_duration_seconds_sum", route=route)
        assert seconds is not None and 0 < seconds < 30
    later = scrape(client)  # the first scrape is counted too, under its own route
    assert requests(later, "/metrics", 200) == 1 and requests(later, "/healthz", 200) == 3


def test_the_worker_pool_cache_and_release_are_there(client: TestClient, site: Site) -> None:
    samples = scrape(client)
    assert value(samples, "kgpub_query_workers", state="live") == 1
    assert value(samples, "kgpub_query_workers", state="idle") == 1
    assert value(samples, "kgpub_query_workers_size") == 1
    assert value(samples, "kgpub_query_worker_restarts_total") == 0
    assert value(samples, "kgpub_ready") == 1
    assert value(samples, "kgpub_release_swaps_total") == 0
    assert value(samples, "kgpub_release_info", version=site.release.version) == 1
    assert value(samples, "process_resident_memory_bytes")  # the process collector, on this app's registry
    assert value(samples, "kgpub_answer_cache_entries") == 0


def test_the_cache_hit_counter_rises_on_a_repeated_query(client: TestClient) -> None:
    query = {"query": "ASK { ?s ?p ?o }"}  # POSTed: a repeated GET is replayed whole before the cache is asked
    before = scrape(client)
    assert client.post("/sparql", data=query).json()["boolean"] is True
    once = scrape(client)
    assert client.post("/sparql", data=query).json()["boolean"] is True
    twice = scrape(client)
    hits, misses = "kgpub_answer_cache_hits_total", "kgpub_answer_cache_misses_total"
    assert value(once, misses) == (value(before, misses) or 0) + 1 and value(once, hits) == value(before, hits)
    assert value(twice, hits) == (value(once, hits) or 0) + 1 and value(twice, misses) == value(once, misses)
    assert value(twice, "kgpub_answer_cache_entries") == 1
    assert (value(twice, "kgpub_answer_cache_bytes") or 0) > 0
    assert requests(twice, "/sparql", 200, method="POST") == 2


def test_a_replayed_answer_is_counted_and_logged_as_a_request(client: TestClient) -> None:
    query = {"query": "ASK { ?s ?p ?o . FILTER(true) }"}
    before = scrape(client)
    for _ in range(3):
        assert client.get("/sparql", params=query).json()["boolean"] is True
    after = scrape(client)
    assert value(after, "kgpub_replay_hits_total") == (value(before, "kgpub_replay_hits_total") or 0) + 2
    assert (value(after, "kgpub_replay_entries") or 0) >= 1
    assert requests(after, "/sparql", 200) - (requests(before, "/sparql", 200) or 0) == 3


def test_metrics_answer_the_text_format_never_stored_and_documented(client: TestClient) -> None:
    r = client.get("/metrics")
    assert r.headers["content-type"] == CONTENT_TYPE_LATEST and r.headers["cache-control"] == "no-store"
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "Prometheus" in operation["summary"] and CONTENT_TYPE_LATEST in operation["responses"]["200"]["content"]


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    rel = release(tmp_path / "releases", "ex")
    settings = Settings.load(env={}, project=tmp_path, access_log=False)
    with TestClient(create_app(Site(settings, rel, backend=IdleBackend))) as first:
        first.get("/healthz")
        with TestClient(create_app(Site(settings, rel, backend=IdleBackend))) as second:
            assert requests(scrape(second), "/healthz", 200) is None
        assert requests(scrape(first), "/healthz", 200) == 1


EVERY_NUMBER = {"kind": "fake", "size": 4, "live": 3, "idle": 1, "busy": 2, "queued": 5, "queue_limit": 64,
                "replaced": 6, "rejected": 7, "timeouts": 8, "failed": 9, "pids": [1, 2, 3]}


class Reporting:
    """A backend that reports the numbers it is given (the pool's full set, or a part of it)."""

    detail: ClassVar[dict[str, object]] = EVERY_NUMBER
    ready = True

    def __init__(self, _: Settings, release: Release) -> None:
        self.release = release

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, job: QueryJob, *, timeout: float) -> Answer:
        raise AssertionError("no query is expected")

    def health(self) -> BackendHealth:
        return BackendHealth(self.ready, dict(self.detail), "" if self.ready else "no worker")


def test_every_number_the_backend_reports_has_its_metric(tmp_path: Path) -> None:
    site = Site(Settings.load(env={}, project=tmp_path, access_log=False), release(tmp_path / "r", "ex"),
                backend=Reporting)
    with TestClient(create_app(site)) as client:
        samples = scrape(client)
    assert {state: value(samples, "kgpub_query_workers", state=state) for state in ("live", "idle", "busy")} == {
        "live": 3, "idle": 1, "busy": 2}
    assert {name: value(samples, name) for name in (
        "kgpub_query_workers_size", "kgpub_query_queue_depth", "kgpub_query_queue_limit",
        "kgpub_query_worker_restarts_total", "kgpub_query_rejected_total", "kgpub_query_timeouts_total",
        "kgpub_query_worker_failures_total")} == {
        "kgpub_query_workers_size": 4, "kgpub_query_queue_depth": 5, "kgpub_query_queue_limit": 64,
        "kgpub_query_worker_restarts_total": 6, "kgpub_query_rejected_total": 7, "kgpub_query_timeouts_total": 8,
        "kgpub_query_worker_failures_total": 9}


class Partial(Reporting):
    detail: ClassVar[dict[str, object]] = {"kind": "older pool", "live": 0,
                                           "busy": True, "queued": "many"}  # not numbers: left out
    ready = False


def test_a_number_the_backend_does_not_report_is_left_out_not_zero(tmp_path: Path) -> None:
    site = Site(Settings.load(env={}, project=tmp_path, access_log=False), release(tmp_path / "r", "ex"),
                backend=Partial)
    with TestClient(create_app(site)) as client:
        samples = scrape(client)
    names = {name for name, _ in samples}
    assert value(samples, "kgpub_query_workers", state="live") == 0
    assert value(samples, "kgpub_query_workers", state="busy") is None
    assert not names & {"kgpub_query_queue_depth", "kgpub_query_timeouts_total", "kgpub_query_workers_size"}
    assert value(samples, "kgpub_ready") == 0  # as /readyz: no worker


def test_route_templates_follow_the_routing_order_and_are_memoised(client: TestClient) -> None:
    routes = Routes(client.app.router.routes)  # type: ignore[attr-defined]
    assert routes.of({"type": "http", "path": "/openapi.json"}) == "/openapi.json"
    assert routes.of({"type": "http", "path": "/anything"}) == OTHER
    assert routes.of({"type": "http", "path": "/base/openapi.json", "root_path": "/base"}) == "/openapi.json"
    for _ in range(3):
        routes.of({"type": "http", "path": "/x"})
    assert routes.template.cache_info().hits >= 2  # type: ignore[attr-defined]
