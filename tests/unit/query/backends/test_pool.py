"""The worker pool's supervision, with real worker processes over the real release.

Finding 3 of the hostile run: after ``kill -9`` of the idle workers the next queries got a 500 ``internal``
("unable to perform operation on WriteUnixTransport") and, with no traffic, the pool stayed at zero live
workers. Finding 1: thirty clients that hung up after 0.3 s caused thirty worker kills and respawns. And the
faults: a worker killed mid-query gives that request ``worker_failed`` (503, retry), never a 500, and the
others succeed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable

import pytest

from helpers.published import PublishedGraph
from kgpub.errors import QueryTimeout, WorkerFailed
from kgpub.query.backends.pool import WorkerPool
from kgpub.query.checks import QueryLimits
from kgpub.query.protocol import Chosen, FormatChoice, QueryJob, WorkerConfig

JSON = FormatChoice(results=Chosen("json", "application/sparql-results+json"), rdf=Chosen("turtle", "text/turtle"))
SIMPLE = QueryJob(query="ASK { ?s ?p ?o }", formats=JSON)
RUNAWAY = QueryJob(query="SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }", formats=JSON)
HALF_SECOND = QueryJob(query="ASK { BIND(true AS ?a) FILTER(" + "&&".join(["?a"] * 4000) + ") }", formats=JSON)


def with_pool(published: PublishedGraph, scenario: Callable[[WorkerPool], Awaitable[None]], *, size: int = 2) -> None:
    async def main() -> None:
        pool = WorkerPool(published.release.path, size=size, config=WorkerConfig(limits=QueryLimits(), max_rows=100))
        await pool.start()
        try:
            await scenario(pool)
        finally:
            await pool.close()

    asyncio.run(main())


async def until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            pytest.fail(f"not reached within {seconds} s")
        await asyncio.sleep(0.02)


async def busy_pids(pool: WorkerPool, n: int) -> list[int]:
    """The pids of the workers answering now, once ``n`` of them are busy."""
    await until(lambda: pool.admission.running == n)
    await asyncio.sleep(0.2)  # the job has reached them
    return pool.busy_pids()


def test_idle_workers_killed_are_noticed_and_replaced_without_traffic(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        for pid in pool.pids():
            os.kill(pid, signal.SIGKILL)
        await until(lambda: pool.replaced == 2 and pool.live == 2 and pool.idle == 2)
        answer = await pool.run(SIMPLE, timeout=10)
        assert json.loads(answer.body)["boolean"] is True

    with_pool(published, scenario)


def test_a_query_right_after_the_kill_is_answered_not_failed(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        old = pool.pids()
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)  # dead, and the event loop has not been told yet: the pool still offers them
        answers = await asyncio.gather(*(pool.run(SIMPLE, timeout=20) for _ in range(4)))
        assert all(json.loads(a.body)["boolean"] for a in answers)
        assert not set(old) & set(pool.pids())

    with_pool(published, scenario)


def test_a_worker_killed_mid_query_fails_that_query_only(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        heavy = asyncio.get_running_loop().create_task(pool.run(RUNAWAY, timeout=30, client="heavy"))
        [pid] = await busy_pids(pool, 1)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerFailed) as failed:
            await heavy
        assert failed.value.status == 503 and failed.value.code == "worker_failed"
        assert failed.value.headers()["Retry-After"] == "1" and "exit code -9" in failed.value.message
        answer = await pool.run(SIMPLE, timeout=10, client="other")
        assert json.loads(answer.body)["boolean"] is True
        await until(lambda: pool.live == 2 and pool.replaced == 1 and pool.failed == 1)

    with_pool(published, scenario, size=2)


def test_every_worker_killed_while_busy_fails_those_queries_and_the_pool_recovers(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        loop = asyncio.get_running_loop()
        heavy = [loop.create_task(pool.run(RUNAWAY, timeout=30, client=f"c{i}")) for i in range(2)]
        for pid in await busy_pids(pool, 2):
            os.kill(pid, signal.SIGKILL)
        outcomes = await asyncio.gather(*heavy, return_exceptions=True)
        assert all(isinstance(o, WorkerFailed) for o in outcomes), outcomes
        answers = await asyncio.gather(*(pool.run(SIMPLE, timeout=20, client=f"c{i}") for i in range(4)))
        assert all(json.loads(a.body)["boolean"] for a in answers)
        await until(lambda: pool.live == 2 and pool.idle == 2 and pool.replaced == 2)

    with_pool(published, scenario)


def test_a_client_that_hangs_up_does_not_kill_its_worker(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        pids = pool.pids()
        loop = asyncio.get_running_loop()
        for _ in range(3):  # three clients hang up 0.1 s into a 0.5 s query
            task = loop.create_task(pool.run(HALF_SECOND, timeout=20, client="gone"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await until(lambda: pool.idle == 2 and pool.admission.running == 0)
        assert pool.replaced == 0 and pool.pids() == pids  # the same processes, reused

    with_pool(published, scenario)


def test_a_timed_out_query_says_which_limit_applied(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        with pytest.raises(QueryTimeout) as late:
            await pool.run(RUNAWAY, timeout=0.5)
        assert late.value.headers() == {"Retry-After": "1", "X-Query-Timeout": "0.5"}
        await until(lambda: pool.live == 2 and pool.timeouts == 1)
        health = pool.health()
        assert health.ready and health.detail["timeouts"] == 1 and health.detail["replaced"] == 1

    with_pool(published, scenario)


def test_a_flood_from_one_client_leaves_a_worker_for_another(published: PublishedGraph) -> None:
    async def scenario(pool: WorkerPool) -> None:
        loop = asyncio.get_running_loop()
        flood = [loop.create_task(pool.run(RUNAWAY, timeout=5, client="flood")) for _ in range(64)]
        await until(lambda: pool.admission.running >= 1)
        for _ in range(10):  # the other client's queries find a worker every time, while the flood runs
            answer = await asyncio.wait_for(pool.run(SIMPLE, timeout=5, client="other"), 2)
            assert json.loads(answer.body)["boolean"] is True
        detail = pool.health().detail
        assert detail["busy"] == 1 and detail["queued"] == 8  # one running, its share of the queue waiting
        outcomes = await asyncio.gather(*flood, return_exceptions=True)
        refused = [o for o in outcomes if getattr(o, "code", "") == "overloaded"]
        assert len(refused) == 64 - 1 - 8 and pool.admission.rejected == len(refused)

    with_pool(published, scenario)
