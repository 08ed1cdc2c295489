"""The README's run command on a fresh copy of the repository, as a user runs it on a new machine.

Started as soon as the test session is collected (it is mostly pip, in its own process), and
checked when its test's turn comes: :meth:`FreshCopy.answer` waits for the server to answer.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from helpers.projects import ROOT

JUNK = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", ".*_cache", "node_modules")


def _ignore(folder: str, names: list[str]) -> set[str]:
    """What a fresh clone would not have: virtualenvs, caches, and the built releases (not src/kgpub/release)."""
    return set(JUNK(folder, names)) | ({"release"} if Path(folder) == ROOT else set())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FreshCopy:
    def __init__(self, command: str) -> None:
        self._stopped: str | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="kgpub-fresh-"))
        self.copy = self.workdir / "checkout"
        shutil.copytree(ROOT, self.copy, ignore=_ignore)
        self.port = free_port()
        self.out, self.err = self.workdir / "stdout.log", self.workdir / "stderr.log"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(["bash", "-c", command], cwd=self.copy, stdout=out, stderr=err,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env={**os.environ, "KGPUB_PORT": str(self.port)})

    def answer(self, path: str, *, deadline: float) -> str:
        """The body of the first successful GET of ``path``, polling until ``deadline`` seconds pass
        (failing at once when the run command has exited)."""
        url = f"http://127.0.0.1:{self.port}{path}"
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise AssertionError(f"the run command exited with {self.process.returncode} before answering:\n"
                                     + self.stderr()[-3000:])
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return str(response.read().decode())
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{url} did not answer within {deadline} s")

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> str:
        """Stop the server (and pip, if still running); its standard error. Once is enough."""
        if self._stopped is not None:
            return self._stopped
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._stopped = self.stderr()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self._stopped
