"""The Node.js clients of the end-to-end tests: Comunica, installed in ``tests/node`` by ``npm ci``.

``scripts/setup-test-tools.sh`` installs the exact versions of ``tests/node/package-lock.json``;
a missing Node.js or a missing install follows :func:`helpers.requirements.missing` (a skip
with the reason, a failure under ``CI=true``). Commands run as a user runs them (:func:`run`),
or several queries run in one engine through ``tests/node/query.cjs`` (:func:`query`: Comunica's
start-up is paid once). Every run has a hard time limit, loads ``tests/node/no-network.cjs``
(the process may connect to 127.0.0.1 only; anything else is refused and reported on standard
error) and is killed with its whole process group when the limit passes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.projects import ROOT
from helpers.requirements import missing

NODE_DIR = ROOT / "tests" / "node"
GUARD = NODE_DIR / "no-network.cjs"
QUERY_SCRIPT = NODE_DIR / "query.cjs"
GUARD_MARK = "kgpub-no-network: refused "
INSTALL = "sh scripts/setup-test-tools.sh (npm ci --prefix tests/node)"
LINK_TRAVERSAL = "comunica-sparql-link-traversal"
SPARQL = "comunica-sparql"
PACKAGES = {LINK_TRAVERSAL: "@comunica/query-sparql-link-traversal", SPARQL: "@comunica/query-sparql"}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def node() -> str:
    path = shutil.which("node")
    if path is None:
        missing("Node.js (node) is not available; the Comunica clients need it")
    return path


def binary(name: str) -> Path:
    """The installed command ``name`` (``comunica-sparql``, ``comunica-sparql-link-traversal``)."""
    node()
    path = NODE_DIR / "node_modules" / ".bin" / name
    if not path.is_file():
        missing(f"{name} is not installed in {NODE_DIR}; run {INSTALL}")
    return path


def version(name: str) -> str:
    """The installed version of the npm package behind the command ``name``."""
    manifest = NODE_DIR / "node_modules" / PACKAGES[name] / "package.json"
    data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    return str(data["version"])


def pinned(name: str) -> str:
    """The exact version ``tests/node/package.json`` asks for."""
    data: dict[str, Any] = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    return str(data["dependencies"][PACKAGES[name]])


@dataclass(frozen=True)
class Run:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    def refused_by_guard(self) -> list[str]:
        """What no-network.cjs refused: every connection the process tried beyond 127.0.0.1."""
        return [line.split(GUARD_MARK, 1)[1] for line in self.stderr.splitlines() if GUARD_MARK in line]

    def json(self) -> Any:
        assert self.returncode == 0, f"{self.command} exited with {self.returncode}:\n{self.stderr}"
        return json.loads(self.stdout)


def environment() -> dict[str, str]:
    """This environment without proxy variables (the tests name their proxy), with the no-network guard."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES and k != "NODE_OPTIONS"}
    env["NODE_OPTIONS"] = f"--require={GUARD}"
    env["NO_COLOR"] = "1"
    return env


def run(name: str, *args: str, timeout: float) -> Run:
    """Run the installed command ``name`` with ``args``, as a user runs it."""
    return _run([node(), str(binary(name)), *args], None, timeout)


def query(engine: str, job: dict[str, Any], *, timeout: float) -> tuple[dict[str, Any], Run]:
    """Run several queries in one engine (``link-traversal`` or ``sparql``) with ``tests/node/query.cjs``.

    ``job``: ``sources``, ``proxy`` (a prefix or None), ``lenient``, ``queries`` (name → SPARQL).
    The answer maps each name to its SPARQL JSON results, or to ``{"error": …}``.
    """
    binary(LINK_TRAVERSAL if engine == "link-traversal" else SPARQL)  # installed, else missing()
    done = _run([node(), str(QUERY_SCRIPT), engine], json.dumps(job), timeout)
    answers: dict[str, Any] = done.json()
    return answers, done


def _run(command: list[str], stdin: str | None, timeout: float) -> Run:
    """Run ``command`` in tests/node; its whole process group is killed after ``timeout`` seconds."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), cwd=NODE_DIR,
                            start_new_session=True)
    try:
        out, err = proc.communicate(None if stdin is None else stdin.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"{command} did not finish within {timeout} s:\n{err.decode(errors='replace')}"
                             ) from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return Run(command, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
