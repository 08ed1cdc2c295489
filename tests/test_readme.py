"""The README is executable documentation: its commands are the ones CI and users run."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kgpub.cli.commands import cli
from kgpub.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command(marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", README)
    assert m, f"README has no {marker} block"
    return m.group(1)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert lines[-1] == command("test-command")


def test_every_error_code_is_documented() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))]

    import kgpub.errors as errors

    codes = {c.code for c in subclasses(errors.KgpubError) if "code" in vars(c)} - {"error"}
    assert codes, "error classes carry codes"
    for code in sorted(codes):
        assert f"`{code}`" in README.split("## Errors", 1)[1], code


def test_every_command_and_setting_is_documented() -> None:
    for name in cli.commands:
        assert f"`kgpub {name}" in README, name
    for field in Settings.__dataclass_fields__:
        assert f"`{ENV_PREFIX}{field.upper()}`" in README, field


@pytest.mark.slow
def test_readme_run_command_works_on_a_fresh_copy(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    junk = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", ".*_cache")

    def ignore(folder: str, names: list[str]) -> set[str]:  # the built releases, not the src/kgpub/release package
        return set(junk(folder, names)) | ({"release"} if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, copy, ignore=ignore)
    port = free_port()
    server = subprocess.Popen(["bash", "-c", command("run-command")], cwd=copy, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "KGPUB_PORT": str(port)},
                              start_new_session=True)
    try:
        answer = wait_for(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", deadline=900,
                          process=server)
        assert answer == '{"head":{},"boolean":true}'
        assert (copy / "release" / "current" / "manifest.json").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert "No release yet: building one first." in err and "Serving release " in err, err[-3000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, *, deadline: float, process: subprocess.Popen[str]) -> str:
    """The body of the first successful GET of ``url``, polling until ``deadline`` seconds pass
    (failing at once when ``process``, which should be serving it, has exited)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"the run command exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {deadline} s")


def test_tools_configured_in_pyproject_pass() -> None:
    bin_dir = Path(sys.executable).parent
    ruff = subprocess.run([str(bin_dir / "ruff"), "check", "."], cwd=ROOT, capture_output=True,
                          text=True)
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([str(bin_dir / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout
