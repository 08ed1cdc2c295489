"""Progress of long work: shown on a terminal after a while, never when piped, in CI, or for short work."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgpub.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_work_on_a_terminal_shows_its_phase_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    with Progress(out, after=0.0) as progress:
        progress.step("validating: 3 of 10 SHACL Core checks")
    text = out.getvalue()
    assert "validating: 3 of 10 SHACL Core checks" in text and " s] " in text
    assert text.endswith("\r\x1b[K")  # the line is cleared: what follows starts clean


def test_the_elapsed_time_moves_inside_one_long_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    with Progress(out, after=0.0) as progress:
        progress.step("writing: the store")
        time.sleep(1.3)  # one tick
    assert out.getvalue().count("writing: the store") >= 2


def test_short_work_says_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    with Progress(out) as progress:  # the default: only after 5 s
        progress.step("parsing")
    assert out.getvalue() == ""


def test_nothing_when_piped_or_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    piped = io.StringIO()
    with Progress(piped, after=0.0) as progress:
        progress.step("parsing")
    assert piped.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    out = Terminal()
    with Progress(out, after=0.0) as progress:
        progress.step("parsing")
    assert out.getvalue() == ""


def test_a_build_through_a_pipe_prints_no_status_line(tmp_path: Path) -> None:
    """The CLI as CI runs it: stderr is a pipe, so only the command's own lines appear."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CI": ""}
    done = subprocess.run([sys.executable, "-m", "kgpub", "build", "--project", str(root), "--releases",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert "\x1b[K" not in done.stderr + done.stdout and "\r" not in done.stderr
