"""The README is executable documentation: its commands are the ones CI and users run."""

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.fresh_copy import FreshCopy
from helpers.readme import README, ROOT, command
from helpers.stash import FRESH_COPY
from kgpub.cli.commands import cli
from kgpub.settings import ENV_PREFIX, Settings


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
def test_readme_run_command_works_on_a_fresh_copy(request: pytest.FixtureRequest) -> None:
    """The run command on a copy without .venv or release: it installs, builds a release and serves it.

    conftest starts it when the session is collected (it is mostly pip); here it is checked."""
    fresh = request.config.stash.get(FRESH_COPY, None) or FreshCopy(command("run-command"))
    try:
        answer = fresh.answer("/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", deadline=900)
        assert answer == '{"head":{},"boolean":true}'
        assert (fresh.copy / "release" / "current" / "manifest.json").is_file()
    finally:
        err = fresh.stop()
    assert "No release yet: building one first." in err and "Serving release " in err, err[-3000:]


def test_tools_configured_in_pyproject_pass() -> None:
    bin_dir = Path(sys.executable).parent
    ruff = subprocess.run([str(bin_dir / "ruff"), "check", "."], cwd=ROOT, capture_output=True,
                          text=True)
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([str(bin_dir / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout
