"""A damaged release is refused when it is opened, with what is wrong; an intact one opens (issue 11)."""

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from helpers.projects import write_project
from kgpub.build.pipeline import build
from kgpub.errors import ReleaseNotFound
from kgpub.release import history, layout, verify, writer
from kgpub.release.reader import Release, open_release
from kgpub.settings import Settings

DATA = "https://w3id.org/kjtrade/graph/data"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project's release, built once; tests damage copies of it."""
    project = write_project(tmp_path_factory.mktemp("verify") / "tiny")
    return build(Settings.load(env={}, project=project)).release.path


@pytest.fixture
def root(built: Path, tmp_path: Path) -> Path:
    """A releases folder holding a copy of the tiny release as ``current``."""
    folder = tmp_path / "releases"
    shutil.copytree(built, folder / built.name, symlinks=True)
    os.symlink(built.name, folder / layout.CURRENT)
    return folder


def _release(root: Path) -> Path:
    return (root / layout.CURRENT).resolve()


def _largest_sst(root: Path) -> Path:
    return max((_release(root) / layout.STORE).glob("*.sst"), key=lambda p: p.stat().st_size)


def _truncate_sst(root: Path) -> str:
    sst = _largest_sst(root)
    size = sst.stat().st_size
    os.truncate(sst, size // 2)
    return f"store/{sst.name}: {size // 2} bytes, the manifest says {size}"


def _random_sst(root: Path) -> str:
    sst = _largest_sst(root)
    sst.write_bytes(os.urandom(sst.stat().st_size))  # same size: only the digest tells
    return f"store/{sst.name}: sha256 {hashlib.sha256(sst.read_bytes()).hexdigest()}"


def _no_current(root: Path) -> str:
    (_release(root) / layout.STORE / "CURRENT").unlink()
    return "store/CURRENT: missing"


def _changed_dump(root: Path) -> str:
    dump = _release(root) / "dataset.nt"
    data = bytearray(dump.read_bytes())
    data[10] ^= 0x20  # one letter's case: same size, other bytes
    dump.write_bytes(bytes(data))
    return "dataset.nt: sha256 "


def _deleted_dump(root: Path) -> str:
    (_release(root) / "dataset.ttl").unlink()
    return "dataset.ttl: missing"


def _truncated_gzip(root: Path) -> str:
    dump = _release(root) / "dataset.nq.gz"
    size = dump.stat().st_size
    os.truncate(dump, 10)
    return f"dataset.nq.gz: 10 bytes, the manifest says {size}"


DAMAGES: dict[str, Callable[[Path], str]] = {
    "truncated sst": _truncate_sst, "random sst": _random_sst, "no store/CURRENT": _no_current,
    "changed dump": _changed_dump, "deleted dump": _deleted_dump, "truncated gzip dump": _truncated_gzip}


def test_an_intact_release_verifies(root: Path) -> None:
    release = open_release(root)
    verify.verify(release)
    verify.verify(release, hashes=False)
    manifest = release.manifest
    assert manifest.store_files is not None and {"CURRENT", "IDENTITY"} <= set(manifest.store_files)
    assert any(name.endswith(".sst") for name in manifest.store_files)
    for name, entry in manifest.store_files.items():  # the store as written: every file RocksDB reads
        data = (release.path / layout.STORE / name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry.sha256, entry.bytes), name
    assert not set(manifest.store_files) & {"LOCK", "LOG"}  # RocksDB's lock and its diary are no content


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_release_is_refused_naming_the_file(root: Path, damage: str) -> None:
    expected = DAMAGES[damage](root)
    with pytest.raises(ReleaseNotFound) as refused:
        open_release(root)
    message = refused.value.message
    assert expected in message and str(_release(root)) in message and "\n" not in message
    assert "kgpub build" in message  # what to do about it
    with pytest.raises(ReleaseNotFound, match="damaged"):
        verify.verify(Release(_release(root)))


def test_every_problem_is_listed(root: Path) -> None:
    expected = [_truncate_sst(root), _deleted_dump(root), _truncated_gzip(root)]
    with pytest.raises(ReleaseNotFound, match=r"\(3 problems\)") as refused:
        open_release(root)
    assert all(e in refused.value.message for e in expected)


def test_without_hashes_sizes_are_still_checked(root: Path) -> None:
    _changed_dump(root)
    verify.verify(Release(_release(root)), hashes=False)  # same size: not seen without the digests
    _truncated_gzip(root)
    with pytest.raises(ReleaseNotFound, match=r"dataset\.nq\.gz: 10 bytes"):
        verify.verify(Release(_release(root)), hashes=False)


def _edit_manifest(root: Path, edit: Callable[[dict[str, object]], None]) -> None:
    path = _release(root) / layout.MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_store_s_counts_are_checked_against_the_manifest(root: Path) -> None:
    def more(data: dict[str, object]) -> None:
        graphs = data["graphs"]
        assert isinstance(graphs, dict)
        graphs[DATA] += 1
        data["default_graph_triples"] = 9

    _edit_manifest(root, more)
    with pytest.raises(ReleaseNotFound) as refused:
        open_release(root)
    assert f"graph <{DATA}>: 6 triples in the store, the manifest says 7" in refused.value.message
    assert "default graph: 8 triples in the store, the manifest says 9" in refused.value.message


def test_a_graph_of_the_store_the_manifest_does_not_list_is_named(root: Path) -> None:
    def fewer(data: dict[str, object]) -> None:
        graphs = data["graphs"]
        assert isinstance(graphs, dict)
        del graphs[DATA]

    _edit_manifest(root, fewer)
    with pytest.raises(ReleaseNotFound, match=f"graph <{DATA}>: 6 triples in the store, none in the manifest"):
        open_release(root)


def _as_written_by_an_older_kgpub(root: Path) -> None:
    _edit_manifest(root, lambda data: data.pop("store_files"))


@pytest.mark.parametrize("damage", ["truncated sst", "random sst", "no store/CURRENT"])
def test_a_damaged_store_without_recorded_files_is_refused_by_the_store_itself(root: Path, damage: str) -> None:
    _as_written_by_an_older_kgpub(root)
    verify.verify(open_release(root, check=False))  # an older release without store_files is intact
    DAMAGES[damage](root)
    with pytest.raises(ReleaseNotFound) as refused:
        open_release(root)
    assert f"{_release(root) / layout.STORE}: the store cannot be opened" in refused.value.message


def test_opening_a_damaged_store_for_serving_is_a_release_not_found(root: Path) -> None:
    """What a query worker and the server do (no hashing there): pyoxigraph's error becomes ours, with the path."""
    for damage in (_truncate_sst, _no_current):
        damage(root)
        with pytest.raises(ReleaseNotFound, match="the store cannot be opened"):
            Release(_release(root)).open_store()
    shutil.rmtree(_release(root) / layout.STORE)
    with pytest.raises(ReleaseNotFound, match="has no store"):
        Release(_release(root)).open_store()


def test_hostile_manifest_names_stay_inside_the_release(root: Path) -> None:
    def outside(data: dict[str, object]) -> None:
        files = data["files"]
        assert isinstance(files, dict)
        files["../../etc/passwd"] = {"sha256": "0" * 64, "bytes": 1}

    _edit_manifest(root, outside)
    with pytest.raises(ReleaseNotFound, match=r"\.\./\.\./etc/passwd: not a file name of the release"):
        open_release(root)


def test_a_verified_release_is_not_hashed_again_in_this_process(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_release(root)
    monkeypatch.setattr(verify, "verify", lambda *_a, **_k: pytest.fail("verified twice"))
    open_release(root)
    _truncated_gzip(root)  # a changed file keeps its verdict; a changed manifest does not
    _edit_manifest(root, lambda data: data.update(kgpub="another kgpub, with a longer name"))
    monkeypatch.undo()
    with pytest.raises(ReleaseNotFound, match=r"dataset\.nq\.gz"):
        open_release(root)


def test_listing_kept_releases_does_not_hash_them(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "verify", lambda *_a, **_k: pytest.fail("hashed while listing"))
    assert [r.path for r in history.kept(root)] == [_release(root)]


def test_a_temporary_folder_is_never_a_release(root: Path) -> None:
    """A build killed just before its rename leaves a complete folder under a temporary name: not a release."""
    tmp = root / f"{layout.BUILDING_PREFIX}12345-abc"
    shutil.copytree(_release(root), tmp)
    assert [r.path for r in history.kept(root)] == [_release(root)]
    with pytest.raises(ReleaseNotFound, match="temporary folder"):
        open_release(tmp)


def test_a_build_writes_a_damaged_release_again(root: Path, built: Path) -> None:
    """The same sources give the same version: the build repairs a damaged folder instead of reusing it."""
    _truncate_sst(root)
    _deleted_dump(root)
    project = built.parents[1]
    rebuilt = build(Settings.load(env={}, project=project, releases=root)).release
    assert not rebuilt.reused and rebuilt.path == _release(root)
    verify.verify(open_release(root))
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_store_files_are_outside_the_version(tmp_path: Path) -> None:
    """RocksDB files differ between two writes of the same content; the version does not."""
    def draft() -> writer.Draft:
        return writer.Draft(quads=list(_quads()), default_graphs=[DATA])

    one, two = writer.write(draft(), tmp_path / "one"), writer.write(draft(), tmp_path / "two")
    assert one.version == two.version and one.manifest.files == two.manifest.files
    assert one.manifest.store_files and two.manifest.store_files
    assert not set(one.manifest.store_files) & set(one.manifest.files)


def _quads() -> list[Quad]:
    return [Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"), Literal(str(i)),
                 NamedNode(DATA)) for i in range(50)]


def test_a_damaged_dump_of_the_current_release_is_not_diffed_against(root: Path) -> None:
    (_release(root) / "dataset.nq").write_bytes(b"")  # the dump the changes are computed from
    new = writer.write(writer.Draft(quads=_quads(), default_graphs=[DATA]), root)
    assert new.manifest.previous is None
