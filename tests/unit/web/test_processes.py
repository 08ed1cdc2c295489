"""``kgpub.web.processes``: the port held for the server processes, the kernel spreading connections over them, and
what a server process refuses before it serves (the whole supervisor runs in ``tests/e2e/test_processes.py``).

Raw sockets on 127.0.0.1, every one with a timeout or non-blocking, every loop bounded.
"""

from __future__ import annotations

import errno
import io
import pickle
import socket
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from kgpub.errors import InputError
from kgpub.settings import Settings
from kgpub.web import processes

pytestmark = pytest.mark.skipif(not processes.supported(), reason="SO_REUSEPORT spreads connections on Linux only")

HOST = "127.0.0.1"
CONNECTIONS = 64


@contextmanager
def held(port: int = 0) -> Iterator[int]:
    """The port as the supervisor holds it while it runs."""
    sockets = processes.reserve(HOST, port)
    try:
        yield sockets[0].getsockname()[1]
    finally:
        for sock in sockets:
            sock.close()


def ordinary_listener(port: int = 0) -> socket.socket:
    """A socket as an ordinary server binds it (``SO_REUSEADDR``, as asyncio and uvicorn do), listening."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen()
    return sock


def accepted(listeners: list[socket.socket], connections: int) -> list[int]:
    """Open ``connections`` connections to the listeners' port; how many each listener accepted."""
    port = listeners[0].getsockname()[1]
    for sock in listeners:
        sock.setblocking(False)
    counts = [0] * len(listeners)
    clients = []
    try:
        for _ in range(connections):
            clients.append(socket.create_connection((HOST, port), timeout=5))
        end = time.monotonic() + 5
        while sum(counts) < connections and time.monotonic() < end:
            for i, sock in enumerate(listeners):
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    continue
                conn.close()
                counts[i] += 1
            time.sleep(0.001)
    finally:
        for client in clients:
            client.close()
    return counts


def test_a_port_something_listens_on_is_refused() -> None:
    with closing(ordinary_listener()) as other, pytest.raises(OSError) as refused:
        processes.reserve(HOST, other.getsockname()[1])
    assert refused.value.errno == errno.EADDRINUSE


def test_a_held_port_is_refused_to_a_second_supervisor_and_to_an_ordinary_server() -> None:
    """Binding with SO_REUSEPORT would silently join the first group: the check binds without it, and fails."""
    with held() as port:
        with pytest.raises(OSError) as second:
            processes.reserve(HOST, port)
        assert second.value.errno == errno.EADDRINUSE
        with pytest.raises(OSError) as ordinary:
            ordinary_listener(port)
        assert ordinary.value.errno == errno.EADDRINUSE


def test_a_port_just_left_by_an_ordinary_server_can_be_held() -> None:
    """Its closed connections wait in TIME_WAIT for a minute; the port is free all the same."""
    with closing(ordinary_listener()) as before:
        port = before.getsockname()[1]
        with closing(socket.create_connection((HOST, port), timeout=5)) as client:
            conn, _ = before.accept()
            conn.close()  # the server closes first: its side of the connection stays in TIME_WAIT
            client.recv(1)
    with held(port) as again:
        assert again == port


def test_port_0_is_chosen_once_and_every_server_process_binds_it() -> None:
    with held(0) as port:
        assert port > 0
        mine = [processes.listeners(HOST, port) for _ in range(2)]
        try:
            assert all(len(sockets) == 1 and sockets[0].getsockname()[1] == port for sockets in mine)
        finally:
            for sockets in mine:
                for sock in sockets:
                    sock.close()


def test_the_kernel_spreads_connections_over_the_listening_processes_and_none_over_the_holder() -> None:
    """Two server processes' sockets listen: both get connections (by a hash of each connection's addresses), and
    the holding socket, which never listens, gets none (every connection is accepted by a listener)."""
    with held() as port:
        listeners = [sock for _ in range(2) for sock in processes.listeners(HOST, port)]
        try:
            for sock in listeners:
                sock.listen()
            counts = accepted(listeners, CONNECTIONS)
        finally:
            for sock in listeners:
                sock.close()
    assert sum(counts) == CONNECTIONS, counts
    assert min(counts) > 0, counts  # 2 × 2^-64 for an even hash


def test_a_listener_that_is_bound_but_not_yet_listening_gets_no_connection() -> None:
    """A server process binds first and listens once its application has started: no connection waits on it."""
    with held() as port:
        starting = processes.listeners(HOST, port)
        ready = processes.listeners(HOST, port)
        try:
            ready[0].listen()
            counts = accepted(ready, 16)
        finally:
            for sock in (*starting, *ready):
                sock.close()
    assert counts == [16]


def test_a_server_process_refuses_a_port_an_ordinary_server_listens_on(tmp_path: Path) -> None:
    with closing(ordinary_listener()) as other:
        settings = Settings.load(env={}, project=tmp_path, port=other.getsockname()[1])
        code = processes.child(io.BytesIO(pickle.dumps(settings)), io.BytesIO())
    assert code == processes.STARTUP_FAILURE


def test_a_server_process_without_a_release_says_so_with_the_release_error_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.load(env={}, project=tmp_path, port=0)
    out = io.BytesIO()
    code = processes.child(io.BytesIO(pickle.dumps(settings)), out)
    assert code not in (0, processes.STARTUP_FAILURE)
    assert "error: " in capsys.readouterr().err
    assert out.getvalue() == b""  # never said it was ready


def test_processes_is_a_positive_setting_of_its_own() -> None:
    assert Settings.load(env={}).processes == 1
    assert Settings.load(env={"KGPUB_PROCESSES": "3"}).processes == 3
    with pytest.raises(InputError, match="KGPUB_PROCESSES=0"):
        Settings.load(env={"KGPUB_PROCESSES": "0"})


@pytest.mark.parametrize(("code", "said"), [(3, "code 3"), (-9, "signal 9 (SIGKILL)"), (-15, "signal 15 (SIGTERM)")])
def test_exit_statuses_are_described_as_people_read_them(code: int, said: str) -> None:
    assert processes.describe(code) == said
