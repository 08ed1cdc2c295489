"""What an entity's document says about it: its symmetric concise bounded description, plus labels.

The description of an IRI in a graph is
1. every triple with the IRI as subject, and every triple with the IRI as object (at most
   ``max_incoming`` of those, in a stable order; the cut is reported);
2. blank nodes closed: the triples of every blank node reached as an object, and of every blank
   node that is the subject of an incoming triple, recursively (so no blank node is left unsaid);
3. the ``rdfs:label`` and ``skos:prefLabel`` of every IRI the triples above mention, as subject,
   predicate or object (classes included), so a client can show the document without more requests.

Pattern lookups only (no SPARQL): each step is an index scan, so a document costs a few
hundred microseconds on the store the server holds open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Store, Triple

RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF_LABEL = NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
LABELS = (RDFS_LABEL, SKOS_PREF_LABEL)

Graph = NamedNode | DefaultGraph


@dataclass(frozen=True)
class Description:
    triples: list[Triple]  # distinct, in a stable order
    incoming: int  # triples with the IRI as object that are included
    incoming_cut: bool  # more triples have the IRI as object than were included

    @property
    def empty(self) -> bool:
        return not self.triples


def describe(store: Store, iri: str, *, graph: Graph | None = None, max_incoming: int = 1000) -> Description:
    """The symmetric concise bounded description of ``iri`` in ``graph`` (the default graph), with labels."""
    where = DefaultGraph() if graph is None else graph
    node = NamedNode(iri)
    found: dict[Triple, None] = {}
    closed: set[BlankNode] = set()

    def add(triples: Iterator[Triple]) -> None:
        for triple in triples:
            if triple in found:
                continue
            found[triple] = None
            for term in (triple.subject, triple.object):
                if isinstance(term, BlankNode) and term not in closed:
                    closed.add(term)
                    add(_out(store, term, where))

    add(_out(store, node, where))
    incoming = list(islice(_in(store, node, where), max_incoming + 1))
    cut = len(incoming) > max_incoming
    add(iter(incoming[:max_incoming]))
    mentioned: dict[NamedNode, None] = {}
    for triple in found:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, NamedNode):
                mentioned[term] = None
    for term in mentioned:
        for label in LABELS:
            for quad in store.quads_for_pattern(term, label, None, where):
                found.setdefault(quad.triple, None)
    return Description(sorted(found, key=_order), min(len(incoming), max_incoming), cut)


def _out(store: Store, subject: NamedNode | BlankNode, graph: Graph) -> Iterator[Triple]:
    return (q.triple for q in store.quads_for_pattern(subject, None, None, graph))


def _in(store: Store, obj: NamedNode, graph: Graph) -> Iterator[Triple]:
    return (q.triple for q in store.quads_for_pattern(None, None, obj, graph))


def _order(t: Triple) -> tuple[str, str, str]:
    return str(t.subject), str(t.predicate), str(t.object)
