"""SHACL validation of a project's sources into a report.

pySHACL runs over data + ontology (``inference="none"``, warnings allowed) with the project's
shapes; SHACL-SPARQL targets and constraints run in bulk on pyoxigraph
(:mod:`kgpub.build.shacl_sparql`); the Data Cube IC-12 duplicate check runs in Python
(:mod:`kgpub.build.cube`) and adds its results to the same report. The report graph says
what SHACL says (``sh:conforms true`` if and only if there are no results at all, SHACL 1.0
§3.6.1.1) and every blank node in it is described there; whether the release may be published
is the report's :attr:`~kgpub.build.report.ValidationReport.publishable` (no ``sh:Violation``).
"""

from __future__ import annotations

import os

from pyoxigraph import Store
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kgpub.build import shacl_core, shacl_sparql
from kgpub.build.bridge import to_rdflib
from kgpub.build.cube import duplicate_observations
from kgpub.build.parallel import pyshacl_report
from kgpub.build.report import Namer, Result, ValidationReport, result_of
from kgpub.build.sources import KNOWLEDGE_GRAPH, Sources
from kgpub.progress import QUIET, Progress


def _order(r: Result) -> tuple[object, ...]:
    """Violations first, then a total order, so the same sources always give the same report text."""
    return (r.severity != "Violation", r.severity, r.shape, r.focus, r.path, r.value, r.message)


IC12_SHAPE = "shapes#IC12-NoDuplicateObservations"  # under the project's base IRI, beside its own shapes


def validate(sources: Sources, *, store: Store | None = None, offload: bool = True, core: bool = True,
             processes: int | None = None, progress: Progress = QUIET) -> ValidationReport:
    """Validate data + ontology against the shapes.

    ``store`` holds the same quads (one is made when not given); SHACL-SPARQL targets and
    constraints run on it in bulk (:mod:`kgpub.build.shacl_sparql`) unless ``offload`` is False,
    in which case pySHACL does everything; SHACL Core runs on it too (:mod:`kgpub.build.shacl_core`) unless
    ``core`` is False (pySHACL then validates it, as the differential tests compare). The IC-12 duplicate check
    always runs on it.
    ``processes`` (default: the machine's cores, at most 4) split pySHACL's work on large data.
    """
    if store is None:
        store = sources.store
    default_graphs = [sources.graph_names[f] for f in KNOWLEDGE_GRAPH]
    shapes = to_rdflib(sources.graph("shapes"))
    progress.step("validating: planning")
    shacl_sparql.check_queries(shapes)
    plan = shacl_sparql.plan(shapes, store, default_graphs) if offload else shacl_sparql.Plan(shapes)
    compiled = shacl_core.plan(shapes, plan.shapes_for_pyshacl) if offload and core else []
    if shacl_core.leaves_nothing(plan.shapes_for_pyshacl):  # no rdflib copy of the data at all
        graph = Graph()
        graph.add((BNode(), RDF.type, SH.ValidationReport))
    else:
        progress.step("validating: pySHACL")
        data = to_rdflib(q for f in KNOWLEDGE_GRAPH for q in sources.graph(f))
        cores = processes if processes is not None else min(4, os.cpu_count() or 1)
        graph = pyshacl_report(data, plan.shapes_for_pyshacl, processes=cores)
    report_node = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    progress.step("validating: SHACL-SPARQL constraints")
    shacl_sparql.run(plan.constraints, store, default_graphs, graph, report_node)
    shacl_core.run(compiled, store, default_graphs, graph, report_node,
                   step=lambda done: progress.step(f"validating: {done} of {len(compiled)} SHACL Core checks"))
    progress.step("validating: Data Cube IC-12")
    _add_duplicates(graph, store, URIRef(sources.base_iri + IC12_SHAPE))
    names = Namer(sources.prefixes, shapes)
    results = tuple(sorted((result_of(graph, node, names) for node in graph.subjects(RDF.type, SH.ValidationResult)),
                           key=_order))
    report = ValidationReport(results=results, graph=graph)
    graph.set((report_node, SH.conforms, Literal(report.conforms)))  # pySHACL's says true with warnings allowed
    return report


def _add_duplicates(graph: Graph, store: Store, ic12: URIRef) -> None:
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    for dup in duplicate_observations(store):
        node = BNode()
        graph.add((report, SH.result, node))
        for p, o in (
            (RDF.type, SH.ValidationResult), (SH.resultSeverity, SH.Violation),
            (SH.focusNode, URIRef(dup.observation)), (SH.sourceShape, ic12),
            (SH.sourceConstraintComponent, ic12), (SH.value, URIRef(dup.duplicate_of)),
            (SH.resultMessage, Literal(
                f"Duplicate observation (Data Cube IC-12): same data set <{dup.dataset}> and "
                f"dimension values as <{dup.duplicate_of}>")),
        ):
            graph.add((node, p, o))
