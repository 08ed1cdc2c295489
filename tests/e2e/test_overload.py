"""Overload against the real server (issue 11, finding 1): one client's flood does not deny service to another.

Client A (from 127.0.0.2) sends 64 heavy queries at once; client B (from 127.0.0.3) sends simple queries one
after another meanwhile. Before admission control, B's ``ASK {}`` waited 6 s or got a 503. Now B's queries all
succeed, quickly; A's excess is refused at once with 503, ``Retry-After`` and ``X-Query-Timeout``, never queued
without bound; afterwards the pool is whole. The figures against Oxigraph are in bench/ (overload.py); the
latency bound here is loose, for a shared CI machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers.server import Server, copy_project, serve

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SIMPLE = "ASK { <https://w3id.org/kjtrade/id/country/KR> ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    project = copy_project(tmp_path_factory.mktemp("overload") / "project")
    with serve(project, "--timeout", "3") as running:
        yield running


def client(address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address),
                             timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_connections=100))


async def flood_and_probe(server: Server) -> tuple[list[httpx.Response], list[float], list[str], float]:
    async with client("127.0.0.2") as a, client("127.0.0.3") as b:
        started = time.monotonic()
        flood = [asyncio.ensure_future(a.get(server.sparql, params={"query": HEAVY, "n": str(i)}, headers=JSON))
                 for i in range(64)]
        await asyncio.sleep(0.3)  # the flood is in
        latencies: list[float] = []
        failures: list[str] = []
        for i in range(40):
            t0 = time.monotonic()
            r = await b.get(server.sparql, params={"query": SIMPLE + f" # {i}"}, headers=JSON)  # unique: no cache
            latencies.append(time.monotonic() - t0)
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text[:200]}")
        answers = await asyncio.gather(*flood)
        return answers, latencies, failures, time.monotonic() - started


def test_a_flood_from_one_client_leaves_the_endpoint_to_the_others(server: Server) -> None:
    answers, latencies, failures, _ = asyncio.run(flood_and_probe(server))
    assert not failures, failures[:3]
    latencies.sort()
    assert latencies[int(0.99 * (len(latencies) - 1))] < 1.0, latencies[-5:]

    refused = [r for r in answers if r.status_code == 503 and r.json()["error"]["code"] == "overloaded"]
    timed_out = [r for r in answers if r.status_code == 503 and r.json()["error"]["code"] == "query_timeout"]
    assert len(refused) >= 64 - 1 - 8 - 2, [r.status_code for r in answers]  # beyond its share of the queue
    assert len(refused) + len(timed_out) == 64  # the heavy ones that ran hit the 3 s limit
    for r in refused + timed_out:
        assert r.headers["retry-after"].isdigit() and r.headers["cache-control"] == "no-store"
    for r in timed_out:
        assert r.headers["x-query-timeout"] == "3"
    health = server.wait_for_full_pool(deadline=20)
    assert health["backend"]["rejected"] >= len(refused)


def test_refusals_are_quick(server: Server) -> None:
    async def burst() -> list[float]:
        async with client("127.0.0.4") as c:
            async def one(i: int) -> float:
                t0 = time.monotonic()
                r = await c.get(server.sparql, params={"query": HEAVY, "k": str(i)}, headers=JSON)
                return time.monotonic() - t0 if r.status_code == 503 and "overloaded" in r.text else -1.0

            return list(await asyncio.gather(*(one(i) for i in range(32))))

    quick = [t for t in asyncio.run(burst()) if t >= 0]
    assert len(quick) >= 32 - 1 - 8 - 2 and max(quick) < 2.0, quick
    server.wait_for_full_pool(deadline=20)


def test_the_server_log_has_no_traceback(server: Server, tmp_path: Path) -> None:
    assert "Traceback" not in server.stderr()


def test_a_query_whose_client_hangs_up_leaves_the_queue_at_once(server: Server) -> None:
    """The soak's finding: a waiting query whose client had gone kept its place until its time limit."""
    import socket
    from urllib.parse import quote

    server.wait_for_full_pool(deadline=20)
    request = (f"GET /sparql?query={quote(HEAVY)}&x={{}} HTTP/1.1\r\nHost: x\r\n"
               "Accept: application/sparql-results+json\r\n\r\n")
    sockets = []
    for i in range(4):  # one runs, three wait: the client may not take the last worker
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=("127.0.0.5", 0))
        s.sendall(request.format(i).encode())
        sockets.append(s)
    end = time.monotonic() + 2
    while server.workers()["queued"] < 3 and time.monotonic() < end:
        time.sleep(0.02)
    assert server.workers()["queued"] == 3
    for s in sockets[1:]:
        s.close()
    hung_up = time.monotonic()
    while server.workers()["queued"] and time.monotonic() < hung_up + 2:
        time.sleep(0.02)
    assert server.workers()["queued"] == 0 and time.monotonic() - hung_up < 1.0  # not the 3 s time limit
    sockets[0].close()
    server.wait_for_full_pool(deadline=20)
