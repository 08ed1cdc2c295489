"""The shapes and validation pages' models: each SHACL shape with its message and target; the served
release's validation report with its results, their focus nodes linked.

SHACL's ``sh:conforms`` is false as soon as the report has any result, a warning included; the page
says how many results of each severity there are (a release is only published without violations).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode

from kgpub.release.reader import Release
from kgpub.resources.i18n import N_, Label, pick
from kgpub.resources.views import RDF, RDFS, SH, Value, Views

TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
SEVERITIES = (N_("Violation"), N_("Warning"), N_("Info"))
PLURALS = {"Violation": N_("Violations"), "Warning": N_("Warnings"), "Info": N_("Infos")}


@dataclass(frozen=True)
class Check:
    path: Value | None
    message: Label | None
    severity: str


@dataclass(frozen=True)
class Shape:
    iri: str
    anchor: str
    label: Label
    comment: Label | None
    targets: tuple[tuple[str, Value], ...]  # (target kind, value)
    severity: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Result:
    focus: Value
    path: Value | None
    message: Label | None
    severity: str
    shape: Value | None


@dataclass(frozen=True)
class ValidationPage:
    conforms: bool
    counts: dict[str, int]  # severity -> results
    plurals: dict[str, str]
    results: tuple[Result, ...]
    report_text: str


def _graph(views: Views, name: str) -> NamedNode:
    return NamedNode(views.ns.iri("/graph/" + name))


def _objects(views: Views, subject: NamedNode | BlankNode, predicate: str, graph: NamedNode) -> list[object]:
    return [q.object for q in views.store.quads_for_pattern(subject, NamedNode(predicate), None, graph)]


def _texts(views: Views, subject: NamedNode | BlankNode, predicate: str, graph: NamedNode, lang: str) -> Label | None:
    found = {o.language or "": o.value for o in _objects(views, subject, predicate, graph) if isinstance(o, Literal)}
    return pick(found, lang)


def _severity(views: Views, subject: NamedNode | BlankNode, graph: NamedNode, default: str = "Violation") -> str:
    for o in _objects(views, subject, SH + "severity", graph) + _objects(views, subject, SH + "resultSeverity", graph):
        if isinstance(o, NamedNode):
            return o.value.removeprefix(SH)
    return default


def shapes(views: Views, lang: str) -> tuple[Shape, ...]:
    graph = _graph(views, "shapes")
    found = []
    for quad in views.store.quads_for_pattern(None, NamedNode(RDF + "type"), NamedNode(SH + "NodeShape"), graph):
        node = quad.subject
        if not isinstance(node, NamedNode):
            continue
        label = _texts(views, node, RDFS + "label", graph, lang) or Label(views.labels.short(node.value), "", False)
        targets = tuple((kind, views.value(o, lang)) for kind in TARGETS
                        for o in _objects(views, node, SH + kind, graph))
        severity = _severity(views, node, graph)
        checks = []
        for prop in _objects(views, node, SH + "property", graph) + _objects(views, node, SH + "sparql", graph):
            if not isinstance(prop, NamedNode | BlankNode):
                continue
            paths = [o for o in _objects(views, prop, SH + "path", graph) if isinstance(o, NamedNode)]
            checks.append(Check(views.value(paths[0], lang) if paths else None,
                                _texts(views, prop, SH + "message", graph, lang),
                                _severity(views, prop, graph, severity)))
        found.append(Shape(node.value, node.value.rpartition("#")[2] or node.value.rpartition("/")[2], label,
                           _texts(views, node, RDFS + "comment", graph, lang), targets, severity, tuple(checks)))
    return tuple(sorted(found, key=lambda s: s.label.text.casefold()))


def validation(views: Views, release: Release, lang: str) -> ValidationPage:
    graph = _graph(views, "validation")
    results = []
    conforms = True
    for quad in views.store.quads_for_pattern(None, NamedNode(SH + "conforms"), None, graph):
        conforms = isinstance(quad.object, Literal) and quad.object.value == "true"
    for quad in views.store.quads_for_pattern(None, NamedNode(RDF + "type"), NamedNode(SH + "ValidationResult"), graph):
        node = quad.subject
        if not isinstance(node, NamedNode | BlankNode):
            continue
        focus = _objects(views, node, SH + "focusNode", graph)
        paths = [o for o in _objects(views, node, SH + "resultPath", graph) if isinstance(o, NamedNode)]
        shape = [o for o in _objects(views, node, SH + "sourceShape", graph) if isinstance(o, NamedNode)]
        results.append(Result(views.value(focus[0], lang) if focus else Value("?"),
                              views.value(paths[0], lang) if paths else None,
                              _texts(views, node, SH + "resultMessage", graph, lang), _severity(views, node, graph),
                              _shape_link(views, shape[0], lang) if shape else None))
    counts = Counter(r.severity for r in results)
    results.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9, r.focus.text))
    counted = {s: counts.get(s, 0) for s in SEVERITIES}
    return ValidationPage(conforms, counted, PLURALS, tuple(results), release.report_text)


def _shape_link(views: Views, shape: NamedNode, lang: str) -> Value:
    """A shape links to its entry on the shapes page (shapes are not entities of the knowledge graph)."""
    graph = _graph(views, "shapes")
    label = _texts(views, shape, RDFS + "label", graph, lang)
    anchor = shape.value.rpartition("#")[2]
    return Value(label.text if label else views.labels.short(shape.value), lang=label.lang if label else "",
                 href=f"/shapes#{anchor}", iri=shape.value)
