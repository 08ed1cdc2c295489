"""A pool of killable query worker processes, driven from asyncio: the local :class:`QueryBackend`.

Each worker (:mod:`kgpub.query.backends.worker`) holds the release store open read-only and
answers one query at a time, speaking the typed messages of :mod:`kgpub.query.protocol`. A
query that overruns its time limit is stopped by killing its worker; a replacement is
started in the background while the other workers go on serving. The event loop never
blocks: jobs and answers travel over the workers' pipes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from kgpub.errors import QueryTimeout, WorkerFailed
from kgpub.query import protocol
from kgpub.query.backends.base import BackendHealth
from kgpub.query.protocol import Answer, Failure, QueryJob, Ready, WorkerConfig

log = logging.getLogger(__name__)
WORKER_MODULE = "kgpub.query.backends.worker"


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, python: str, release: Path, config: WorkerConfig) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            python, "-m", WORKER_MODULE, str(release), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        worker = cls(proc)
        reply = await worker.ask(config)
        if not isinstance(reply, Ready):
            worker.kill()
            raise RuntimeError(f"query worker did not start: {getattr(reply, 'message', reply)}")
        return worker

    async def ask(self, message: Any) -> Any:
        """Send one message, read the one reply."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(protocol.pack(message))
        await self.proc.stdin.drain()
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
    """``size`` workers over the release at ``release``; ``run`` sends one job to an idle one.

    ``config`` (limits, row cap) is given to each worker once, at start.
    """

    def __init__(self, release: Path, *, size: int, config: WorkerConfig, python: str = sys.executable) -> None:
        self.release, self.size, self.python, self.config = release, size, python, config
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = self._closed = False
        self.replaced = 0  # workers killed or lost and started again (for /healthz and tests)

    async def start(self) -> None:
        starts = (_Worker.start(self.python, self.release, self.config) for _ in range(self.size))
        workers = await asyncio.gather(*starts)
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)
        self._started = True

    async def close(self) -> None:
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for worker in self._all:
            worker.kill()
        await asyncio.gather(*(w.proc.wait() for w in self._all), return_exceptions=True)
        self._all.clear()

    @property
    def idle(self) -> int:
        return self._idle.qsize()

    @property
    def live(self) -> int:
        """Worker processes running now (idle or busy); replacements count once they are up."""
        return sum(1 for w in self._all if w.proc.returncode is None)

    def pids(self) -> list[int]:
        return sorted(w.proc.pid for w in self._all if w.proc.returncode is None)

    def health(self) -> BackendHealth:
        live = self.live
        detail: dict[str, object] = {"kind": "local worker pool", "size": self.size, "live": live,
                                     "idle": self.idle, "replaced": self.replaced, "pids": self.pids()}
        if self._closed:
            return BackendHealth(False, detail, "the worker pool is closed")
        if not self._started:
            return BackendHealth(False, detail, "the worker pool has not started")
        if live == 0:
            return BackendHealth(False, detail, "no query worker is running (replacements are starting)")
        return BackendHealth(True, detail)

    async def run(self, job: QueryJob, *, timeout: float) -> Answer:
        """Answer ``job`` within ``timeout`` seconds (waiting for a free worker included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise QueryTimeout(f"no query worker became free within the {timeout:g} s time limit "
                               "(all are busy); try again") from None
        try:
            reply = await asyncio.wait_for(worker.ask(job), deadline - loop.time())
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(f"the query ran past the {timeout:g} s time limit and was stopped") from None
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            code = await _exit_code(worker)
            self._replace(worker)
            raise WorkerFailed(f"the query worker died while answering (exit code {code}); "
                               "this is a bug in kgpub or the query engine") from e
        except BaseException:  # cancelled (client gone): the worker may be mid-query, so it cannot be reused
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        if isinstance(reply, Failure):
            raise reply.error()
        if not isinstance(reply, Answer):
            raise WorkerFailed(f"the query worker answered a {type(reply).__name__} to a query; this is a bug in kgpub")
        return reply

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._start_one(reap=worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_one(self, *, reap: _Worker) -> None:
        await reap.proc.wait()  # collect the killed process
        delay = 0.1
        while True:
            try:
                worker = await _Worker.start(self.python, self.release, self.config)
            except (OSError, RuntimeError, asyncio.IncompleteReadError) as e:
                log.error("cannot start a query worker (retrying in %.1f s): %s", delay, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._all.add(worker)
            self._idle.put_nowait(worker)
            return
