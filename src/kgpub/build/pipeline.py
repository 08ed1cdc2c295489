"""The build: load the sources, validate them, and write them as a release.

``build(settings)`` is the whole pipeline of ``kgpub build``: strict parsing
(:mod:`kgpub.build.sources`), SHACL validation (:mod:`kgpub.build.validate`), then the release files
(:mod:`kgpub.release.reader`). Violations stop it before anything is written. This module is the
only one that needs rdflib and pySHACL; the server never imports it unless it must build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from kgpub import __version__
from kgpub.release import reader as release
from kgpub.errors import ValidationFailed
from kgpub.release.reader import DUMP_STEM, KG_FOLDERS, MANIFEST, RELEASE_FORMAT, Release
from kgpub.settings import Settings
from kgpub.build.sources import Sources, graph_name, load_sources
from kgpub.build.validate import ValidationReport, validate


@dataclass(frozen=True)
class BuildResult:
    release: Release
    report: ValidationReport
    reused: bool  # an identical release already existed


def build(settings: Settings) -> BuildResult:
    """Load, validate and write a release; raises ValidationFailed and writes nothing on violations."""
    sources = load_sources(settings.project, base_iri=settings.base_iri)
    staging = Store()
    staging.extend(sources.all_quads())
    report = validate(sources, store=staging)
    if not report.conforms:
        raise ValidationFailed(report.summary, report_text=report.text())
    report_graph = graph_name(settings.base_iri, "validation")
    quads = release._canonical(sources.all_quads() + _report_quads(report, report_graph))
    files = _render(sources, quads, report, report_graph)
    version = hashlib.sha256(RELEASE_FORMAT.encode() + files[f"{DUMP_STEM}.nq"]).hexdigest()[:16]
    root = settings.releases
    final = root / version
    reused = (final / MANIFEST).is_file()
    if not reused:
        release._write(root, final, quads, files, _manifest(settings, sources, report, files, version, report_graph,
                                                        sum(q.graph_name == report_graph for q in quads)))
    release._point_current(root, version)
    return BuildResult(release=Release(final.resolve()), report=report, reused=reused)


def _report_quads(report: ValidationReport, graph: NamedNode) -> list[Quad]:
    data = report.graph.serialize(format="nt", encoding="utf-8")
    return [Quad(q.subject, q.predicate, q.object, graph) for q in parse(data, format=RdfFormat.N_TRIPLES)]


def _render(sources: Sources, quads: list[Quad], report: ValidationReport,
            report_graph: NamedNode) -> dict[str, bytes]:
    """Every file of the release except the store and manifest, as bytes."""
    prefixes = dict(sorted(sources.prefixes.items()))
    files = release._dumps(quads, {sources.graph_names[f] for f in KG_FOLDERS}, prefixes)
    validation_graph = [q.triple for q in quads if q.graph_name == report_graph]
    files["validation.ttl"] = release.to_bytes(validation_graph, RdfFormat.TURTLE,
                                       {"sh": "http://www.w3.org/ns/shacl#", **prefixes})
    files["validation.txt"] = report.text().encode("utf-8")
    return files


def _manifest(settings: Settings, sources: Sources, report: ValidationReport,
              files: dict[str, bytes], version: str, report_graph: NamedNode,
              report_triples: int) -> dict[str, object]:
    files_triples = files[f"{DUMP_STEM}.nt"].count(b"\n")  # the default graph: distinct data + ontology triples
    counts: dict[str, int] = {}
    for folder, graph in sources.graph_names.items():
        counts[graph.value] = len(sources.graph(folder))
    counts[report_graph.value] = report_triples
    return {
        "version": version,
        "format": RELEASE_FORMAT.strip(),
        "kgpub": __version__,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "base_iri": settings.base_iri,
        "graphs": counts,
        "default_graphs": [str(sources.graph_names[f].value) for f in KG_FOLDERS],
        "default_graph_triples": files_triples,
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
