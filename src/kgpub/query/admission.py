"""Admission control: which waiting query gets the next free worker, and which is refused at once.

A few heavy queries must not deny service to everyone. So:

- **bounded waiting**: at most ``queue_limit`` queries wait for a worker, all clients together, and at most
  ``client_queue`` of one client (a client is a peer address); beyond that a query is refused at once with
  :class:`~kgpub.errors.Overloaded` (503 + ``Retry-After``), never queued without bound;
- **fair shares**: when a worker frees, it goes to the waiting client with the fewest queries running (ties:
  the one that has waited longest), so a client that floods the endpoint is served in turn with the others;
- **no client holds every worker** unless it has shown its queries are cheap: a client may always take a free
  worker when it has nothing running, and may hold all but one of the workers; the last one only when most of
  its recent queries were fast (the median of its last :data:`RECENT` under ``cheap`` seconds), so one user's
  simple query is not held behind their own heavy one, while a client of heavy queries never takes it. A
  newcomer's simple query therefore finds a worker while another client's heavy ones run; a busy
  client of cheap queries (a benchmark, a crawler) still uses all workers;
- **no hopeless waiting**: a client whose queries take so long on average that this one could not start within
  its time limit (its average times the queries ahead of it) is refused at once, with ``Retry-After``, rather
  than queued to time out.

Pure asyncio and bookkeeping: the pool (:mod:`kgpub.query.backends.pool`) gives it the workers as opaque slots.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kgpub.errors import Overloaded, QueryTimeout

T = TypeVar("T")
CHEAP = 0.1  # seconds: a client whose queries take less on average may use every worker
EWMA_WEIGHT = 0.3  # how much the last query counts in a client's average
RECENT = 8  # queries whose median says whether a client's queries are cheap


@dataclass
class _Client:
    waiting: deque[asyncio.Future[object]] = field(default_factory=deque)
    running: dict[int, float] = field(default_factory=dict)  # lease id -> start time
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT))  # seconds of its last queries
    average: float | None = None  # seconds per query, exponentially weighted; None: no query finished yet


@dataclass(frozen=True)
class Lease(Generic[T]):
    """A slot granted to one client's query; give it back with :meth:`Admission.release`."""

    slot: T
    client: str
    id: int
    started: float


class Admission(Generic[T]):
    def __init__(self, *, queue_limit: int, client_queue: int, cheap: float = CHEAP) -> None:
        self.queue_limit, self.client_queue, self.cheap = queue_limit, client_queue, cheap
        self._idle: deque[T] = deque()
        self._clients: dict[str, _Client] = {}
        self._next_id = 0
        self.rejected = 0  # refused at once (queue full, or the client's share of it)

    # ------------------------------------------------------------------ what the pool tells it

    def add(self, slot: T) -> None:
        """A worker is free (new, or done with a query)."""
        self._idle.append(slot)
        self._dispatch()

    def discard(self, slot: T) -> None:
        """A worker is gone (it died while idle): it is no longer offered."""
        if slot in self._idle:
            self._idle.remove(slot)

    # ------------------------------------------------------------------ what a query does

    async def acquire(self, client: str, timeout: float, *, retry_after: int = 1) -> Lease[T]:
        """Wait (at most ``timeout`` s) for a worker for ``client``'s query; refuse at once beyond the limits."""
        state = self._clients.setdefault(client, _Client())
        if len(state.waiting) >= self.client_queue:
            self.rejected += 1
            self._forget(client)
            raise Overloaded(f"this client already has {len(state.waiting)} queries waiting for a worker (the "
                             f"limit per client is {self.client_queue}, KGPUB_CLIENT_QUEUE); retry later",
                             retry_after=self._retry_after(state, retry_after))
        if self.queued >= self.queue_limit:
            self.rejected += 1
            self._forget(client)
            raise Overloaded(f"{self.queued} queries are waiting for a worker, the limit (KGPUB_QUEUE_LIMIT); "
                             "retry later", retry_after=retry_after)
        ahead = len(state.waiting) + len(state.running)
        if state.average is not None and state.running and state.average * ahead > timeout:
            self.rejected += 1
            raise Overloaded(f"this client's queries take {state.average:.1f} s on average and {ahead} of them are "
                             f"ahead of this one: it could not start within its {timeout:g} s time limit; retry "
                             "later", retry_after=self._retry_after(state, retry_after))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        state.waiting.append(future)
        self._dispatch()
        if future.done():  # a worker was free: no waiting at all (the common case)
            return future.result()  # type: ignore[return-value]
        try:
            async with asyncio.timeout(timeout):  # no extra task, unlike wait_for
                lease = await future
        except (TimeoutError, asyncio.CancelledError) as e:
            if future.done() and not future.cancelled():  # granted at the last moment: give it back
                self.release(future.result(), seconds=0.0)  # type: ignore[arg-type]
            else:
                future.cancel()
                if future in state.waiting:
                    state.waiting.remove(future)
                self._forget(client)
            if isinstance(e, TimeoutError):
                raise QueryTimeout(f"no query worker became free within the {timeout:g} s time limit (all are "
                                   "busy); try again", retry_after=retry_after, timeout=timeout) from None
            raise
        return lease  # type: ignore[return-value]

    def release(self, lease: Lease[T], *, seconds: float, slot_back: bool = True) -> None:
        """``lease``'s query is over after ``seconds``; its worker is free again unless ``slot_back`` is False."""
        state = self._clients.get(lease.client)
        if state is not None:
            state.running.pop(lease.id, None)
            state.average = seconds if state.average is None else (
                EWMA_WEIGHT * seconds + (1 - EWMA_WEIGHT) * state.average)
            state.recent.append(seconds)
            self._forget(lease.client)
        if slot_back:
            self._idle.append(lease.slot)
        self._dispatch()

    # ------------------------------------------------------------------ for health and metrics

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def idle_slots(self) -> tuple[T, ...]:
        return tuple(self._idle)

    @property
    def queued(self) -> int:
        return sum(len(c.waiting) for c in self._clients.values())

    @property
    def running(self) -> int:
        return sum(len(c.running) for c in self._clients.values())

    @property
    def clients(self) -> int:
        """Clients with a query waiting or running."""
        return sum(1 for c in self._clients.values() if c.waiting or c.running)

    # ------------------------------------------------------------------ the rule

    def _eligible(self, state: _Client, now: float) -> bool:
        if not state.running:
            return True
        if len(state.running) + 1 < len(self._idle) + self.running:  # it would still leave a worker to the others
            return True
        return bool(state.recent) and statistics.median(state.recent) < self.cheap

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._idle:
            now = loop.time()
            ready = [(len(s.running), i, name) for i, (name, s) in enumerate(self._clients.items())
                     if s.waiting and self._eligible(s, now)]
            if not ready:
                return
            _, _, name = min(ready)
            state = self._clients[name]
            future = state.waiting.popleft()
            if future.done():  # its query was cancelled or timed out meanwhile
                continue
            self._next_id += 1
            lease = Lease(self._idle.popleft(), name, self._next_id, now)
            state.running[lease.id] = now
            future.set_result(lease)
            # the client moves to the back: among equals, the one served longest ago comes first
            self._clients[name] = self._clients.pop(name)

    def _forget(self, client: str) -> None:
        """Drop a client's state when it has nothing waiting or running (its average is kept while it is active;
        an idle client's average would be stale by the time it returns, and the map must not grow per address)."""
        state = self._clients.get(client)
        if state is not None and not state.waiting and not state.running and len(self._clients) > 1024:
            del self._clients[client]

    def _retry_after(self, state: _Client, default: int) -> int:
        """Seconds until this client's waiting queries have likely been served (from its average)."""
        if state.average is None:
            return default
        return max(default, min(60, math.ceil(state.average * len(state.waiting))))
