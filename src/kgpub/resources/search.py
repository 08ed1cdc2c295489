"""Search over the labels of a release: every IRI of the knowledge graph by any of its labels, in any language.

- **What is indexed** (:meth:`LabelIndex.build`, once per release, on the first search): every IRI
  of the default graph (the knowledge graph: data and ontology) with the literals of
  :data:`LABEL_PREDICATES` (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``, ``schema:name``,
  ``schema:alternateName``, ``foaf:name``, ``dcterms:title``) in every language, and its
  ``rdf:type`` objects (shown by their own labels).
- **Matching** (:func:`normalise`): Unicode NFKC, then case folding, then runs of white space as one
  space, for labels and query alike: ``ＫＯＲＥＡ`` and ``korea`` find ``Korea``, half-width
  ``ﾊﾝﾄﾞｳﾀｲ`` finds ``ハンドウタイ``. A label matches when it contains the query anywhere (Korean and
  Japanese have no word boundaries to wait for: ``도체`` finds ``반도체``).
- **Ranking**: per IRI its best label, then labels that start with the query, then labels with a
  word that starts with it, then the others; within each, shorter labels first, then alphabetically
  (the normalised label, then the IRI): a function of the release and the query alone.
- **Answer** (:class:`Results`): the first :data:`LIMIT` hits and the total number of IRIs found;
  each hit with its IRI, its path on this server (None outside the base), the label that matched
  and its language, the label to show in the reader's language (:func:`kgpub.resources.i18n.pick`)
  and its types' labels in that language.

Cost: the index is a list of (normalised label, IRI number, label number) tuples plus, per IRI, its
labels by language and its types, so memory is proportional to the labels (a few thousand here).
A search is a linear scan of that list: microseconds now, and for a graph 1000 times larger
(~250k labels) some tens of milliseconds per query, still acceptable for a page but not for
heavy traffic. What would replace it then: a trigram (n-gram) index over the normalised labels
(candidate rows by intersecting the query's trigrams, then the same containment check), or a
full-text engine with a CJK n-gram analyser (SQLite FTS5 with its ``trigram`` tokenizer, Tantivy),
built at release time and stored with the release.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyoxigraph import DefaultGraph, Literal, NamedNode, Store

from kgpub.errors import BadRequest
from kgpub.resources import i18n
from kgpub.resources.iris import Namespace

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

LABEL_PREDICATES: tuple[NamedNode, ...] = tuple(NamedNode(iri) for iri in (
    SKOS + "prefLabel", RDFS + "label", SCHEMA + "name", FOAF + "name", DCTERMS + "title",
    SKOS + "altLabel", SCHEMA + "alternateName"))
"""The predicates whose literals are labels, in the order a label to show is chosen (preferred names first)."""

LIMIT = 50
"""Hits answered per search (the total is reported too)."""
MAX_QUERY = 200
"""The longest query, in characters: no label is longer, and a longer one is a client's mistake."""

Graph = NamedNode | DefaultGraph


def normalise(text: str) -> str:
    """``text`` as it is compared: NFKC (full- and half-width forms folded), case folded, white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_query(values: Sequence[str]) -> str | None:
    """The query of the ``q`` parameter's ``values`` (as sent); None when no search is asked (absent or empty).

    White space only, a query longer than :data:`MAX_QUERY` characters or ``q`` given twice is a
    :class:`~kgpub.errors.BadRequest`."""
    if len(values) > 1:
        raise BadRequest(f"q= is given {len(values)} times; give one search text")
    if not values or values[0] == "":
        return None
    q = values[0]
    if len(q) > MAX_QUERY:
        raise BadRequest(f"q= is {len(q)} characters long; a search text has at most {MAX_QUERY}")
    if not normalise(q):
        raise BadRequest("q= is only white space; give a word or part of a label to search for")
    return q


@dataclass(frozen=True)
class TypeLabel:
    iri: str
    label: str
    lang: str  # "" when the label has no language tag or the type has no label (its local name)


@dataclass(frozen=True)
class Hit:
    iri: str
    path: str | None  # the server path of the IRI's document (fragment dropped); None outside the base
    href: str  # where a person reads about it (:meth:`Namespace.href`: the page, fragment kept; else the IRI)
    label: i18n.Label  # the label to show in the reader's language
    matched: str  # the label that matched, as written
    matched_lang: str  # its language tag ("" when none)
    types: tuple[TypeLabel, ...]


@dataclass(frozen=True)
class Results:
    query: str  # as asked
    total: int  # IRIs found
    hits: list[Hit]  # the first ``limit`` of them, best first
    limit: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.hits)


class LabelIndex:
    """The labels of one release's knowledge graph, searchable; built once (:meth:`build`), then read only."""

    def __init__(self, ns: Namespace, labels: Iterable[tuple[str, str, str, int]],
                 types: Iterable[tuple[str, str]] = ()) -> None:
        """``labels``: (IRI, text, language tag, predicate rank) rows; ``types``: (IRI, type IRI) rows."""
        self.ns = ns
        self._iris: list[str] = []
        self._number: dict[str, int] = {}
        self._labels: list[tuple[str, str]] = []  # (text, lang)
        self._shown: list[dict[str, tuple[int, str]]] = []  # per IRI: lang -> (rank, text) of the label to show
        entries: dict[tuple[int, str, str], None] = {}
        for iri, text, lang, rank in labels:
            number = self._intern(iri)
            shown = self._shown[number].get(lang)
            if shown is None or (rank, text) < shown:
                self._shown[number][lang] = (rank, text)
            entries.setdefault((number, text, lang), None)
        self._entries: list[tuple[str, int, int]] = []
        for number, text, lang in entries:
            self._labels.append((text, lang))
            self._entries.append((normalise(text), number, len(self._labels) - 1))
        found: dict[int, dict[str, None]] = {}
        for iri, kind in types:
            if iri in self._number:
                found.setdefault(self._number[iri], {})[kind] = None
        self._types = {number: tuple(sorted(kinds)) for number, kinds in found.items()}

    @classmethod
    def build(cls, store: Store, ns: Namespace, *, graphs: Sequence[Graph] = (DefaultGraph(),)) -> LabelIndex:
        """The index of the IRIs labelled in the union of ``graphs`` of ``store`` (its default graph)."""
        def labels() -> Iterable[tuple[str, str, str, int]]:
            for rank, predicate in enumerate(LABEL_PREDICATES):
                for graph in graphs:
                    for quad in store.quads_for_pattern(None, predicate, None, graph):
                        if isinstance(quad.subject, NamedNode) and isinstance(quad.object, Literal):
                            yield quad.subject.value, quad.object.value, quad.object.language or "", rank

        def types() -> Iterable[tuple[str, str]]:
            for graph in graphs:
                for quad in store.quads_for_pattern(None, RDF_TYPE, None, graph):
                    if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode):
                        yield quad.subject.value, quad.object.value

        return cls(ns, labels(), types())

    def _intern(self, iri: str) -> int:
        number = self._number.get(iri)
        if number is None:
            number = self._number[iri] = len(self._iris)
            self._iris.append(iri)
            self._shown.append({})
        return number

    def __len__(self) -> int:
        """Labels indexed (distinct per IRI and language)."""
        return len(self._entries)

    @property
    def iris(self) -> int:
        return len(self._iris)

    def labels(self, iri: str) -> Mapping[str, str]:
        """The label to show of ``iri`` in each language it has one (empty when it has none)."""
        number = self._number.get(iri)
        if number is None:
            return {}
        return {lang: text for lang, (_, text) in self._shown[number].items()}

    def search(self, q: str, *, lang: str, limit: int = LIMIT) -> Results:
        """The IRIs with a label containing ``q`` (compared :func:`normalise`\\ d), best first, shown in ``lang``."""
        needle = normalise(q)
        if not needle:
            raise BadRequest("the search text is only white space; give a word or part of a label")
        best: dict[int, tuple[int, int, str, int]] = {}
        for text, number, label in self._entries:
            if needle not in text:
                continue
            key = (_tier(text, needle), len(text), text, label)
            if number not in best or key < best[number]:
                best[number] = key
        ranked = sorted(best.items(), key=lambda item: (*item[1][:3], self._iris[item[0]]))
        return Results(query=q, total=len(ranked), limit=limit,
                       hits=[self._hit(number, key[3], lang) for number, key in ranked[:limit]])

    def _hit(self, number: int, label: int, lang: str) -> Hit:
        iri = self._iris[number]
        text, tag = self._labels[label]
        shown = i18n.pick(self.labels(iri), lang) or i18n.Label(text, tag, tag != lang)
        return Hit(iri=iri, path=self.ns.path(iri), href=self.ns.href(iri), label=shown, matched=text, matched_lang=tag,
                   types=tuple(sorted((self._type(kind, lang) for kind in self._types.get(number, ())),
                                      key=lambda t: (t.label, t.iri))))

    def _type(self, iri: str, lang: str) -> TypeLabel:
        shown = i18n.pick(self.labels(iri), lang)
        if shown is None:
            return TypeLabel(iri, _local_name(iri), "")
        return TypeLabel(iri, shown.text, shown.lang)


def _tier(text: str, needle: str) -> int:
    """0: the label starts with the query; 1: one of its words does; 2: it contains the query elsewhere."""
    at = text.find(needle)
    if at == 0:
        return 0
    while at > 0:
        if not text[at - 1].isalnum():
            return 1
        at = text.find(needle, at + 1)
    return 2


def _local_name(iri: str) -> str:
    """What follows the IRI's last ``#`` or ``/`` (a type without a label is shown by it)."""
    return iri.rstrip("/#").rpartition("#")[2].rpartition("/")[2] or iri
