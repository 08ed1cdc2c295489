"""Find and strictly parse a project's source folders into named graphs.

A project folder holds ``ontology/``, ``data/`` and ``shapes/``; every ``*.ttl`` file
directly inside one of them is a source (sub-folders such as ``shapes/examples`` and
``data/queries`` are not). Each folder becomes one named graph.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from kgpub.errors import InputError, SourceSyntaxError
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
    """Parsed sources: quads per folder, the files read and their prefixes."""

    project: Path
    base_iri: str
    graph_names: dict[str, NamedNode]
    quads: dict[str, list[Quad]] = field(default_factory=dict)
    files: list[SourceFile] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)

    def graph(self, folder: str) -> list[Quad]:
        return self.quads.get(folder, [])

    def all_quads(self) -> list[Quad]:
        return [q for folder in FOLDERS for q in self.graph(folder)]


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


def load_sources(project: Path, *, base_iri: str) -> Sources:
    """Parse every source file strictly; a syntax error names file, line and column."""
    project = project.resolve()
    found = find_files(project)
    sources = Sources(project=project, base_iri=base_iri, graph_names={f: graph_name(base_iri, f) for f in FOLDERS})
    for folder, paths in found.items():
        target = sources.graph_names[folder]
        quads = sources.quads.setdefault(folder, [])
        for path in paths:
            data = _read(path)
            parsed = _parse(path, data, target)
            quads.extend(parsed.quads)
            for prefix, iri in parsed.prefixes.items():
                sources.prefixes.setdefault(prefix, iri)
            sources.files.append(
                SourceFile(path=path, folder=folder, sha256=hashlib.sha256(data).hexdigest(),
                           triples=len(parsed.quads))
            )
    return sources


@dataclass
class _Parsed:
    quads: list[Quad]
    prefixes: dict[str, str]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e


def _parse(path: Path, data: bytes, target: NamedNode) -> _Parsed:
    # No base IRI: a relative IRI in a source is an error, never a local file: IRI.
    parser = parse(data, format=SUFFIXES[path.suffix])
    try:
        quads = [Quad(q.subject, q.predicate, q.object, target) for q in parser]
    except SyntaxError as e:
        found = problem(e, limit=1000)
        raise SourceSyntaxError(file=path, line=found.line, column=found.column, detail=found.detail) from e
    return _Parsed(quads=quads, prefixes=dict(parser.prefixes))
