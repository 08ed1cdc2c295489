"""``kgpub serve --processes N``: N whole server processes on one port, and the small supervisor that keeps them.

Reads scale by replicating an immutable release: every process is a complete server (its own
:class:`~kgpub.site.Site`, query workers, answer cache, event loop and HTTP limits), and they share nothing but
the release folder, which they only read. So an answer's bytes and ETag do not depend on the process that
gives it, and the processes need no coordination.

**The supervisor** answers no request: ``kgpub serve`` (having built a release if there was none) replaces
itself by ``python -m kgpub.web.processes --supervise`` (``exec``: the same process id), so the supervisor holds
none of what the command line loaded (~13 MB instead of ~45 MB, or a whole build's memory).

**One port, Linux's ``SO_REUSEPORT``.** The supervisor first checks that nothing listens on the port, then holds
it: sockets bound with ``SO_REUSEPORT`` that never listen, so no connection is ever queued on them, no other
program can take the port while a server process restarts, and port 0 gets its number (:func:`reserve`). Each
server process binds its own ``SO_REUSEPORT`` socket on that port and listens only once its application has
started (uvicorn listens after the lifespan startup), so the kernel spreads new connections over the processes
that are ready, by a hash of each connection's addresses. A process that exits takes its socket with it: new
connections go to the others at once (only the connections already queued on it and not yet accepted are reset).

Why not uvicorn's own ``workers=``: it needs the application as an import string (ours is made from the
settings and the opened release), it shares one listening socket (every process is woken for every connection,
and the busiest often wins the race), and its ``SIGHUP`` restarts every process where ours asks each to look
at the releases folder's ``current`` (:meth:`kgpub.site.Site.reload`).

**Signals.** ``SIGTERM`` and ``SIGINT``: each server process is sent ``SIGTERM`` once (it finishes the answers
under way and stops its workers), is waited for up to :func:`grace` seconds, then killed. ``SIGHUP`` is passed
to every server process that is up. The server processes are in a process group of their own, so a terminal's
Ctrl-C reaches only the supervisor, which asks each once (a second ``SIGINT`` makes uvicorn stop at once).

**Supervision.** A server process that exits while the supervisor runs is replaced, after a pause that doubles
while replacements fail (:data:`BACKOFF` to :data:`MAX_BACKOFF` s). One that fails before all of them have
started (the port taken, a damaged release) stops everything, with its message and exit code, rather than
being retried for ever. A server process whose supervisor is gone (its standard input closes) stops itself.

The settings go to each server process whole, pickled on its standard input (never on a command line, which
any user can read); its standard output carries one line, :data:`READY`, once it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import pickle
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from kgpub.errors import InputError, KgpubError
from kgpub.settings import Settings

log = logging.getLogger(__name__)

MODULE = "kgpub.web.processes"
READY = b"kgpub-process-ready "
"""The prefix of the line a server process writes on its standard output once it serves (JSON follows)."""
SUPERVISE = "--supervise"
"""``python -m kgpub.web.processes --supervise FD``: the supervisor, its settings pickled on the pipe FD; without
it, one server process, its settings pickled on standard input."""
PIPE_CAPACITY = 16384
STARTUP_FAILURE = 3  # as kgpub.web.server: the port could not be had
BACKOFF = 0.5
MAX_BACKOFF = 30.0
STABLE = 30.0
"""A process that served this long before it exited is replaced at once (its failures are forgotten)."""


def grace(settings: Settings) -> float:
    """How long a server process may take to stop once asked: its longest query and a margin."""
    return settings.query_timeout + 10.0


def supported() -> bool:
    """Whether connections can be spread over processes on one port here (Linux's ``SO_REUSEPORT``)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve(settings: Settings) -> NoReturn:
    """Become the supervisor of ``settings.processes`` server processes (see :func:`supervise`).

    This process (the command line, with everything it loaded, a whole build perhaps) is replaced by a fresh,
    small Python running :func:`supervise` (``exec``: the same process id, so a service manager or a shell
    still holds the server); the settings go over a pipe, never on the command line."""
    if not supported():
        raise InputError(f"--processes {settings.processes} (KGPUB_PROCESSES) needs Linux, where SO_REUSEPORT "
                         "spreads one port's connections over processes; elsewhere run one kgpub serve per port "
                         "behind a proxy")
    data = pickle.dumps(settings)
    if len(data) > PIPE_CAPACITY:  # written whole before exec, so it must fit the pipe
        raise InputError(f"the settings take {len(data)} bytes; at most {PIPE_CAPACITY} go to the supervisor")
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    os.set_inheritable(read, True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", MODULE, SUPERVISE, str(read)])


def supervise(settings: Settings) -> int:
    """Run ``settings.processes`` server processes on one port until SIGTERM or SIGINT; the exit code."""
    try:
        held = reserve(settings.host, settings.port)
    except OSError as e:
        print(f"error: cannot listen on {settings.host}:{settings.port}: {e.strerror or e}", file=sys.stderr)
        return STARTUP_FAILURE
    try:
        port = held[0].getsockname()[1]
        return asyncio.run(Supervisor(replace(settings, port=port)).run())
    finally:
        for sock in held:
            sock.close()


# --------------------------------------------------------------------------- sockets


def addresses(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple[Any, ...]]]:
    """Where to listen for ``host`` (every address it names, as asyncio's ``create_server`` does)."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    unique: dict[tuple[Any, ...], tuple[socket.AddressFamily, tuple[Any, ...]]] = {}
    for family, _, _, _, address in found:
        unique.setdefault((family, address[:2]), (family, tuple(address)))
    return list(unique.values())


def bound(family: socket.AddressFamily, address: tuple[Any, ...], *, reuse_port: bool,
          reuse_address: bool = True) -> socket.socket:
    """A TCP socket bound to ``address``, not listening (options as asyncio sets them, and ``SO_REUSEPORT``)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def reserve(host: str, port: int) -> list[socket.socket]:
    """Check that nothing uses ``host:port`` and hold it for the server processes (see the module docstring).

    The check binds as an ordinary server does (``SO_REUSEADDR``, no ``SO_REUSEPORT``), which fails if anything
    listens there, another group of server processes included (binding with ``SO_REUSEPORT`` would silently join
    theirs). The holding sockets have ``SO_REUSEPORT`` but not ``SO_REUSEADDR``, so that an ordinary bind fails
    while they hold the port even when no server process listens; only when connections of an ordinary server
    that stopped are still in TIME_WAIT there do they take ``SO_REUSEADDR`` too (else they could not bind for a
    minute), and then hold the port only while a server process listens. Between the check and the holding
    sockets another program could take the port; the holding sockets then fail to bind."""
    places = addresses(host, port)
    chosen = port
    for family, address in places:
        probe = bound(family, (address[0], chosen, *address[2:]), reuse_port=False)
        chosen = probe.getsockname()[1]  # port 0: the first address chooses, the others follow
        probe.close()
    held: list[socket.socket] = []
    try:
        for family, address in places:
            place = (address[0], chosen, *address[2:])
            try:
                held.append(bound(family, place, reuse_port=True, reuse_address=False))
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
                held.append(bound(family, place, reuse_port=True))  # TIME_WAIT of an earlier server: see above
    except BaseException:
        for sock in held:
            sock.close()
        raise
    return held


def listeners(host: str, port: int) -> list[socket.socket]:
    """This server process's own sockets on the shared port (bound; asyncio listens once the app has started)."""
    sockets: list[socket.socket] = []
    try:
        for family, address in addresses(host, port):
            sockets.append(bound(family, address, reuse_port=True))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


# --------------------------------------------------------------------------- the supervisor


@dataclass(eq=False)
class _Child:
    """One server process and what it said."""

    proc: asyncio.subprocess.Process
    ready: asyncio.Future[dict[str, Any]]
    reader: asyncio.Task[None] | None = None
    up_at: float = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid


class _StartFailed(Exception):
    def __init__(self, pid: int, code: int) -> None:
        super().__init__(f"server process {pid} exited with {describe(code)} before it served")
        self.code = code


@dataclass(eq=False)
class Supervisor:
    """Starts ``settings.processes`` server processes, replaces those that exit, passes signals on."""

    settings: Settings
    python: str = sys.executable
    children: dict[int, _Child] = field(default_factory=dict)  # slot -> its process now
    replaced: int = 0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.forward, signal.SIGHUP)
        count = self.settings.processes
        firsts: list[asyncio.Future[dict[str, Any]]] = [loop.create_future() for _ in range(count)]
        slots = [loop.create_task(self._keep(slot, firsts[slot])) for slot in range(count)]
        stop = loop.create_task(self._stopping.wait())
        code = 0
        try:
            started = asyncio.gather(*firsts)
            either: list[asyncio.Future[Any]] = [started, stop]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if started.done() and started.exception() is None:
                self._announce(started.result())
                await stop
            elif started.done():
                failure = started.exception()
                print(f"error: {failure}; stopping", file=sys.stderr)
                code = failure.code if isinstance(failure, _StartFailed) and failure.code > 0 else 1
            else:
                started.cancel()
                with contextlib.suppress(asyncio.CancelledError, _StartFailed):
                    await started
        finally:
            self._stopping.set()
            for task in slots:
                task.cancel()
            await asyncio.gather(*slots, return_exceptions=True)
            await self._stop_all()
            stop.cancel()
            for first in firsts:  # a second failed start is not worth a "never retrieved" warning
                if first.done() and not first.cancelled():
                    first.exception()
        return code

    def _announce(self, ready: list[dict[str, Any]]) -> None:
        s = self.settings
        pids = ", ".join(str(r["pid"]) for r in ready)
        print(f"Serving release {ready[0]['release']} at http://{s.host}:{s.port}/sparql: {s.processes} server "
              f"processes (pids {pids}), {s.workers} query workers each", file=sys.stderr, flush=True)

    async def _keep(self, slot: int, first: asyncio.Future[dict[str, Any]]) -> None:
        """Keep one server process running in ``slot``: start it, wait for its exit, replace it."""
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping.is_set():
            child = await self._start()
            self.children[slot] = child
            exited = loop.create_task(child.proc.wait())
            either: list[asyncio.Future[Any]] = [child.ready, exited]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not child.ready.done():  # it exited before it served
                code = exited.result()
                if not first.done():
                    first.set_exception(_StartFailed(child.pid, code))
                    return
                if self._stopping.is_set():
                    return
                failures += 1
                delay = min(MAX_BACKOFF, BACKOFF * 2 ** (failures - 1))
                log.error("server process %d exited with %s before it served; starting another in %g s",
                          child.pid, describe(code), delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                continue
            if not first.done():
                first.set_result(child.ready.result())
            child.up_at = loop.time()
            code = await exited
            if self._stopping.is_set():
                return
            failures = 0 if loop.time() - child.up_at >= STABLE else failures + 1
            delay = 0.0 if failures == 0 else min(MAX_BACKOFF, BACKOFF * 2 ** (failures - 1))
            self.replaced += 1
            log.error("server process %d exited with %s; starting another%s", child.pid, describe(code),
                      f" in {delay:g} s" if delay else "")
            if delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)

    async def _start(self) -> _Child:
        proc = await asyncio.create_subprocess_exec(
            self.python, "-m", MODULE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            process_group=0)  # a terminal's Ctrl-C is for the supervisor, which asks each process once
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps(self.settings))
        with contextlib.suppress(ConnectionError):  # it died at once: its exit says why
            await proc.stdin.drain()
        child = _Child(proc, asyncio.get_running_loop().create_future())
        child.reader = asyncio.get_running_loop().create_task(self._read(child))
        return child

    @staticmethod
    async def _read(child: _Child) -> None:
        """The server process's standard output: its ready line, and anything else passed on as it is."""
        assert child.proc.stdout is not None
        while line := await child.proc.stdout.readline():
            if line.startswith(READY) and not child.ready.done():
                child.ready.set_result(json.loads(line[len(READY):]))
                continue
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()

    def forward(self, sig: int) -> None:
        """Pass ``sig`` to every server process that serves (one still starting reads ``current`` anyway)."""
        for child in self.children.values():
            if child.ready.done() and child.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(sig)

    async def _stop_all(self) -> None:
        """``SIGTERM`` to each server process, then wait for them all (killed past the grace); none outlives us."""
        live = [c for c in self.children.values() if c.proc.returncode is None]
        for child in live:
            with contextlib.suppress(ProcessLookupError):
                child.proc.send_signal(signal.SIGTERM)
        waits = [asyncio.ensure_future(c.proc.wait()) for c in live]
        if waits:
            _, late = await asyncio.wait(waits, timeout=grace(self.settings))
            for child in live:
                if child.proc.returncode is None:
                    log.error("server process %d did not stop within %g s; killing it", child.pid,
                              grace(self.settings))
                    with contextlib.suppress(ProcessLookupError):
                        child.proc.kill()
            if late:
                await asyncio.wait(late, timeout=5)
        readers = [c.reader for c in self.children.values() if c.reader is not None]
        if readers:
            await asyncio.wait(readers, timeout=1)
        for child in self.children.values():
            if child.proc.stdin is not None:
                child.proc.stdin.close()


def describe(code: int) -> str:
    """An exit status as people read it: ``code 3``, ``signal 9 (SIGKILL)``."""
    if code >= 0:
        return f"code {code}"
    try:
        return f"signal {-code} ({signal.Signals(-code).name})"
    except ValueError:
        return f"signal {-code}"


# --------------------------------------------------------------------------- one server process


def child(stdin: Any = None, stdout: Any = None) -> int:
    """A server process: settings from standard input, its own sockets on the shared port, a whole server."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    settings = pickle.load(stdin)
    if not isinstance(settings, Settings):
        print("error: a server process needs its settings on standard input", file=sys.stderr)
        return 2
    try:
        sockets = listeners(settings.host, settings.port)
    except OSError as e:
        print(f"error: cannot listen on {settings.host}:{settings.port}: {e.strerror or e}", file=sys.stderr)
        return STARTUP_FAILURE
    from kgpub.release.reader import open_release

    try:
        release = open_release(settings.release if settings.release is not None else settings.releases_dir)
    except KgpubError as e:
        for sock in sockets:
            sock.close()
        print(f"error: {e.message}", file=sys.stderr)
        return e.exit_code
    from kgpub.site import Site  # the web stack, once there is something to serve
    from kgpub.web import server
    from kgpub.web.app import create_app

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the site follows `current` (then SIGHUP reloads)
    threading.Thread(target=_stop_when_closed, args=(stdin,), name="supervisor-watch", daemon=True).start()
    ready = _ready_line(stdout, {"pid": os.getpid(), "release": release.version})
    server.run(create_app(Site(settings, release)), settings, sockets=sockets, started=ready)
    return 0


def _ready_line(stdout: Any, said: dict[str, Any]) -> Callable[[], None]:
    def ready() -> None:
        stdout.write(READY + json.dumps(said).encode() + b"\n")
        stdout.flush()

    return ready


def _stop_when_closed(stdin: Any) -> None:
    """Wait for the end of standard input (the supervisor is gone, or stopping); then stop as on ``SIGTERM``."""
    with contextlib.suppress(OSError, ValueError):
        while stdin.read(65536):
            pass
    time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    if argv[1:2] == [SUPERVISE]:
        with os.fdopen(int(argv[2]), "rb") as pipe:
            settings = pickle.load(pipe)
        assert isinstance(settings, Settings)
        return supervise(settings)
    return child()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
