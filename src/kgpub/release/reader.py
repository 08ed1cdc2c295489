"""Open an immutable release: what the server, its query workers and the CLI read.

This module imports only what opening needs (no hashing, gzip or temp folders), so a
worker that opens a release stays small.
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
        return Store.read_only(str(self.path / layout.STORE))

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


def open_release(path: Path) -> Release:
    """The release at ``path``: a release folder, or a releases folder (its ``current`` release)."""
    target = path
    if (target / layout.CURRENT).exists() and not (target / layout.MANIFEST).exists():
        target = target / layout.CURRENT
    if not (target / layout.MANIFEST).is_file():
        raise ReleaseNotFound(f"{target}: no release here; run `kgpub build` first")
    release = Release(target.resolve())
    _ = release.manifest  # a damaged manifest is refused here, with what is wrong
    if not (release.path / layout.STORE).is_dir():
        raise ReleaseNotFound(f"{release.path}: the release has no {layout.STORE}/ folder; "
                              "rebuild it with `kgpub build`")
    return release
