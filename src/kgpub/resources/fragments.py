"""Triple Pattern Fragments of a release: selectors, pages, counts, and the fragment documents.

Implements the Triple Pattern Fragments specification of the Hydra W3C Community Group
(https://linkeddatafragments.org/specification/triple-pattern-fragments/), with the ``graph``
selector of Quad Pattern Fragments for the release's named graphs, over the release's store:

- **Selector** (:func:`parse_request`): ``subject``, ``predicate`` and ``object`` in the spec's
  string forms: an IRI as it is (or in ``<…>``); ``"text"``, ``"text"@lang``, ``"text"^^iri`` (or
  ``^^<iri>``) for an object literal; empty, ``?name`` or ``_:label`` for a variable (a name used
  twice binds one term: ``subject=?x&object=?x``). ``graph``: a named graph IRI; absent, empty or
  ``urn:ldf:defaultGraph``: the default graph, which is the knowledge graph (the one ``/sparql``
  queries); a graph the release does not have is an empty fragment (unlike Quad Pattern
  Fragments, no ``graph`` is not "every graph": a triple-pattern client must get the knowledge
  graph, so a quad-pattern client's ``GRAPH ?g``, which leaves ``graph`` out, finds no named
  graph; ``GRAPH <iri>`` works). ``page``: 1 to
  :data:`MAX_PAGE`. Anything malformed is a :class:`~kgpub.errors.BadRequest`; other parameters
  are ignored (and stay in the page IRIs).
- **Data**: the matching triples, :data:`PAGE_SIZE` a page, in N-Triples order of subject,
  predicate, object (a graph of up to :data:`INDEX_LIMIT` triples is indexed in memory on first
  use, so every page and count is a lookup), or the store's own index order for larger graphs
  (counted up to :data:`COUNT_CAP`, beyond which the count is an estimate and the page says so).
  Either order is a function of the release alone, so pages are stable across requests and
  server processes. Blank nodes are skolemized (the spec: data triples MUST NOT contain blank
  nodes) as ``<base>.well-known/genid/<version>/<label>``; such an IRI in a selector matches its
  blank node again.
- **Metadata and controls**: ``void:triples`` and ``hydra:totalItems`` of the fragment, the
  dataset (``void:Dataset``, ``hydra:Collection``) with ``void:subset`` the fragment and the
  page, its ``hydra:search`` IRI template ``{?subject,predicate,object,graph}`` with
  ``hydra:ExplicitRepresentation`` and a mapping per variable (``rdf:subject``, ``rdf:predicate``,
  ``rdf:object``, ``sd:graph``; ``sd:defaultGraph`` names the default graph for quad-pattern
  clients), the page (``hydra:PartialCollectionView``, ``hydra:view`` of the fragment) with
  ``hydra:first``, ``hydra:last`` (when the count is exact), ``hydra:previous``, ``hydra:next``
  and ``hydra:itemsPerPage``. In formats with named graphs (TriG, N-Quads, JSON-LD) the data is
  the default graph (a named graph's own fragments: that graph) and metadata and controls are
  the graph ``<fragment>#metadata``, whose ``foaf:primaryTopic`` is the fragment; in Turtle and
  N-Triples they share the one graph (metadata first, so a streaming client meets the count
  before the data).
- **IRIs** (:func:`locate`): a page's IRI is the URL the client asked for, exactly (the spec:
  clients relate pages by it; Comunica looks for ``hydra:next`` under the URL it fetched), and the
  template and the dataset are at that URL's ``/fragments``: a fragment is a document of the
  server answering it, not a canonical IRI of the knowledge graph, so it lives on the request's
  origin (a canonical ``https://w3id.org/kjtrade/fragments`` would only redirect to one server,
  and a client following the redirect could no longer match the page it fetched). The data
  keeps the canonical IRIs.

Rendered documents are kept per page IRI and format, bounded by bytes, as long as the release.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from threading import Lock
from typing import Generic, Protocol, TypeVar
from urllib.parse import quote, unquote, unquote_plus

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, Triple

from kgpub.errors import BadRequest
from kgpub.rdf.formats import Format
from kgpub.rdf.serialize import serialize
from kgpub.release.reader import Release

PAGE_SIZE = 100
MAX_PAGE = 10_000
"""The highest page number asked for: a million triples into a fragment (an indexed graph needs 1,000 pages)."""
INDEX_LIMIT = 100_000
"""Graphs of up to this many triples are indexed in memory; larger ones are read from the store."""
COUNT_CAP = 10_000
"""Matches counted in the store (larger graphs) before the count becomes an estimate."""
CACHE_BYTES = 32 << 20
"""Rendered documents kept per release."""
DEFAULT_GRAPH = "urn:ldf:defaultGraph"
"""The default graph's name in the ``graph`` parameter (as Linked Data Fragments servers name it)."""
GENID = ".well-known/genid/"
POSITIONS = ("subject", "predicate", "object")
GRAPH, PAGE = "graph", "page"
TEMPLATE = "{?subject,predicate,object,graph}"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"rdf": RDF, "hydra": HYDRA, "void": VOID, "sd": SD, "dcterms": DCTERMS, "foaf": FOAF, "xsd": XSD}
"""Prefixes of the metadata, declared in Turtle and TriG beside the release's own."""

RDF_TYPE = NamedNode(RDF + "type")
RDF_LANG_STRING = RDF + "langString"
XSD_INTEGER = NamedNode(XSD + "integer")
VOID_TRIPLES, VOID_SUBSET = NamedNode(VOID + "triples"), NamedNode(VOID + "subset")
TOTAL_ITEMS, VIEW = NamedNode(HYDRA + "totalItems"), NamedNode(HYDRA + "view")
TITLE, DESCRIPTION = NamedNode(DCTERMS + "title"), NamedNode(DCTERMS + "description")
SOURCE = NamedNode(DCTERMS + "source")
MAPPED = (("subject", NamedNode(RDF + "subject")), ("predicate", NamedNode(RDF + "predicate")),
          ("object", NamedNode(RDF + "object")), ("graph", NamedNode(SD + "graph")))

Term = NamedNode | BlankNode | Literal
Graph = NamedNode | DefaultGraph
_VARIABLE = re.compile(r"\?\w+")
_PAGE_NUMBER = re.compile(r"[1-9][0-9]*")
_IRI_SAFE = "!#$%&'()*+,/:;=?@[]~"  # reserved and unreserved characters: a well-formed URL is left as it is


def _hydra(local: str) -> NamedNode:
    return NamedNode(HYDRA + local)


# ---- the selector ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    """A triple pattern in one graph: None is a variable; ``same`` pairs positions one variable binds."""

    subject: NamedNode | None = None
    predicate: NamedNode | None = None
    object: NamedNode | Literal | None = None
    graph: NamedNode | None = None  # None: the default graph (the knowledge graph)
    same: tuple[tuple[int, int], ...] = ()  # positions 0 subject, 1 predicate, 2 object

    @property
    def terms(self) -> tuple[NamedNode | Literal | None, ...]:
        return self.subject, self.predicate, self.object

    def fits(self, triple: Triple) -> bool:
        """Whether ``triple`` matches (its graph is the source's business)."""
        found = (triple.subject, triple.predicate, triple.object)
        return (all(term is None or term == found[i] for i, term in enumerate(self.terms))
                and all(found[a] == found[b] for a, b in self.same))

    def text(self) -> str:
        """The pattern as SPARQL writes it: ``{ <s> ?p "o"@en . }``."""
        names = {b: "?" + POSITIONS[a][0] for a, b in self.same}
        parts = [str(term) if term is not None else names.get(i, "?" + POSITIONS[i][0])
                 for i, term in enumerate(self.terms)]
        return "{ " + " ".join(parts) + " . }"


@dataclass(frozen=True)
class FragmentRequest:
    selector: Selector
    page: int = 1


def parse_request(params: Iterable[tuple[str, str]]) -> FragmentRequest:
    """The selector and page of a request's (decoded) query parameters; BadRequest names what is wrong."""
    values: dict[str, str] = {}
    for name, value in params:
        if name in (*POSITIONS, GRAPH, PAGE):
            if name in values:
                raise BadRequest(f"{name}= is given more than once; a fragment has one {name}")
            values[name] = value
    terms: list[NamedNode | Literal | None] = []
    variables: dict[str, list[int]] = {}
    for index, name in enumerate(POSITIONS):
        term, variable = _component(name, values.get(name, ""))
        terms.append(term)
        if variable:
            variables.setdefault(variable, []).append(index)
    same = tuple((spots[0], spot) for spots in variables.values() for spot in spots[1:])
    subject, predicate, obj = terms
    assert not isinstance(subject, Literal) and not isinstance(predicate, Literal)  # _component refused them
    selector = Selector(subject, predicate, obj, graph=_graph(values.get(GRAPH, "")), same=same)
    return FragmentRequest(selector, _page(values.get(PAGE)))


def _component(name: str, value: str) -> tuple[NamedNode | Literal | None, str | None]:
    """A term, or (None, the variable's name) for a variable (None, None when it has no name)."""
    if value == "":
        return None, None
    if value.startswith("?"):
        if not _VARIABLE.fullmatch(value):
            raise BadRequest(f"{name}={value!r}: a variable is ? and a name of letters, digits and _")
        return None, value
    if value.startswith("_:"):
        try:
            BlankNode(value[2:])
        except ValueError:
            raise BadRequest(f"{name}={value!r}: not a blank node label") from None
        return None, value  # a blank node in a pattern is a variable (the spec's selectors have none)
    if value.startswith('"'):
        if name != "object":
            raise BadRequest(f"{name}={value!r}: only the object can be a literal")
        return _literal(value), None
    return _iri(name, value), None


def _iri(name: str, value: str) -> NamedNode:
    text = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    try:
        return NamedNode(text)
    except ValueError as e:
        raise BadRequest(f"{name}={value!r}: not an absolute IRI, a literal or a variable ({e})") from None


def _literal(value: str) -> Literal:
    end = value.rfind('"')
    if end == 0:
        raise BadRequest(f"object={value!r}: the literal has no closing quote")
    lexical, suffix = value[1:end], value[end + 1:]
    if suffix == "":
        return Literal(lexical)
    if suffix.startswith("@"):
        try:
            return Literal(lexical, language=suffix[1:])
        except ValueError:
            raise BadRequest(f"object={value!r}: {suffix[1:]!r} is not a language tag") from None
    if suffix.startswith("^^"):
        datatype = _iri("object", suffix[2:])
        if datatype.value == RDF_LANG_STRING:
            raise BadRequest(f"object={value!r}: a language-tagged string is written \"…\"@tag")
        return Literal(lexical, datatype=datatype)
    raise BadRequest(f"object={value!r}: after a literal's closing quote comes @language, ^^datatype or nothing")


def _graph(value: str) -> NamedNode | None:
    if value == "" or value == DEFAULT_GRAPH:
        return None
    if value.startswith(("?", "_:", '"')):
        raise BadRequest(f"graph={value!r}: a fragment is of one graph: name it, or leave graph= out for the "
                         "default graph (the knowledge graph)")
    graph = _iri(GRAPH, value)
    return None if graph.value == DEFAULT_GRAPH else graph


def _page(value: str | None) -> int:
    if value is None:
        return 1
    if not (value.isascii() and _PAGE_NUMBER.fullmatch(value)) or int(value) > MAX_PAGE:
        raise BadRequest(f"page={value!r}: a page is a whole number from 1 to {MAX_PAGE}")
    return int(value)


# ---- the IRIs of a document --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locations:
    """The IRIs one fragment document uses, all derived from the URL the client asked for."""

    page: str  # the request URL: this page
    fragment: str  # the same without page=: the fragment, whose first page it also is
    search: str  # the URL fragments are asked at (the request URL without its query)

    @property
    def dataset(self) -> str:
        return self.search + "#dataset"

    @property
    def metadata(self) -> str:
        return self.fragment + "#metadata"

    @property
    def template(self) -> str:
        return self.search + TEMPLATE

    def page_iri(self, number: int) -> str:
        """The IRI of page ``number`` of the fragment (the first page is the fragment's own IRI)."""
        if number == 1:
            return self.fragment
        return f"{self.fragment}{'&' if '?' in self.fragment else '?'}{PAGE}={number}"


def locate(url: str) -> Locations:
    """The IRIs of the document answered at ``url`` (the request URL as the client sent it)."""
    url = quote(url, safe=_IRI_SAFE)  # only characters no URL may hold are escaped; a valid URL stays as it is
    base, _, query = url.partition("?")
    kept = [item for item in query.split("&") if item and unquote_plus(item.partition("=")[0]) != PAGE]
    where = Locations(page=url, fragment=base + ("?" + "&".join(kept) if kept else ""), search=base)
    try:
        NamedNode(where.page), NamedNode(where.fragment)
    except ValueError as e:
        raise BadRequest(f"the request URL {url!r} is not an IRI ({e})") from None
    return where


# ---- the matches -------------------------------------------------------------------------------------------------


class Skolem:
    """Blank nodes as IRIs of one release (``<base>.well-known/genid/<version>/<label>``), both ways."""

    def __init__(self, base_iri: str, version: str) -> None:
        self.prefix = f"{base_iri}{GENID}{version}/"

    def iri(self, node: BlankNode) -> NamedNode:
        return NamedNode(self.prefix + quote(node.value, safe=""))

    def node(self, term: NamedNode | Literal | None) -> NamedNode | BlankNode | Literal | None:
        """The blank node a skolem IRI of this release stands for; any other term as it is."""
        if isinstance(term, NamedNode) and term.value.startswith(self.prefix):
            try:
                return BlankNode(unquote(term.value[len(self.prefix):]))
            except ValueError:
                return term  # not a label: an IRI no triple has
        return term

    def served(self, quad: Quad, graph: Graph | None = None) -> Quad:
        """``quad`` without blank nodes (in ``graph`` when given)."""
        s, o = quad.subject, quad.object
        if isinstance(s, BlankNode) or isinstance(o, BlankNode) or graph is not None:
            subject = self.iri(s) if isinstance(s, BlankNode) else s
            obj = self.iri(o) if isinstance(o, BlankNode) else o
            assert not isinstance(subject, Triple) and not isinstance(obj, Triple)  # no triple terms in releases
            return Quad(subject, quad.predicate, obj, quad.graph_name if graph is None else graph)
        return quad


@dataclass(frozen=True)
class Matches:
    """One page of a fragment's data, with the fragment's count."""

    quads: Sequence[Quad]  # in the graph they were found in (the default graph for the knowledge graph)
    triples: Sequence[Triple]  # the same as triples
    total: int  # of the whole fragment
    exact: bool  # else an estimate (at least ``total``)
    more: bool  # a next page has data
    namespaces: frozenset[str] | None = None  # the prefixes' namespaces its IRIs use (None: not worked out)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A least-recently-used map bounded by the summed weight of its values (thread-safe)."""

    def __init__(self, budget: int) -> None:
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._budget, self._weight = budget, 0
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        with self._lock:
            if key in self._items or weight > self._budget:
                return
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self._budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped


class _Source(Protocol):
    def match(self, selector: Selector, offset: int, limit: int) -> Matches: ...


class _Indexed:
    """One graph in memory: its (skolemized) triples in N-Triples order, and where each term occurs."""

    def __init__(self, quads: Iterable[Quad], namespaces: Iterable[str] = ()) -> None:
        ordered = sorted(quads, key=lambda q: (str(q.subject), str(q.predicate), str(q.object)))
        self.quads = list({q.triple: q for q in ordered}.values())  # a union of graphs may repeat a triple
        self.triples = [q.triple for q in self.quads]
        self._at: tuple[dict[Term, list[int]], ...] = ({}, {}, {})
        for index, t in enumerate(self.triples):
            for position, term in enumerate((t.subject, t.predicate, t.object)):
                assert not isinstance(term, Triple)
                self._at[position].setdefault(term, []).append(index)
        spaces = tuple(namespaces)
        self._spaces = [frozenset(ns for iri in _iris(t) for ns in spaces if iri.startswith(ns)) for t in self.triples]
        self._hits: _Lru[Selector, Sequence[int]] = _Lru(1 << 20)  # positions of patterns with 2+ terms

    def match(self, selector: Selector, offset: int, limit: int) -> Matches:
        hits = self.hits(selector)
        window = hits[offset:offset + limit]
        return Matches([self.quads[i] for i in window], [self.triples[i] for i in window], len(hits), True,
                       offset + limit < len(hits), frozenset().union(*(self._spaces[i] for i in window)))

    def hits(self, selector: Selector) -> Sequence[int]:
        """The positions (ascending) of the triples ``selector`` matches."""
        bound = [(i, term) for i, term in enumerate(selector.terms) if term is not None]
        lists = [self._at[i].get(term, []) for i, term in bound]
        if not selector.same and len(lists) <= 1:
            return lists[0] if lists else range(len(self.triples))
        found = self._hits.get(selector)
        if found is None:
            candidates = min(lists, key=len) if lists else range(len(self.triples))
            found = [i for i in candidates if selector.fits(self.triples[i])]
            self._hits.put(selector, found, weight=len(found) + 1)
        return found


class _Stored:
    """One graph too large to index: read from the store in its index order, counted up to a cap."""

    def __init__(self, store: Store, graph: Graph, skolem: Skolem, *, size: int) -> None:
        self.store, self.graph, self.skolem, self.size = store, graph, skolem, size
        self._counts: _Lru[Selector, int] = _Lru(4096)

    def match(self, selector: Selector, offset: int, limit: int) -> Matches:
        total, exact = self._count(selector)
        skipped = exact and offset >= total  # past the last page: nothing to read (a deep page costs its offset)
        rows = [] if skipped else list(islice(self._scan(selector), offset, offset + limit + 1))
        more = len(rows) > limit
        quads = [self.skolem.served(q) for q in rows[:limit]]
        if not exact:  # an estimate is at least what this page shows
            total = max(total, offset + len(quads) + more)
        return Matches(quads, [q.triple for q in quads], total, exact, more)

    def _scan(self, selector: Selector) -> Iterator[Quad]:
        s, p, o = (self.skolem.node(term) for term in selector.terms)
        assert not isinstance(s, Literal) and not isinstance(p, BlankNode | Literal)
        found = self.store.quads_for_pattern(s, p, o, self.graph)
        if not selector.same:
            return iter(found)
        return (q for q in found if all(q[a] == q[b] for a, b in selector.same))

    def _count(self, selector: Selector) -> tuple[int, bool]:
        if selector.terms == (None, None, None) and not selector.same:
            return self.size, True  # the manifest's count of the graph
        counted = self._counts.get(selector)
        if counted is None:
            counted = sum(1 for _ in islice(self._scan(selector), COUNT_CAP + 1))
            self._counts.put(selector, counted)
        return min(counted, COUNT_CAP), counted <= COUNT_CAP


# ---- the fragments of a release ----------------------------------------------------------------------------------


class Fragments:
    """The Triple Pattern Fragments of one release (thread-safe): graphs are indexed on first use."""

    def __init__(self, release: Release, store: Store, *, base_iri: str, index_limit: int = INDEX_LIMIT,
                 cache_bytes: int = CACHE_BYTES) -> None:
        self.release, self.store, self.base_iri, self.index_limit = release, store, base_iri, index_limit
        self.skolem = Skolem(base_iri, release.version)
        self.prefixes = {**PREFIXES, **release.prefixes}
        self._names = {ns: name for name, ns in reversed(self.prefixes.items())}  # namespace -> prefix
        self._sources: dict[NamedNode | None, _Source] = {}
        self._lock = Lock()
        self._documents: _Lru[tuple[str, str], bytes] = _Lru(cache_bytes)
        self._controls: _Lru[str, tuple[Triple, ...]] = _Lru(64)  # per origin

    def matches(self, selector: Selector, page: int = 1) -> Matches:
        """Page ``page`` of the data of ``selector``'s fragment, and its count."""
        return self._source(selector.graph).match(selector, (page - 1) * PAGE_SIZE, PAGE_SIZE)

    def render(self, asked: FragmentRequest, where: Locations, fmt: Format) -> bytes:
        """The document of the fragment page ``asked`` at ``where``, in ``fmt`` (an RDF format)."""
        key = (where.page, fmt.name)
        body = self._documents.get(key)
        if body is None:
            found = self.matches(asked.selector, asked.page)
            metadata = self.metadata(asked, found, where)
            prefixes = self._declared(found)
            if isinstance(fmt.oxigraph, RdfFormat) and fmt.oxigraph.supports_datasets:
                graph = NamedNode(where.metadata)
                metadata.append(Triple(graph, NamedNode(FOAF + "primaryTopic"), NamedNode(where.fragment)))
                quads = [Quad(t.subject, t.predicate, t.object, graph) for t in metadata]
                body = serialize([*quads, *found.quads], fmt, prefixes=prefixes).body
            else:
                body = serialize([*metadata, *found.triples], fmt, prefixes=prefixes).body
            self._documents.put(key, body, weight=len(body))
        return body

    def metadata(self, asked: FragmentRequest, found: Matches, where: Locations) -> list[Triple]:
        """The metadata and controls of a page: the count first, the fragment's ``void:subset`` of the page
        after the dataset's (the last subset of a page names the fragment, to clients that look for one)."""
        page, fragment, dataset = NamedNode(where.page), NamedNode(where.fragment), NamedNode(where.dataset)
        total = _integer(found.total)
        triples = [Triple(fragment, VOID_TRIPLES, total), Triple(fragment, TOTAL_ITEMS, total),
                   Triple(dataset, VOID_SUBSET, page)]
        if fragment != page:
            triples.append(Triple(dataset, VOID_SUBSET, fragment))
        triples += self.controls(where)
        triples += [Triple(fragment, VOID_SUBSET, page), Triple(fragment, VIEW, page),
                    Triple(page, RDF_TYPE, _hydra("PartialCollectionView")),
                    Triple(page, TITLE, Literal(f"Page {asked.page} of a Triple Pattern Fragment", language="en")),
                    Triple(page, DESCRIPTION, Literal(self._description(asked, found), language="en")),
                    Triple(page, SOURCE, dataset),
                    Triple(page, _hydra("itemsPerPage"), _integer(PAGE_SIZE)),
                    Triple(page, _hydra("first"), fragment)]
        if found.exact and found.total > 0:
            triples.append(Triple(page, _hydra("last"), NamedNode(where.page_iri(-(-found.total // PAGE_SIZE)))))
        if asked.page > 1:
            triples.append(Triple(page, _hydra("previous"), NamedNode(where.page_iri(asked.page - 1))))
        if found.more:
            triples.append(Triple(page, _hydra("next"), NamedNode(where.page_iri(asked.page + 1))))
        return triples

    def controls(self, where: Locations) -> tuple[Triple, ...]:
        """The dataset and its search form (the same for every fragment answered at ``where.search``)."""
        found = self._controls.get(where.search)
        if found is not None:
            return found
        dataset, search = NamedNode(where.dataset), BlankNode("search")
        triples = [Triple(dataset, RDF_TYPE, NamedNode(VOID + "Dataset")),
                   Triple(dataset, RDF_TYPE, _hydra("Collection")),
                   Triple(dataset, TITLE, Literal(f"Triple Pattern Fragments of {self.base_iri}", language="en")),
                   Triple(dataset, NamedNode(SD + "defaultGraph"), NamedNode(DEFAULT_GRAPH)),
                   Triple(dataset, _hydra("search"), search),
                   Triple(search, RDF_TYPE, _hydra("IriTemplate")),
                   Triple(search, _hydra("template"), Literal(where.template)),
                   Triple(search, _hydra("variableRepresentation"), _hydra("ExplicitRepresentation"))]
        triples += [Triple(search, _hydra("mapping"), BlankNode(variable)) for variable, _ in MAPPED]
        for variable, property_ in MAPPED:
            mapping = BlankNode(variable)
            triples += [Triple(mapping, RDF_TYPE, _hydra("IriTemplateMapping")),
                        Triple(mapping, _hydra("variable"), Literal(variable)),
                        Triple(mapping, _hydra("property"), property_)]
        self._controls.put(where.search, tuple(triples))
        return tuple(triples)

    def _declared(self, found: Matches) -> dict[str, str]:
        """The prefixes a document declares: the metadata's, and the release's that its data uses."""
        if found.namespaces is None:
            return self.prefixes
        return {**PREFIXES, **{self._names[ns]: ns for ns in found.namespaces}}

    def _description(self, asked: FragmentRequest, found: Matches) -> str:
        selector = asked.selector
        graph = f"graph <{selector.graph.value}>" if selector.graph else "the default graph (the knowledge graph)"
        count = (f"{found.total} triples match" if found.exact
                 else f"at least {found.total} triples match (an estimate: counting stops at {COUNT_CAP})")
        return (f"Triples of {graph} of release {self.release.version} matching {selector.text()}: "
                f"{count}, {PAGE_SIZE} a page.")

    def _source(self, graph: NamedNode | None) -> _Source:
        with self._lock:
            source = self._sources.get(graph)
            if source is None:
                source = self._sources[graph] = self._open(graph)
            return source

    def _open(self, graph: NamedNode | None) -> _Source:
        release, skolem = self.release, self.skolem
        if graph is None and not release.stores_default_graph:  # early layouts: the union, indexed
            quads: Iterable[Quad] = (skolem.served(q, DefaultGraph()) for name in release.default_graphs
                                     for q in self.store.quads_for_pattern(None, None, None, NamedNode(name)))
            return _Indexed(quads, self.release.prefixes.values())
        if graph is not None and graph.value not in release.graph_triples:
            return _Indexed(())
        where: Graph = DefaultGraph() if graph is None else graph
        size = release.default_graph_triples if graph is None else release.graph_triples[graph.value]
        if size > self.index_limit:
            return _Stored(self.store, where, skolem, size=size)
        return _Indexed((skolem.served(q) for q in self.store.quads_for_pattern(None, None, None, where)),
                        self.release.prefixes.values())


def _iris(triple: Triple) -> Iterator[str]:
    """The IRIs written in ``triple`` (a literal's datatype included)."""
    for term in (triple.subject, triple.predicate, triple.object):
        if isinstance(term, NamedNode):
            yield term.value
        elif isinstance(term, Literal):
            yield term.datatype.value


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD_INTEGER)
