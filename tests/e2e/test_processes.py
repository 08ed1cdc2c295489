"""``kgpub serve --processes 2`` (issue 12, many readers): two whole servers on one port answer alike.

The server is started as a user starts it; each request below goes over a fresh connection, so the kernel
spreads them over the processes (``SO_REUSEPORT``, a hash of the connection's addresses) and ``/healthz`` says
which process answered (``pid``); the other requests on that same connection went to that same process. Every
search for a second process is bounded (:data:`MAX_CONNECTIONS` connections, :data:`DEADLINE` seconds).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers.projects import TINY_DATA, write_project
from helpers.server import Server, built_copy, clean_env, serve
from kgpub.web import processes

pytestmark = pytest.mark.skipif(not processes.supported(), reason="--processes needs Linux (SO_REUSEPORT)")

MAX_CONNECTIONS = 200
DEADLINE = 20.0
STOP_WITHIN = 10.0  # seconds from SIGTERM until every process is gone (a few on a quiet machine)
COUNTRY = "/id/country/KR"
OVER_THE_HEADER_LIMIT = 70_000  # bytes of one header field; KGPUB_MAX_HEADER_BYTES is 65536
LABELS = ("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
          "ORDER BY ?s ?label LIMIT 50")
ASKED = {  # name: (path, parameters, headers)
    "document": (COUNTRY, {}, {"Accept": "text/turtle"}),
    "page": (COUNTRY, {}, {"Accept": "text/html", "Accept-Language": "ja"}),
    "query": ("/sparql", {"query": LABELS}, {"Accept": "application/sparql-results+json"}),
    "dump": ("/dump.nt", {}, {}),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    project = built_copy(tmp_path_factory.mktemp("processes") / "kjtrade")
    with serve(project, "--processes", "2") as running:
        yield running


def fresh(server: Server) -> httpx.Client:
    """A client of its own: its first request opens a new connection (a new source port, a new hash)."""
    return httpx.Client(base_url=server.base, timeout=10)


def health(client: httpx.Client) -> dict[str, Any]:
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def answering(server: Server, count: int = 2, *, besides: frozenset[int] = frozenset()) -> dict[int, dict[str, Any]]:
    """``/healthz`` of ``count`` different server processes (not in ``besides``), each on a fresh connection."""
    seen: dict[int, dict[str, Any]] = {}
    end = time.monotonic() + DEADLINE
    for _ in range(MAX_CONNECTIONS):
        with fresh(server) as client:
            found = health(client)
        if found["pid"] not in besides:
            seen.setdefault(found["pid"], found)
        if len(seen) >= count or time.monotonic() > end:
            break
    assert len(seen) >= count, f"{len(seen)} server process(es) answered {MAX_CONNECTIONS} connections: {seen}"
    return seen


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not); Linux /proc."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    end = time.monotonic() + seconds
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < end:
        time.sleep(0.05)
    return left


def test_two_processes_answer_the_same_bytes_and_etags_and_honour_each_others(server: Server) -> None:
    """A document, a page, a query and a dump: the same status, ETag and bytes from both processes; the ETag one
    process gave is a 304 at the other (a cache in front may revalidate with either); and each enforces the HTTP
    limits of ``kgpub.web.server`` (a header field over the limit is a 431)."""
    answers: dict[int, dict[str, tuple[int, str, str]]] = {}
    not_modified: dict[int, dict[str, int]] = {}
    end = time.monotonic() + DEADLINE
    for _ in range(MAX_CONNECTIONS):
        with fresh(server) as client:
            pid = health(client)["pid"]
            if pid not in answers:
                answers[pid] = {}
                for name, (path, params, headers) in ASKED.items():
                    r = client.get(path, params=params, headers=headers)
                    answers[pid][name] = (r.status_code, r.headers.get("etag", ""),
                                          hashlib.sha256(r.content).hexdigest())
            other = next((p for p in answers if p != pid), None)
            if other is not None and pid not in not_modified:
                not_modified[pid] = {}
                for name, (path, params, headers) in ASKED.items():
                    etag = answers[other][name][1]
                    r = client.get(path, params=params, headers={**headers, "If-None-Match": etag})
                    not_modified[pid][name] = r.status_code
            if "limit" not in answers[pid]:  # last: the 431 closes the connection (to this same process)
                refused = client.get("/healthz", headers={"X-Padding": "a" * OVER_THE_HEADER_LIMIT})
                answers[pid]["limit"] = (refused.status_code, "", "")
        if (len(not_modified) >= 1 and len(answers) >= 2) or time.monotonic() > end:
            break
    assert len(answers) == 2, f"one server process answered {MAX_CONNECTIONS} connections: {list(answers)}"
    first, second = answers.values()
    assert first.pop("limit")[0] == second.pop("limit")[0] == 431
    assert all(status == 200 and etag for status, etag, _ in first.values()), first
    assert first == second
    assert not_modified and all(status == 304 for codes in not_modified.values() for status in codes.values()), \
        not_modified


def test_a_killed_process_is_replaced_and_the_port_answers_meanwhile(server: Server) -> None:
    before = answering(server)
    victim, survivor = sorted(before)
    workers = set(before[victim]["backend"]["pids"])
    os.kill(victim, signal.SIGKILL)
    assert not wait_gone({victim}, 10), "the killed server process is still there"

    statuses = []
    for _ in range(20):  # right away: every connection goes to a process that serves
        with fresh(server) as client:
            statuses.append(client.get(COUNTRY, headers={"Accept": "text/turtle"}).status_code)
    assert statuses == [200] * 20

    replacement = next(iter(answering(server, 1, besides=frozenset(before))))  # a third pid serves
    assert set(answering(server)) == {survivor, replacement}
    assert not wait_gone(workers, 10), f"the killed process's query workers {workers} outlived it"
    assert "exited with signal 9 (SIGKILL); starting another" in server.stderr()


def test_a_start_that_cannot_succeed_stops_with_the_reason_instead_of_retrying(server: Server, tmp_path: Path) -> None:
    """A port something listens on: exit 3 at once, as one process does. A folder that is no release: each server
    process says why and exits; the supervisor stops with that exit code (2) rather than start them again."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kgpub", "serve", "--project", str(server.project),
                               "--processes", "2", *args], capture_output=True, text=True, env=clean_env(),
                              timeout=60, check=False)

    taken = run("--port", str(server.port))
    assert taken.returncode == 3 and "address already in use" in taken.stderr.lower(), taken.stderr
    (tmp_path / "empty").mkdir()
    damaged = run("--port", "0", "--release", str(tmp_path / "empty"))
    assert damaged.returncode == 2, damaged.stderr
    assert "before it served; stopping" in damaged.stderr and "Traceback" not in damaged.stderr, damaged.stderr


def build(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kgpub", "build", "--project", str(project)], capture_output=True,
                          text=True, env=clean_env(), timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sighup_reaches_every_process_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    """SIGHUP: each process looks at ``current`` (the watch is off) and serves the new release. SIGTERM: the
    supervisor, both server processes and all their query workers are gone within :data:`STOP_WITHIN` s."""
    project = write_project(tmp_path / "tiny")
    build(project)
    with serve(project, "--processes", "2", env={"KGPUB_WATCH_INTERVAL": "0"}) as running:
        old = answering(running)
        (project / "data" / "main.ttl").write_text(TINY_DATA + '<http://example.org/c> a <http://example.org/Thing> ; '
                                                   '<http://www.w3.org/2000/01/rdf-schema#label> "C"@en .\n',
                                                   encoding="utf-8")
        build(project)
        new_version = os.readlink(project / "release" / "current")
        assert all(h["release"] != new_version for h in old.values())
        running.proc.send_signal(signal.SIGHUP)
        end = time.monotonic() + DEADLINE
        while True:
            now = answering(running)
            if all(h["release"] == new_version for h in now.values()) or time.monotonic() > end:
                break
            time.sleep(0.2)
        assert {h["release"] for h in now.values()} == {new_version}, now
        assert set(now) == set(old)  # reloaded in place, not restarted

        everything = set(now) | {pid for h in now.values() for pid in h["backend"]["pids"]}
        started = time.monotonic()
        running.proc.send_signal(signal.SIGTERM)
        code = running.proc.wait(STOP_WITHIN)
        left = wait_gone(everything, max(0.1, STOP_WITHIN - (time.monotonic() - started)))
        took = time.monotonic() - started
    assert code == 0, running.stderr()
    assert not left, f"still running {took:.1f} s after SIGTERM: {sorted(left)}"
