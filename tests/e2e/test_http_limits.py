"""The HTTP limits of ``kgpub serve`` against the hostile clients that found them missing (issue 11).

- four connections sending 25 MiB of header fields each are refused (431) or cut, and the server's
  memory does not grow with what they send;
- 200 slowloris connections (a header byte every 0.3 s) are all answered 408 and closed within the
  header timeout (1 s here) plus slack, while ``/healthz`` keeps answering at once;
- a POST whose body never finishes is refused at the body timeout, and the application that was
  waiting for it leaves no traceback in the log (checked by :func:`helpers.server.serve` at the end).

Every socket has a timeout, every loop a bound; everything talks to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers.server import HOST, Server, copy_project, serve

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
SLACK = 3.0
MiB = 1 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    project = copy_project(tmp_path_factory.mktemp("limits") / "kjtrade")
    with serve(project, env={"KGPUB_HEADER_TIMEOUT": f"{HEADER_TIMEOUT:g}",
                             "KGPUB_BODY_TIMEOUT": f"{BODY_TIMEOUT:g}"}) as running:
        yield running


def rss(server: Server) -> int:
    """The server process's resident memory in bytes (Linux /proc)."""
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def connect(server: Server, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection((HOST, server.port), timeout=timeout)


def status_of(sock: socket.socket) -> int | None:
    """The status of the answer on ``sock``, or None when the connection was cut without one."""
    data = b""
    try:
        for _ in range(100):
            chunk = sock.recv(65536)
            if not chunk or b"\r\n" in data + chunk:
                data += chunk
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return int(data.split()[1]) if data.startswith(b"HTTP/1.1 ") else None


def healthz_seconds(server: Server) -> float:
    start = time.monotonic()
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    return time.monotonic() - start


def test_25_mib_headers_are_refused_without_the_server_holding_them(server: Server) -> None:
    total, chunk = 25 * MiB, b"a" * (64 << 10)
    outcomes: list[tuple[int, int | None]] = []  # (bytes sent, status read)
    lock = threading.Lock()

    def hostile() -> None:
        sent = 0
        with connect(server) as sock:
            try:
                sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: t\r\nX-Big: ")
                while sent < total:
                    sock.sendall(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status = status_of(sock)
        with lock:
            outcomes.append((sent, status))

    healthz_seconds(server)  # warm
    before = rss(server)
    threads = [threading.Thread(target=hostile, name=f"big-header-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 4, "a hostile client did not finish within 60 s"
    grown = rss(server) - before
    assert all(status in (431, None) for _, status in outcomes), outcomes
    assert all(sent < 8 * MiB for sent, _ in outcomes), f"the server read on: {outcomes}"
    assert grown < 20 * MiB, f"the server grew by {grown / MiB:.1f} MiB"
    assert healthz_seconds(server) < 1.0


def test_slowloris_connections_are_all_closed_within_the_header_timeout(server: Server) -> None:
    count, step = 200, 0.3
    selector = selectors.DefaultSelector()
    opened: dict[socket.socket, float] = {}
    closed: dict[socket.socket, float] = {}
    statuses: list[int | None] = []
    try:
        for _ in range(count):
            sock = connect(server, timeout=2)
            sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            opened[sock] = time.monotonic()
            selector.register(sock, selectors.EVENT_READ)
        health: list[float] = []
        end = max(opened.values()) + HEADER_TIMEOUT + SLACK
        next_step = time.monotonic() + step
        while len(closed) < count and time.monotonic() < end:
            for key, _ in selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                statuses.append(status_of(sock))
                closed[sock] = time.monotonic()
                selector.unregister(sock)
            if time.monotonic() >= next_step:
                for sock in opened:
                    if sock not in closed:
                        with contextlib.suppress(OSError):  # closed: the selector says so next
                            sock.send(b"a")
                if len(health) < 10:
                    health.append(healthz_seconds(server))
                next_step = time.monotonic() + step
        still_open = count - len(closed)
        assert still_open == 0, f"{still_open} slowloris connections still open {HEADER_TIMEOUT + SLACK} s on"
        slowest = max(closed[s] - opened[s] for s in opened)
        assert slowest < HEADER_TIMEOUT + SLACK, slowest
        assert statuses.count(408) >= count * 0.9, statuses  # a few may be cut by the reset that follows
        assert health and max(health) < 1.0, health
    finally:
        selector.close()
        for sock in opened:
            sock.close()


def test_a_body_that_never_finishes_is_408_and_leaves_no_traceback(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: t\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 1000\r\n\r\nASK {")
        start = time.monotonic()
        status = status_of(sock)
        took = time.monotonic() - start
    assert status == 408
    assert BODY_TIMEOUT - 0.2 < took < BODY_TIMEOUT + SLACK
    time.sleep(0.5)  # the application's side of it has ended; serve() checks the log for a traceback at the end
    assert "Traceback" not in server.stderr(), server.stderr()
