"""The build: load the sources, validate them, and write them as a release.

``build(settings)`` is the whole pipeline of ``kgpub build``: strict parsing
(:mod:`kgpub.build.sources`), the check of links into other knowledge graphs against
``data/links.csv`` (:mod:`kgpub.build.links`), SHACL validation (:mod:`kgpub.build.validate`),
then one :class:`~kgpub.release.writer.Draft` handed to :func:`kgpub.release.writer.write`.
An unverified link or a violation stops it before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode, Store

from kgpub.build import links, retired
from kgpub.build.bridge import from_rdflib
from kgpub.build.examples import example_queries
from kgpub.build.report import ValidationReport
from kgpub.build.sources import KNOWLEDGE_GRAPH, SUFFIXES, Sources, graph_name, load_sources
from kgpub.build.validate import validate
from kgpub.errors import KgpubError, UnverifiedLinks, ValidationFailed
from kgpub.metadata import statistics, tables
from kgpub.progress import QUIET, Progress
from kgpub.release import outcome, writer
from kgpub.release.manifest import SourceEntry, ValidationSummary
from kgpub.release.outcome import BuildOutcome
from kgpub.release.reader import Release
from kgpub.resources.documents import RETIRED_FILE
from kgpub.settings import Settings

SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True)
class BuildResult:
    release: Release
    report: ValidationReport

    @property
    def reused(self) -> bool:
        """An identical release existed already."""
        return self.release.reused


def check(settings: Settings, *, progress: Progress = QUIET) -> tuple[Sources, ValidationReport]:
    """Load the sources, check their links and validate them: what ``kgpub validate`` and the build share.

    Raises UnverifiedLinks when a link into another knowledge graph is not verified; the
    report says whether the sources are publishable (no violations)."""
    sources = load_sources(settings.project, base_iri=settings.base_iri, progress=progress)
    if unverified := links.problems(sources):
        raise UnverifiedLinks(unverified, mapping=links.MAPPING.as_posix())
    return sources, validate(sources, store=sources.store, progress=progress)


def build(settings: Settings, *, progress: Progress = QUIET) -> BuildResult:
    """Load, check links, validate and write a release; on UnverifiedLinks or ValidationFailed nothing is written.

    Either way the outcome is recorded beside the releases (``last-build.json``), for a server that watches them."""
    try:
        sources, report = check(settings, progress=progress)
        if not report.publishable:
            raise ValidationFailed(report.summary, report_text=report.text())
        release = draft(settings, sources, report)
        sources.store = Store()  # validated: the writer streams the files again, so free the store's memory
        result = BuildResult(release=writer.write(release, settings.releases_dir, progress=progress), report=report)
    except KgpubError as e:
        outcome.record(settings.releases_dir, BuildOutcome.now(ok=False, code=e.code, message=e.message))
        raise
    outcome.record(settings.releases_dir, BuildOutcome.now(ok=True, version=result.release.version))
    return result


def draft(settings: Settings, sources: Sources, report: ValidationReport) -> writer.Draft:
    """The release of validated sources: every graph, the report as a graph and as files, the example queries."""
    report_graph = graph_name(settings.base_iri, "validation")
    result = writer.Draft(
        parts=[writer.Part(path=f.path, format=SUFFIXES[f.path.suffix], graph=sources.graph_names[f.folder].value)
               for f in sources.files],  # the sources as written, streamed again (a store normalizes numbers)
        quads=from_rdflib(report.graph, report_graph),
        default_graphs=[sources.graph_names[f].value for f in KNOWLEDGE_GRAPH],
        prefixes=sources.prefixes, base_iri=settings.base_iri,
        sources=[SourceEntry(path=f.path.relative_to(sources.project).as_posix(),
                             graph=sources.graph_names[f.folder].value, sha256=f.sha256, triples=f.triples)
                 for f in sources.files],
        validation=ValidationSummary(conforms=report.conforms, publishable=report.publishable,
                                     violations=report.count("Violation"), warnings=report.count("Warning"),
                                     info=report.count("Info")),
    )
    result.add_file("validation.ttl", writer.graph_file(report_graph.value, "turtle", prefixes={"sh": SH}))
    result.add_file("validation.txt", lambda _: report.text().encode("utf-8"))
    result.add_file("queries.json", lambda _: example_queries(sources.project))
    result.add_file(statistics.FILE_NAME, statistics.renderer(settings.base_iri, statistics.link_targets(
        [row.link.target for row in links.read_mapping(sources.project / links.MAPPING, base_iri=sources.base_iri,
                                                       prefixes=sources.prefixes)[0] if row.verified],
        links.KNOWLEDGE_GRAPHS, links.knowledge_graph)))
    gone = retired.retired(sources.project, base_iri=settings.base_iri, store=sources.store)
    result.add_file(RETIRED_FILE, lambda _: retired.render(gone))
    data_sets = (q for g in result.default_graphs for q in sources.store.quads_for_pattern(
        None, NamedNode(tables.RDF_TYPE), NamedNode(tables.QB + "DataSet"), NamedNode(g)))
    figures = tables.published(data_sets, graphs=result.default_graphs, base_iri=settings.base_iri)
    for name in figures.names:  # the figures as tables: CSV, and CSV on the Web metadata
        result.add_file(tables.csv_name(name), figures.csv(name))
        result.add_file(tables.metadata_name(name), figures.metadata(name))
    return result
