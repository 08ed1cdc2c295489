"""A real ``kgpub serve`` process on a free port of 127.0.0.1, started exactly as a user starts it.

Shared by the end-to-end tests (``tests/e2e``): :func:`serve` runs it for a block and checks
that it stops cleanly, its workers with it, with no traceback in its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers.projects import copy_project

__all__ = ["HOST", "Server", "built_copy", "clean_env", "cli_query", "copy_project", "free_port", "serve"]

HOST = "127.0.0.1"
STARTUP_DEADLINE = 60.0  # seconds; includes building a release when the project has none
STOP_DEADLINE = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any KGPUB_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def built_copy(dest: Path) -> Path:
    """A copy of this repository's project at ``dest`` with its release built by ``kgpub build``, as a user would."""
    root = copy_project(dest)
    done = subprocess.run([sys.executable, "-m", "kgpub", "build", "--project", str(root)], capture_output=True,
                          text=True, env=clean_env(), timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


class Server:
    """A running ``kgpub serve`` process."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path, project: Path) -> None:
        self.proc, self.port, self.log, self.project = proc, port, log, project
        self.base = f"http://{HOST}:{port}"
        self.sparql = f"{self.base}/sparql"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def health(self) -> dict[str, Any]:
        r = httpx.get(f"{self.base}/healthz", timeout=5)
        assert r.status_code == 200, r.text
        health: dict[str, Any] = r.json()
        return health

    def workers(self) -> dict[str, Any]:
        """The query backend as /healthz reports it (size, live, idle, replaced, pids)."""
        backend: dict[str, Any] = self.health()["backend"]
        return backend

    def wait_for_full_pool(self, *, replaced_at_least: int = 0, deadline: float = 10.0) -> dict[str, Any]:
        """Poll /healthz until every worker is idle (and ``replaced`` has reached a count)."""
        end = time.monotonic() + deadline
        while True:
            health = self.health()
            workers = health["backend"]
            if workers["idle"] == workers["size"] and workers["replaced"] >= replaced_at_least:
                return health
            if time.monotonic() > end:
                pytest.fail(f"worker pool not back to full size within {deadline} s: {health}")
            time.sleep(0.05)


def _start(project: Path, args: tuple[str, ...], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "kgpub", "serve", "--project", str(project), "--port", str(port), *args]
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT,
                                env=env, cwd=project)
    return proc, port


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    """True when /healthz answers; False when the process exited because its port was taken."""
    end = time.monotonic() + STARTUP_DEADLINE
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < end:
            if proc.poll() is not None:
                text = log.read_text(errors="replace")
                if "address already in use" in text.lower():
                    return False
                pytest.fail(f"kgpub serve exited with {proc.returncode} before answering:\n{text}")
            try:
                if client.get(f"http://{HOST}:{port}/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    pytest.fail(f"kgpub serve did not answer /healthz within {STARTUP_DEADLINE} s:\n{log.read_text(errors='replace')}")


def _alive(pids: list[int]) -> list[int]:
    """Which of these processes still run (not zombies); Linux /proc."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


@contextmanager
def serve(project: Path, *args: str, env: Mapping[str, str] | None = None, clean_log: bool = True) -> Iterator[Server]:
    """Run ``kgpub serve`` on a free port until the block ends; then stop it and check it stopped cleanly
    (and, with ``clean_log``, that nothing it or its workers printed was a traceback: a traceback is a bug)."""
    log = project.parent / f"serve-{project.name}-{time.monotonic_ns()}.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        proc, port = _start(project, args, clean_env(env), log)
        if _wait_until_up(proc, port, log):
            break
    else:
        pytest.fail(f"kgpub serve could not bind a free port:\n{log.read_text(errors='replace')}")
    server = Server(proc, port, log, project)
    workers: list[int] = []
    try:
        yield server
    finally:
        try:
            workers = server.workers()["pids"]  # the pids the server itself reports
        except (httpx.HTTPError, AssertionError, KeyError):
            workers = []
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            pytest.fail(f"kgpub serve did not stop within {STOP_DEADLINE} s of SIGTERM:\n{server.stderr()}")
        # uvicorn shuts down gracefully, then re-raises the signal it caught (so -SIGTERM is a clean exit)
        assert code in (0, -signal.SIGTERM), f"kgpub serve exited with {code} on SIGTERM:\n{server.stderr()}"
        if clean_log:
            assert "Traceback" not in server.stderr(), server.stderr()
        end = time.monotonic() + 5
        while _alive(workers) and time.monotonic() < end:
            time.sleep(0.05)
        assert not _alive(workers), f"query workers {sorted(workers)} outlived the server"


def cli_query(project: Path, query: str, fmt: str = "json") -> bytes:
    """What ``kgpub query --format FMT`` prints for ``query`` on the project's current release."""
    done = subprocess.run([sys.executable, "-m", "kgpub", "query", "--project", str(project), "--format", fmt, query],
                          capture_output=True, env=clean_env(), timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


