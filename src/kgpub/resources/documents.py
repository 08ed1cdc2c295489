"""The documents of a release: what is answered at each path under the base, rendered once per format.

A path resolves to a :class:`Resource` (:meth:`Documents.resolve`):

| path | document |
|---|---|
| ``/id/…`` | the entity's description (:mod:`kgpub.resources.describe`) in the knowledge graph |
| ``/id/dataset/kjtrade``, ``/.well-known/void``, ``/`` | the dataset description (VoID + DCAT 3) |
| ``/ontology``, ``/ontology/<version>`` | the ontology graph (every hash term of the ontology is answered here) |
| ``/shapes``, ``/validation`` | the shapes graph, the validation report graph |
| ``/graph/<name>`` | what the release says about the named graph, and its size |

A path whose IRI the release does not mention is a 404, a retired IRI a 410 (``retired.json``).
Every document adds a few triples about itself: ``foaf:primaryTopic``, ``dcterms:isPartOf`` the
dataset, ``dcterms:license``. Rendered documents are cached per release (bounded by bytes).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from threading import Lock
from urllib.parse import quote

from pyoxigraph import DefaultGraph, Literal, NamedNode, Store, Triple

from kgpub.errors import Gone, NotFound
from kgpub.rdf import jsonld
from kgpub.rdf.formats import Format
from kgpub.rdf.serialize import serialize
from kgpub.release import layout
from kgpub.release.reader import Release
from kgpub.resources.describe import describe
from kgpub.resources.iris import Namespace

RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
OWL_VERSION_IRI = NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
LICENSE = NamedNode("https://creativecommons.org/licenses/by/4.0/")
DATASET_PATH = "/" + layout.DATASET_PATH
"""The whole knowledge graph's dataset IRI, as a path."""
VOID_PATH = "/.well-known/void"
RETIRED_FILE = "retired.json"
RESOLVED = 1 << 16  # paths whose resolution is remembered
REMEMBERED_PATH = 256
"""Only paths up to this length are remembered (every IRI of the dataset is far shorter): a request target may be
a megabyte long, and 65,536 of those would be gigabytes."""
GRAPHS = {"/ontology": "ontology", "/shapes": "shapes", "/validation": "validation"}
"""Documents that are one named graph of the release (``<base>graph/<name>``) as it is."""

DescribeDataset = Callable[[], list[Triple]]


@dataclass(frozen=True)
class Resource:
    path: str  # the path asked for, without a format suffix
    topic: str  # the IRI the document is about
    kind: str  # entity | dataset | graph-content | graph
    documents: str = ""  # the path whose suffixed forms are its documents, when not ``path``

    @property
    def document_path(self) -> str:
        return self.documents or self.path


@dataclass(frozen=True)
class Retired:
    iri: str
    retired: str  # date
    reason: str
    replaced_by: str = ""


class Documents:
    """The documents of one release, resolved by path and rendered once per format (thread-safe)."""

    def __init__(self, release: Release, store: Store, namespace: Namespace, *, dataset: DescribeDataset,
                 prefixes: dict[str, str] | None = None, max_incoming: int = 1000, cache_bytes: int = 64 << 20) -> None:
        self.release, self.store, self.ns = release, store, namespace
        self.prefixes = {**(prefixes or {}), **release.prefixes}  # the release's own win
        self._dataset, self.max_incoming, self._budget = dataset, max_incoming, cache_bytes
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._resolved: dict[str, Resource | NotFound | Gone] = {}
        self._cached_bytes = 0
        self._lock = Lock()
        self.retired = _retired(release)
        self.ontology_versions = self._ontology_versions()

    @property
    def dataset_iri(self) -> str:
        return self.ns.iri(DATASET_PATH)

    def resolve(self, path: str) -> Resource:
        """The resource at ``path`` (no format suffix); NotFound or Gone when there is none (remembered per
        path, up to :data:`RESOLVED` paths: a release never changes)."""
        found = self._resolved.get(path)
        if found is None:
            try:
                found = self._resolve(path)
            except (NotFound, Gone) as e:
                found = e
            if len(self._resolved) < RESOLVED and len(path) <= REMEMBERED_PATH:
                self._resolved[path] = found
        if isinstance(found, Resource):
            return found
        raise type(found)(found.message)

    def _resolve(self, path: str) -> Resource:
        iri = self.ns.iri(path)
        if not _is_iri(iri):  # a decoded path with a space, a quote, U+FFFD...: no IRI of any dataset
            raise NotFound(f"{iri[:200]!r} is not an IRI (the path has characters an IRI cannot hold)")
        if path in (DATASET_PATH, VOID_PATH):
            return Resource(path, self.dataset_iri, "dataset")
        if path == "/":  # the base itself (the ontology's foaf:homepage): the dataset description for machines
            return Resource(path, self.dataset_iri, "dataset", documents=VOID_PATH)
        if path in GRAPHS:
            return Resource(path, iri, "graph-content")
        if path.startswith("/ontology/") and path in self.ontology_versions:
            return Resource(path, self.ns.iri("/ontology"), "graph-content")
        if iri in self.retired:
            entry = self.retired[iri]
            raise Gone(f"{iri} was retired on {entry.retired}: {entry.reason}"
                       + (f"; see {entry.replaced_by}" if entry.replaced_by else ""))
        if path.startswith("/graph/") and iri in self.release.graph_triples:
            return Resource(path, iri, "graph")
        if path.startswith("/id/") and self._mentioned(iri):
            return Resource(path, iri, "entity")
        raise NotFound(f"{iri} is not an IRI of this dataset (release {self.release.version})")

    def render(self, resource: Resource, fmt: Format) -> bytes:
        """``resource``'s document in ``fmt``, from the cache when it was rendered before."""
        key = (resource.document_path, fmt.name)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        body = self._serialize(self.triples(resource, fmt), fmt)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = body
                self._cached_bytes += len(body)
                while self._cached_bytes > self._budget and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached_bytes -= len(dropped)
        return body

    def triples(self, resource: Resource, fmt: Format) -> list[Triple]:
        """What the document in ``fmt`` says: its content, then the triples about the document itself."""
        if resource.kind == "graph-content":
            name = GRAPHS.get(resource.path, "ontology")
            content = [q.triple for q in self.store.quads_for_pattern(None, None, None, self._graph(name))]
        elif resource.kind == "dataset":
            content = self._dataset() + describe(self.store, resource.topic, max_incoming=self.max_incoming).triples
        elif resource.kind == "graph":
            graph = NamedNode(resource.topic)
            size = Literal(str(self.release.graph_triples[resource.topic]), datatype=XSD_INTEGER)
            content = [*describe(self.store, resource.topic, max_incoming=self.max_incoming).triples,
                       Triple(graph, NamedNode(VOID + "triples"), size),
                       Triple(graph, NamedNode(VOID + "inDataset"), NamedNode(self.dataset_iri))]
        else:
            content = self._entity(resource)
        document = NamedNode(self.ns.iri(self.ns.document(resource.document_path, fmt)))
        about = [Triple(document, RDF_TYPE, NamedNode(FOAF + "Document")),
                 Triple(document, NamedNode(FOAF + "primaryTopic"), NamedNode(resource.topic)),
                 Triple(document, NamedNode(DCTERMS + "isPartOf"), NamedNode(self.dataset_iri)),
                 Triple(document, NamedNode(DCTERMS + "license"), LICENSE)]
        return list(dict.fromkeys([*content, *about]))

    def _entity(self, resource: Resource) -> list[Triple]:
        found = describe(self.store, resource.topic, max_incoming=self.max_incoming)
        if not found.incoming_cut:
            return found.triples
        rest = NamedNode(self.ns.iri("/fragments") + "?object=" + _quote(resource.topic))
        return [*found.triples, Triple(NamedNode(resource.topic), NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
                                       rest)]

    def _serialize(self, triples: list[Triple], fmt: Format) -> bytes:
        prefixes = _used(self.prefixes, triples)
        context = jsonld.Context.of(prefixes, triples=triples)
        return serialize(triples, fmt, prefixes=prefixes, context=context).body

    def _graph(self, name: str) -> NamedNode:
        return NamedNode(self.ns.iri("/graph/" + name))

    def _mentioned(self, iri: str) -> bool:
        node, graph = NamedNode(iri), DefaultGraph()
        lookups = (self.store.quads_for_pattern(node, None, None, graph),
                   self.store.quads_for_pattern(None, None, node, graph),
                   self.store.quads_for_pattern(None, node, None, graph))
        return any(next(found, None) is not None for found in lookups)

    def _ontology_versions(self) -> set[str]:
        ontology = NamedNode(self.ns.iri("/ontology"))
        found = set()
        for quad in self.store.quads_for_pattern(ontology, OWL_VERSION_IRI, None, self._graph("ontology")):
            path = self.ns.path(quad.object.value) if isinstance(quad.object, NamedNode) else None
            if path:
                found.add(path)
        return found


def _retired(release: Release) -> dict[str, Retired]:
    path = release.file(RETIRED_FILE)
    if not path.is_file():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {e["iri"]: Retired(**e) for e in entries}


def _used(prefixes: dict[str, str], triples: Iterable[Triple]) -> dict[str, str]:
    """The prefixes whose namespace starts an IRI of ``triples`` (a document declares only those)."""
    iris = {t.value for triple in triples for t in (triple.subject, triple.predicate, triple.object)
            if isinstance(t, NamedNode)}
    iris |= {triple.object.datatype.value for triple in triples if isinstance(triple.object, Literal)}
    return {name: ns for name, ns in prefixes.items() if any(iri.startswith(ns) for iri in iris)}


def _quote(iri: str) -> str:
    return quote(iri, safe="")


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True
