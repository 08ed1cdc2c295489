"""The one bridge between pyoxigraph and rdflib (pySHACL works on rdflib graphs).

N-Triples is the fastest way across for whole graphs; single terms are converted directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Triple, parse, serialize
from pyoxigraph import Literal as OxLiteral
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node


def to_rdflib(statements: Iterable[Quad] | Iterable[Triple]) -> Graph:
    """An rdflib graph of the statements' triples (the graph names are dropped)."""
    graph = Graph()
    triples = [s.triple if isinstance(s, Quad) else s for s in statements]
    if triples:
        graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
    return graph


def from_rdflib(graph: Graph, graph_name: NamedNode) -> list[Quad]:
    """The triples of an rdflib graph as quads in ``graph_name``."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return [Quad(t.subject, t.predicate, t.object, graph_name) for t in parse(data, format=RdfFormat.N_TRIPLES)]


def term(value: object) -> Node:
    """A pyoxigraph IRI, blank node or literal as an rdflib term."""
    if isinstance(value, NamedNode):
        return URIRef(value.value)
    if isinstance(value, BlankNode):
        return BNode(value.value)
    assert isinstance(value, OxLiteral)
    if value.language:
        return Literal(value.value, lang=value.language)
    return Literal(value.value, datatype=URIRef(value.datatype.value))
