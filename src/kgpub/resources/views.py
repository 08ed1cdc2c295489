"""The entity page's model: what a person reads about one IRI, in their language (no HTML here).

From the release's knowledge graph, by pattern lookups (as :mod:`kgpub.resources.describe`):
the title (label in the reader's language, marked when it falls back), the types as labels, the
one-sentence summary (``rdfs:comment``/``schema:description``/…), every property with its label and
its values (IRIs as labelled links, literals formatted for people, blank nodes inline up to three
levels), the links out to other knowledge graphs, and what links here, grouped by property with
counts and a cap. Properties come in a stable, meaningful order: ``sh:order``/``sh:group`` where the
shapes give them, else identity, description, the Data Cube structure (dimensions by the data
structure's ``qb:order``, then the measure and attributes), the domain's own terms, the rest, provenance
and links out; by label within a group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store, Triple

from kgpub.resources import i18n
from kgpub.resources.i18n import Label, pick
from kgpub.resources.iris import Namespace
from kgpub.resources.labels import LABEL_PREDICATES, Labels

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
QB = "http://purl.org/linked-data/cube#"
SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
KJT = "https://w3id.org/kjtrade/ontology#"
OBS_VALUE = "http://purl.org/linked-data/sdmx/2009/measure#obsValue"
UNIT_MEASURE = "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure"
RDF_TYPE = NamedNode(RDF + "type")
SHAPED = 20  # where the properties the shapes order go: after identity and description, with the structure
MAX_DEPTH = 3  # blank nodes shown inline, nested at most this deep
INCOMING_SCAN = 10_000  # triples pointing here that are counted (beyond: "more than")
INCOMING_SHOWN = 20  # subjects listed per property
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "int", "long", "nonNegativeInteger",
                              "positiveInteger", "short")}
IDENTITY = [RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", SCHEMA + "name", SCHEMA + "alternateName",
            SCHEMA + "headline", DCTERMS + "title", SKOS + "notation"]
DESCRIPTION = [RDFS + "comment", DCTERMS + "description", SCHEMA + "description", SKOS + "definition",
               SKOS + "scopeNote", SCHEMA + "text"]
LINKS_OUT = [OWL + "sameAs", SCHEMA + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch", RDFS + "seeAlso",
             "http://xmlns.com/foaf/0.1/homepage", SCHEMA + "url"]
PROVENANCE = (PROV, KJT + "statedAs", KJT + "periodStatement", SKOS + "editorialNote", DCTERMS + "source")


@dataclass(frozen=True)
class Value:
    text: str
    lang: str = ""  # the text's language (the lang attribute), "" when it has none
    tag: str = ""  # a literal's language tag, shown
    fallback: bool = False  # a label that is not in the reader's language
    href: str = ""
    external: bool = False
    iri: str = ""
    note: str = ""  # the datatype, or the lexical form behind a formatted figure
    rows: tuple[Row, ...] = ()  # a blank node's own properties, shown inline
    untagged: bool = False  # a string literal without a language tag (its language is unknown: lang="")


@dataclass(frozen=True)
class Row:
    predicate: str
    label: Label
    href: str
    external: bool
    values: tuple[Value, ...]
    group: Label | None = None  # the shapes' sh:group of the property, by its label


@dataclass(frozen=True)
class Incoming:
    predicate: str
    label: Label
    href: str
    external: bool
    count: int
    more: bool  # the count stopped at INCOMING_SCAN
    values: tuple[Value, ...]


@dataclass(frozen=True)
class EntityPage:
    iri: str
    path: str
    title: Label
    types: tuple[Value, ...]
    summary: Label | None
    rows: tuple[Row, ...]
    incoming: tuple[Incoming, ...]
    links_out: tuple[Value, ...]
    incoming_total: int = 0
    extra: dict[str, object] = field(default_factory=dict)


class Views:
    """Page models of one release's entities (pattern lookups on its store)."""

    def __init__(self, store: Store, namespace: Namespace, labels: Labels) -> None:
        self.store, self.ns, self.labels = store, namespace, labels
        self._shape_order, self._groups = _shape_order(store, namespace)

    def entity(self, iri: str, lang: str) -> EntityPage:
        node = NamedNode(iri)
        out = [q.triple for q in self.store.quads_for_pattern(node, None, None, DefaultGraph())]
        types = tuple(self.value(t.object, lang) for t in out if t.predicate == RDF_TYPE)
        type_iris = {text(t.object) for t in out if t.predicate == RDF_TYPE}
        unit = next((text(t.object) for t in out if t.predicate.value == UNIT_MEASURE), "")
        rows = self.rows([t for t in out if t.predicate != RDF_TYPE], lang, depth=0, unit=unit,
                         order=self._order(node, type_iris))
        links = tuple(v for r in rows if r.predicate in LINKS_OUT for v in r.values if v.external)
        incoming, total = self.incoming(node, lang)
        path = self.ns.path(iri) or iri
        return EntityPage(iri=iri, path=path, title=self.labels.label(iri, lang), types=types,
                          summary=self.labels.comment(iri, lang), rows=rows, incoming=incoming, links_out=links,
                          incoming_total=total)

    def rows(self, triples: list[Triple], lang: str, *, depth: int, unit: str = "",
             order: dict[str, tuple[float, str]] | None = None) -> tuple[Row, ...]:
        by_predicate: dict[str, list[Triple]] = defaultdict(list)
        for triple in triples:
            by_predicate[triple.predicate.value].append(triple)
        rows = []
        for predicate, said in by_predicate.items():
            values = sorted((self.value(t.object, lang, depth=depth, unit=unit if predicate == OBS_VALUE else "")
                             for t in said), key=lambda v: (v.lang != lang, v.tag, v.text))
            rank, group = (order or {}).get(predicate, (_default_rank(predicate), ""))
            rows.append((rank, self.labels.label(predicate, lang).text.casefold(),
                         Row(predicate, self.labels.label(predicate, lang), self.href(predicate),
                             not self._local(predicate), tuple(values),
                             pick(self._groups[group][1], lang) if group in self._groups else None)))
        return tuple(row for *_, row in sorted(rows, key=lambda r: (r[0], r[1], r[2].predicate)))

    def value(self, term: object, lang: str, *, depth: int = 0, unit: str = "") -> Value:
        if isinstance(term, NamedNode):
            label = self.labels.label(term, lang)
            return Value(label.text, lang=label.lang, fallback=label.fallback and bool(label.lang),
                         href=self.href(term.value), external=not self._local(term.value), iri=term.value)
        if isinstance(term, BlankNode):
            if depth >= MAX_DEPTH:
                return Value("…", note="blank node")
            inner = [q.triple for q in self.store.quads_for_pattern(term, None, None, DefaultGraph())]
            return Value("", rows=self.rows(inner, lang, depth=depth + 1))
        assert isinstance(term, Literal)
        return literal(term, lang, unit=unit, labels=self.labels)

    def incoming(self, node: NamedNode, lang: str) -> tuple[tuple[Incoming, ...], int]:
        found: dict[str, list[Quad]] = defaultdict(list)
        scanned = list(islice(self.store.quads_for_pattern(None, None, node, DefaultGraph()), INCOMING_SCAN + 1))
        more = len(scanned) > INCOMING_SCAN
        for quad in scanned[:INCOMING_SCAN]:
            found[quad.predicate.value].append(quad)
        groups = []
        for predicate, quads in found.items():
            subjects = sorted({self.value(q.subject, lang, depth=MAX_DEPTH) for q in quads
                               if isinstance(q.subject, NamedNode)}, key=lambda v: v.text.casefold())
            label = self.labels.label(predicate, lang)
            groups.append(Incoming(predicate, label, self.href(predicate), not self._local(predicate), len(quads),
                                   more, tuple(subjects[:INCOMING_SHOWN])))
        groups.sort(key=lambda g: (g.label.text.casefold(), g.predicate))
        return tuple(groups), min(len(scanned), INCOMING_SCAN)

    def href(self, iri: str) -> str:
        """Where a person reads about ``iri`` (:meth:`Namespace.href`)."""
        return self.ns.href(iri)

    def _local(self, iri: str) -> bool:
        return iri.startswith(self.ns.base)

    def _order(self, node: NamedNode, types: set[str]) -> dict[str, tuple[float, str]]:
        """sh:order/sh:group of the shapes targeting the types, then the Data Cube structure's qb:order."""
        order: dict[str, tuple[float, str]] = {}
        for cls in sorted(types):
            for path, (rank, group) in self._shape_order.get(cls, {}).items():
                group_rank = self._groups[group][0] if group in self._groups else 0.0
                order.setdefault(path, (SHAPED + group_rank + rank / 1000, group))
        for dimension, position in _cube_order(self.store, node).items():
            order.setdefault(dimension, (20 + position / 100, ""))
        return order


def text(term: NamedNode | BlankNode | Literal | Triple) -> str:
    """A term's value (an IRI, a literal's lexical form); a quoted triple as written."""
    return str(term) if isinstance(term, Triple) else term.value


def literal(term: Literal, lang: str, *, unit: str = "", labels: Labels | None = None) -> Value:
    """A literal as people read it: numbers with separators (and units), dates in the locale, tags shown."""
    datatype = term.datatype.value
    if term.language:
        return Value(term.value, lang=term.language, tag=term.language)
    if datatype in NUMERIC:
        shown = i18n.amount(term.value, unit, lang) if unit else i18n.number(term.value, lang)
        return Value(shown, note=term.value if shown != term.value else "")
    if datatype in (XSD + "date", XSD + "gYearMonth"):
        shown = i18n.date(term.value, datatype, lang)
        return Value(shown, lang=lang if shown != term.value else "", note=term.value if shown != term.value else "")
    if datatype == XSD + "anyURI":
        return Value(term.value, href=term.value, external=True)
    if datatype == XSD + "string":
        return Value(term.value, untagged=True)
    if datatype in (XSD + "gYear", XSD + "boolean"):
        return Value(term.value)
    name = labels.label(datatype, lang).text if labels is not None else datatype
    return Value(term.value, note=name)


def _default_rank(predicate: str) -> float:
    if predicate in IDENTITY:
        return IDENTITY.index(predicate) / 100
    if predicate in DESCRIPTION:
        return 10 + DESCRIPTION.index(predicate) / 100
    if predicate.startswith(QB):
        return 19
    if predicate in (OBS_VALUE, UNIT_MEASURE) or predicate.startswith("http://purl.org/linked-data/sdmx/"):
        return 25
    if predicate in LINKS_OUT:
        return 90 + LINKS_OUT.index(predicate) / 100
    if predicate.startswith(PROVENANCE):
        return 80
    if predicate.startswith(KJT):
        return 30
    return 50


def _cube_order(store: Store, node: NamedNode) -> dict[str, float]:
    """An observation's dimensions by its data structure's ``qb:order``."""
    graph = DefaultGraph()
    order: dict[str, float] = {}
    for data_set in store.quads_for_pattern(node, NamedNode(QB + "dataSet"), None, graph):
        for structure in store.quads_for_pattern(data_set.object, NamedNode(QB + "structure"), None, graph):  # type: ignore[arg-type]
            for component in store.quads_for_pattern(structure.object, NamedNode(QB + "component"), None, graph):  # type: ignore[arg-type]
                spec = component.object
                dims = list(store.quads_for_pattern(spec, NamedNode(QB + "dimension"), None, graph))  # type: ignore[arg-type]
                ranks = list(store.quads_for_pattern(spec, NamedNode(QB + "order"), None, graph))  # type: ignore[arg-type]
                if dims and ranks:
                    order[text(dims[0].object)] = float(text(ranks[0].object))
    return order


Groups = dict[str, tuple[float, dict[str, str]]]
"""sh:PropertyGroup IRI -> (its sh:order, its labels by language)."""


def _shape_order(store: Store, namespace: Namespace) -> tuple[dict[str, dict[str, tuple[float, str]]], Groups]:
    """target class -> property path -> (sh:order, sh:group) from the release's shapes graph, and the groups."""
    shapes = NamedNode(namespace.iri("/graph/shapes"))
    found: dict[str, dict[str, tuple[float, str]]] = {}
    groups: Groups = {}
    for quad in store.quads_for_pattern(None, RDF_TYPE, NamedNode(SH + "PropertyGroup"), shapes):
        group = quad.subject
        if not isinstance(group, NamedNode):
            continue
        ranks = [text(q.object) for q in store.quads_for_pattern(group, NamedNode(SH + "order"), None, shapes)]
        labels = {q.object.language or "": q.object.value
                  for q in store.quads_for_pattern(group, NamedNode(RDFS + "label"), None, shapes)
                  if isinstance(q.object, Literal)}
        groups[group.value] = (float(ranks[0]) if ranks else 0.0, labels)
    for target in store.quads_for_pattern(None, NamedNode(SH + "targetClass"), None, shapes):
        for prop in store.quads_for_pattern(target.subject, NamedNode(SH + "property"), None, shapes):
            paths = list(store.quads_for_pattern(prop.object, NamedNode(SH + "path"), None, shapes))  # type: ignore[arg-type]
            orders = list(store.quads_for_pattern(prop.object, NamedNode(SH + "order"), None, shapes))  # type: ignore[arg-type]
            if not paths or not orders or not isinstance(paths[0].object, NamedNode):
                continue
            named = list(store.quads_for_pattern(prop.object, NamedNode(SH + "group"), None, shapes))  # type: ignore[arg-type]
            found.setdefault(text(target.object), {})[paths[0].object.value] = (
                float(text(orders[0].object)), text(named[0].object) if named else "")
    return found, groups


__all__ = ["LABEL_PREDICATES", "EntityPage", "Incoming", "Row", "Value", "Views", "literal"]
