"""``kgpub.web.server``: the HTTP limits, against the real uvicorn server and raw sockets.

The server runs in a subprocess (so that its memory can be read from /proc) with a tiny ASGI app
that reads the whole body and answers its path and body size, and small limits: 1 KiB of header
fields, a 4 KiB request line, half a second for a head and for a body. Every socket has a timeout
and every loop a bound.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from helpers.server import HOST, free_port

HEADER_BYTES = 1024
REQUEST_LINE = 4096
TIMEOUT = 0.5  # header_timeout and body_timeout
SLACK = 1.5  # on a shared machine; still well short of "never"
LIMITS = {"max_header_bytes": HEADER_BYTES, "max_request_line": REQUEST_LINE, "header_timeout": TIMEOUT,
          "body_timeout": TIMEOUT, "max_connections": 64}

APP = """
import asyncio, json, sys
from urllib.parse import parse_qsl
from kgpub.settings import Settings
from kgpub.web import server

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    wait = dict(parse_qsl(scope["query_string"].decode())).get("wait")
    if wait:  # before reading the body: uvicorn stops reading once 64 KiB wait unread
        await asyncio.sleep(float(wait))
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"path": scope["path"], "target": len(scope["raw_path"]), "body": size}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

server.run(app, Settings.load(env={}, port=int(sys.argv[1]), **json.loads(sys.argv[2])))
"""


# --------------------------------------------------------------------------- the server and its clients


class Running:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def rss(self) -> int:
        """The server process's resident memory in bytes (Linux /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def connect(self, timeout: float = 5.0) -> socket.socket:
        sock = socket.create_connection((HOST, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


@contextmanager
def running(tmp_path: Path, **limits: Any) -> Iterator[Running]:
    log = tmp_path / f"server-{time.monotonic_ns()}.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", APP, str(port), json.dumps(limits)],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        end = time.monotonic() + 20
        while time.monotonic() < end and proc.poll() is None:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail(f"the test server did not start:\n{log.read_text(errors='replace')}")
    try:
        yield Running(proc, port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(tmp_path_factory.mktemp("server"), **LIMITS) as started:
        yield started


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Reader:
    """HTTP/1.1 answers read off one socket, one after the other (pipelining), by Content-Length."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def answer(self) -> Answer:
        for _ in range(10_000):
            if b"\r\n\r\n" in self.buffer:
                break
            if not self._fill():
                raise ConnectionError(f"closed before a whole answer: {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        for _ in range(10_000):
            if len(self.buffer) >= length or not self._fill():
                break
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Answer(int(status_line.split()[1]), headers, body)

    def closed(self) -> bool:
        """True when the server has closed the connection (EOF, or a reset) with nothing more to read."""
        try:
            return not self.buffer and not self._fill()
        except ConnectionResetError:
            return True


def head(target: str = "/", *, fill: int = 0, extra: str = "") -> bytes:
    """A GET head with ``fill`` bytes of one header field's value."""
    return (f"GET {target} HTTP/1.1\r\nHost: t\r\nX-Fill: {'a' * fill}\r\n{extra}\r\n").encode()


def counted(data: bytes, target: str = "/") -> int:
    """What the server counts of a head against the header limit: all of it but the target."""
    return len(data) - len(target)


def at_limit(target: str = "/", extra: str = "") -> bytes:
    data = head(target, fill=HEADER_BYTES - counted(head(target, extra=extra), target), extra=extra)
    assert counted(data, target) == HEADER_BYTES
    return data


def ask(server: Running, data: bytes) -> Answer:
    with server.connect() as sock:
        sock.sendall(data)
        return Reader(sock).answer()


def assert_refused(answer: Answer, status: int, code: str, *words: str) -> None:
    assert answer.status == status, (answer.status, answer.body)
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["connection"] == "close"
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    for word in words:
        assert word in error["message"]


# --------------------------------------------------------------------------- header fields (431)


def test_header_fields_at_the_limit_are_served(server: Running) -> None:
    answer = ask(server, at_limit())
    assert answer.status == 200, answer.body
    assert answer.json()["path"] == "/"


def test_one_byte_more_is_431_with_the_error_body_and_the_connection_closed(server: Running) -> None:
    data = head(fill=HEADER_BYTES - counted(head()) + 1)
    with server.connect() as sock:
        sock.sendall(data)
        reader = Reader(sock)
        assert_refused(reader.answer(), 431, "headers_too_large", f"{HEADER_BYTES} bytes", "KGPUB_MAX_HEADER_BYTES")
        assert reader.closed()


def test_header_bytes_are_counted_across_many_small_sends(server: Running) -> None:
    """Neither a head trickled in 50-byte sends escapes the count, nor is a good one refused for arriving so."""
    for data, status in ((head(fill=2 * HEADER_BYTES), 431), (at_limit(), 200)):
        with server.connect() as sock:
            for i in range(0, len(data), 50):
                try:
                    sock.sendall(data[i:i + 50])
                except (BrokenPipeError, ConnectionResetError):
                    break  # refused before the rest was sent
                time.sleep(0.002)
            assert Reader(sock).answer().status == status


def test_a_50_mib_header_is_cut_early_without_the_server_holding_it(server: Running) -> None:
    total, chunk = 50 << 20, b"a" * (64 << 10)
    before = server.rss()
    sent = 0
    with server.connect(timeout=10) as sock:
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ")
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < 8 << 20, f"the server read {sent} bytes of one header before refusing it"
    grown = server.rss() - before
    assert grown < 4 << 20, f"the server grew by {grown / 2**20:.1f} MiB"


def test_pipelined_requests_each_have_their_own_count(server: Running) -> None:
    """Two heads of 3/4 of the limit sent in one write are both served; a third over the limit is refused, after
    the answers owed before it."""
    nearly = head("/a", fill=HEADER_BYTES * 3 // 4) + head("/b", fill=HEADER_BYTES * 3 // 4)
    over = head("/c", fill=HEADER_BYTES + 1)
    with server.connect() as sock:
        sock.sendall(nearly + over)
        reader = Reader(sock)
        assert [reader.answer().json()["path"] for _ in range(2)] == ["/a", "/b"]
        assert_refused(reader.answer(), 431, "headers_too_large")
        assert reader.closed()


def test_pipelined_requests_with_bodies_are_all_answered(server: Running) -> None:
    post = b"POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000
    with server.connect() as sock:
        sock.sendall(head("/a") + post + at_limit("/b"))
        reader = Reader(sock)
        answers = [reader.answer() for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert [(a.json()["path"], a.json()["body"]) for a in answers] == [("/a", 0), ("/p", 5000), ("/b", 0)]


def test_a_chunked_body_and_the_request_after_it_are_answered(server: Running) -> None:
    chunks = b"".join(b"%x\r\n%s\r\n" % (n, b"y" * n) for n in (3000, 1, 2048)) + b"0\r\n\r\n"
    post = b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    with server.connect() as sock:
        sock.sendall(post + at_limit("/after"))
        reader = Reader(sock)
        answers = [reader.answer() for _ in range(2)]
    assert [(a.status, a.json()["path"], a.json()["body"]) for a in answers] == [(200, "/c", 5049), (200, "/after", 0)]


# --------------------------------------------------------------------------- the request line (414)


def test_a_request_line_over_its_limit_is_414(server: Running) -> None:
    with server.connect() as sock:
        sock.sendall(head("/" + "q" * REQUEST_LINE))
        reader = Reader(sock)
        assert_refused(reader.answer(), 414, "uri_too_long", f"{REQUEST_LINE} bytes", "KGPUB_MAX_REQUEST_LINE")
        assert reader.closed()


def test_a_target_longer_than_the_header_limit_is_not_counted_as_header_fields(server: Running) -> None:
    target = "/" + "q" * (REQUEST_LINE - 1)
    answer = ask(server, at_limit(target))
    assert answer.status == 200, answer.body
    assert answer.json()["target"] == REQUEST_LINE


def test_a_target_sent_in_pieces_is_summed(server: Running) -> None:
    data = head("/" + "q" * REQUEST_LINE)
    with server.connect() as sock:
        for i in range(0, 2 * REQUEST_LINE, 512):  # on_url comes once per piece
            sock.sendall(data[i:i + 512])
            time.sleep(0.002)
        assert_refused(Reader(sock).answer(), 414, "uri_too_long")


# --------------------------------------------------------------------------- time (408)


def _refused_in_time(sock: socket.socket, start: float, step: bytes | None) -> tuple[Answer, float]:
    """Send ``step`` every 0.2 s until the server answers; the answer and when the connection was closed."""
    sock.settimeout(0.2)
    reader = Reader(sock)
    for _ in range(int((TIMEOUT + SLACK) / 0.2) + 5):
        try:
            if reader._fill():
                break
        except TimeoutError:
            if step is not None:
                sock.sendall(step)
    sock.settimeout(5)
    answer = reader.answer()
    assert reader.closed()
    return answer, time.monotonic() - start


def test_slowloris_is_408_and_closed_within_the_header_timeout(server: Running) -> None:
    with server.connect() as sock:
        start = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        answer, took = _refused_in_time(sock, start, b"a")
    assert_refused(answer, 408, "request_timeout", "KGPUB_HEADER_TIMEOUT")
    assert TIMEOUT - 0.1 < took < TIMEOUT + SLACK


def test_a_connection_that_sends_nothing_is_408_at_the_header_timeout(server: Running) -> None:
    with server.connect() as sock:
        answer, took = _refused_in_time(sock, time.monotonic(), None)
    assert_refused(answer, 408, "request_timeout")
    assert took < TIMEOUT + SLACK


def test_a_slow_body_is_408_and_closed_within_the_body_timeout(server: Running) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        start = time.monotonic()
        answer, took = _refused_in_time(sock, start, b"x")
    assert_refused(answer, 408, "request_timeout", "KGPUB_BODY_TIMEOUT")
    assert TIMEOUT - 0.1 < took < TIMEOUT + SLACK


def test_a_body_the_application_reads_late_is_not_the_clients_delay(server: Running) -> None:
    """The app sleeps past the body timeout before reading; uvicorn stops reading meanwhile: no 408."""
    size = 300_000
    with server.connect() as sock:
        sock.sendall(f"POST /late?wait={TIMEOUT + 0.3} HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n".encode())
        sock.sendall(b"x" * size)
        answer = Reader(sock).answer()
    assert answer.status == 200, answer.body
    assert answer.json()["body"] == size


def test_a_client_waiting_for_100_continue_is_not_timed_out(server: Running) -> None:
    """It sends its body only once told to, when the application first reads, here after the body timeout."""
    with server.connect() as sock:
        sock.sendall(f"POST /wait?wait={TIMEOUT + 0.3} HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     "Content-Length: 10\r\n\r\n".encode())
        reader = Reader(sock)
        assert reader.answer().status == 100
        sock.sendall(b"x" * 10)
        answer = reader.answer()
    assert answer.status == 200, answer.body
    assert answer.json()["body"] == 10


def test_an_idle_keep_alive_connection_is_not_timed_out_by_the_header_clock(server: Running) -> None:
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(head("/one"))
        assert reader.answer().status == 200
        time.sleep(TIMEOUT + 0.4)  # past the header timeout, short of uvicorn's keep-alive timeout (5 s)
        sock.sendall(head("/two"))
        assert reader.answer().json()["path"] == "/two"


# --------------------------------------------------------------------------- connections (503)


def test_connections_beyond_max_connections_are_503(tmp_path: Path) -> None:
    limits = {**LIMITS, "max_connections": 2, "header_timeout": 10}
    with running(tmp_path, **limits) as small, small.connect() as first, small.connect() as second:
        second.sendall(head("/two"))
        assert Reader(second).answer().status == 200  # two connections open: both are served
        with small.connect() as third:
            time.sleep(0.2)  # accepted by the server
            third.sendall(head("/three"))
            assert Reader(third).answer().status == 503
        first.close()
        time.sleep(0.2)
        second.sendall(head("/again"))
        assert Reader(second).answer().status == 200


def test_the_writes_of_one_turn_go_out_as_one() -> None:
    """uvicorn writes an answer's head and body apart: two sends per answer, the largest cost of a cached one."""
    import asyncio

    from kgpub.web.server import _Coalescing

    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def get_extra_info(self, name: str) -> str:
            return f"info {name}"

    async def scenario() -> None:
        real = Transport()
        t = _Coalescing(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"body")
        assert real.writes == []
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        t.write(b"last")
        t.close()  # what is gathered goes out before the close
        assert real.writes[-1] == b"last" and real.closed
        assert t.get_extra_info("peername") == "info peername"

    asyncio.run(scenario())
