"""SHACL Core in bulk on pyoxigraph: each constraint of a shape is one SPARQL query over all its focus nodes.

pySHACL walks focus node by focus node on an rdflib copy of the data: on a million triples that copy
and the walk were 85 s of a 153 s build and most of its 4.4 GB. Here a top-level shape (a node shape
with targets) whose every constraint is of a kind below is compiled to SPARQL and run once on the
build's pyoxigraph store, and its targets are taken out of the shapes graph pySHACL gets. When no
shape is left for pySHACL, the data is never copied into rdflib at all.

What is compiled (the results are the ones pySHACL gives: the same focus node, value, path, source
shape, constraint component, severity and ``sh:message`` texts; the shape tests compare both ways on
every shape example, the real data and synthetic graphs):

- targets: ``sh:targetClass`` (with ``rdfs:subClassOf*``), implicit class targets, ``sh:targetNode``,
  ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, and SPARQL targets (:mod:`kgpub.build.shacl_sparql`);
- paths: predicates, ``sh:inversePath``, sequences, ``sh:alternativePath``, ``sh:zeroOrMorePath``,
  ``sh:oneOrMorePath``, ``sh:zeroOrOnePath`` (SPARQL property paths say the same);
- value constraints: ``sh:class``, ``sh:datatype`` (ill-typed literals fail, as in pySHACL, for the
  types both rdflib and SPARQL can cast), ``sh:nodeKind``, ``sh:in``, ``sh:hasValue``, ``sh:pattern``
  (+ ``sh:flags``), ``sh:languageIn``, the four ranges, ``sh:minLength``/``sh:maxLength``, and
  ``sh:node``, ``sh:not``, ``sh:and``, ``sh:or``, ``sh:xone`` over shapes made of the same (nested
  property shapes with small counts included);
- per focus node: ``sh:minCount``, ``sh:maxCount``, ``sh:uniqueLang``, ``sh:equals``, ``sh:disjoint``,
  ``sh:qualifiedValueShape`` with ``sh:qualifiedMinCount``/``sh:qualifiedMaxCount`` (not disjoint).

Anything else in a shape (``sh:closed``, ``sh:lessThan``, a constraint without ``sh:message``, whose
text pySHACL makes up, a SHACL-SPARQL constraint left to pySHACL, ...) leaves that whole top-level
shape to pySHACL, so nothing is checked twice or not at all.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyoxigraph import NamedNode, Store
from pyshacl.rdfutil.stringify import stringify_node
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from kgpub.build.bridge import term as _rdflib
from kgpub.build.shacl_sparql import _describe, _description, _is_deactivated, _query, _target_patterns

TYPE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
_THIS = re.compile(r"\?this\b")
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
# Datatypes whose ill-typed literals pySHACL (rdflib) rejects and a SPARQL cast can tell apart.
_CASTS = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime, XSD.time,
          XSD.gYear, XSD.gYearMonth}
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({x})", SH.BlankNode: "isBlank({x})", SH.Literal: "isLiteral({x})",
    SH.BlankNodeOrIRI: "(isIRI({x}) || isBlank({x}))", SH.BlankNodeOrLiteral: "(isBlank({x}) || isLiteral({x}))",
               SH.IRIOrLiteral: "(isIRI({x}) || isLiteral({x}))"}
_RANGES = {SH.minInclusive: ">=", SH.minExclusive: ">", SH.maxInclusive: "<=", SH.maxExclusive: "<"}
_VALUE_PARAMETERS = {SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.pattern, SH.languageIn, SH.minLength,
                     SH.maxLength, SH.node, SH["not"], SH["and"], SH["or"], SH.xone, *_RANGES}
_FOCUS_PARAMETERS = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.equals, SH.disjoint, SH.qualifiedValueShape,
                     SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.hasValue}
# Parameters that change no result (pages read sh:group/sh:order; names and texts are for people).
_INERT = {RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.group, SH.order, SH.message, SH.severity,
          SH.path, SH.property, SH.flags, SH.defaultValue, SH.deactivated, SH.prefixes, SH.qualifiedValueShapesDisjoint,
          *_TARGETS}
_COMPONENT = {SH["class"]: SH.ClassConstraintComponent, SH.datatype: SH.DatatypeConstraintComponent,
              SH.nodeKind: SH.NodeKindConstraintComponent, SH["in"]: SH.InConstraintComponent,
              SH.pattern: SH.PatternConstraintComponent, SH.languageIn: SH.LanguageInConstraintComponent,
              SH.minLength: SH.MinLengthConstraintComponent, SH.maxLength: SH.MaxLengthConstraintComponent,
              SH.node: SH.NodeConstraintComponent, SH["not"]: SH.NotConstraintComponent,
              SH["and"]: SH.AndConstraintComponent, SH["or"]: SH.OrConstraintComponent,
              SH.xone: SH.XoneConstraintComponent, SH.minInclusive: SH.MinInclusiveConstraintComponent,
              SH.minExclusive: SH.MinExclusiveConstraintComponent, SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
              SH.maxExclusive: SH.MaxExclusiveConstraintComponent, SH.minCount: SH.MinCountConstraintComponent,
              SH.maxCount: SH.MaxCountConstraintComponent, SH.uniqueLang: SH.UniqueLangConstraintComponent,
              SH.equals: SH.EqualsConstraintComponent, SH.disjoint: SH.DisjointConstraintComponent,
              SH.hasValue: SH.HasValueConstraintComponent}


# pySHACL's own result messages for a shape without sh:message (pyshacl.constraints.core.value_constraints)
_GENERIC = {SH["class"]: "Value does not have class {}", SH.datatype: "Value is not Literal with datatype {}",
            SH.nodeKind: "Value is not of Node Kind {}"}


class Unsupported(Exception):
    """A shape uses something this module does not compile: pySHACL keeps the whole top-level shape."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, as one query: its solutions bind ?this (and ?value when results have one)."""

    shape: Node  # the sh:sourceShape of the results (a property shape, or the node shape)
    component: URIRef
    query: str
    severity: Node
    messages: tuple[Literal, ...]
    path: Node | None  # the sh:resultPath (from the shapes graph)
    has_value: bool  # the results name a value node (?value), as pySHACL's of this component do
    description: tuple[tuple[Node, Node, Node], ...]  # the shapes' triples the results name (blank nodes)
    details: tuple[Check, ...] = ()  # sh:node: the nested shape's checks on the values, results under sh:detail


@dataclass
class _Found:
    check: Check
    focus: Node
    value: Node | None
    details: list[_Found]


def plan(shapes: Graph, pyshacl_shapes: Graph) -> list[Check]:
    """The checks of every top-level shape that compiles; those shapes lose their targets in ``pyshacl_shapes``.

    A shape is left to pySHACL whole when any part of it does not compile, or when ``pyshacl_shapes`` still
    holds a SHACL-SPARQL constraint of it (one :mod:`kgpub.build.shacl_sparql` did not take over)."""
    checks: list[Check] = []
    tops = {s for p in _TARGETS for s in shapes.subjects(p, None)}
    tops |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
             if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}
    for shape in sorted(tops, key=str):
        if not isinstance(shape, URIRef | BNode) or (shape, SH.sparql, None) in pyshacl_shapes:
            continue
        if _is_deactivated(shapes, shape):
            _untarget(pyshacl_shapes, shape)
            continue
        try:
            found = list(_Compiler(shapes).top(shape))
        except Unsupported:
            continue
        checks += found
        _untarget(pyshacl_shapes, shape)
    return checks


def leaves_nothing(pyshacl_shapes: Graph) -> bool:
    """Whether pySHACL would find no focus node to validate: every targeted shape was taken over."""
    if any(True for p in _TARGETS for _ in pyshacl_shapes.subject_objects(p)):
        return False
    return not any((s, RDF.type, SH.NodeShape) in pyshacl_shapes for cls in (RDFS.Class, OWL.Class)
                   for s in pyshacl_shapes.subjects(RDF.type, cls))


def _untarget(graph: Graph, shape: Node) -> None:
    for p in _TARGETS:
        graph.remove((shape, p, None))
    for cls in (RDFS.Class, OWL.Class):  # an implicit class target: pySHACL's copy no longer sees the class
        graph.remove((shape, RDF.type, cls))


def run(checks: list[Check], store: Store, default_graphs: list[NamedNode], report: Graph, report_node: Node,
        *, step: Callable[[int], None] | None = None) -> None:
    """Run every check and add its results to ``report`` as pySHACL writes them (``sh:node``'s nested results
    under ``sh:detail``, once per result they explain); ``step(n)`` is told before the n-th check."""
    for done, c in enumerate(checks):
        if step is not None:
            step(done)
        for found in _find(c, store, default_graphs, report):
            report.add((report_node, SH.result, _emit(found, report)))


def _find(c: Check, store: Store, default_graphs: list[NamedNode], report: Graph) -> list[_Found]:
    rows: dict[tuple[Node, Node | None], None] = {}
    for solution in _query(store, c.query, default_graphs, c.shape):
        rows[_rdflib(solution["this"]), _rdflib(solution["value"]) if c.has_value else None] = None
    nested: dict[Node, list[_Found]] = {}
    for d in c.details if rows else ():
        for found in _find(d, store, default_graphs, report):
            nested.setdefault(found.focus, []).append(found)
    for focus, value in rows:
        for term in (focus, value):
            if isinstance(term, BNode):
                _describe(store, default_graphs, term, report)
    if rows:
        for triple in c.description:
            report.add(triple)
    return [_Found(c, focus, value, nested.get(value, []) if value is not None else []) for focus, value in rows]


def _emit(found: _Found, report: Graph) -> BNode:
    c, node = found.check, BNode()
    for p, o in ((RDF.type, SH.ValidationResult), (SH.sourceConstraintComponent, c.component),
                 (SH.sourceShape, c.shape), (SH.resultSeverity, c.severity), (SH.focusNode, found.focus)):
        report.add((node, p, o))
    if found.value is not None:
        report.add((node, SH.value, found.value))
    if c.path is not None:
        report.add((node, SH.resultPath, c.path))
    for message in c.messages:
        report.add((node, SH.resultMessage, message))
    for child in found.details:
        report.add((node, SH.detail, _emit(child, report)))
    return node


class _Compiler:
    """Shapes to SPARQL: queries for a top-level shape, expressions for the shapes nested in it."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self._names = (f"?v{i}" for i in itertools.count())
        self._depth = 0

    def var(self) -> str:
        return next(self._names)

    # -- top level: one query per constraint ------------------------------------------------------------

    def top(self, shape: Node) -> Iterator[Check]:
        targets = _target_patterns(self.shapes, shape)
        if not targets:
            raise Unsupported(f"{shape}: no target this module can select")
        focus = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(f"{{ {t} }}" for t in targets) + " } }"
        yield from self.checks_of(shape, focus)

    def checks_of(self, shape: Node, focus: str) -> Iterator[Check]:
        """The checks of ``shape`` on the focus nodes ``focus`` (a group pattern binding ?this) selects."""
        self._depth += 1
        try:
            if self._depth > 8:
                raise Unsupported("shapes nested more than 8 deep (or recursive)")
            if (shape, SH.path, None) in self.shapes:
                yield from self.property_shape(shape, focus)  # a property shape with targets of its own
            else:
                yield from self._node_checks(shape, focus)
        finally:
            self._depth -= 1

    def _node_checks(self, shape: Node, focus: str) -> Iterator[Check]:
        self._known(shape, _VALUE_PARAMETERS | {SH.hasValue, SH.sparql})  # SHACL-SPARQL: taken over already
        for parameter, value in self._value_constraints(shape):
            test = self.value_test(parameter, value, "?this")
            yield self._check(shape, _COMPONENT[parameter], None, self._messages(shape, parameter, value),
                              f"SELECT DISTINCT ?this ?value WHERE {{ {focus} BIND(?this AS ?value) "
                              f"FILTER(!COALESCE({test}, false)) }}",
                              details=tuple(self.checks_of(value, focus)) if parameter == SH.node else ())
        for value in self.shapes.objects(shape, SH.hasValue):
            yield self._check(shape, SH.HasValueConstraintComponent, None, self._messages(shape),
                              f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER(!sameTerm(?this, {_sparql(value)})) }}")
        for prop in self.shapes.objects(shape, SH.property):
            if not _is_deactivated(self.shapes, prop):
                yield from self.property_shape(prop, focus)

    def property_shape(self, prop: Node, focus: str) -> Iterator[Check]:
        self._known(prop, _VALUE_PARAMETERS | _FOCUS_PARAMETERS)
        path_node = self.shapes.value(prop, SH.path)
        path = self.path(path_node)
        messages = self._messages(prop)
        values = f"{focus} ?this {path} ?value ."

        def check(component: URIRef, query: str) -> Check:
            return self._check(prop, component, path_node, messages, query)

        for parameter, value in self._value_constraints(prop):
            test = self.value_test(parameter, value, "?value")
            details: tuple[Check, ...] = ()
            if parameter == SH.node:  # pySHACL nests the value's own results under the sh:node result
                outer = self.var().replace("?v", "?outer")
                inner = _THIS.sub(outer, focus)
                details = tuple(self.checks_of(value, f"{{ SELECT DISTINCT ?this WHERE {{ {inner} "
                                                      f"{outer} {path} ?this . }} }}"))
            yield self._check(prop, _COMPONENT[parameter], path_node, messages,
                              f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER(!COALESCE({test}, false)) }}",
                              details=details)
        counted = f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} GROUP BY ?this HAVING "
        if (low := self._int(prop, SH.minCount)) is not None and low > 0:
            yield check(SH.MinCountConstraintComponent,
                        f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?any }} }}" if low == 1
                        else counted + f"(COUNT(DISTINCT ?value) < {low})")
        if (high := self._int(prop, SH.maxCount)) is not None:
            yield check(SH.MaxCountConstraintComponent, counted + f"(COUNT(DISTINCT ?value) > {high})")
        for value in self.shapes.objects(prop, SH.hasValue):
            yield check(SH.HasValueConstraintComponent,
                        f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {_sparql(value)} }} }}")
        if self.shapes.value(prop, SH.uniqueLang) == Literal(True):
            yield check(SH.UniqueLangConstraintComponent,
                        f"SELECT ?this WHERE {{ {values} FILTER(LANG(?value) != \"\") }} "
                        "GROUP BY ?this (LCASE(LANG(?value))) HAVING (COUNT(DISTINCT ?value) > 1)")
        for other in self.shapes.objects(prop, SH.equals):
            o = _sparql(other)
            yield check(SH.EqualsConstraintComponent,
                        f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {{ ?this {path} ?value "
                        f"FILTER NOT EXISTS {{ ?this {o} ?value }} }} UNION {{ ?this {o} ?value "
                        f"FILTER NOT EXISTS {{ ?this {path} ?value }} }} }}")
        for other in self.shapes.objects(prop, SH.disjoint):
            yield check(SH.DisjointConstraintComponent,
                        f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this {_sparql(other)} ?value . }}")
        for qualified in self.shapes.objects(prop, SH.qualifiedValueShape):
            if self.shapes.value(prop, SH.qualifiedValueShapesDisjoint) == Literal(True):
                raise Unsupported("sh:qualifiedValueShapesDisjoint")
            test = self.conforms(qualified, "?value")
            conforming = (f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value "
                          f"FILTER(COALESCE({test}, false)) }} }} GROUP BY ?this HAVING ")
            if (low := self._int(prop, SH.qualifiedMinCount)) is not None:
                yield check(SH.QualifiedMinCountConstraintComponent, conforming + f"(COUNT(DISTINCT ?value) < {low})")
            if (high := self._int(prop, SH.qualifiedMaxCount)) is not None:
                yield check(SH.QualifiedMaxCountConstraintComponent, conforming + f"(COUNT(DISTINCT ?value) > {high})")

    # -- nested: shapes as boolean expressions on one value -------------------------------------------

    def conforms(self, shape: Node, x: str) -> str:
        """A SPARQL expression: whether the node bound to ``x`` conforms to ``shape`` (errors mean no)."""
        self._depth += 1
        try:
            if self._depth > 8:
                raise Unsupported("shapes nested more than 8 deep (or recursive)")
            if _is_deactivated(self.shapes, shape):
                return "true"
            if (shape, SH.path, None) in self.shapes:
                return self._property_holds(shape, x)
            self._known(shape, _VALUE_PARAMETERS | {SH.hasValue})
            parts = [f"COALESCE({self.value_test(p, v, x)}, false)" for p, v in self._value_constraints(shape)]
            parts += [f"sameTerm({x}, {_sparql(v)})" for v in self.shapes.objects(shape, SH.hasValue)]
            parts += [self._property_holds(p, x) for p in self.shapes.objects(shape, SH.property)]
            return "(" + " && ".join(parts) + ")" if parts else "true"
        finally:
            self._depth -= 1

    def _property_holds(self, prop: Node, x: str) -> str:
        if _is_deactivated(self.shapes, prop):
            return "true"
        self._known(prop, _VALUE_PARAMETERS | {SH.minCount, SH.maxCount, SH.hasValue, SH.uniqueLang, SH.equals,
                                                SH.disjoint, SH.qualifiedValueShape, SH.qualifiedMinCount})
        if not x.startswith("?"):
            raise Unsupported("a property shape on a constant")
        path = self.path(self.shapes.value(prop, SH.path))
        parts = []
        for parameter, value in self._value_constraints(prop):
            v = self.var()
            parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER(!COALESCE({self.value_test(parameter, value, v)}, "
                         "false)) }")
        if (low := self._int(prop, SH.minCount)) is not None and low > 0:
            if low > 1:
                raise Unsupported("a nested sh:minCount above 1")
            parts.append(f"EXISTS {{ {x} {path} {self.var()} }}")
        if (high := self._int(prop, SH.maxCount)) is not None:
            a, b = self.var(), self.var()
            if high == 0:
                parts.append(f"NOT EXISTS {{ {x} {path} {a} }}")
            elif high == 1:
                parts.append(f"NOT EXISTS {{ {x} {path} {a} . {x} {path} {b} FILTER(!sameTerm({a}, {b})) }}")
            else:
                raise Unsupported("a nested sh:maxCount above 1")
        parts += [f"EXISTS {{ {x} {path} {_sparql(v)} }}" for v in self.shapes.objects(prop, SH.hasValue)]
        for qualified in self.shapes.objects(prop, SH.qualifiedValueShape):
            v = self.var()
            if self._int(prop, SH.qualifiedMinCount) != 1 or self.shapes.value(
                    prop, SH.qualifiedValueShapesDisjoint) == Literal(True):
                raise Unsupported("a nested qualified count other than at least 1")
            parts.append(f"EXISTS {{ {x} {path} {v} FILTER(COALESCE({self.conforms(qualified, v)}, false)) }}")
        if self.shapes.value(prop, SH.uniqueLang) == Literal(True):
            a, b = self.var(), self.var()
            parts.append(f"NOT EXISTS {{ {x} {path} {a} . {x} {path} {b} FILTER(!sameTerm({a}, {b}) && "
                         f"LANG({a}) != \"\" && LCASE(LANG({a})) = LCASE(LANG({b}))) }}")
        for other in self.shapes.objects(prop, SH.equals):
            v, o = self.var(), _sparql(other)
            parts.append(f"(NOT EXISTS {{ {x} {path} {v} FILTER NOT EXISTS {{ {x} {o} {v} }} }} && "
                         f"NOT EXISTS {{ {x} {o} {v} FILTER NOT EXISTS {{ {x} {path} {v} }} }})")
        for other in self.shapes.objects(prop, SH.disjoint):
            v = self.var()
            parts.append(f"NOT EXISTS {{ {x} {path} {v} . {x} {_sparql(other)} {v} }}")
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def value_test(self, parameter: URIRef, value: Node, x: str) -> str:
        """The expression that holds when the value node ``x`` satisfies one value constraint."""
        test = _VALUE_TESTS[parameter]
        return test(self, value, x)

    # -- pieces -------------------------------------------------------------------------------------------

    def path(self, node: Node | None) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        if not isinstance(node, BNode):
            raise Unsupported("a property shape without a path")
        if (node, RDF.first, None) in self.shapes:
            return "(" + "/".join(self.path(step) for step in Collection(self.shapes, node)) + ")"
        for predicate, form in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                                (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
            inner = self.shapes.value(node, predicate)
            if inner is not None:
                return form.format(self.path(inner))
        alternatives = self.shapes.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(step) for step in Collection(self.shapes, alternatives)) + ")"
        raise Unsupported("a path this module does not know")

    def _value_constraints(self, shape: Node) -> Iterator[tuple[URIRef, Node]]:
        for parameter in sorted(_VALUE_PARAMETERS, key=str):
            for value in self.shapes.objects(shape, parameter):
                yield parameter, value

    def _known(self, shape: Node, allowed: set[URIRef]) -> None:
        for p in set(self.shapes.predicates(shape, None)):
            if p not in allowed and p not in _INERT:
                raise Unsupported(f"{p} is not compiled")

    def _messages(self, shape: Node, parameter: URIRef | None = None, value: Node | None = None
                  ) -> tuple[Literal, ...]:
        """The shape's sh:message, else pySHACL's own text for the few components it is known for."""
        messages = tuple(m for m in self.shapes.objects(shape, SH.message) if isinstance(m, Literal))
        if messages:
            return messages
        generic = _GENERIC.get(parameter) if parameter is not None else None
        if generic is None or value is None or (parameter == SH["class"] and
                                                 len(set(self.shapes.objects(shape, parameter))) > 1):
            raise Unsupported("no sh:message: pySHACL writes its own text")
        return (Literal(generic.format(stringify_node(self.shapes, value))),)

    def _int(self, shape: Node, parameter: URIRef) -> int | None:
        value = self.shapes.value(shape, parameter)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
            raise Unsupported(f"{parameter} is not an integer")
        return int(value.toPython())

    def _check(self, shape: Node, component: URIRef, path: Node | None, messages: tuple[Literal, ...],
               query: str, details: tuple[Check, ...] = ()) -> Check:
        return Check(shape=shape, component=component, query=query, messages=messages, path=path, details=details,
                     has_value=query.startswith("SELECT DISTINCT ?this ?value "),
                     severity=self.shapes.value(shape, SH.severity) or SH.Violation,
                     description=_description(self.shapes, shape, *([path] if path is not None else [])))

    def _list(self, node: Node) -> list[Node]:
        if node != RDF.nil and (node, RDF.first, None) not in self.shapes:
            raise Unsupported("not a list: pySHACL says what is wrong with it")
        return list(Collection(self.shapes, node))


def _sparql(node: Node) -> str:
    """A term of the shapes graph as SPARQL text."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise Unsupported("a blank node as a constant")


def _class_test(c: _Compiler, value: Node, x: str) -> str:
    if not x.startswith("?"):
        raise Unsupported("sh:class on a constant")
    return f"EXISTS {{ {x} {TYPE_OF} {_sparql(value)} }}"


def _datatype_test(c: _Compiler, value: Node, x: str) -> str:
    if value == RDFS.Literal:
        return f"isLiteral({x})"
    if value == RDF.langString:
        return f"(isLiteral({x}) && LANG({x}) != \"\")"
    test = f"(isLiteral({x}) && datatype({x}) = {_sparql(value)})"
    return test[:-1] + f" && isLiteral({_sparql(value)}({x})))" if value in _CASTS else test


def _node_kind_test(c: _Compiler, value: Node, x: str) -> str:
    if value not in _NODE_KINDS:
        raise Unsupported("an unknown sh:nodeKind")
    return _NODE_KINDS[value].format(x=x)


def _in_test(c: _Compiler, value: Node, x: str) -> str:
    members = c._list(value)
    return "(" + " || ".join(f"sameTerm({x}, {_sparql(m)})" for m in members) + ")" if members else "false"


def _pattern_test(c: _Compiler, value: Node, x: str) -> str:
    flags = [f for shape in c.shapes.subjects(SH.pattern, value) for f in c.shapes.objects(shape, SH.flags)]
    if len(set(flags)) > 1:
        raise Unsupported("one pattern with different flags")
    with_flags = f", {Literal(str(flags[0])).n3()}" if flags else ""
    return f"(!isBlank({x}) && REGEX(STR({x}), {Literal(str(value)).n3()}{with_flags}))"


def _language_in_test(c: _Compiler, value: Node, x: str) -> str:
    tags = sorted({str(t).lower() for t in c._list(value)})
    if "*" in tags:
        return f"(LANG({x}) != \"\")"
    listed = ", ".join(Literal(t).n3() for t in tags) or '""'
    return (f"(LANG({x}) != \"\" && (LCASE(LANG({x})) IN ({listed}) || "
            f"LCASE(IF(CONTAINS(LANG({x}), \"-\"), STRBEFORE(LANG({x}), \"-\"), LANG({x}))) IN ({listed})))")


def _length_test(op: str) -> Callable[[_Compiler, Node, str], str]:
    def test(c: _Compiler, value: Node, x: str) -> str:
        return f"(!isBlank({x}) && STRLEN(STR({x})) {op} {int(str(value))})"
    return test


def _range_test(op: str) -> Callable[[_Compiler, Node, str], str]:
    def test(c: _Compiler, value: Node, x: str) -> str:
        return f"({x} {op} {_sparql(value)})"
    return test


def _node_test(c: _Compiler, value: Node, x: str) -> str:
    return c.conforms(value, x)


def _not_test(c: _Compiler, value: Node, x: str) -> str:
    return f"!COALESCE({c.conforms(value, x)}, false)"


def _and_test(c: _Compiler, value: Node, x: str) -> str:
    return "(" + " && ".join(f"COALESCE({c.conforms(s, x)}, false)" for s in c._list(value)) + ")"


def _or_test(c: _Compiler, value: Node, x: str) -> str:
    members = c._list(value)
    return "(" + " || ".join(f"COALESCE({c.conforms(s, x)}, false)" for s in members) + ")" if members else "false"


def _xone_test(c: _Compiler, value: Node, x: str) -> str:
    counted = " + ".join(f"IF(COALESCE({c.conforms(s, x)}, false), 1, 0)" for s in c._list(value))
    return f"(({counted or '0'}) = 1)"


_VALUE_TESTS: dict[URIRef, Callable[[_Compiler, Node, str], str]] = {
    SH["class"]: _class_test, SH.datatype: _datatype_test, SH.nodeKind: _node_kind_test, SH["in"]: _in_test,
    SH.pattern: _pattern_test, SH.languageIn: _language_in_test, SH.minLength: _length_test(">="),
    SH.maxLength: _length_test("<="), SH.node: _node_test, SH["not"]: _not_test, SH["and"]: _and_test,
    SH["or"]: _or_test, SH.xone: _xone_test, **{p: _range_test(op) for p, op in _RANGES.items()},
}
