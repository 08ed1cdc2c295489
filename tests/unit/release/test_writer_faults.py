"""A write that fails or is killed never leaves a release to serve, and loses nothing (issue 11).

The previous ``current`` release stays current and intact, no folder a server could take for a
release is left behind, the error names the path and the cause, and the next build succeeds.
"""

import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from helpers.projects import write_project
from kgpub.build.pipeline import build
from kgpub.errors import InputError, KgpubError
from kgpub.release import history, layout, outcome, verify, writer
from kgpub.release.reader import Release, open_release
from kgpub.settings import Settings

G = "http://example.org/g"
FULL = os.strerror(errno.ENOSPC)  # "No space left on device"


def _draft(tag: str, n: int = 200) -> writer.Draft:
    quads = [Quad(NamedNode(f"http://example.org/{tag}{i}"), NamedNode("http://example.org/p"), Literal(f"{tag} {i}"),
                  NamedNode(G)) for i in range(n)]
    return writer.Draft(quads=quads, default_graphs=[G])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A releases folder whose ``current`` is release A."""
    folder = tmp_path / "releases"
    writer.write(_draft("a"), folder)
    return folder


def _state(root: Path) -> dict[str, object]:
    """Everything under ``root``: each file's bytes, each link's target, each folder (hidden ones included)."""
    found: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            found[rel] = (f"-> {os.readlink(path)}" if path.is_symlink() else "dir" if path.is_dir()
                          else path.read_bytes())
    return found


def _assert_as_before(root: Path, before: dict[str, object], current: str) -> None:
    assert _state(root) == before  # A untouched, `current` unchanged, nothing new (no temporary folder)
    release = open_release(root)
    assert release.version == current
    verify.verify(release)


def _full_disk(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, FULL, None if path is None else str(path))


class _FullStore:
    """A store that fills the disk while it is loaded (made for real, so its folder holds files)."""

    def __new__(cls, path: str | None = None) -> Any:
        if path is None:  # the writer's in-memory store of the draft: a real one
            return Store()
        return super().__new__(cls)

    def __init__(self, path: str | None = None) -> None:
        assert path is not None
        self.path, self.store = path, Store(path)

    def bulk_load(self, **_kwargs: object) -> None:
        raise _full_disk(Path(self.path) / "000009.sst")

    load = bulk_load  # small graphs go through the transactional loader


def _fail_writing(name: str | None) -> Callable[[Path, bytes], None]:
    """A ``writer._write_file`` that writes half of ``name`` (None: the first file) and then runs out of space."""
    real = writer._write_file
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        written.append(path)
        if path.name == name or (name is None and len(written) == 1):
            path.write_bytes(data[: len(data) // 2])
            raise _full_disk(path)
        real(path, data)

    return write


def _fail_dumping(name: str) -> Callable[[Path], Any]:
    """A ``writer._out`` (how dumps are streamed to disk) that writes part of ``name`` and runs out of space."""
    real = writer._out

    class Full:
        def __init__(self, path: Path) -> None:
            self.path, self.f = path, real(path)

        def __enter__(self) -> "Full":
            return self

        def __exit__(self, *_exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> int:
            self.f.write(data[: len(data) // 2])
            raise _full_disk(self.path)

    return lambda path: Full(path) if path.name == name else real(path)


def _failing(*_args: object, **_kwargs: object) -> None:
    raise _full_disk()


POINTS = ["store", "first file", "a dump", "manifest", "rename"]


def _break(point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if point == "store":
        monkeypatch.setattr(writer, "Store", _FullStore)
    elif point == "first file":
        monkeypatch.setattr(writer, "_write_file", _fail_writing(None))
    elif point == "a dump":
        monkeypatch.setattr(writer, "_out", _fail_dumping("dataset.nq.gz"))
    elif point == "manifest":
        monkeypatch.setattr(writer, "_write_file", _fail_writing(layout.MANIFEST))
    elif point == "rename":
        monkeypatch.setattr(os, "rename", _failing)


@pytest.mark.parametrize("point", POINTS)
def test_a_full_disk_while_writing_loses_nothing(root: Path, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    current = open_release(root).version
    before = _state(root)
    _break(point, monkeypatch)
    with pytest.raises(InputError) as failed:
        writer.write(_draft("b"), root)
    message = failed.value.message
    assert message.startswith(f"{root}: cannot write release ") and FULL in message, message
    assert f"nothing was published, {current} is still current" in message
    monkeypatch.undo()
    _assert_as_before(root, before, current)
    assert [r.version for r in history.kept(root)] == [current]
    again = writer.write(_draft("b"), root)  # with space again, the same build succeeds
    assert open_release(root).version == again.version != current


def test_the_failing_file_is_named(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "_out", _fail_dumping("dataset.ttl"))
    with pytest.raises(InputError, match=rf"\({FULL}: {root}/\.building-[^/]+/dataset\.ttl\)"):
        writer.write(_draft("b"), root)


def test_a_sync_that_fails_names_its_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk often shows only when the bytes are flushed: write() and fsync() name no file, the error does."""
    current = open_release(root).version
    before = _state(root)
    monkeypatch.setattr(os, "fsync", lambda _fd: _failing())
    with pytest.raises(InputError, match=rf"\({FULL}: {root}/\.building-[^/]+/dataset\.[a-z.]+\); nothing was"):
        writer.write(_draft("b"), root)
    monkeypatch.undo()
    _assert_as_before(root, before, current)


def test_a_full_disk_when_switching_current_keeps_the_old_one(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current = open_release(root).version
    monkeypatch.setattr(os, "symlink", _failing)
    with pytest.raises(InputError, match=f"`current` could not be switched to it .*; {current} is still current"):
        writer.write(_draft("b"), root)
    monkeypatch.undo()
    assert open_release(root).version == current
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # the temporary link is gone
    assert len(history.kept(root)) == 2  # the new release is complete (and verifies): kept, not current
    for release in history.kept(root):
        verify.verify(release)
    again = writer.write(_draft("b"), root)
    assert again.reused and open_release(root).version == again.version


READ_ONLY = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pyoxigraph import Literal, NamedNode, Quad
    from kgpub.errors import InputError
    from kgpub.release import writer

    def draft(tag):
        return writer.Draft(quads=[Quad(NamedNode(f"http://example.org/{tag}{i}"), NamedNode("http://example.org/p"),
                                        Literal(f"{tag} {i}"), NamedNode("http://example.org/g")) for i in range(200)],
                            default_graphs=["http://example.org/g"])

    root = Path(sys.argv[1])
    try:
        writer.write(draft("b"), root)
    except InputError as e:
        print("refused:", e.message)
    print("reused:", writer.write(draft("a"), root).reused)  # the current release needs no write
""")


def test_a_read_only_releases_folder_is_a_clear_error(root: Path) -> None:
    """A real read-only folder (as root, in a process without the capability to write anyway)."""
    cmd = [sys.executable, "-c", READ_ONLY, str(root)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root writes into read-only folders, and setpriv is not there to drop that")
        caps = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *cmd]
    current = open_release(root).version
    before = _state(root)
    root.chmod(0o555)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    finally:
        root.chmod(0o755)
    assert done.returncode == 0, done.stderr
    refused, reused = done.stdout.splitlines()
    assert refused.startswith(f"refused: {root}: cannot write release ") and "(Permission denied: " in refused
    assert refused.endswith(f"nothing was published, {current} is still current")
    assert reused == "reused: True"
    _assert_as_before(root, before, current)


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_releases_folder_simulated(root: Path, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    current = open_release(root).version
    before = _state(root)

    real = tempfile.mkdtemp

    def refuse(*args: object, dir: object = None, **kwargs: object) -> str:  # mkdtemp's own parameter name
        if dir is not None and Path(str(dir)) == root:  # the releases folder is read-only, the system's temp is not
            raise OSError(code, os.strerror(code), str(root / ".building-x"))
        return real(*args, dir=dir, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(writer.tempfile, "mkdtemp", refuse)
    with pytest.raises(InputError, match=f"{root}: cannot write release .*{os.strerror(code)}"):
        writer.write(_draft("b"), root)
    assert writer.write(_draft("a"), root).reused  # the current release needs no write
    monkeypatch.undo()
    _assert_as_before(root, before, current)


def test_the_cli_reports_a_full_disk_in_one_line(tmp_path: Path) -> None:
    project = write_project(tmp_path / "tiny")
    script = textwrap.dedent(f"""
        import errno, os, sys
        from kgpub.release import writer
        real = writer._out
        def full(path):
            if path.name == "dataset.nt":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real(path)
        writer._out = full
        sys.argv = ["kgpub", "build", "--project", {str(project)!r}]
        from kgpub.cli.commands import main
        main()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {project / 'release'}: cannot write release "), lines
    assert f"{FULL}: {project / 'release'}/.building-" in lines[0] and "/dataset.nt)" in lines[0]
    assert "there is still no current release" in lines[0] and "Traceback" not in done.stderr
    assert [p.name for p in (project / "release").iterdir() if p.name != outcome.NAME] == []  # the build's record


# A killed build: the process dies where it stands (no `finally` runs), at points chosen by patching the writer.
KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from pyoxigraph import Literal, NamedNode, Quad
    from kgpub.release import writer

    point, root = sys.argv[1], Path(sys.argv[2])

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    real_store, real_out = writer.Store, writer._out
    if point == "store":
        class Dying:
            def __new__(cls, path=None):
                return real_store() if path is None else super().__new__(cls)
            def __init__(self, path=None):
                self.store = real_store(path)
            def bulk_load(self, **kwargs):
                self.store.bulk_load(**kwargs)
                die()
            load = bulk_load
        writer.Store = Dying
    elif point == "a dump":
        class Half:
            def __init__(self, path):
                self.f = real_out(path)
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                self.f.close()
            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                die()
        writer._out = lambda path: Half(path) if path.name == "dataset.nq" else real_out(path)
    elif point == "before rename":
        os.rename = die  # the folder is complete, manifest included
    elif point == "before current":
        os.replace = die  # the release is in place, the new link made, `current` not yet switched
    quads = [Quad(NamedNode(f"http://example.org/b{i}"), NamedNode("http://example.org/p"), Literal(f"b {i}"),
                  NamedNode("http://example.org/g")) for i in range(200)]
    writer.write(writer.Draft(quads=quads, default_graphs=["http://example.org/g"]), root)
""")


@pytest.mark.parametrize("point", ["store", "a dump", "before rename", "before current"])
def test_a_killed_write_leaves_no_release_to_serve(root: Path, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    current = open_release(root).version
    a = _state(root / current)
    done = subprocess.run([sys.executable, "-c", KILLED, point, str(root)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = [p.name for p in root.iterdir() if p.name.startswith(".")]
    assert left, "the kill left nothing behind: it did not happen where it was meant to"
    assert _state(root / current) == a and open_release(root).version == current
    kept = [r.version for r in history.kept(root)]
    assert kept == [current] if point != "before current" else len(kept) == 2 and current in kept
    for name in left:  # a temporary folder is no release, whatever it holds
        if not (root / name).is_symlink():  # (the link `current` was to become points to the complete release)
            with pytest.raises(KgpubError, match=r"a temporary folder of a build|no release here"):
                open_release(root / name)
    monkeypatch.setattr(writer, "STALE_AFTER_S", 0.0)
    again = writer.write(_draft("b"), root)  # the next build succeeds and removes what the killed one left
    assert open_release(root).version == again.version != current
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
    verify.verify(again)


def test_a_live_build_s_folder_is_not_removed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another build writing now holds its folder: only folders nobody holds are a killed build's."""
    live, dead = root / f"{layout.BUILDING_PREFIX}1-live", root / f"{layout.BUILDING_PREFIX}2-dead"
    live.mkdir()
    dead.mkdir()
    held = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        monkeypatch.setattr(writer, "STALE_AFTER_S", 0.0)
        writer.write(_draft("b"), root)
        assert live.is_dir() and not dead.exists()
    finally:
        os.close(held)
    monkeypatch.setattr(writer, "STALE_AFTER_S", 3600.0)
    os.utime(live, (time.time() - 60, time.time() - 60))
    writer.write(_draft("c"), root)
    assert live.is_dir()  # unheld now, but younger than the delay: it may be a build that just began


@pytest.mark.slow
def test_a_really_killed_build_leaves_the_current_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kgpub build` killed (SIGKILL) while it writes its store: `current` and the kept release are as they were."""
    project = write_project(tmp_path / "big")
    settings = Settings.load(env={}, project=project)
    old = build(settings).release
    before = _state(old.path)
    (project / "data" / "more.ttl").write_text(  # enough to take a moment to write
        "@prefix ex: <http://example.org/> .\n" + "".join(f'ex:s{i} ex:p "value {i}" .\n' for i in range(20_000)))
    root = settings.releases_dir
    proc = subprocess.Popen([sys.executable, "-m", "kgpub", "build", "--project", str(project)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if any((p / layout.STORE).is_dir() for p in root.glob(f"{layout.BUILDING_PREFIX}*")):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            proc.kill()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the build ended ({proc.returncode}) before it was killed: {err!r}"
    assert _state(old.path) == before
    assert open_release(root).path == old.path and [r.path for r in history.kept(root)] == [old.path]
    assert any(p.name.startswith(layout.BUILDING_PREFIX) for p in root.iterdir())  # left, but no release
    monkeypatch.setattr(writer, "STALE_AFTER_S", 0.0)
    new = build(settings).release
    assert open_release(root).path == new.path != old.path
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
    assert Release(new.path).graph_triples["https://w3id.org/kjtrade/graph/data"] == 6 + 20_000
