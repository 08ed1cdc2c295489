"""What is served now: one release and its query backend, held and swapped as a whole.

:class:`Site` owns the served release. Every request takes the :class:`Served` pair once
(:meth:`Site.serving`) and uses it to the end, so a swap never mixes two releases in one
answer. A swap starts the new backend first, then switches the reference, then drains the
old one (waits for the requests that hold it) and closes it. Liveness and readiness are
reported from what is really there. No web framework here: the web layer only asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from pyoxigraph import DefaultGraph, NamedNode, Store, Triple

from kgpub.errors import KgpubError, ReleaseNotFound
from kgpub.query.backends.base import QueryBackend
from kgpub.query.checks import QueryLimits
from kgpub.query.service import QueryService
from kgpub.release import layout, outcome
from kgpub.release.reader import Release, open_release
from kgpub.resources.documents import Documents
from kgpub.resources.fragments import Fragments
from kgpub.resources.iris import Namespace
from kgpub.settings import Settings

if TYPE_CHECKING:
    from kgpub.resources.remote_store import RemoteStore
    from kgpub.resources.search import LabelIndex
    from kgpub.resources.views import Views

BackendFactory = Callable[[Settings, Release], QueryBackend]
log = logging.getLogger(__name__)
T = TypeVar("T")


def local_pool(settings: Settings, release: Release) -> QueryBackend:
    """The default backend: killable worker processes over the release's own store."""
    from kgpub.query.backends.pool import WorkerPool
    from kgpub.query.protocol import WorkerConfig

    config = WorkerConfig(limits=QueryLimits.from_settings(settings), max_rows=settings.max_rows)
    return WorkerPool(release.path, size=settings.workers, config=config, queue_limit=settings.queue_limit,
                      client_queue=settings.client_queue)


def remote_store(settings: Settings, release: Release) -> QueryBackend:
    """``--store``: the release's graphs on a remote SPARQL endpoint; ``workers`` queries on it at once (the
    password is read here, from its file or variable, each time a release starts)."""
    from kgpub.query.backends.remote import Dataset, StoreConfig, remote_backend

    dataset = Dataset(default_graphs=tuple(release.default_graphs), graphs=frozenset(release.graph_triples),
                      sizes=dict(release.graph_triples), version=release.version)
    return remote_backend(StoreConfig.from_settings(settings), dataset=dataset, size=settings.workers,
                          timeout=settings.query_timeout, limits=QueryLimits.from_settings(settings),
                          max_rows=settings.max_rows, prefixes=release.prefixes, queue_limit=settings.queue_limit,
                          client_queue=settings.client_queue)


def default_backend(settings: Settings) -> BackendFactory:
    """The remote store when one is configured (``--store``), else the local worker pool."""
    return remote_store if settings.store is not None else local_pool


@dataclass(eq=False)
class Served:
    """One release with the backend and query service over it."""

    release: Release
    backend: QueryBackend
    service: QueryService
    settings: Settings
    in_flight: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def remote(self) -> bool:
        """Whether the release's store is a remote SPARQL endpoint (``--store``) rather than its own folder."""
        return self.settings.store is not None

    @cached_property
    def store(self) -> Store:
        """The release's store opened read-only in this process, for bounded pattern lookups (entity
        documents, fragments); queries go to the backend, whose workers can be stopped. With ``--store``, the
        remote store answering the same Store methods (``resources.remote_store``; duck-typed, hence the cast)."""
        if self.remote:
            return cast(Store, self.remote_store)
        return self.release.open_store()

    @cached_property
    def remote_store(self) -> RemoteStore:
        """The remote store's lookups (``--store`` only), through the backend's endpoint."""
        from kgpub.query.backends.remote import RemoteBackend
        from kgpub.resources.remote_store import RemoteStore

        assert isinstance(self.backend, RemoteBackend), "--store is served by the remote store backend"
        return RemoteStore(self.backend.endpoint, self.release)

    async def off_loop(self, work: Callable[[], T]) -> T:
        """``work()``, which reads the store: at once on the embedded store (a lookup takes microseconds), on a
        thread for a remote one (each lookup is a round trip, which must never hold the event loop)."""
        if not self.remote:
            return work()
        from kgpub.query.backends.remote import RemoteBackend, detached

        assert isinstance(self.backend, RemoteBackend)
        return await asyncio.get_running_loop().run_in_executor(self.backend.endpoint.lookups, detached, work)

    @cached_property
    def documents(self) -> Documents:
        """The release's documents (entity descriptions, graphs, the dataset description), rendered once."""
        from kgpub.metadata import void
        from kgpub.release import history

        @cache
        def dataset() -> list[Triple]:  # once per release, whichever formats are asked for
            return void.describe(self.release, self.settings, history.kept(history.root_of(self.release)),
                                 store=self.store)

        return Documents(self.release, self.store, Namespace(self.settings.base_iri), dataset=dataset,
                         prefixes=void.PREFIXES)

    @cached_property
    def fragments(self) -> Fragments:
        """The release's Triple Pattern Fragments (in-memory indexes and rendered pages; with ``--store``, a query
        on the store for each page and count)."""
        if self.remote:
            from kgpub.resources.remote_store import RemoteFragments

            return RemoteFragments(self.release, self.remote_store, base_iri=self.settings.base_iri)
        return Fragments(self.release, self.store, base_iri=self.settings.base_iri)

    @cached_property
    def search(self) -> LabelIndex:
        """The labels of the release's knowledge graph, indexed for ``/search`` on the first search."""
        from kgpub.resources.search import LabelIndex

        graphs = ((DefaultGraph(),) if self.release.stores_default_graph or self.remote  # remote: the union
                  else tuple(NamedNode(name) for name in self.release.default_graphs))
        return LabelIndex.build(self.store, Namespace(self.settings.base_iri), graphs=graphs)

    @cached_property
    def views(self) -> Views:
        """The models of the release's pages (labels in three languages, entity pages), memoised per release."""
        from kgpub.metadata import void
        from kgpub.resources.labels import Labels
        from kgpub.resources.views import Views

        ns = Namespace(self.settings.base_iri)
        return Views(self.store, ns, Labels(self.store, ns, {**void.PREFIXES, **self.release.prefixes}))

    async def drained(self, timeout: float) -> bool:
        """Wait until no request holds this release (at most ``timeout`` s); whether it got there."""
        if self.in_flight == 0:
            return True
        self._idle.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True)
class Readiness:
    ready: bool
    detail: dict[str, object]
    reason: str = ""


class Site:
    def __init__(self, settings: Settings, release: Release, *, backend: BackendFactory | None = None) -> None:
        self.settings, self._factory = settings, backend if backend is not None else default_backend(settings)
        self._current = self._served(release)
        self._started = self._closing = False
        self._started_at = time.time()
        self.swaps = 0
        self.reload_problem: str | None = None  # why the releases folder's newest release is not the one served
        self._refused: tuple[Path, int] | None = None  # the folder (and inode) that problem is about: not retried
        # until it changes (a build that writes a damaged release again puts a new folder at the same path)
        self._reloading = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None

    def _served(self, release: Release) -> Served:
        backend = self._factory(self.settings, release)
        return Served(release=release, backend=backend, service=QueryService(settings=self.settings, backend=backend),
                      settings=self.settings)

    @property
    def current(self) -> Served:
        return self._current

    @property
    def release(self) -> Release:
        return self._current.release

    async def start(self) -> None:
        await self._current.backend.start()
        self._started = True
        if self.settings.release is None:  # serving a releases folder: follow its `current`
            loop = asyncio.get_running_loop()
            if self.settings.watch_interval > 0:
                self._watcher = loop.create_task(self._watch(self.settings.watch_interval))
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread (tests)
                loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))

    async def close(self) -> None:
        self._closing = True
        if self._watcher is not None:
            self._watcher.cancel()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await self._current.backend.close()

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.reload()

    async def reload(self) -> bool:
        """Serve the releases folder's ``current`` release if it is not the one served (``SIGHUP``, and every
        ``watch_interval`` s): it is opened and verified first, its backend started, then swapped in whole.
        Whatever fails leaves the served release as it is and says why (:attr:`reload_problem`, ``/readyz``).
        Whether a new release is served now."""
        link = self.settings.releases_dir / layout.CURRENT
        async with self._reloading:
            try:
                target = link.resolve(strict=True)
                folder = (target, target.stat().st_ino)
            except OSError:
                return False  # no `current` (yet, or any more): keep serving what is served
            if target == self.release.path or folder == self._refused or self._closing:
                return False
            try:
                found = await asyncio.to_thread(open_release, target)  # verification reads every file
                await self.swap(found)
            except KgpubError as e:
                self.reload_problem, self._refused = f"{target}: {e.message}", folder
                log.error("not serving the new release: %s; still serving %s", self.reload_problem,
                          self.release.version)
                return False
            self.reload_problem = self._refused = None
            log.warning("now serving release %s (%s)", found.version, found.path)
            return True

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[Served]:
        """The served pair, held for one request (a swap waits for it before closing the old backend)."""
        served = self._current
        served.in_flight += 1
        try:
            yield served
        finally:
            served.in_flight -= 1
            if served.in_flight == 0:
                served._idle.set()

    async def swap(self, release: Release) -> Release:
        """Serve ``release`` from now on: start its backend, switch, drain and close the old one."""
        if release.path == self._current.release.path:
            return release
        new = self._served(release)
        try:
            await new.backend.start()
        except Exception as e:
            await new.backend.close()
            raise ReleaseNotFound(f"{release.path}: cannot serve this release ({e}); still serving "
                                  f"{self._current.release.version}") from e
        old, self._current = self._current, new
        self.swaps += 1
        await old.drained(self.settings.query_timeout + 5)
        await old.backend.close()
        return release

    def liveness(self) -> dict[str, object]:
        """The process answers: what it serves and how its backend is, whether ready or not."""
        ready = self.readiness()
        return {"status": "ok" if ready.ready else "degraded", "release": self.release.version,
                "uptime_s": round(time.time() - self._started_at, 1), "swaps": self.swaps,
                "backend": ready.detail, **({"reason": ready.reason} if ready.reason else {})}

    def readiness(self) -> Readiness:
        """Ready when started, not closing, and the backend can answer a query now; says too when the newest
        build or release of the releases folder is not what is served, and why (still ready: the old one serves)."""
        health = self._current.backend.health()
        detail = dict(health.detail)
        if self.reload_problem:
            detail["newest_release_refused"] = self.reload_problem
        if self.settings.release is None:
            newest = outcome.read(self.settings.releases_dir)
            if newest is not None and not newest.ok:
                detail["newest_build_failed"] = {"at": newest.at, "code": newest.code, "message": newest.message}
        if self._closing:
            return Readiness(False, detail, "shutting down")
        if not self._started:
            return Readiness(False, detail, "starting")
        return Readiness(health.ready, detail, health.reason)
