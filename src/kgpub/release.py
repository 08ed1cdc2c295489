"""Build and open immutable releases.

A release is a folder ``<releases>/<version>/`` that is never modified once written: the
query store, pre-rendered dumps (each also gzipped), the validation report and a manifest
with content hashes. ``<releases>/current`` is a symlink to the release being served; a
build writes into a temporary folder, renames it into place and then swaps the link, so a
failed or interrupted build never touches what is already published.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Store,
    Triple,
    parse,
    serialize,
)

from kgpub import __version__
from kgpub.errors import ReleaseNotFound, ValidationFailed
from kgpub.formats import DUMP_FORMATS, Format
from kgpub.settings import Settings
from kgpub.sources import Sources, graph_name, load_sources
from kgpub.validate import ValidationReport, validate

MANIFEST = "manifest.json"
CURRENT = "current"
DUMP_STEM = "dataset"
KG_FOLDERS = ("data", "ontology")  # what the single-graph dumps (Turtle, N-Triples) hold


@dataclass(frozen=True)
class Release:
    """An opened, immutable release folder."""

    path: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        return data

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def open_store(self) -> Store:
        return Store.read_only(str(self.path / "store"))

    def dump_path(self, fmt: Format, *, gz: bool = False) -> Path:
        return self.path / f"{DUMP_STEM}.{fmt.extension}{'.gz' if gz else ''}"

    @property
    def default_graphs(self) -> list[str]:
        """Graphs whose union is the default graph for queries: the knowledge graph itself."""
        return [str(g) for g in self.manifest["default_graphs"]]

    @property
    def named_graphs(self) -> list[str]:
        return sorted(str(g) for g in self.manifest["graphs"])

    @property
    def prefixes(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.manifest.get("prefixes", {}).items()}

    @property
    def report_text(self) -> str:
        return (self.path / "validation.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class BuildResult:
    release: Release
    report: ValidationReport
    reused: bool  # an identical release already existed


def open_release(settings: Settings, path: Path | None = None) -> Release:
    """The release at ``path`` (a release folder) or the current one of ``settings``."""
    target = path if path is not None else settings.releases / CURRENT
    if (target / CURRENT).exists() and not (target / MANIFEST).exists():
        target = target / CURRENT
    if not (target / MANIFEST).is_file():
        raise ReleaseNotFound(f"{target}: no release here; run `kgpub build` first")
    return Release(target.resolve())


def build(settings: Settings) -> BuildResult:
    """Load, validate and write a release; raises ValidationFailed and writes nothing on violations."""
    sources = load_sources(settings.project, base_iri=settings.base_iri)
    staging = Store()
    staging.extend(sources.all_quads())
    report = validate(sources, store=staging)
    if not report.conforms:
        raise ValidationFailed(report.summary, report_text=report.text())
    report_graph = graph_name(settings.base_iri, "validation")
    quads = _canonical(sources.all_quads() + _report_quads(report, report_graph))
    files = _render(sources, quads, report, report_graph)
    version = hashlib.sha256(files[f"{DUMP_STEM}.nq"]).hexdigest()[:16]
    root = settings.releases
    final = root / version
    reused = (final / MANIFEST).is_file()
    if not reused:
        _write(root, final, quads, files, _manifest(settings, sources, report, files, version, report_graph,
                                                        sum(q.graph_name == report_graph for q in quads)))
    _point_current(root, version)
    return BuildResult(release=Release(final.resolve()), report=report, reused=reused)


def _report_quads(report: ValidationReport, graph: NamedNode) -> list[Quad]:
    data = report.graph.serialize(format="nt", encoding="utf-8")
    return [Quad(q.subject, q.predicate, q.object, graph) for q in parse(data, format=RdfFormat.N_TRIPLES)]


def _canonical(quads: list[Quad]) -> list[Quad]:
    """Deduplicated quads with canonical blank node labels, in a stable order."""
    dataset = Dataset(quads)
    if any(isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode) for q in quads):
        dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def _render(sources: Sources, quads: list[Quad], report: ValidationReport,
            report_graph: NamedNode) -> dict[str, bytes]:
    """Every file of the release except the store and manifest, as bytes."""
    kg_graphs = {sources.graph_names[f] for f in KG_FOLDERS}
    triples = list(dict.fromkeys(q.triple for q in quads if q.graph_name in kg_graphs))
    triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = dict(sorted(sources.prefixes.items()))
    files: dict[str, bytes] = {}
    for fmt in DUMP_FORMATS:
        content = quads if fmt.quads else triples
        data = to_bytes(content, fmt.oxigraph, prefixes)
        files[f"{DUMP_STEM}.{fmt.extension}"] = data
        files[f"{DUMP_STEM}.{fmt.extension}.gz"] = gzip.compress(data, compresslevel=9, mtime=0)
    validation_graph = [q.triple for q in quads if q.graph_name == report_graph]
    files["validation.ttl"] = to_bytes(validation_graph, RdfFormat.TURTLE,
                                       {"sh": "http://www.w3.org/ns/shacl#", **prefixes})
    files["validation.txt"] = report.text().encode("utf-8")
    return files


def to_bytes(content: Iterable[Quad] | Iterable[Triple], fmt: RdfFormat | QueryResultsFormat,
             prefixes: dict[str, str]) -> bytes:
    """Serialize to a bytes buffer (pyoxigraph returns None only when given an output)."""
    assert isinstance(fmt, RdfFormat)
    data = serialize(content, format=fmt, prefixes=prefixes)
    assert data is not None
    return data


def _manifest(settings: Settings, sources: Sources, report: ValidationReport,
              files: dict[str, bytes], version: str, report_graph: NamedNode,
              report_triples: int) -> dict[str, object]:
    counts: dict[str, int] = {}
    for folder, graph in sources.graph_names.items():
        counts[graph.value] = len(sources.graph(folder))
    counts[report_graph.value] = report_triples
    return {
        "version": version,
        "kgpub": __version__,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "base_iri": settings.base_iri,
        "graphs": counts,
        "default_graphs": [str(sources.graph_names[f].value) for f in KG_FOLDERS],
        "prefixes": dict(sorted(sources.prefixes.items())),
        "sources": [
            {"path": f.path.relative_to(sources.project).as_posix(), "graph": sources.graph_names[f.folder].value,
             "sha256": f.sha256, "triples": f.triples}
            for f in sources.files
        ],
        "validation": {"conforms": report.conforms, "violations": report.count("Violation"),
                       "warnings": report.count("Warning"), "info": report.count("Info")},
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in sorted(files.items())},
    }


def _write(root: Path, final: Path, quads: list[Quad], files: dict[str, bytes],
           manifest: dict[str, object]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    tmp.chmod(0o755)
    try:
        store = Store(str(tmp / "store"))
        store.bulk_extend(quads)
        store.flush()
        store.optimize()
        del store
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MANIFEST).is_file():  # not a concurrent identical build: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _point_current(root: Path, version: str) -> None:
    link = root / CURRENT
    tmp = root / f".{CURRENT}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(version, tmp)
    os.replace(tmp, link)
