"""The ontology page's model: every class and property of the ontology, for people, from the ontology graph.

Each term: its labels in the three languages (each marked with its language), its comment, and
for a class its super-classes, for a property its domain, range, super-properties and inverse;
which reused vocabularies it builds on (the terms outside our namespace it names); and which data
uses it (instances of a class, triples of a property, in the knowledge graph). Terms are anchored
by their local name (``/ontology#refArea`` lands on ``kjt:refArea``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from pyoxigraph import DefaultGraph, Literal, NamedNode

from kgpub.resources import i18n
from kgpub.resources.i18n import N_, Label
from kgpub.resources.views import OWL, RDF, RDFS, EntityPage, Value, Views, text

USAGE_SCAN = 10_000
CLASS_TYPES = (OWL + "Class", RDFS + "Class")
PROPERTY_TYPES = (OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property")
RELATIONS = {"class": ((RDFS + "subClassOf", N_("Super-classes")), (OWL + "equivalentClass", N_("Equivalent classes"))),
             "property": ((RDFS + "domain", N_("Domain")), (RDFS + "range", N_("Range")),
                          (RDFS + "subPropertyOf", N_("Super-properties")), (OWL + "inverseOf", N_("Inverse of")),
                          ("http://purl.org/linked-data/cube#concept", N_("Concept")),
                          ("http://purl.org/linked-data/cube#codeList", N_("Code list")))}


@dataclass(frozen=True)
class Term:
    iri: str
    anchor: str
    kind: str  # class | property
    label: Label
    labels: tuple[Value, ...]  # every language, tagged
    comment: Label | None
    types: tuple[Value, ...]
    relations: tuple[tuple[str, tuple[Value, ...]], ...]  # (relation title msgid, values)
    builds_on: tuple[Value, ...]
    used: int
    used_more: bool


@dataclass(frozen=True)
class OntologyPage:
    header: EntityPage
    classes: tuple[Term, ...]
    properties: tuple[Term, ...]


def ontology(views: Views, lang: str) -> OntologyPage:
    iri = views.ns.iri("/ontology")
    graph = NamedNode(views.ns.iri("/graph/ontology"))
    namespace = iri + "#"
    kinds: dict[str, str] = {}
    for quad in views.store.quads_for_pattern(None, NamedNode(RDF + "type"), None, graph):
        subject, kind = quad.subject, text(quad.object)
        if isinstance(subject, NamedNode) and subject.value.startswith(namespace):
            if kind in CLASS_TYPES:
                kinds[subject.value] = "class"
            elif kind in PROPERTY_TYPES:
                kinds.setdefault(subject.value, "property")
    terms = [_term(views, t, kinds[t], graph, namespace, lang) for t in sorted(kinds)]
    return OntologyPage(views.entity(iri, lang), tuple(t for t in terms if t.kind == "class"),
                        tuple(t for t in terms if t.kind == "property"))


def _term(views: Views, iri: str, kind: str, graph: NamedNode, namespace: str, lang: str) -> Term:
    store, node = views.store, NamedNode(iri)
    out = [q.triple for q in store.quads_for_pattern(node, None, None, graph)]
    labels = tuple(sorted((Value(t.object.value, lang=t.object.language or "", tag=t.object.language or "")
                           for t in out if t.predicate.value == RDFS + "label" and isinstance(t.object, Literal)),
                          key=lambda v: (i18n.LANGUAGES.index(v.tag) if v.tag in i18n.LANGUAGES else 9, v.tag)))
    relations = []
    for predicate, title in RELATIONS[kind]:
        values = tuple(views.value(t.object, lang) for t in out if t.predicate.value == predicate)
        if values:
            relations.append((title, values))
    builds_on = tuple(v for _, values in relations for v in values if v.iri and not v.iri.startswith(namespace)
                      and v.external)
    if kind == "class":
        uses = store.quads_for_pattern(None, NamedNode(RDF + "type"), node, DefaultGraph())
    else:
        uses = store.quads_for_pattern(None, node, None, DefaultGraph())
    used = sum(1 for _ in islice(uses, USAGE_SCAN + 1))
    types = tuple(views.value(t.object, lang) for t in out if t.predicate.value == RDF + "type")
    return Term(iri, iri.removeprefix(namespace), kind, views.labels.label(iri, lang), labels,
                views.labels.comment(iri, lang), types, tuple(relations), builds_on, min(used, USAGE_SCAN),
                used > USAGE_SCAN)
