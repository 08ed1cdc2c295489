"""A new release while serving (issue 11, faults): ``kgpub serve`` over a releases folder follows its ``current``.

A build made while the server runs is served once it is complete, swapped whole: queries running meanwhile
answer either the old release or the new, never an error and never a mix; a failed build leaves the old
release serving and ``/readyz`` says why; ``SIGHUP`` checks at once when the watch is off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from helpers.projects import TINY_DATA, write_project
from helpers.server import Server, clean_env, serve

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kgpub", "build", "--project", str(project)], capture_output=True,
                          text=True, env=clean_env(), timeout=120)


def count(server: Server) -> int:
    r = httpx.get(server.sparql, params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"},
                  timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def wait_for_release(server: Server, version: str, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while server.health()["release"] != version:
        if time.monotonic() > end:
            pytest.fail(f"still serving {server.health()['release']}, not {version}")
        time.sleep(0.1)


def current_version(project: Path) -> str:
    return os.readlink(project / "release" / "current")


def test_a_new_build_is_served_whole_and_a_failed_one_leaves_the_old_serving(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    assert build(project).returncode == 0
    with serve(project, env={"KGPUB_WATCH_INTERVAL": "0.3"}) as server:
        before = count(server)
        seen: set[int] = set()
        errors: list[str] = []
        stop = threading.Event()

        def ask_all_the_time() -> None:
            with httpx.Client(timeout=10) as client:
                for _ in range(5000):  # bounded; stopped long before
                    if stop.is_set():
                        return
                    r = client.get(server.sparql, params={"query": COUNT},
                                   headers={"Accept": "application/sparql-results+json"})
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                    else:
                        seen.add(int(r.json()["results"]["bindings"][0]["n"]["value"]))

        asker = threading.Thread(target=ask_all_the_time)
        asker.start()
        try:
            (project / "data" / "main.ttl").write_text(TINY_DATA + "ex:c a ex:Thing ; rdfs:label \"C\"@en .\n",
                                                       encoding="utf-8")
            assert build(project).returncode == 0
            wait_for_release(server, current_version(project))
            time.sleep(0.5)
        finally:
            stop.set()
            asker.join(30)
        after = count(server)
        assert after == before + 2 and seen <= {before, after} and not errors, (seen, errors[:3])

        # a build that fails publishes nothing: the old release serves on, and readiness says why
        (project / "data" / "main.ttl").write_text("@prefix ex: <http://example.org/> .\nex:broken ex:p .\n",
                                                   encoding="utf-8")
        failed = build(project)
        assert failed.returncode == 2 and "syntax error" in failed.stderr
        ready = httpx.get(f"{server.base}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["backend"]["newest_build_failed"]["code"] == "source_syntax"
        assert count(server) == after and server.health()["release"] == current_version(project)


def test_sighup_picks_up_the_new_release_when_the_watch_is_off(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    assert build(project).returncode == 0
    with serve(project, env={"KGPUB_WATCH_INTERVAL": "0"}) as server:
        first = server.health()["release"]
        (project / "data" / "main.ttl").write_text(TINY_DATA + "ex:d a ex:Thing ; rdfs:label \"D\"@en .\n",
                                                   encoding="utf-8")
        assert build(project).returncode == 0
        time.sleep(1.0)
        assert server.health()["release"] == first  # no watch: nothing changes by itself
        server.proc.send_signal(signal.SIGHUP)
        wait_for_release(server, current_version(project), seconds=15)
