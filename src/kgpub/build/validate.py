"""SHACL validation of a project's sources into a report object.

pySHACL runs over data + ontology (``inference="none"``, warnings allowed) with the project's
shapes; the Data Cube IC-12 duplicate check runs in Python (:mod:`kgpub.build.cube`) and adds its
results to the same report. Only ``sh:Violation`` results make a report non-conforming.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass

import pyshacl
from pyoxigraph import Quad, RdfFormat, Store, serialize
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from kgpub.build import shacl_sparql
from kgpub.build.cube import duplicate_observations
from kgpub.errors import ShapesError
from kgpub.build.sources import Sources

KJSH = Namespace("https://w3id.org/kjtrade/shapes#")
IC12 = KJSH["IC12-NoDuplicateObservations"]
_PLAIN_TYPES = {XSD.integer, XSD.decimal, XSD.double, XSD.boolean}  # shown as in Turtle, unquoted


@dataclass(frozen=True, kw_only=True)
class Result:
    severity: str  # "Violation", "Warning" or "Info"
    shape: str  # the named shape that produced it (parent of a nested property shape)
    focus: str
    path: str
    value: str
    message: str


@dataclass(frozen=True, kw_only=True)
class ValidationReport:
    conforms: bool
    results: tuple[Result, ...]
    graph: Graph  # the sh:ValidationReport as RDF

    def count(self, severity: str) -> int:
        return sum(r.severity == severity for r in self.results)

    @property
    def summary(self) -> str:
        v, w, i = (self.count(s) for s in ("Violation", "Warning", "Info"))
        verdict = "conforms" if self.conforms else "does NOT conform"
        return f"Validation {verdict}: {v} violation(s), {w} warning(s), {i} info"

    def text(self) -> str:
        lines = [self.summary]
        for r in self.results:
            lines += ["", f"{r.severity.upper()}: {r.message}", f"  shape: {r.shape}",
                      f"  focus: {r.focus}"]
            lines += [f"  path:  {r.path}"] if r.path else []
            lines += [f"  value: {r.value}"] if r.value else []
        return "\n".join(lines) + "\n"


def to_rdflib(quads: list[Quad]) -> Graph:
    """An rdflib graph of the quads' triples (via N-Triples, the fastest bridge)."""
    graph = Graph()
    if quads:
        graph.parse(data=serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES), format="nt")
    return graph


def validate(sources: Sources, *, store: Store | None = None, offload: bool = True,
             processes: int | None = None) -> ValidationReport:
    """Validate data + ontology against the shapes.

    ``store`` holds the same quads (one is made when not given); SHACL-SPARQL targets and
    constraints run on it in bulk (:mod:`kgpub.build.shacl_sparql`) unless ``offload`` is False,
    in which case pySHACL does everything. The IC-12 duplicate check always runs on it.
    ``processes`` (default: the machine's cores, at most 4) split pySHACL's work on large data.
    """
    if store is None:
        store = Store()
        store.extend(sources.all_quads())
    default_graphs = [sources.graph_names["data"], sources.graph_names["ontology"]]
    shapes = to_rdflib(sources.graph("shapes"))
    shacl_sparql.check_queries(shapes)
    plan = shacl_sparql.plan(shapes, store, default_graphs) if offload else shacl_sparql.Plan(shapes)
    data = to_rdflib(sources.graph("data") + sources.graph("ontology"))
    cores = processes if processes is not None else min(4, os.cpu_count() or 1)
    graph = _pyshacl(data, plan.shapes_for_pyshacl, processes=cores)
    report_node = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    shacl_sparql.run(plan.constraints, store, default_graphs, graph, report_node)
    _add_duplicates(graph, store)
    names = _Namer(sources.prefixes, shapes)
    results = tuple(sorted((_result(graph, node, names) for node in graph.subjects(RDF.type, SH.ValidationResult)),
                           key=lambda r: (r.severity != "Violation", r.severity, r.shape, r.focus, r.path)))
    conforms = not any(r.severity == "Violation" for r in results)
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    graph.set((report, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms=conforms, results=results, graph=graph)


PARALLEL_MIN_TRIPLES = 50_000  # below this, forking costs more than it saves
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_FORKED: dict[str, Graph] = {}  # the graphs a forked child validates (inherited, never pickled)


def _pyshacl(data: Graph, shapes: Graph, *, processes: int = 1) -> Graph:
    """pySHACL with our options, over ``processes`` cores for large data; errors become ShapesError.

    Shapes validate independently, so the shapes with targets are split into cost-balanced
    groups: forked children validate all but the first group (sharing the data graph
    copy-on-write) while this process validates the first; their results are merged.
    """
    groups = _shape_groups(data, shapes, processes) if processes > 1 and len(data) >= PARALLEL_MIN_TRIPLES else []
    if len(groups) < 2:
        return _pyshacl_run(data, shapes, None)
    _FORKED.update(data=data, shapes=shapes)
    try:
        with multiprocessing.get_context("fork").Pool(len(groups) - 1) as pool:
            pending = [pool.apply_async(_child, (group,)) for group in groups[1:]]
            graph = _pyshacl_run(data, shapes, groups[0])
            for job in pending:
                _merge(graph, job.get())
    finally:
        _FORKED.clear()
    return graph


def _child(group: list[str]) -> list[tuple[Node, Node, Node]]:
    return list(_pyshacl_run(_FORKED["data"], _FORKED["shapes"], group))


def _pyshacl_run(data: Graph, shapes: Graph, use_shapes: list[str] | None) -> Graph:
    log = logging.getLogger("pyshacl-validate")  # pySHACL re-attaches a stderr handler on every call;
    log.disabled = True  # what it would log is in the error or the report we return
    try:
        _, graph, text = pyshacl.validate(data_graph=data, shacl_graph=shapes, inference="none",
                                          allow_warnings=True, advanced=True, use_shapes=use_shapes, inplace=True)
    except ReportableRuntimeError as e:  # pySHACL's error for shapes it cannot load
        raise ShapesError(f"the shapes are not valid SHACL: {e}") from e
    finally:
        log.disabled = False
    if not isinstance(graph, Graph):  # pySHACL returns a ValidationFailure when a shape cannot run
        raise ShapesError(f"the shapes could not be evaluated: {text}")
    return graph


def _shape_groups(data: Graph, shapes: Graph, processes: int) -> list[list[str]]:
    """The shapes with targets in ``processes`` groups of similar work; none if one is a blank node."""
    targeted = {s for p in _TARGETS for s in shapes.subjects(p, None)}
    targeted |= {s for s in shapes.subjects(RDF.type, RDFS.Class) if (s, RDF.type, SH.NodeShape) in shapes}
    if not targeted or any(not isinstance(s, URIRef) for s in targeted):
        return []
    bins: list[tuple[int, list[str]]] = [(0, []) for _ in range(processes)]
    for cost, shape in sorted(((_cost(data, shapes, s), str(s)) for s in targeted), reverse=True):
        load, members = min(bins, key=lambda b: b[0])
        bins.remove((load, members))
        bins.append((load + cost, [*members, shape]))
    return [members for _, members in bins if members]


def _cost(data: Graph, shapes: Graph, shape: Node) -> int:
    """Rough work of a shape: its focus nodes times its constraints."""
    focus = sum(1 for c in shapes.objects(shape, SH.targetClass) for _ in data.subjects(RDF.type, c))
    focus += sum(1 for _ in shapes.objects(shape, SH.targetNode))
    focus += sum(1 for p in shapes.objects(shape, SH.targetSubjectsOf) for _ in data.subject_objects(p))
    focus += sum(1 for p in shapes.objects(shape, SH.targetObjectsOf) for _ in data.subject_objects(p))
    return max(1, focus) * (1 + sum(1 for _ in shapes.predicate_objects(shape)))


def _merge(graph: Graph, triples: list[tuple[Node, Node, Node]]) -> None:
    """Add a child's results to ``graph``'s report (its own report node is dropped)."""
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    child = {s for s, p, o in triples if p == RDF.type and o == SH.ValidationReport}
    for s, p, o in triples:
        if s in child:
            if p == SH.result:
                graph.add((report, SH.result, o))
            continue
        graph.add((s, p, o))


def _add_duplicates(graph: Graph, store: Store) -> None:
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)))
    for dup in duplicate_observations(store):
        node = BNode()
        graph.add((report, SH.result, node))
        for p, o in (
            (RDF.type, SH.ValidationResult), (SH.resultSeverity, SH.Violation),
            (SH.focusNode, URIRef(dup.observation)), (SH.sourceShape, IC12),
            (SH.sourceConstraintComponent, IC12), (SH.value, URIRef(dup.duplicate_of)),
            (SH.resultMessage, Literal(
                f"Duplicate observation (Data Cube IC-12): same data set <{dup.dataset}> and "
                f"dimension values as <{dup.duplicate_of}>")),
        ):
            graph.add((node, p, o))


class _Namer:
    """Renders terms compactly with the project's prefixes; names nested shapes by parent."""

    def __init__(self, prefixes: dict[str, str], shapes: Graph) -> None:
        pairs = {**prefixes, "sh": str(SH), "kjsh": str(KJSH), "xsd": str(XSD)}
        self.prefixes = sorted(pairs.items(), key=lambda kv: -len(kv[1]))
        self.shapes = shapes

    def term(self, node: Node | None) -> str:
        if node is None:
            return ""
        if isinstance(node, URIRef):
            iri = str(node)
            for prefix, ns in self.prefixes:
                if iri.startswith(ns) and ns:
                    return f"{prefix}:{iri[len(ns):]}"
            return f"<{iri}>"
        if isinstance(node, Literal):
            if node.datatype is None or node.datatype == XSD.string:
                return f'"{node}"' + (f"@{node.language}" if node.language else "")
            if node.datatype in _PLAIN_TYPES:
                return str(node)
            return f'"{node}"^^{self.term(node.datatype)}'
        return "(blank node)"

    def shape(self, node: Node | None) -> str:
        seen = 0
        while isinstance(node, BNode) and seen < 10:
            parent = next(iter(self.shapes.subjects(SH.property, node)), None)
            if parent is None:
                break
            node, seen = parent, seen + 1
        return self.term(node)

    def path(self, graph: Graph, node: Node | None) -> str:
        if isinstance(node, BNode):
            inverse = graph.value(node, SH.inversePath)
            return f"^{self.term(inverse)}" if inverse is not None else "(complex path)"
        return self.term(node)


def _result(graph: Graph, node: Node, names: _Namer) -> Result:
    severity = graph.value(node, SH.resultSeverity)
    message = graph.value(node, SH.resultMessage)
    return Result(
        severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        shape=names.shape(graph.value(node, SH.sourceShape)),
        focus=names.term(graph.value(node, SH.focusNode)),
        path=names.path(graph, graph.value(node, SH.resultPath)),
        value=names.term(graph.value(node, SH.value)),
        message=str(message) if message is not None else "(no message)",
    )
