"""pySHACL with our options, split over the cores on large graphs.

Shapes validate independently, so on graphs over :data:`PARALLEL_MIN_TRIPLES` the shapes
with targets are split into cost-balanced groups: forked children validate all but the
first group (sharing the data graph copy-on-write) while this process validates the first;
their results are merged into one report graph.
"""

from __future__ import annotations

import logging
import multiprocessing

import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from kgpub.errors import ShapesError

PARALLEL_MIN_TRIPLES = 50_000  # below this, forking costs more than it saves
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_FORKED: dict[str, Graph] = {}  # the graphs a forked child validates (inherited, never pickled)


def pyshacl_report(data: Graph, shapes: Graph, *, processes: int = 1) -> Graph:
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
