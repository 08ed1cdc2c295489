"""The site: one served release and backend, swapped as a whole, with truthful liveness and readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad

from kgpub.errors import ReleaseNotFound
from kgpub.query.backends.base import BackendHealth
from kgpub.query.protocol import Answer, QueryJob
from kgpub.query.service import QueryRequest
from kgpub.release import writer
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.site import Site

G = "http://example.org/g"


class FakeBackend:
    """A backend that records what happens to it; its answers name its release."""

    def __init__(self, release: Release, *, fail_start: bool = False) -> None:
        self.release, self.fail_start = release, fail_start
        self.started = self.closed = False
        self.live = 1
        self.gate = asyncio.Event()
        self.gate.set()

    async def start(self) -> None:
        if self.fail_start:
            raise RuntimeError("cannot start")
        self.started = True

    async def close(self) -> None:
        self.closed = True

    async def run(self, job: QueryJob, *, timeout: float, client: str = "") -> Answer:
        await self.gate.wait()
        return Answer(media_type="text/plain", count=0, truncated=False, body=self.release.version.encode())

    def health(self) -> BackendHealth:
        return BackendHealth(self.live > 0, {"live": self.live}, "" if self.live else "no worker")


def release(tmp_path: Path, name: str) -> Release:
    quad = Quad(NamedNode("http://example.org/" + name), NamedNode("http://example.org/p"), NamedNode(G), NamedNode(G))
    return writer.write(writer.Draft(quads=[quad], default_graphs=[G]), tmp_path / name)


def make_site(tmp_path: Path, backends: list[FakeBackend], **fail: bool) -> Site:
    def factory(_: Settings, rel: Release) -> FakeBackend:
        backend = FakeBackend(rel, fail_start=fail.get(rel.path.parent.name, False))
        backends.append(backend)
        return backend

    return Site(Settings.load(env={}, project=tmp_path, query_timeout=1.0), release(tmp_path, "one"), backend=factory)


def test_readiness_follows_the_lifecycle_and_the_backend(tmp_path: Path) -> None:
    backends: list[FakeBackend] = []
    site = make_site(tmp_path, backends)

    async def scenario() -> None:
        assert site.readiness().reason == "starting" and not site.readiness().ready
        await site.start()
        assert site.readiness().ready and site.liveness()["status"] == "ok"
        backends[0].live = 0
        assert site.readiness().reason == "no worker" and site.liveness()["status"] == "degraded"
        backends[0].live = 1
        await site.close()
        assert site.readiness().reason == "shutting down"

    asyncio.run(scenario())


def test_swap_starts_the_new_backend_first_then_drains_and_closes_the_old(tmp_path: Path) -> None:
    backends: list[FakeBackend] = []
    site = make_site(tmp_path, backends)
    two = release(tmp_path, "two")

    async def scenario() -> None:
        await site.start()
        old = backends[0]
        old.gate.clear()  # a request is in flight on the old release

        async def slow_request() -> bytes:
            async with site.serving() as served:
                prepared = served.service.prepare(QueryRequest(query="ASK {}"))
                return (await served.service.answer(prepared)).body

        request = asyncio.create_task(slow_request())
        await asyncio.sleep(0)
        swap = asyncio.create_task(site.swap(two))
        await asyncio.sleep(0.05)
        assert site.release == two and backends[1].started  # new requests see the new release at once
        assert not old.closed  # ... while the old one finishes what it started
        old.gate.set()
        assert await request == site_version_of(old.release)
        await swap
        assert old.closed and not backends[1].closed and site.swaps == 1

    asyncio.run(scenario())


def site_version_of(rel: Release) -> bytes:
    return rel.version.encode()


def test_a_swap_that_cannot_start_keeps_serving_the_old_release(tmp_path: Path) -> None:
    backends: list[FakeBackend] = []
    site = make_site(tmp_path, backends, bad=True)
    bad = release(tmp_path, "bad")

    async def scenario() -> None:
        await site.start()
        before = site.release
        with pytest.raises(ReleaseNotFound, match="still serving"):
            await site.swap(bad)
        assert site.release == before and not backends[0].closed and backends[1].closed

    asyncio.run(scenario())


def draft(name: str) -> writer.Draft:
    quad = Quad(NamedNode("http://example.org/" + name), NamedNode("http://example.org/p"), NamedNode(G), NamedNode(G))
    return writer.Draft(quads=[quad], default_graphs=[G])


def test_reload_serves_the_new_current_release_and_refuses_a_damaged_one(tmp_path: Path) -> None:
    """Issue 11, faults: a release built while serving is picked up whole; a damaged one leaves the old one
    serving, and readiness says why."""
    root = tmp_path / "releases"
    first = writer.write(draft("one"), root)
    backends: list[FakeBackend] = []

    def factory(_: Settings, rel: Release) -> FakeBackend:
        backends.append(FakeBackend(rel))
        return backends[-1]

    settings = Settings.load(env={}, project=tmp_path, releases=root, query_timeout=1.0, watch_interval=0)
    site = Site(settings, first, backend=factory)

    async def scenario() -> None:
        await site.start()
        assert await site.reload() is False  # nothing new
        second = writer.write(draft("two"), root)
        assert await site.reload() is True
        assert site.release.path == second.path and backends[0].closed and site.swaps == 1
        third = writer.write(draft("three"), root)
        (third.path / "manifest.json").write_text("{not json", encoding="utf-8")
        assert await site.reload() is False
        assert site.release.path == second.path and site.swaps == 1
        ready = site.readiness()
        assert ready.ready and str(third.path) in str(ready.detail["newest_release_refused"])
        assert await site.reload() is False and len(backends) == 2  # the refused folder is not retried
        fourth = writer.write(draft("four"), root)
        assert await site.reload() is True and site.release.path == fourth.path
        assert "newest_release_refused" not in site.readiness().detail
        await site.close()

    asyncio.run(scenario())


def test_readiness_reports_a_failed_newest_build(tmp_path: Path) -> None:
    from kgpub.release import outcome

    root = tmp_path / "releases"
    first = writer.write(draft("one"), root)
    settings = Settings.load(env={}, project=tmp_path, releases=root, watch_interval=0)
    site = Site(settings, first, backend=lambda _s, rel: FakeBackend(rel))

    async def scenario() -> None:
        await site.start()
        outcome.record(root, outcome.BuildOutcome.now(ok=False, code="validation_failed", message="2 violations"))
        ready = site.readiness()
        assert ready.ready and ready.detail["newest_build_failed"]["message"] == "2 violations"
        outcome.record(root, outcome.BuildOutcome.now(ok=True, version=first.version))
        assert "newest_build_failed" not in site.readiness().detail
        await site.close()

    asyncio.run(scenario())


def test_the_watch_follows_current_by_itself(tmp_path: Path) -> None:
    root = tmp_path / "releases"
    first = writer.write(draft("one"), root)
    settings = Settings.load(env={}, project=tmp_path, releases=root, watch_interval=0.05)
    site = Site(settings, first, backend=lambda _s, rel: FakeBackend(rel))

    async def scenario() -> None:
        await site.start()
        second = writer.write(draft("two"), root)
        for _ in range(200):
            if site.release.path == second.path:
                break
            await asyncio.sleep(0.02)
        assert site.release.path == second.path
        await site.close()

    asyncio.run(scenario())
