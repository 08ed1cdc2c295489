"""A pool of killable query worker processes, driven from asyncio: the local :class:`QueryBackend`.

Each worker (:mod:`kgpub.query.backends.worker`) holds the release store open read-only and
answers one query at a time, speaking the typed messages of :mod:`kgpub.query.protocol`.
Which waiting query gets a free worker, and which is refused at once, is decided by
:class:`~kgpub.query.admission.Admission` (bounded queue, fair shares per client).

Supervision: every worker has a watcher that notices its exit at once (killed, crashed, or the
OOM killer), takes it out of the pool and starts a replacement, so a dead idle worker is never
handed a query. A query that overruns its time limit is stopped by killing its worker (pyoxigraph
cannot cancel a query). A job that never reached a worker (its pipe was already closed) is
retried on another one; a worker that dies while answering is a :class:`~kgpub.errors.WorkerFailed`
(503, retry), never a 500. A client that hangs up does not kill its worker: the query runs on to
its end or its time limit (counted against that client), and the worker is then reused, so a
storm of abandoned heavy queries costs no process restarts. The event loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from kgpub.errors import QueryTimeout, WorkerFailed
from kgpub.query import protocol
from kgpub.query.admission import Admission, Lease
from kgpub.query.backends.base import BackendHealth
from kgpub.query.protocol import Answer, Failure, QueryJob, Ready, WorkerConfig

log = logging.getLogger(__name__)
WORKER_MODULE = "kgpub.query.backends.worker"
UNREACHED = (RuntimeError, ConnectionError, BrokenPipeError, OSError)  # writing to a worker whose pipe is closed


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, python: str, release: Path, config: WorkerConfig) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            python, "-m", WORKER_MODULE, str(release), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        worker = cls(proc)
        try:
            reply = await worker.ask(config)
        except BaseException:  # cancelled (the pool closes while it starts) or its pipe broke: never left running
            worker.kill()
            raise
        if not isinstance(reply, Ready):
            worker.kill()
            raise RuntimeError(f"query worker did not start: {getattr(reply, 'message', reply)}")
        return worker

    async def ask(self, message: Any) -> Any:
        """Send one message, read the one reply."""
        await self.send(message)
        return await self.reply()

    async def send(self, message: Any) -> None:
        """Write one message; raises one of :data:`UNREACHED` when the worker's pipe is closed (it is gone)."""
        assert self.proc.stdin is not None
        if self.proc.returncode is not None:
            raise ConnectionError(f"the query worker has exited (code {self.proc.returncode})")
        self.proc.stdin.write(protocol.pack(message))
        if self.proc.stdin.transport.is_closing():  # the write failed (EPIPE): drain() would not say so
            raise ConnectionError("the query worker's input is closed: it has exited")
        await self.proc.stdin.drain()

    async def reply(self) -> Any:
        assert self.proc.stdout is not None
        return await protocol.read_async(self.proc.stdout)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def _exit_code(worker: _Worker) -> int | None:
    try:
        return await asyncio.wait_for(worker.proc.wait(), 1.0)
    except TimeoutError:
        return None


class WorkerPool:
    """``size`` supervised workers over the release at ``release``; ``run`` answers one job.

    ``config`` (limits, row cap) is given to each worker once, at start; ``queue_limit`` and
    ``client_queue`` bound the waiting (see :mod:`kgpub.query.admission`).
    """

    def __init__(self, release: Path, *, size: int, config: WorkerConfig, queue_limit: int = 64,
                 client_queue: int = 8, python: str = sys.executable) -> None:
        self.release, self.size, self.python, self.config = release, size, python, config
        self.admission: Admission[_Worker] = Admission(queue_limit=queue_limit, client_queue=client_queue)
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = self._closed = False
        self.replaced = 0  # workers killed or lost and started again
        self.timeouts = 0  # queries stopped at their time limit
        self.failed = 0  # queries whose worker died while answering
        self.retried = 0  # jobs that never reached a (dead) worker and were given to another

    async def start(self) -> None:
        starts = (_Worker.start(self.python, self.release, self.config) for _ in range(self.size))
        for worker in await asyncio.gather(*starts):
            self._adopt(worker)
        self._started = True

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in self._all:
            worker.kill()
        await asyncio.gather(*(w.proc.wait() for w in self._all), return_exceptions=True)
        self._all.clear()

    @property
    def idle(self) -> int:
        return self.admission.idle

    @property
    def live(self) -> int:
        """Worker processes running now (idle or busy); replacements count once they are up."""
        return sum(1 for w in self._all if w.proc.returncode is None)

    def pids(self) -> list[int]:
        return sorted(w.proc.pid for w in self._all if w.proc.returncode is None)

    def busy_pids(self) -> list[int]:
        """The workers answering a query now (an operator's ``kill`` target for a stuck one)."""
        idle = set(self.admission.idle_slots)
        return sorted(w.proc.pid for w in self._all if w.proc.returncode is None and w not in idle)

    def health(self) -> BackendHealth:
        live, a = self.live, self.admission
        detail: dict[str, object] = {
            "kind": "local worker pool", "size": self.size, "live": live, "idle": a.idle, "busy": a.running,
            "queued": a.queued, "queue_limit": a.queue_limit, "client_queue": a.client_queue, "clients": a.clients,
            "replaced": self.replaced, "rejected": a.rejected, "timeouts": self.timeouts, "failed": self.failed,
            "retried": self.retried, "pids": self.pids(), "busy_pids": self.busy_pids()}
        if self._closed:
            return BackendHealth(False, detail, "the worker pool is closed")
        if not self._started:
            return BackendHealth(False, detail, "the worker pool has not started")
        if live == 0:
            return BackendHealth(False, detail, "no query worker is running (replacements are starting)")
        if a.queued >= a.queue_limit:
            return BackendHealth(False, detail, f"overloaded: {a.queued} queries wait for a worker, the limit")
        return BackendHealth(True, detail)

    async def run(self, job: QueryJob, *, timeout: float, client: str = "") -> Answer:
        """Answer ``job`` within ``timeout`` seconds (waiting for a free worker included) for ``client``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for _ in range(self.size + 1):
            lease = await self.admission.acquire(client, max(0.0, deadline - loop.time()), retry_after=1)
            try:
                await lease.slot.send(job)
            except UNREACHED:  # it died before the job reached it: nothing ran, another worker may take it
                self.retried += 1
                self.admission.release(lease, seconds=0.0, slot_back=False)
                self._lost(lease.slot)
                continue
            except BaseException:  # cancelled mid-write: the worker's input may be cut, it cannot be reused
                self.admission.release(lease, seconds=0.0, slot_back=False)
                self._kill(lease.slot)
                raise
            exchange = loop.create_task(self._answer(lease, deadline, timeout))
            self._tasks.add(exchange)
            exchange.add_done_callback(_settled)
            exchange.add_done_callback(self._tasks.discard)
            return await asyncio.shield(exchange)  # a client that hangs up leaves the query to finish on its own
        raise WorkerFailed(f"no query worker could take the query ({self.size + 1} tried had exited); "
                           "replacements are starting, try again", retry_after=1)

    async def _answer(self, lease: Lease[_Worker], deadline: float, timeout: float) -> Answer:
        loop = asyncio.get_running_loop()
        worker = lease.slot
        try:
            async with asyncio.timeout_at(deadline):  # no extra task, unlike wait_for
                reply = await worker.reply()
        except TimeoutError:
            self.timeouts += 1
            self.admission.release(lease, seconds=loop.time() - lease.started, slot_back=False)
            self._kill(worker)
            raise QueryTimeout(f"the query ran past the {timeout:g} s time limit and was stopped",
                               retry_after=1, timeout=timeout) from None
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            self.failed += 1
            self.admission.release(lease, seconds=loop.time() - lease.started, slot_back=False)
            code = await _exit_code(worker)
            self._lost(worker)
            raise WorkerFailed(f"the query worker died while answering (exit code {code}); it is being "
                               "replaced, try again", retry_after=1) from e
        except BaseException:  # the pool is closing
            self.admission.release(lease, seconds=0.0, slot_back=False)
            self._kill(worker)
            raise
        self.admission.release(lease, seconds=loop.time() - lease.started)
        if isinstance(reply, Failure):
            raise reply.error()
        if not isinstance(reply, Answer):
            raise WorkerFailed(f"the query worker answered a {type(reply).__name__} to a query; this is a bug in kgpub")
        return reply

    # ------------------------------------------------------------------ supervision

    def _adopt(self, worker: _Worker) -> None:
        """Serve with ``worker`` and watch it: its exit is noticed at once, whatever it was doing."""
        self._all.add(worker)
        self._spawn(self._watch(worker))
        self.admission.add(worker)

    async def _watch(self, worker: _Worker) -> None:
        code = await worker.proc.wait()
        if worker in self._all and not self._closed:
            log.warning("query worker %d exited (code %s); starting a replacement", worker.proc.pid, code)
        self._lost(worker)

    def _kill(self, worker: _Worker) -> None:
        worker.kill()
        self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        """``worker`` is gone or going: out of the pool, and a replacement starting (once per worker)."""
        if worker not in self._all:
            return
        self._all.discard(worker)
        self.admission.discard(worker)
        if self._closed:
            return
        self.replaced += 1
        self._spawn(self._start_one(reap=worker))

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_one(self, *, reap: _Worker) -> None:
        reap.kill()
        await reap.proc.wait()  # collect the process
        delay = 0.1
        while not self._closed:
            try:
                worker = await _Worker.start(self.python, self.release, self.config)
            except (OSError, RuntimeError, asyncio.IncompleteReadError) as e:
                log.error("cannot start a query worker (retrying in %.1f s): %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if self._closed:
                worker.kill()
                await worker.proc.wait()
                return
            self._adopt(worker)
            return


def _settled(task: asyncio.Task[Any]) -> None:
    """Retrieve the outcome of an exchange whose client hung up, so it is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()
