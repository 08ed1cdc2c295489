"""Bulk evaluation of SHACL-SPARQL on pyoxigraph, beside pySHACL.

pySHACL runs a SPARQL-based constraint once per focus node on rdflib's SPARQL engine, and
a SPARQL-based target on rdflib too: on a large graph these dominate validation time (at
10k triples, 6.6 s of 6.9 s; pySHACL's own Oxigraph backend was 13x slower still). Here
each such target and constraint is run **once** on pyoxigraph for all focus nodes:

- a ``sh:SPARQLTarget`` is evaluated and replaced, in the shapes graph handed to pySHACL,
  by the ``sh:targetNode`` values it selects (same focus nodes, by the SHACL definition);
- a node shape's ``sh:sparql`` constraint is evaluated with the shape's targets joined in
  as a sub-select (what pre-binding ``$this`` means for the queries accepted below), and
  removed from pySHACL's copy; its results are built exactly as pySHACL builds them
  (one per distinct solution, ``sh:value`` defaulting to the focus node, ``{?var}``
  substituted into the shape's and the constraint's messages). Like pySHACL's, the report
  describes every blank node it names: ``sh:sourceConstraint`` (the ``sh:sparql`` value,
  SHACL 1.0 §5.3.2) and a blank ``sh:sourceShape`` come with their triples in the shapes,
  a blank focus node or value with its triples in the data.

Whatever this module cannot prove equivalent stays with pySHACL: property shapes, shapes
used inside other shapes, queries with sub-selects, MINUS, VALUES, aggregation, LIMIT,
``$currentShape``/``$shapesGraph``, ``?failure``, custom targets, no message. The test suite
checks that every shape example and the real data give identical reports either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, QuerySolutions, Store
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from kgpub.build.bridge import term as _rdflib
from kgpub.errors import ShapesError
from kgpub.query.checks import tokens
from kgpub.rdf.syntax import problem

_UNSUPPORTED_WORDS = {"MINUS", "VALUES", "GROUP", "HAVING", "LIMIT", "OFFSET", "SERVICE", "ORDER"}
_UNSUPPORTED_VARS = re.compile(r"[?$](currentShape|shapesGraph|failure)\b")
_THIS = re.compile(r"\$this\b")


@dataclass
class Plan:
    """What runs on pyoxigraph, and the shapes graph pySHACL gets for the rest."""

    shapes_for_pyshacl: Graph
    constraints: list[_Constraint] = field(default_factory=list)


@dataclass(frozen=True)
class _Constraint:
    shape: URIRef | BNode
    node: Node  # the sh:sparql value (the constraint)
    query: str  # the bulk query: targets joined in, prefixes declared
    severity: Node
    messages: tuple[Literal, ...]
    description: tuple[tuple[Node, Node, Node], ...] = ()  # the triples of the constraint and shape, if blank


def check_queries(shapes: Graph) -> None:
    """Every sh:select and sh:ask of the shapes must parse; the error names the shape and position."""
    empty = Store()
    for predicate in (SH.select, SH.ask):
        for node, text in shapes.subject_objects(predicate):
            declared = _declared(shapes, node)
            try:
                empty.query(str(text), prefixes=declared or {})
            except SyntaxError as e:
                owner = next(iter(shapes.subjects(SH.sparql, node)), None) or next(
                    iter(shapes.subjects(SH.target, node)), node)
                found = problem(e)
                where = f" at {found.where}" if found.where else ""
                raise ShapesError(f"shape {owner.n3()}: its {predicate.n3(shapes.namespace_manager)} "
                                  f"does not parse{where}: {found.detail}") from e


def plan(shapes: Graph, store: Store, default_graphs: list[NamedNode]) -> Plan:
    """Evaluate SPARQL targets now; prepare bulk queries for the constraints that can move."""
    graph = Graph()
    for triple in shapes:
        graph.add(triple)
    result = Plan(shapes_for_pyshacl=graph)
    for shape in set(shapes.subjects(SH.sparql, None)) | set(shapes.subjects(SH.target, None)):
        if not isinstance(shape, URIRef | BNode) or _is_deactivated(shapes, shape):
            continue
        targets = _target_patterns(shapes, shape)
        if targets is None:
            continue
        _materialize_sparql_targets(shapes, graph, shape, store, default_graphs)
        if _is_nested(shapes, shape) or (shape, SH.path, None) in shapes:
            continue
        for node in shapes.objects(shape, SH.sparql):
            constraint = _constraint(shapes, shape, node, targets)
            if constraint is not None:
                result.constraints.append(constraint)
                graph.remove((shape, SH.sparql, node))
    return result


def run(constraints: Iterable[_Constraint], store: Store, default_graphs: list[NamedNode],
        report: Graph, report_node: Node) -> None:
    """Run the bulk queries and add pySHACL-shaped results to ``report``."""
    for c in constraints:
        solutions = _query(store, c.query, default_graphs, c.shape)
        names = [v.value for v in solutions.variables]
        seen: set[tuple[tuple[str, Node], ...]] = set()
        for solution in solutions:
            row = {name: _rdflib(solution[name]) for name in names if solution[name] is not None}
            key = tuple(sorted(row.items()))
            if key in seen:
                continue
            seen.add(key)
            named = [row[k] for k in ("this", "value", "path") if k in row]  # what the result holds
            _add_result(report, report_node, c, row)
            for term in named:
                if isinstance(term, BNode):
                    _describe(store, default_graphs, term, report)
        if seen:  # the results name the constraint (and a blank node shape): describe them
            for triple in c.description:
                report.add(triple)


def _describe(store: Store, default_graphs: list[NamedNode], node: BNode, report: Graph) -> None:
    """Add a blank node of the data to ``report`` with its triples, and those of the blank nodes they reach."""
    pending, seen = [node], {node}
    while pending:
        subject = BlankNode(pending.pop())
        for graph in default_graphs:
            for quad in store.quads_for_pattern(subject, None, None, graph):
                triple = (_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object))
                report.add(triple)
                if isinstance(triple[2], BNode) and triple[2] not in seen:
                    seen.add(triple[2])
                    pending.append(triple[2])


def _description(shapes: Graph, *nodes: Node) -> tuple[tuple[Node, Node, Node], ...]:
    """The triples of the blank nodes among ``nodes`` and of the blank nodes they reach (not the IRIs')."""
    found: list[tuple[Node, Node, Node]] = []
    pending, seen = list(nodes), set(nodes)
    while pending:
        subject = pending.pop()
        if not isinstance(subject, BNode):
            continue
        for p, o in shapes.predicate_objects(subject):
            found.append((subject, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                pending.append(o)
    return tuple(found)


def _add_result(report: Graph, report_node: Node, c: _Constraint, row: dict[str, Node]) -> None:
    focus = row.pop("this")
    value = row.pop("value", focus)
    path = row.pop("path", None)
    fill = {**row, "this": focus, "value": value, **({"path": path} if path is not None else {})}
    node = BNode()
    report.add((report_node, SH.result, node))
    for p, o in ((RDF.type, SH.ValidationResult), (SH.sourceConstraintComponent, SH.SPARQLConstraintComponent),
                 (SH.sourceShape, c.shape), (SH.resultSeverity, c.severity), (SH.focusNode, focus),
                 (SH.value, value), (SH.sourceConstraint, c.node)):
        report.add((node, p, o))
    if path is not None:
        report.add((node, SH.resultPath, path))
    for message in c.messages:
        text = str(message)
        for name, term in fill.items():
            text = re.sub(r"\{[?$]" + re.escape(name) + r"\}", str(term).replace("\\", "\\\\"), text)
        report.add((node, SH.resultMessage, Literal(text, lang=message.language)))


def _constraint(shapes: Graph, shape: URIRef | BNode, node: Node, targets: list[str]) -> _Constraint | None:
    select = shapes.value(node, SH.select)
    if select is None or _is_deactivated(shapes, node) or (node, SH.ask, None) in shapes:
        return None
    prefixes = _prefixes(shapes, node)
    shape_messages = [m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)]
    extra = [m for m in shapes.objects(node, SH.message) if isinstance(m, Literal) and m not in shape_messages]
    query = _bulk_query(str(select), targets)
    if prefixes is None or query is None or not (shape_messages or extra):
        return None
    severity = shapes.value(shape, SH.severity) or SH.Violation
    return _Constraint(shape=shape, node=node, query=prefixes + query, severity=severity,
                       messages=tuple(extra + shape_messages), description=_description(shapes, node, shape))


def _bulk_query(select: str, targets: list[str]) -> str | None:
    """The constraint's SELECT with ``$this`` bound by joining the target sub-select first."""
    if _UNSUPPORTED_VARS.search(select):
        return None
    words = [text.upper() for kind, text, _ in tokens(select) if kind == "word"]
    if words.count("SELECT") != 1 or _UNSUPPORTED_WORDS & set(words) or "PREFIX" in words or "BASE" in words:
        return None
    first_brace = next((offset for kind, text, offset in tokens(select) if kind == "open" and text == "{"), None)
    if first_brace is None or not targets or not re.search(r"[?$]this\b|\*", select[:first_brace]):
        return None
    union = " UNION ".join(f"{{ {t} }}" for t in targets)
    target = f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}\n"
    query = select[: first_brace + 1] + target + select[first_brace + 1:]
    return _THIS.sub("?this", query)


def _target_patterns(shapes: Graph, shape: Node) -> list[str] | None:
    """SPARQL patterns binding ?this to each focus node of the shape; None if unsupported."""
    patterns = [f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {c.n3()} ."
                for c in shapes.objects(shape, SH.targetClass)]
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        patterns.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {shape.n3()} .")  # implicit class target
    patterns += [f"VALUES ?this {{ {n.n3()} }}" for n in shapes.objects(shape, SH.targetNode)]
    patterns += [f"?this {p.n3()} [] ." for p in shapes.objects(shape, SH.targetSubjectsOf)]
    patterns += [f"[] {p.n3()} ?this ." for p in shapes.objects(shape, SH.targetObjectsOf)]
    for target in shapes.objects(shape, SH.target):
        select = _sparql_target(shapes, target)
        if select is None:
            return None
        patterns.append(f"{{ {select} }}")
    return patterns


def _sparql_target(shapes: Graph, target: Node) -> str | None:
    select = shapes.value(target, SH.select)
    prefixes = _prefixes(shapes, target)
    if (target, RDF.type, SH.SPARQLTarget) not in shapes or select is None or prefixes is None:
        return None
    body = _expand_prefixes(str(select), prefixes)
    return body if body is not None and not _UNSUPPORTED_VARS.search(body) else None


def _materialize_sparql_targets(shapes: Graph, graph: Graph, shape: Node, store: Store,
                                default_graphs: list[NamedNode]) -> None:
    """Replace each sh:SPARQLTarget of ``shape`` by the sh:targetNode values it selects."""
    for target in list(shapes.objects(shape, SH.target)):
        prefixes = _prefixes(shapes, target)
        select = shapes.value(target, SH.select)
        if prefixes is None or select is None:
            continue
        solutions = _query(store, prefixes + str(select), default_graphs, shape)
        graph.remove((shape, SH.target, target))
        for solution in solutions:
            if solution["this"] is not None:
                graph.add((shape, SH.targetNode, _rdflib(solution["this"])))


def _declared(shapes: Graph, node: Node) -> dict[str, str] | None:
    """The prefixes the node's sh:prefixes declare; None on a conflict or an incomplete one."""
    declared: dict[str, str] = {}
    for owner in shapes.objects(node, SH.prefixes):
        for decl in shapes.objects(owner, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            if prefix is None or ns is None or declared.get(str(prefix), str(ns)) != str(ns):
                return None
            declared[str(prefix)] = str(ns)
    return declared


def _prefixes(shapes: Graph, node: Node) -> str | None:
    """PREFIX lines for the node's sh:prefixes declarations; None on a conflict."""
    declared = _declared(shapes, node)
    if declared is None:
        return None
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(declared.items()))


def _expand_prefixes(select: str, prefixes: str) -> str | None:
    """A target's SELECT with its prefixed names expanded, to nest inside another query."""
    table = dict(re.findall(r"PREFIX (\S*): <([^>]*)>", prefixes))
    out, last = [], 0
    for kind, text, offset in tokens(select):
        if kind == "word" and ":" in text and text[0] not in "?$":
            name = text.rstrip(".")  # a local name never ends with '.': that is the triple's end
            prefix, local = name.split(":", 1)
            if prefix not in table:
                return None
            out += [select[last:offset], f"<{table[prefix]}{local}>"]
            last = offset + len(name)
    return "".join(out) + select[last:]


def _is_nested(shapes: Graph, shape: Node) -> bool:
    """Used inside another shape (sh:node, sh:property, sh:not, lists...): keep it whole."""
    return any(True for _ in shapes.subject_predicates(shape))


def _is_deactivated(shapes: Graph, node: Node) -> bool:
    return bool(shapes.value(node, SH.deactivated) == Literal(True))


def _query(store: Store, query: str, default_graphs: list[NamedNode], shape: Node) -> QuerySolutions:
    """Run a query built from a shape; check_queries has made sure the shape's own text parses."""
    graphs: list[NamedNode | BlankNode | DefaultGraph] = list(default_graphs)
    solutions = store.query(query, default_graph=graphs)
    if not isinstance(solutions, QuerySolutions):
        raise ShapesError(f"shape {shape.n3()}: its sh:select must be a SELECT query")
    return solutions
