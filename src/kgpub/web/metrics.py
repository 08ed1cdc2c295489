"""Prometheus metrics of one app (``/metrics``), and the middleware that observes every request once.

Each app has its own :class:`~prometheus_client.CollectorRegistry` (never the process-wide default: tests
create many apps in one process). Two kinds of numbers go in it:

- what happens to requests, recorded by :class:`RequestObserver` as each answer ends: a counter by route,
  method and status and a latency histogram by route. The route is the matched route's *template*
  (``/releases/{version}/{name}``), never the raw path, and ``other`` for a path no route matches, so a
  scan of random paths creates no new series; methods outside :data:`METHODS` are counted as ``other``.
- what the core holds, read at scrape time by :class:`SiteCollector` from the served release's backend
  (:attr:`BackendHealth.detail`), its answer cache and the site: nothing is copied on the request path.
  The backend's and the cache's counters belong to the served release: a swap starts them again from 0,
  which Prometheus's ``rate()`` and ``increase()`` read as a counter reset (``kgpub_release_swaps_total``
  says when).

The same middleware writes the access log line (:mod:`kgpub.web.access_log`): one pass per request.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kgpub import errors
from kgpub.site import Site
from kgpub.web import access_log

OTHER = "other"
"""The route label of a request no route matches (and the method label of an unusual method)."""
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"})
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a cached answer takes about a millisecond, the longest query the default 10 s limit (30 s: slow
downloads)."""

# no ``*_created`` series beside every counter and histogram: they would double the output
disable_created_metrics()  # type: ignore[no-untyped-call]


class Routes:
    """The route template of a request path, from the app's routes in routing order.

    FastAPI sets ``scope["route"]`` for its own API routes only; the plain Starlette routes (documents,
    static files, charts, search, the docs) leave it unset, so a path is matched against the templates
    here, memoised (bounded) by path."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] = [(r.path_regex, r.path) for r in routes
                                                              if isinstance(r, Route)]
        self.template = functools.lru_cache(maxsize=4096)(self._match)

    def _match(self, path: str) -> str:
        for pattern, template in self._patterns:
            if pattern.match(path):
                return template
        return OTHER

    def of(self, scope: Scope) -> str:
        """The template of the route that answered ``scope`` (after the app ran), else :data:`OTHER`."""
        found = getattr(scope.get("route"), "path", None)
        if isinstance(found, str):
            return found
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if len(path) > 256:  # a target may be 64 kB: thousands of those remembered would be hundreds of MB
            return self._match(path)
        return str(self.template(path))


class ReplayCollector:
    """The remembered whole answers (web/replay): repeated GETs answered without running the application."""

    def __init__(self, replay: Any) -> None:
        self.replay = replay

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        r = self.replay
        yield CounterMetricFamily("kgpub_replay_hits", "GETs answered by replaying a remembered answer", value=r.hits)
        yield CounterMetricFamily("kgpub_replay_misses", "GETs the replay did not hold (the application answered)",
                                  value=r.misses)
        yield GaugeMetricFamily("kgpub_replay_entries", "Answers remembered whole", value=len(r))
        yield GaugeMetricFamily("kgpub_replay_bytes", "Bytes of the answers remembered whole", value=r.bytes)


class Metrics:
    """The app's registry: request counts and latencies, the site's state, the process's own numbers."""

    def __init__(self, site: Site) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("kgpub_http_requests", "HTTP requests answered, by route template, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.duration = Histogram("kgpub_http_request_duration_seconds",
                                  "Time from a request's arrival to the last byte of its answer, by route template",
                                  ["route"], buckets=BUCKETS, registry=self.registry)
        self.registry.register(SiteCollector(site))
        ProcessCollector(registry=self.registry)
        self._counters: dict[tuple[str, str, int], Any] = {}  # labelled children, looked up once each
        self._histograms: dict[str, Any] = {}

    def watch_replay(self, replay: Any) -> None:
        """Report the app's replay of remembered answers too."""
        self.registry.register(ReplayCollector(replay))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else OTHER, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(key[0], key[1], str(status))
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = self.duration.labels(route)
        histogram.observe(seconds)


WORKER_STATES = ("live", "idle", "busy")
BACKEND_GAUGES = (("size", "kgpub_query_workers_size", "Query worker processes configured"),
                  ("queued", "kgpub_query_queue_depth", "Queries waiting for a free worker"),
                  ("queue_limit", "kgpub_query_queue_limit", "Queries that may wait before new ones are refused"))
BACKEND_COUNTERS = (("replaced", "kgpub_query_worker_restarts", "Query workers killed or lost and started again"),
                    ("rejected", "kgpub_query_rejected", "Queries refused at once because the queue was full"),
                    ("timeouts", "kgpub_query_timeouts", "Queries stopped at their time limit"),
                    ("failed", "kgpub_query_worker_failures", "Query workers that died while answering"))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class SiteCollector:
    """The served release's backend, answer cache and readiness, read when Prometheus scrapes.

    Runs on the event loop (``/metrics`` is an async route), the thread that changes these numbers. A
    number the backend does not report (another backend, or an older pool) is left out, not shown as 0."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def describe(self) -> Iterable[Metric]:
        return []  # the names are fixed but the samples depend on the backend: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        served = self.site.current
        readiness = self.site.readiness()
        detail = readiness.detail
        workers = GaugeMetricFamily("kgpub_query_workers", "Query worker processes by state", labels=["state"])
        for state in WORKER_STATES:
            value = _number(detail.get(state))
            if value is not None:
                workers.add_metric([state], value)
        yield workers
        for key, name, text in BACKEND_GAUGES:
            value = _number(detail.get(key))
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)
        for key, name, text in BACKEND_COUNTERS:
            value = _number(detail.get(key))
            if value is not None:
                yield CounterMetricFamily(name, text + " (since the served release's backend started)", value=value)
        cache = served.service.cache
        yield CounterMetricFamily("kgpub_answer_cache_hits", "Queries answered from the answer cache",
                                  value=cache.hits)
        yield CounterMetricFamily("kgpub_answer_cache_misses", "Queries the answer cache did not hold",
                                  value=cache.misses)
        yield GaugeMetricFamily("kgpub_answer_cache_entries", "Answers in the cache", value=len(cache))
        yield GaugeMetricFamily("kgpub_answer_cache_bytes", "Bytes of the answers in the cache", value=cache.bytes)
        yield CounterMetricFamily("kgpub_release_swaps", "Releases swapped in since the process started",
                                  value=self.site.swaps)
        yield GaugeMetricFamily("kgpub_ready", "1 when queries can be answered now (as /readyz), else 0",
                                value=1 if readiness.ready else 0)
        info = GaugeMetricFamily("kgpub_release_info", "The release served (always 1)", labels=["version"])
        info.add_metric([served.release.version], 1)
        yield info


INTERNAL = errors.InternalError.code


class RequestObserver:
    """Pure ASGI middleware, outermost: counts each answer, times it to its last body chunk and writes its
    access log line. A failure in either is swallowed: observing never breaks an answer.

    An exception that escapes the app is answered 500 by Starlette's error middleware outside this one, so
    it is recorded as a 500 with the ``internal`` code."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: Routes, log: bool) -> None:
        self.app, self.metrics, self.routes, self.log = app, metrics, routes, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived, start = time.time(), time.perf_counter()
        status, sent, end = 500, 0, 0.0
        headers: list[tuple[bytes, bytes]] = []

        async def observed(message: Message) -> None:
            nonlocal status, sent, end, headers
            kind = message["type"]
            if kind == "http.response.start":
                status, headers = message["status"], message.get("headers", headers)
            elif kind == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    await send(message)
                    end = time.perf_counter()
                    return
            elif kind == "http.response.pathsend":  # a file sent by the server itself: its declared length
                sent = next((int(v) for k, v in headers if k == b"content-length" and v.isdigit()), 0)
                await send(message)
                end = time.perf_counter()
                return
            await send(message)

        escaped = True
        try:
            await self.app(scope, receive, observed)
            escaped = False
        finally:
            try:
                seconds = (end or time.perf_counter()) - start
                route = self.routes.of(scope)
                self.metrics.observe(route, scope["method"], status, seconds)
                if self.log:
                    error = INTERNAL if escaped and status >= 500 else None
                    access_log.write(scope, arrived=arrived, route=route, status=status, seconds=seconds,
                                     sent=sent, headers=headers, error=error)
            except Exception:  # a metric or log line is never worth a failed answer
                pass
