"""A damaged release, as a user meets it: `kgpub serve` and `kgpub query` refuse it with one line, exit code 2."""

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.projects import write_project
from helpers.server import clean_env, free_port
from kgpub.build.pipeline import build
from kgpub.release import layout
from kgpub.settings import Settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_project(tmp_path_factory.mktemp("damaged") / "tiny")
    return build(Settings.load(env={}, project=project)).release.path


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the tiny project with its release (``release/current``), ready to be damaged."""
    copy = tmp_path / "tiny"
    shutil.copytree(built.parents[1], copy, symlinks=True)
    return copy


def _release(project: Path) -> Path:
    return (project / "release" / layout.CURRENT).resolve()


def _sst(project: Path) -> Path:
    return max((_release(project) / layout.STORE).glob("*.sst"), key=lambda p: p.stat().st_size)


def _truncate_sst(project: Path) -> str:
    sst = _sst(project)
    os.truncate(sst, 100)
    return f"store/{sst.name}: 100 bytes"


def _random_sst(project: Path) -> str:
    sst = _sst(project)
    sst.write_bytes(os.urandom(sst.stat().st_size))
    return f"store/{sst.name}: sha256 "


def _no_current(project: Path) -> str:
    (_release(project) / layout.STORE / "CURRENT").unlink()
    return "store/CURRENT: missing"


def _no_dump(project: Path) -> str:
    (_release(project) / "dataset.nq.gz").unlink()
    return "dataset.nq.gz: missing"


DAMAGES: dict[str, Callable[[Path], str]] = {
    "truncated sst": _truncate_sst, "random sst": _random_sst, "no store/CURRENT": _no_current,
    "deleted dump": _no_dump}


def _kgpub(*args: str, deadline: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the CLI; one still running at ``deadline`` (a server that did not refuse) is stopped as a user would."""
    cmd = [sys.executable, "-m", "kgpub", *args]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()) as proc:
        try:
            out, err = proc.communicate(timeout=deadline)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # uvicorn stops its workers and exits
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"kgpub {args[0]} still running after {deadline} s instead of refusing:\n{err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _refused(done: subprocess.CompletedProcess[str], expected: str, release: Path) -> None:
    """Exit code 2 and exactly one line on stderr: ``error: <release>: ... <expected> ...``."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"error: {release}: the release is damaged"), done.stderr
    assert expected in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("damage", DAMAGES)
def test_serve_refuses_a_damaged_release(project: Path, damage: str) -> None:
    expected = DAMAGES[damage](project)
    done = _kgpub("serve", "--project", str(project), "--release", str(_release(project)),
                  "--port", str(free_port()), deadline=20)
    _refused(done, expected, _release(project))


def test_serve_refuses_a_damaged_store_of_an_older_release_by_what_pyoxigraph_says(project: Path) -> None:
    """Releases written before the store's files were recorded: the store itself refuses to open."""
    manifest = _release(project) / layout.MANIFEST
    manifest.write_text(json.dumps({k: v for k, v in json.loads(manifest.read_text()).items() if k != "store_files"}))
    _truncate_sst(project)
    done = _kgpub("serve", "--release", str(_release(project)), "--port", str(free_port()), deadline=20)
    _refused(done, f"{_release(project) / layout.STORE}: the store cannot be opened (Corruption: ", _release(project))



@pytest.mark.parametrize("damage", ["truncated sst", "deleted dump"])
def test_query_refuses_a_damaged_current_release(project: Path, damage: str) -> None:
    expected = DAMAGES[damage](project)
    done = _kgpub("query", "--project", str(project), "SELECT * { ?s ?p ?o } LIMIT 1")
    _refused(done, expected, _release(project))


def test_serve_refuses_a_damaged_current_release(project: Path) -> None:
    expected = _truncate_sst(project)
    done = _kgpub("serve", "--project", str(project), "--port", str(free_port()), deadline=20)
    _refused(done, expected, _release(project))


def test_build_writes_a_damaged_release_again_and_then_it_serves(project: Path) -> None:
    _truncate_sst(project)
    _no_dump(project)
    done = _kgpub("build", "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert f"Release {_release(project).name} written" in done.stdout  # not "unchanged": it was damaged
    done = _kgpub("query", "--project", str(project), "--format", "csv", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert (done.returncode, done.stdout.split()) == (0, ["n", "8"]), done.stderr
