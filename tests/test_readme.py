"""The README is executable documentation: its commands are the ones CI and users run."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kgpub.cli import cli
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


def test_every_command_and_setting_is_documented() -> None:
    for name in cli.commands:
        assert f"`kgpub {name}" in README, name
    for field in Settings.__dataclass_fields__:
        if field not in ("host", "port"):  # documented with `serve`
            assert f"`{ENV_PREFIX}{field.upper()}`" in README, field


@pytest.mark.slow
def test_readme_run_command_works_on_a_fresh_copy(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "release", ".git", "*.egg-info",
                                                             "__pycache__", ".*_cache"))
    out = subprocess.run(["bash", "-c", command("run-command")], cwd=copy, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Validation conforms" in out.stdout
    assert (copy / "release" / "current" / "manifest.json").is_file()


def test_tools_configured_in_pyproject_pass() -> None:
    bin_dir = Path(sys.executable).parent
    ruff = subprocess.run([str(bin_dir / "ruff"), "check", "."], cwd=ROOT, capture_output=True,
                          text=True)
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([str(bin_dir / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout
