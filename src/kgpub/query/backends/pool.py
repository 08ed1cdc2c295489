"""A pool of killable query worker processes, driven from asyncio.

Each worker (:mod:`kgpub.query.backends.worker`) holds the release store open read-only and answers one
query at a time. A query that overruns its time limit is stopped by killing its worker; a
replacement is started in the background while the other workers go on serving. The event
loop never blocks: requests and answers travel over the workers' pipes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgpub.errors import QueryTimeout, WorkerFailed

log = logging.getLogger(__name__)
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Answer:
    header: dict[str, Any]
    body: bytes


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, python: str, release: Path, config: str) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            python, "-m", "kgpub.query.backends.worker", str(release), config,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        worker = cls(proc)
        ready = json.loads(await worker._read())
        if not ready.get("ready"):
            worker.kill()
            raise RuntimeError(f"query worker did not start: {ready.get('message')}")
        return worker

    async def ask(self, payload: bytes) -> Answer:
        assert self.proc.stdin is not None
        self.proc.stdin.write(_LENGTH.pack(len(payload)) + payload)
        await self.proc.stdin.drain()
        header = json.loads(await self._read())
        return Answer(header, await self._read())

    async def _read(self) -> bytes:
        assert self.proc.stdout is not None
        (size,) = _LENGTH.unpack(await self.proc.stdout.readexactly(_LENGTH.size))
        return await self.proc.stdout.readexactly(size)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def _exit_code(worker: _Worker) -> int | None:
    try:
        return await asyncio.wait_for(worker.proc.wait(), 1.0)
    except TimeoutError:
        return None


class WorkerPool:
    """``size`` workers over the release at ``release``; ``run`` sends one request to an idle one.

    ``config`` (limits, row cap, allowed services) is given to each worker once, at start.
    """

    def __init__(self, release: Path, *, size: int, config: dict[str, Any], python: str = sys.executable) -> None:
        self.release, self.size, self.python = release, size, python
        self.config = json.dumps(config)
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.replaced = 0  # workers killed or lost and started again (for /healthz and tests)

    async def start(self) -> None:
        starts = (_Worker.start(self.python, self.release, self.config) for _ in range(self.size))
        workers = await asyncio.gather(*starts)
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for worker in self._all:
            worker.kill()
        await asyncio.gather(*(w.proc.wait() for w in self._all), return_exceptions=True)
        self._all.clear()

    @property
    def idle(self) -> int:
        return self._idle.qsize()

    async def run(self, request: dict[str, Any], *, timeout: float) -> Answer:
        """Answer ``request`` within ``timeout`` seconds (waiting for a free worker included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise QueryTimeout(f"no query worker became free within the {timeout:g} s time limit "
                               "(all are busy); try again") from None
        try:
            answer = await asyncio.wait_for(worker.ask(json.dumps(request).encode()), deadline - loop.time())
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
        return answer

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
