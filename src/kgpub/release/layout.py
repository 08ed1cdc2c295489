"""Names inside a releases folder: every file and folder a release has, in one place.

``<releases>/<version>/`` is a release, never modified once written; ``<releases>/current``
is a symlink to the one being served. Writing happens in ``<releases>/.building-*`` folders.
"""

from __future__ import annotations

from pathlib import Path

from kgpub.rdf.formats import Format

FORMAT = "kgpub-release-5"
"""Layout version, part of the release version: a release laid out differently is another release.
5: the manifest's ``validation.conforms`` is SHACL's (no results at all), ``validation.publishable`` the
gate (no violations); up to 4, ``conforms`` was the gate. 4: the manifest counts distinct triples per graph.
3: the store also holds the knowledge graph as its default graph."""
STORED_DEFAULT_FORMATS = ("kgpub-release-3", "kgpub-release-4", FORMAT)  # the store's default graph is the KG's union
MANIFEST = "manifest.json"
CURRENT = "current"
STORE = "store"
DUMP_STEM = "dataset"
BUILDING_PREFIX = ".building-"


def dump_name(fmt: Format, *, gz: bool = False) -> str:
    return f"{DUMP_STEM}.{fmt.extension}{'.gz' if gz else ''}"


def current_link(root: Path) -> Path:
    return root / CURRENT
