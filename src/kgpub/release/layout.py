"""Names inside a releases folder: every file and folder a release has, in one place.

``<releases>/<version>/`` is a release, never modified once written; ``<releases>/current``
is a symlink to the one being served. Writing happens in ``<releases>/.building-*`` folders
(renamed into place when complete); a damaged release the build writes again is set aside as
``<releases>/.damaged-*`` meanwhile. Neither is ever a release (:func:`is_temporary`).
A release's canonical IRI is ``<base>releases/<version>/`` (:func:`release_iri`), where the
web serves its files.
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
SET_ASIDE_PREFIX = ".damaged-"
STORE_NOT_CONTENT = ("LOCK", "LOG")
"""RocksDB's lock file and its informational log (also ``LOG.old.*``): in the store folder, but not what it
holds, so not in the manifest's ``store_files``."""
CHANGES = "changes.rdfp.gz"
"""What changed since the release ``current`` was when this one was written (the manifest's ``previous``;
every quad added when it is null), as RDF Patch, gzip. Not part of the version: the same content is the
same release whatever was built before it. Optional to readers, so no new layout: releases written by an
earlier kgpub have none (and a null ``previous``)."""
RELEASES_PATH = "releases/"
DATASET_PATH = "id/dataset/kjtrade"
"""The IRI of the whole knowledge graph as a dataset, under the base: what every release is a version of,
what the VoID/DCAT description describes; its Data Cube data sets (``id/dataset/<name>``) are its subsets."""
DUMP_URL_STEM = "dump"
"""The dumps' URLs, under the base: ``dump.ttl`` is the release file ``dataset.ttl``."""


def dump_name(fmt: Format, *, gz: bool = False) -> str:
    return f"{DUMP_STEM}.{fmt.extension}{'.gz' if gz else ''}"


def is_temporary(name: str) -> bool:
    """A folder name a build uses while writing (or repairing): never a release, whatever it holds."""
    return name.startswith((BUILDING_PREFIX, SET_ASIDE_PREFIX))


def is_store_content(name: str) -> bool:
    """Whether a file of the store folder is part of the store's content (recorded and checked)."""
    return name not in STORE_NOT_CONTENT and not name.startswith("LOG.old.")


def current_link(root: Path) -> Path:
    return root / CURRENT


def release_iri(base_iri: str, version: str) -> str:
    """The canonical IRI of a release: ``<base>releases/<version>/`` (``/releases/<version>/`` on the web)."""
    return f"{base_iri}{RELEASES_PATH}{version}/"
