"""Check a release before it is served: every file as the manifest recorded it, the store as it was counted.

A release folder is written once and never modified, so whatever differs from its manifest is
damage (a truncated or overwritten file, a deleted one, a disk error): :func:`verify` lists
every problem it finds in one :class:`~kgpub.errors.ReleaseNotFound` (``no_release``: 503 on
the web, exit code 2 on the CLI), naming the file and what was expected and found.

What is checked, in this order:

1. the manifest's ``files`` (dumps, reports, …) and ``store_files`` (RocksDB's files, recorded
   once the store was closed; older releases have none): present, of the recorded size, and of
   the recorded SHA-256 unless ``hashes=False``. A damaged store file is caught here, before
   pyoxigraph reads it;
2. unless a store file was found damaged, the store opens read-only (pyoxigraph's own errors
   become ours) and holds, per named graph, the manifest's number of triples, and in its default
   graph (layouts that store the knowledge graph there) the manifest's ``default_graph_triples``.

What it costs (measured on 2 busy cores, files in the page cache): the article release (2 MB,
2k triples) about 60 ms, mostly opening the store; 100k triples (81 MB) about 0.4 s; 1M triples
(820 MB, 256 MB of it the store) about 2 s, of which counting is 1 s and hashing 0.8 s. That
is a fraction of a percent of the build, and once per process: :func:`verified`, which
:func:`~kgpub.release.reader.open_release` calls, remembers a verdict per manifest; query
workers do not verify at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, QuerySolutions, Store

from kgpub.errors import ReleaseNotFound
from kgpub.release import layout
from kgpub.release.manifest import FileEntry
from kgpub.release.reader import Release, one_line

LISTED = 20
"""At most this many problems are spelled out in the message (then how many more): enough to see the kind of
damage; a store replaced wholesale would otherwise make one line of every file in it."""

_verified: set[tuple[Path, bytes]] = set()


def verify(release: Release, *, hashes: bool = True) -> None:
    """Raise ReleaseNotFound listing every problem of ``release``; return if it is intact."""
    manifest = release.manifest  # a damaged manifest is refused here, with what is wrong
    problems = list(_files(release.path, manifest.files, label="", hashes=hashes))
    stored = list(_files(release.path / layout.STORE, manifest.store_files or {}, label=f"{layout.STORE}/",
                         hashes=hashes))
    problems += stored or _counts(release)  # a damaged store is not given to pyoxigraph to read
    if problems:
        raise ReleaseNotFound(message(release.path, problems))


def verified(release: Release) -> Release:
    """``release``, verified with hashes once per process for each content of its manifest.

    A release is immutable, so a verdict holds while its manifest is the same: the server's
    per-request openings (files of kept releases) and a watcher's polls hash nothing again. A
    damaged release is checked (and refused) every time.
    """
    try:
        key = (release.path, hashlib.sha256((release.path / layout.MANIFEST).read_bytes()).digest())
    except OSError:
        verify(release)  # the manifest cannot be read: refused with that
        return release
    if key not in _verified:
        verify(release)
        _verified.add(key)
    return release


def message(path: Path, problems: list[str]) -> str:
    """One line: the release, how many problems, each of them (the first :data:`LISTED`), what to do."""
    shown = "; ".join(problems[:LISTED]) + (f"; and {len(problems) - LISTED} more" if len(problems) > LISTED else "")
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return f"{path}: the release is damaged ({count}): {shown}; rebuild it with `kgpub build`"


def file_problem(folder: Path, name: str, entry: FileEntry, *, hashes: bool = True, label: str = "") -> str | None:
    """What is wrong with the file ``name`` of ``folder`` against its manifest entry, or None."""
    where = f"{label}{name}"
    if not name or name in (".", "..") or Path(name).name != name:
        return f"{where}: not a file name of the release"
    path = folder / name
    try:
        size = path.stat().st_size
        if not path.is_file():
            return f"{where}: not a file"
        if size != entry.bytes:
            return f"{where}: {size} bytes, the manifest says {entry.bytes}"
        if not hashes:
            return None
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return f"{where}: missing"
    except OSError as e:
        return f"{where}: unreadable ({e.strerror or one_line(e)})"
    return None if digest == entry.sha256 else f"{where}: sha256 {digest}, the manifest says {entry.sha256}"


def _files(folder: Path, entries: Mapping[str, FileEntry], *, label: str, hashes: bool) -> Iterator[str]:
    for name, entry in sorted(entries.items()):
        problem = file_problem(folder, name, entry, hashes=hashes, label=label)
        if problem is not None:
            yield problem


def _counts(release: Release) -> list[str]:
    """The store opens and holds the manifest's triples per graph (problems, as for files)."""
    where = release.path / layout.STORE
    if not where.is_dir():
        return [f"{layout.STORE}/: missing"]
    try:
        store = Store.read_only(str(where))  # as Release.open_store does, with the error as one problem
    except (OSError, RuntimeError) as e:
        return [f"{where}: the store cannot be opened ({one_line(e)})"]
    manifest = release.manifest
    try:
        found = {str(g) if isinstance(g, BlankNode) else g.value: _count(store, g) for g in store.named_graphs()}
        default = _count(store, DefaultGraph()) if release.stores_default_graph else None
    except (OSError, RuntimeError) as e:  # a block of the store that does not read back
        return [f"{where}: the store cannot be read ({one_line(e)})"]
    problems = []
    for graph in sorted(manifest.graphs.keys() | found.keys()):
        stored, listed = found.get(graph, 0), manifest.graphs.get(graph)
        if listed is None:
            problems.append(f"graph <{graph}>: {stored} triples in the store, none in the manifest")
        elif stored != listed:
            problems.append(f"graph <{graph}>: {stored} triples in the store, the manifest says {listed}")
    if default is not None and default != manifest.default_graph_triples:
        problems.append(f"default graph: {default} triples in the store, "
                        f"the manifest says {manifest.default_graph_triples}")
    return problems


def _count(store: Store, graph: NamedNode | BlankNode | DefaultGraph) -> int:
    """Triples of one graph of the store, counted by the engine (no term crosses into Python)."""
    solutions = store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", default_graph=graph)
    assert isinstance(solutions, QuerySolutions)
    for row in solutions:
        value = row["n"]
        return int(value.value) if value is not None else 0
    return 0
