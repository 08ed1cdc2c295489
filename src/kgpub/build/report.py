"""The validation report: results as people read them, and the report graph as SHACL says it.

Two verdicts, kept apart by name: :attr:`ValidationReport.conforms` is SHACL's (SHACL 1.0
§3.6.1.1: true if and only if there are no results at all, whatever their severity; the
report graph's ``sh:conforms`` says the same), and :attr:`ValidationReport.publishable` is
our publication gate (no ``sh:Violation``: warnings and info are published with the release).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from kgpub.rdf.terms import Prefixes

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
    results: tuple[Result, ...]
    graph: Graph  # the sh:ValidationReport as RDF; its sh:conforms is :attr:`conforms`

    @property
    def conforms(self) -> bool:
        """SHACL's verdict: no validation results at all, whatever their severity."""
        return not self.results

    @property
    def publishable(self) -> bool:
        """Our publication gate: no ``sh:Violation`` (warnings and info do not block a release)."""
        return self.count("Violation") == 0

    def count(self, severity: str) -> int:
        return sum(r.severity == severity for r in self.results)

    @property
    def summary(self) -> str:
        """One line: ``Validation: no violations, 1 warning`` (``no results`` when there are none)."""
        v, w, i = (self.count(s) for s in ("Violation", "Warning", "Info"))
        return f"Validation: {counts(v, w, i, other=len(self.results) - v - w - i)}"

    def text(self) -> str:
        lines = [self.summary]
        for r in self.results:
            lines += ["", f"{r.severity.upper()}: {r.message}", f"  shape: {r.shape}",
                      f"  focus: {r.focus}"]
            lines += [f"  path:  {r.path}"] if r.path else []
            lines += [f"  value: {r.value}"] if r.value else []
        return "\n".join(lines) + "\n"


def counts(violations: int, warnings: int, info: int, *, other: int = 0) -> str:
    """``no violations, 1 warning``; ``2 violations, 3 warnings, 1 info result``; ``no results`` when all are 0.

    ``other`` counts results of a severity SHACL does not define (a shape may name any IRI).
    """
    if violations == warnings == info == other == 0:
        return "no results"
    parts = [_plural(violations, "violation") if violations else "no violations"]
    parts += [_plural(warnings, "warning")] if warnings else []
    parts += [_plural(info, "info result")] if info else []
    parts += [_plural(other, "result") + " of another severity"] if other else []
    return ", ".join(parts)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class Namer:
    """Renders terms compactly with the project's prefixes; names nested shapes by parent."""

    def __init__(self, prefixes: dict[str, str], shapes: Graph) -> None:
        self.prefixes = Prefixes({"sh": str(SH), "xsd": str(XSD), **prefixes})
        self.shapes = shapes

    def term(self, node: Node | None) -> str:
        if node is None:
            return ""
        if isinstance(node, URIRef):
            return self.prefixes.compact(str(node))
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


def result_of(graph: Graph, node: Node, names: Namer) -> Result:
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
