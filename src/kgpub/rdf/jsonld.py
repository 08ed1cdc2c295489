"""Compacted JSON-LD: the context we publish, and a small deterministic compactor for one graph.

The context holds prefixes only (``"kjt": "https://w3id.org/kjtrade/ontology#"``, ...), from the
project's prefix map; it has no ``@vocab``, no default language and no type coercion, so every
key is a compact IRI a reader can look up and every literal keeps its datatype or language
tag: compaction cannot lose anything (the tests read the dump back with pyld and compare).

:func:`compact` writes what a JSON-LD 1.1 processor's compaction of the flattened graph with
that context gives (IRI compaction picks the shortest compact IRI, then the least; one value
is not wrapped in an array; ``rdf:type`` is ``@type``; literals are never JSON numbers, so
``"1.50"^^xsd:decimal`` stays itself), in a stable order: nodes by ``@id``, values sorted,
keys sorted, one node per line. Two departures from pyld, both to stay lossless: no compact
IRI whose local part starts with ``//`` (``ex://x`` reads back as the IRI ``ex://x``), and no
prefix named like the scheme of an IRI in the graph. pyld's own compaction is not used: on
100k triples it takes about 16 s, this about 1 s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from kgpub.rdf.formats import BY_NAME

CONTEXT_NAME = "context." + BY_NAME["jsonld"].extension
"""The context document's name: a file of every release, and its path on the server."""

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
NO_TRIPLE_TERMS = "JSON-LD has no form for triple terms (RDF 1.2)"
T = TypeVar("T")
GEN_DELIMS = frozenset(":/?#[]@")  # a simple term definition is a prefix only if its IRI ends with one (JSON-LD 1.1)


@dataclass(frozen=True)
class Context:
    """A JSON-LD context of prefixes: name -> namespace, sorted."""

    prefixes: dict[str, str]

    @classmethod
    def of(cls, prefixes: Mapping[str, str], *, triples: Iterable[Triple] = ()) -> Context:
        """The ``prefixes`` JSON-LD can use without ambiguity for a graph of ``triples``.

        Left out: the empty prefix (not a JSON-LD term), namespaces that do not end with
        ``/``, ``#`` or another gen-delim (not prefixes in JSON-LD 1.1), and a name that is
        also the scheme of an IRI in the graph (``urn:x`` would read as a compact IRI).
        """
        schemes = _schemes(triples)
        return cls({name: ns for name, ns in sorted(prefixes.items())
                    if name and name != "_" and ":" in ns and ns[-1] in GEN_DELIMS and name not in schemes})

    def document(self) -> dict[str, dict[str, str]]:
        return {"@context": dict(self.prefixes)}

    def render(self) -> bytes:
        """The context document as published (``context.jsonld``)."""
        return (json.dumps(self.document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _schemes(triples: Iterable[Triple]) -> set[str]:
    terms: set[object] = set()
    for s, p, o in triples:
        terms.add(s)
        terms.add(p)
        terms.add(o.datatype if type(o) is Literal else o)
    return {t.value.partition(":")[0] for t in terms if type(t) is NamedNode}


Subject = NamedNode | BlankNode
Value = tuple[tuple[str, ...], object]  # a sort key, and the JSON value


def compact(triples: Iterable[Triple], context: Context) -> bytes:
    """One graph as compacted JSON-LD with ``context`` inline: the same triples always give the same bytes."""
    subjects: dict[Subject, dict[NamedNode, list[object]]] = {}
    for t in triples:
        if isinstance(t, Quad):
            raise ValueError("compacted JSON-LD is written for one graph: give triples, not quads")
        s, p, o = t
        subjects.setdefault(s, {}).setdefault(p, []).append(o)
    terms = _Terms(context)
    nodes = sorted((terms.node(s, props) for s, props in subjects.items()), key=lambda node: str(node["@id"]))
    return _document(context, [json.dumps(node, ensure_ascii=False, sort_keys=True) for node in nodes])


def compact_by_subject(triples: Iterable[Triple], context: Context) -> bytes:
    """:func:`compact` of triples that come grouped by subject (a release's sorted knowledge graph): the same
    bytes, holding one subject's triples at a time (and the finished node lines) instead of the whole graph as
    Python objects. A subject that comes back after another is a ValueError."""
    terms = _Terms(context)
    lines: list[tuple[str, str]] = []
    done: set[Subject] = set()
    subject: Subject | None = None
    props: dict[NamedNode, list[object]] = {}

    def finish() -> None:
        if subject is not None:
            node = terms.node(subject, props)
            lines.append((str(node["@id"]), json.dumps(node, ensure_ascii=False, sort_keys=True)))
            done.add(subject)

    for t in triples:
        if isinstance(t, Quad):
            raise ValueError("compacted JSON-LD is written for one graph: give triples, not quads")
        s, p, o = t
        if s != subject:
            finish()
            if s in done:
                raise ValueError(f"{s}: its triples are not together; compact() takes them in any order")
            subject, props = s, {}
        props.setdefault(p, []).append(o)
    finish()
    lines.sort(key=lambda line: line[0])
    return _document(context, [line for _, line in lines])


def _document(context: Context, lines: list[str]) -> bytes:
    head = json.dumps(context.prefixes, ensure_ascii=False, indent=2, sort_keys=True).replace("\n", "\n  ")
    graph = "[\n    " + ",\n    ".join(lines) + "\n  ]" if lines else "[]"
    return ('{\n  "@context": ' + head + ',\n  "@graph": ' + graph + "\n}\n").encode("utf-8")


class _Terms:
    """RDF terms as compacted JSON-LD, memoized per term."""

    def __init__(self, context: Context) -> None:
        self.iris = _Iris(context)
        self._values: dict[object, Value] = {}
        self._keys: dict[NamedNode, str] = {}

    def node(self, subject: Subject, props: dict[NamedNode, list[object]]) -> dict[str, object]:
        """A node object: ``@id``, ``@type`` (``rdf:type`` to IRIs and blank nodes), a key per other property."""
        out: dict[str, object] = {"@id": self.iris.node(subject)}
        for predicate, objects in props.items():
            if predicate.value == RDF_TYPE:
                types = sorted({self._type(o) for o in objects if type(o) is not Literal})
                if types:
                    out["@type"] = _one(types)
                objects = [o for o in objects if type(o) is Literal]
                if not objects:
                    continue
            key = self._keys.get(predicate) or self._keys.setdefault(predicate, self.iris.vocab(predicate.value))
            out[key] = _one([v for _, v in sorted(map(self._value, dict.fromkeys(objects)), key=_sort_key)])
        return out

    def _type(self, term: object) -> str:
        if isinstance(term, NamedNode):
            return self.iris.vocab(term.value)  # a type is a vocabulary term (an @id is a document IRI)
        if isinstance(term, BlankNode):
            return self.iris.node(term)
        raise ValueError(NO_TRIPLE_TERMS)

    def _value(self, term: object) -> Value:
        found = self._values.get(term)
        if found is None:
            found = self._values[term] = self._new_value(term)
        return found

    def _new_value(self, term: object) -> Value:
        if isinstance(term, NamedNode | BlankNode):
            node = self.iris.node(term)
            return ("0", node), {"@id": node}
        if not isinstance(term, Literal):
            raise ValueError(NO_TRIPLE_TERMS)
        text, language = term.value, term.language
        if term.direction is not None:
            return ("4", text, language or "", str(term.direction)), {
                "@direction": str(term.direction), "@language": language, "@value": text}
        if language:
            return ("2", text, language), {"@language": language, "@value": text}
        if term.datatype.value == XSD_STRING:
            return ("1", text), text
        datatype = self.iris.vocab(term.datatype.value)
        return ("3", text, datatype), {"@type": datatype, "@value": text}


def _sort_key(value: Value) -> tuple[str, ...]:
    return value[0]


def _one(values: Sequence[T]) -> T | Sequence[T]:
    """One value as itself, several as an array (what JSON-LD compaction does by default)."""
    return values[0] if len(values) == 1 else values


class _Iris:
    """IRI compaction as JSON-LD 1.1 does it with a context of prefixes, memoized per IRI."""

    def __init__(self, context: Context) -> None:
        self._names: dict[str, list[str]] = {}
        for name, ns in context.prefixes.items():
            self._names.setdefault(ns, []).append(name)
        self._lengths = sorted({len(ns) for ns in self._names})
        self._ids: dict[str, str] = {}
        self._vocab: dict[str, str] = {}

    def node(self, term: NamedNode | BlankNode) -> str:
        """A subject or an ``@id`` value: a compact IRI, the IRI itself, or ``_:label``."""
        if isinstance(term, BlankNode):
            return "_:" + term.value
        iri = term.value
        found = self._ids.get(iri)
        if found is None:
            found = self._ids[iri] = self._compact_iri(iri)
        return found

    def vocab(self, iri: str) -> str:
        """A property, a type or a datatype: a prefix name when the IRI is its namespace, else as :meth:`node`."""
        found = self._vocab.get(iri)
        if found is None:
            exact = self._names.get(iri)
            found = self._vocab[iri] = min(exact, key=_shortest) if exact else self._compact_iri(iri)
        return found

    def _compact_iri(self, iri: str) -> str:
        """The shortest, then least, ``prefix:suffix`` for ``iri`` (never with an empty suffix), else ``iri``."""
        candidates = [f"{name}:{iri[n:]}" for n in self._lengths if n < len(iri)
                      for name in self._names.get(iri[:n], ())
                      if not iri.startswith("//", n)]  # "p://x" would read as an absolute IRI
        return min(candidates, key=_shortest) if candidates else iri


def _shortest(text: str) -> tuple[int, str]:
    return len(text), text
