"""Find and strictly parse a project's source folders into named graphs.

A project folder holds ``ontology/``, ``data/`` and ``shapes/``; every ``*.ttl`` file
directly inside one of them is a source (sub-folders such as ``shapes/examples`` and
``data/queries`` are not). Each folder becomes one named graph.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from kgpub.errors import InputError, SourceSyntaxError
from kgpub.progress import QUIET, Progress
from kgpub.rdf.syntax import problem

FOLDERS = ("ontology", "data", "shapes")
REQUIRED_FOLDERS = ("data",)
KNOWLEDGE_GRAPH = ("data", "ontology")  # the folders whose union is the published knowledge graph
SUFFIXES = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES}


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    path: Path
    folder: str
    sha256: str
    triples: int


@dataclass(kw_only=True)
class Sources:
    """Parsed sources: one named graph per folder in an in-memory store, the files read and their prefixes.

    The quads live in :attr:`store` only (a list of a million pyoxigraph quads costs about 450 MB of
    Python objects): validation queries it and the release is written from it."""

    project: Path
    base_iri: str
    graph_names: dict[str, NamedNode]
    store: Store = field(default_factory=Store)
    files: list[SourceFile] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)

    def graph(self, folder: str) -> list[Quad]:
        """The quads of one folder's graph (a list: for small graphs, and the tests)."""
        if folder not in self.graph_names:
            return []
        return list(self.store.quads_for_pattern(None, None, None, self.graph_names[folder]))

    def all_quads(self) -> list[Quad]:
        return [q for folder in FOLDERS for q in self.graph(folder)]

    def triples(self, folder: str) -> int:
        """How many distinct triples the folder's graph holds."""
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, self.graph_names[folder]))


def graph_name(base_iri: str, folder: str) -> NamedNode:
    """The named graph of a source folder, e.g. ``<base>graph/data``."""
    return NamedNode(f"{base_iri}graph/{folder}")


def find_files(project: Path) -> dict[str, list[Path]]:
    """Source files per folder, sorted; raises InputError when the layout is unusable."""
    if not project.is_dir():
        raise InputError(f"{project}: project folder not found")
    missing = [f for f in REQUIRED_FOLDERS if not (project / f).is_dir()]
    if missing:
        raise InputError(f"{project}: not a kgpub project (no {', '.join(missing)}/ folder)")
    found = {
        folder: sorted(p for p in (project / folder).glob("*") if p.suffix in SUFFIXES and p.is_file())
        for folder in FOLDERS
        if (project / folder).is_dir()
    }
    if not found.get("data"):
        raise InputError(f"{project / 'data'}: no source files (*.ttl, *.nt)")
    return found


def load_sources(project: Path, *, base_iri: str, progress: Progress = QUIET) -> Sources:
    """Parse every source file strictly into the store; a syntax error names file, line and column."""
    project = project.resolve()
    found = find_files(project)
    sources = Sources(project=project, base_iri=base_iri, graph_names={f: graph_name(base_iri, f) for f in FOLDERS})
    total, done = sum(len(paths) for paths in found.values()), 0
    for folder, paths in found.items():
        target = sources.graph_names[folder]
        for path in paths:
            done += 1
            progress.step(f"parsing {folder}/{path.name} (file {done} of {total})")
            count, prefixes, digest = _check(path)
            try:
                sources.store.load(path=str(path), format=SUFFIXES[path.suffix], to_graph=target)
            except OSError as e:
                raise InputError(f"{path}: cannot read: {e.strerror}") from e
            for prefix, iri in prefixes.items():
                sources.prefixes.setdefault(prefix, iri)
            sources.files.append(SourceFile(path=path, folder=folder, sha256=digest, triples=count))
    return sources


def _check(path: Path) -> tuple[int, dict[str, str], str]:
    """One strict pass over a file: its statements counted, its prefixes, its SHA-256 (streamed: no copy of it)."""
    try:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    # No base IRI: a relative IRI in a source is an error, never a local file: IRI.
    parser = parse(path=str(path), format=SUFFIXES[path.suffix])
    try:
        count = sum(1 for _ in parser)
    except SyntaxError as e:
        found = problem(e, limit=1000)
        raise SourceSyntaxError(file=path, line=found.line, column=found.column, detail=found.detail) from e
    return count, dict(parser.prefixes), digest
