"""Open an immutable release: what the server, its query workers and the CLI read.

This module imports only what opening needs (no hashing, gzip or temp folders), so a
worker that opens a release stays small. :func:`open_release` (the CLI, the server) checks the
release with :mod:`kgpub.release.verify`, imported then; a worker opens the folder it is given
with :class:`Release` and is not hashing anything, but a store pyoxigraph cannot open is a
:class:`~kgpub.errors.ReleaseNotFound` naming it wherever it is opened (:meth:`Release.open_store`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from pyoxigraph import Store

from kgpub.errors import ReleaseNotFound
from kgpub.rdf.formats import Format
from kgpub.release import layout
from kgpub.release.manifest import Manifest


@dataclass(frozen=True)
class Release:
    """An opened, immutable release folder."""

    path: Path
    reused: bool = field(default=False, compare=False)  # the writer found this release already written

    @cached_property
    def manifest(self) -> Manifest:
        where = self.path / layout.MANIFEST
        try:
            text = where.read_text(encoding="utf-8")
        except OSError as e:
            raise ReleaseNotFound(f"{where}: not a readable release manifest ({e.strerror})") from None
        return Manifest.from_json(text, where=str(where))

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def built(self) -> datetime:
        """When the release was built (UTC, seconds): its ``Last-Modified``."""
        return datetime.fromisoformat(self.manifest.built_at.replace("Z", "+00:00")).astimezone(UTC)

    def open_store(self) -> Store:
        """The release's store, read-only. pyoxigraph's own errors on a damaged store (an OSError for a missing
        file, a RuntimeError for RocksDB's "Corruption") become a ReleaseNotFound naming the store."""
        where = self.path / layout.STORE
        if not where.is_dir():
            raise ReleaseNotFound(f"{self.path}: the release has no {layout.STORE}/ folder; "
                                  "rebuild it with `kgpub build`")
        try:
            return Store.read_only(str(where))
        except (OSError, RuntimeError) as e:
            raise ReleaseNotFound(f"{where}: the store cannot be opened ({one_line(e)}); "
                                  "rebuild the release with `kgpub build`") from None

    def file(self, name: str) -> Path:
        """A file of the release by its name in the manifest (``validation.txt``, a dump...)."""
        return self.path / name

    def dump_path(self, fmt: Format, *, gz: bool = False) -> Path:
        return self.path / layout.dump_name(fmt, gz=gz)

    @property
    def default_graphs(self) -> list[str]:
        """Graphs whose union is the default graph for queries: the knowledge graph itself."""
        return self.manifest.default_graphs

    @property
    def stores_default_graph(self) -> bool:
        """The store's own default graph holds the union of :attr:`default_graphs` (layouts 3 and later)."""
        return self.manifest.format in layout.STORED_DEFAULT_FORMATS

    @property
    def default_graph_triples(self) -> int:
        return self.manifest.default_graph_triples

    @property
    def graph_triples(self) -> dict[str, int]:
        return self.manifest.graphs

    @property
    def named_graphs(self) -> list[str]:
        return sorted(self.manifest.graphs)

    @property
    def prefixes(self) -> dict[str, str]:
        return self.manifest.prefixes

    def examples(self) -> list[dict[str, str]]:
        """The project's example queries ({name, title, description, query}); none in releases without them."""
        path = self.file("queries.json")
        if not path.is_file():
            return []
        found: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return found

    @property
    def report_text(self) -> str:
        return self.file("validation.txt").read_text(encoding="utf-8")


def one_line(error: BaseException) -> str:
    """An error's text on one line (RocksDB's messages may span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def open_release(path: Path, *, check: bool = True) -> Release:
    """The release at ``path``: a release folder, or a releases folder (its ``current`` release).

    With ``check`` (what the CLI and the server open), the release is verified once per process
    (:func:`kgpub.release.verify.verified`: every file's size and digest, the store's counts) and
    a damaged one is refused with every problem found; without it (listing the kept releases)
    only the manifest is read and the store folder looked for. A build's temporary folder is
    never a release, even a complete one.
    """
    target = _target(path)
    if layout.is_temporary(target.resolve().name):
        raise ReleaseNotFound(f"{target}: a temporary folder of a build, not a release; "
                              "open the releases folder or one of its releases")
    if not (target / layout.MANIFEST).is_file():
        raise ReleaseNotFound(f"{target}: no release here; run `kgpub build` first")
    release = Release(target.resolve())
    _ = release.manifest  # a damaged manifest is refused here, with what is wrong
    if not (release.path / layout.STORE).is_dir():
        raise ReleaseNotFound(f"{release.path}: the release has no {layout.STORE}/ folder; "
                              "rebuild it with `kgpub build`")
    if check:
        from kgpub.release import verify  # hashing: not loaded by what only opens a release

        verify.verified(release)
    return release


def exists(path: Path) -> bool:
    """Whether :func:`open_release` finds a release at ``path`` to open, intact or not: a command that builds
    one when there is none (``kgpub query``, ``kgpub serve``) reports a damaged one instead of building."""
    return (_target(path) / layout.MANIFEST).is_file()


def _target(path: Path) -> Path:
    """The folder a release is looked for in: ``path``, or its ``current`` when it is a releases folder."""
    if (path / layout.CURRENT).exists() and not (path / layout.MANIFEST).exists():
        return path / layout.CURRENT
    return path
