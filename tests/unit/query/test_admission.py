"""Admission control on its own: bounded waiting, fair shares, and no client holding every worker.

Slots are plain strings here; the pool's real workers are tested in tests/unit/query/backends/test_pool.py.
"""

from __future__ import annotations

import asyncio

import pytest

from kgpub.errors import Overloaded, QueryTimeout
from kgpub.query.admission import Admission, Lease


def admission(slots: int, *, queue_limit: int = 64, client_queue: int = 8) -> Admission[str]:
    a: Admission[str] = Admission(queue_limit=queue_limit, client_queue=client_queue)
    for i in range(slots):
        a.add(f"w{i}")
    return a


async def pending(a: Admission[str], client: str, timeout: float = 5.0) -> asyncio.Task[Lease[str]]:
    task = asyncio.get_running_loop().create_task(a.acquire(client, timeout))
    await asyncio.sleep(0)  # let it queue
    return task


async def settle() -> None:
    """Let granted waiters wake up (a grant travels through a few futures)."""
    for _ in range(10):
        await asyncio.sleep(0)


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_a_newcomer_gets_the_last_worker_while_another_client_floods() -> None:
    async def scenario() -> None:
        a = admission(2)
        first = await a.acquire("flood", 5)
        flood = [await pending(a, "flood") for _ in range(5)]
        assert not any(t.done() for t in flood)  # the flood may not take the last worker: it has shown nothing
        simple = await a.acquire("other", 1)  # at once
        assert {first.slot, simple.slot} == {"w0", "w1"}
        a.release(simple, seconds=0.001)
        again = await a.acquire("other", 1)  # and again, while the flood waits
        a.release(again, seconds=0.001)
        assert not any(t.done() for t in flood) and a.queued == 5
        a.release(first, seconds=3.0)
        await settle()
        assert sum(t.done() for t in flood) == 1  # its next query runs once its first is done
        for t in flood:
            t.cancel()
        await asyncio.gather(*flood, return_exceptions=True)
        assert a.queued == 0

    run(scenario())


def test_a_client_of_proven_cheap_queries_uses_every_worker() -> None:
    async def scenario() -> None:
        a = admission(2)
        lease = await a.acquire("bench", 1)
        a.release(lease, seconds=0.002)
        both = [await a.acquire("bench", 1), await a.acquire("bench", 1)]
        assert {x.slot for x in both} == {"w0", "w1"}

    run(scenario())


def test_one_users_simple_query_is_not_held_behind_their_own_heavy_one() -> None:
    """One address, a heavy query and then simple ones (two browser tabs): the simple ones take the free worker,
    since most of that client's queries are cheap; a client of heavy queries does not get the last worker."""
    async def scenario() -> None:
        a: Admission[str] = Admission(queue_limit=8, client_queue=8, cheap=0.05)
        a.add("w0")
        a.add("w1")
        for _ in range(3):
            warm = await a.acquire("user", 1)
            a.release(warm, seconds=0.001)
        heavy = await a.acquire("user", 1)
        await asyncio.sleep(0.08)  # it runs long
        simple = await a.acquire("user", 1)  # at once: the other worker
        a.release(simple, seconds=0.001)
        a.release(heavy, seconds=5.0)
        for _ in range(3):
            slow = await a.acquire("heavy", 1)
            a.release(slow, seconds=5.0)
        held = await a.acquire("heavy", 1)
        blocked = await pending(a, "heavy", timeout=30)
        await settle()
        assert not blocked.done() and a.idle == 1
        a.release(held, seconds=5.0)
        await settle()
        assert blocked.done()
        a.release(blocked.result(), seconds=5.0)

    run(scenario())


def test_waiting_clients_are_served_in_turn() -> None:
    async def scenario() -> None:
        a = admission(1)
        held = await a.acquire("x", 1)
        order: list[str] = []

        async def one(client: str) -> None:
            lease = await a.acquire(client, 5)
            order.append(client)
            a.release(lease, seconds=0.5)

        tasks = [asyncio.get_running_loop().create_task(one(c)) for c in ("a", "a", "a", "b", "b", "c")]
        await asyncio.sleep(0)
        a.release(held, seconds=0.5)
        await asyncio.gather(*tasks)
        assert order[:3] in (["a", "b", "c"],) and sorted(order) == ["a", "a", "a", "b", "b", "c"]

    run(scenario())


def test_the_queue_is_bounded_per_client_and_in_all_and_refusals_are_immediate() -> None:
    async def scenario() -> None:
        a = admission(1, queue_limit=3, client_queue=2)
        held = await a.acquire("x", 1)
        waiting = [await pending(a, "flood"), await pending(a, "flood")]
        with pytest.raises(Overloaded) as per_client:
            await a.acquire("flood", 5)
        assert "KGPUB_CLIENT_QUEUE" in per_client.value.message
        assert per_client.value.headers()["Retry-After"].isdigit()
        waiting.append(await pending(a, "other"))
        with pytest.raises(Overloaded) as full:
            await a.acquire("third", 5)
        assert "KGPUB_QUEUE_LIMIT" in full.value.message and full.value.status == 503
        assert a.rejected == 2 and a.queued == 3
        for t in waiting:
            t.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        assert a.queued == 0
        a.release(held, seconds=0.1)

    run(scenario())


def test_waiting_past_the_time_limit_is_a_timeout_that_says_when_to_retry() -> None:
    async def scenario() -> None:
        a = admission(1)
        held = await a.acquire("x", 1)
        with pytest.raises(QueryTimeout) as late:
            await a.acquire("y", 0.05)
        headers = late.value.headers()
        assert headers["Retry-After"] == "1" and headers["X-Query-Timeout"] == "0.05"
        assert a.queued == 0
        a.release(held, seconds=0.1)
        assert a.idle == 1

    run(scenario())


def test_a_slot_that_is_gone_is_never_granted() -> None:
    async def scenario() -> None:
        a = admission(2)
        a.discard("w0")
        lease = await a.acquire("x", 1)
        assert lease.slot == "w1"
        a.release(lease, seconds=0.0, slot_back=False)
        assert a.idle == 0

    run(scenario())


def test_a_client_never_takes_the_last_worker_even_when_others_have_just_freed_theirs() -> None:
    """The soak's finding: a runaway every 5 s from one address took both workers whenever both were free."""
    async def scenario() -> None:
        a = admission(2)
        runaway = await a.acquire("runaway", 5)
        other = await a.acquire("other", 1)
        a.release(other, seconds=0.001)  # the other client's worker is free again; the runaway holds its own
        second = await pending(a, "runaway")
        await settle()
        assert not second.done() and a.idle == 1
        a.release(runaway, seconds=10.0)
        await settle()
        assert second.done()
        a.release(second.result(), seconds=10.0)

    run(scenario())


def test_a_query_that_could_not_start_in_time_is_refused_at_once() -> None:
    async def scenario() -> None:
        a = admission(2)
        warm = await a.acquire("slow", 5)
        a.release(warm, seconds=3.0)  # its queries take 3 s
        held = await a.acquire("slow", 5)
        queued = await pending(a, "slow", timeout=5)  # one ahead: 3 s < 5 s, it may wait
        with pytest.raises(Overloaded, match="could not start within its 5 s time limit") as refused:
            await a.acquire("slow", 5)  # two ahead: 6 s > 5 s
        assert int(refused.value.headers()["Retry-After"]) >= 3
        queued.cancel()
        await asyncio.gather(queued, return_exceptions=True)
        a.release(held, seconds=3.0)

    run(scenario())
