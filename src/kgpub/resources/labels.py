"""Readable names of terms for the pages, in each language, from the release and from the package.

A term's labels come from the release's knowledge graph (``rdfs:label``, then ``skos:prefLabel``,
``schema:name``, ``dcterms:title``, ``foaf:name``: the first predicate that has the language
wins), else from ``vocabulary-labels.ttl`` (the labels of the reused vocabularies' terms, shipped
with the package: nothing is fetched), else the term's compact name (``qb:Observation``).
:func:`kgpub.resources.i18n.pick` then chooses the language. Lookups are memoised per release.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from threading import Lock

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, RdfFormat, Store, parse

from kgpub.rdf.terms import Prefixes
from kgpub.resources.i18n import Label, pick
from kgpub.resources.iris import Namespace

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
LABEL_PREDICATES = tuple(NamedNode(p) for p in (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name",
                                                DCTERMS + "title", "http://xmlns.com/foaf/0.1/name"))
COMMENT_PREDICATES = tuple(NamedNode(p) for p in (RDFS + "comment", SCHEMA + "description",
                                                  DCTERMS + "description", SKOS + "definition"))
VOCABULARY_FILE = "vocabulary-labels.ttl"
MEMO = 1 << 16


@cache
def vocabulary() -> tuple[Mapping[str, Mapping[str, str]], Mapping[str, Mapping[str, str]]]:
    """(labels, comments) of the reused vocabularies' terms: IRI -> language -> text."""
    labels: dict[str, dict[str, str]] = {}
    comments: dict[str, dict[str, str]] = {}
    path = resources.files("kgpub.resources").joinpath(VOCABULARY_FILE)
    if not path.is_file():
        return labels, comments
    for triple in parse(path.read_bytes(), format=RdfFormat.TURTLE):
        if isinstance(triple.subject, NamedNode) and isinstance(triple.object, Literal):
            table = labels if triple.predicate.value == RDFS + "label" else comments
            table.setdefault(triple.subject.value, {}).setdefault(triple.object.language or "", triple.object.value)
    return labels, comments


class Labels:
    """Labels and one-line comments of the terms of one release (thread-safe memo)."""

    def __init__(self, store: Store, namespace: Namespace, prefixes: Mapping[str, str]) -> None:
        self.store, self.ns, self._prefixes = store, namespace, Prefixes(prefixes)
        self._labels: dict[str, dict[str, str]] = {}
        self._comments: dict[str, dict[str, str]] = {}
        self._lock = Lock()

    def all(self, iri: str) -> Mapping[str, str]:
        """Every label of ``iri``: language tag -> text ("" for no tag)."""
        return self._memo(self._labels, iri, LABEL_PREDICATES, vocabulary()[0])

    def comments(self, iri: str) -> Mapping[str, str]:
        return self._memo(self._comments, iri, COMMENT_PREDICATES, vocabulary()[1])

    def label(self, term: NamedNode | BlankNode | str, lang: str) -> Label:
        """The label to show for ``term`` in ``lang``; its compact name when it has none."""
        iri = term if isinstance(term, str) else term.value
        found = pick(self.all(iri), lang) if not isinstance(term, BlankNode) else None
        return found or Label(self.short(iri), "", False)

    def comment(self, iri: str, lang: str) -> Label | None:
        return pick(self.comments(iri), lang)

    def short(self, iri: str) -> str:
        """``prefix:local`` when a prefix fits, else the IRI."""
        short = self._prefixes.compact(iri)
        return iri if short.startswith("<") else short

    def _memo(self, table: dict[str, dict[str, str]], iri: str, predicates: tuple[NamedNode, ...],
              shipped: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
        found = table.get(iri)
        if found is not None:
            return found
        found = {}
        node = NamedNode(iri)
        for predicate in predicates:
            for quad in self.store.quads_for_pattern(node, predicate, None, DefaultGraph()):
                if isinstance(quad.object, Literal):
                    found.setdefault(quad.object.language or "", quad.object.value)
        for tag, text in shipped.get(iri, {}).items():
            found.setdefault(tag, text)
        with self._lock:
            if len(table) < MEMO:
                table[iri] = found
        return found
