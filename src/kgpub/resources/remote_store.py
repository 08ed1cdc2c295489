"""The release's store when it is a remote SPARQL endpoint (``kgpub serve --store``), for documents, pages, search,
the dataset description and Triple Pattern Fragments.

:class:`RemoteStore` has the read-only methods of pyoxigraph's ``Store`` that this package and ``metadata`` call —
``quads_for_pattern`` and ``query`` (SELECT) — each answered by SELECT queries on the store over the release's
dataset: a pattern in the default graph is asked ``SELECT DISTINCT`` with the release's default graphs as the
protocol's ``default-graph-uri`` (their union, as the embedded store holds it), a pattern in a named graph inside
``GRAPH <g>``; a graph that is not the release's is empty. Results are read in pages (:data:`FIRST_PAGE` rows,
then :data:`PAGE`; at most :data:`MAX_ROWS` a lookup, a cut logged) as they are iterated, and small complete
results are remembered (:data:`CACHED`): the release never changes under a store of it. The search index reads
every label with one such lookup per label property at its first use (paged), which is what it does on the
embedded store too.

**Blank nodes**: a query cannot name a blank node of the store, so a lookup of one is asked through the way it was
reached (its *anchor*: the subject and predicate it was the object of, or the predicate and object it was the
subject of, recursively, noted from every answer) and the rows are kept whose blank node is the one asked; rows of
its siblings are remembered as their own lookups. Virtuoso can name its blank nodes (``<nodeID://b10000>``, the
endpoint says so), and is asked directly. A blank node this process never saw (a skolem IRI of a fragment answered
by another process, on a store that cannot name blank nodes) matches nothing.

:class:`RemoteFragments` answers each fragment with two queries instead of indexing graphs in memory (a 10M-triple
store is never read whole): a page is a SELECT with OFFSET and LIMIT, its count a COUNT, exact for a graph of up to
``index_limit`` triples (whose pages are ``ORDER BY ?s ?p ?o``, so stable and in a defined order), capped at
:data:`~kgpub.resources.fragments.COUNT_CAP` for larger ones (in the store's own order, as ``_Stored`` reads the
embedded store's). A pattern with an anchored blank node is counted and paged here, from at most
:data:`CHECKED_ROWS` candidate rows.

This package does not speak HTTP: the endpoint (:class:`Selects`, :mod:`kgpub.query.backends.remote`'s
``Endpoint``) is given by the site, with its errors (502/504) raised through to the routes; every call here blocks,
so routes make them off the event loop (``Served.off_loop``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, QueryBoolean, QuerySolutions

from kgpub.release.reader import Release
from kgpub.resources.fragments import COUNT_CAP, Fragments, Matches, Selector, Skolem, _Indexed, _Lru, _Source

log = logging.getLogger(__name__)

FIRST_PAGE = 2048  # rows of a lookup's first query (most lookups are a few rows; a description's incoming 1001)
PAGE = 50_000  # rows of each further query
MAX_ROWS = 2_000_000  # rows one lookup reads at most (the search index's labels at 10M triples fit)
CACHED = 100_000  # quads of complete small lookups remembered per release
CHECKED_ROWS = 100_000  # candidate rows read for a fragment of an anchored blank node
MAX_ANCHORS = 1_000_000  # blank nodes whose anchor is remembered
MAX_DEPTH = 8  # anchors followed through blank nodes to a named node
VARIABLES = ("s", "p", "o")

Term = NamedNode | BlankNode | Literal
Graph = NamedNode | DefaultGraph
Key = tuple[object, object, object, object]


class Selects(Protocol):
    """What the store is asked through (``kgpub.query.backends.remote.Endpoint``)."""

    def select(self, query: str, *, default_graphs: Sequence[str] | None = None,
               named_graphs: Sequence[str] | None = None) -> QuerySolutions | QueryBoolean: ...

    def blank_node(self, node: BlankNode) -> str | None:
        """How a query names ``node`` on this store, or None when it cannot."""


@dataclass(frozen=True)
class Anchor:
    """How a blank node was reached: ``parent predicate node`` (``forward``) or ``node predicate parent``."""

    parent: Term
    predicate: NamedNode
    forward: bool


@dataclass(frozen=True)
class _Pattern:
    """A triple pattern as SPARQL: its triples, the variables to select, each position's variable or term, and the
    (variable, blank node) pairs a row must bind (anchored blank nodes)."""

    where: str
    variables: tuple[str, ...]
    positions: tuple[str | Term, ...]
    checks: tuple[tuple[str, BlankNode], ...]

    @property
    def exact(self) -> bool:
        """Whether the store's rows are the matches (no row to drop here): LIMIT, OFFSET and COUNT hold."""
        return not self.checks


class RemoteStore:
    """The read-only Store methods resources call, answered by a remote store holding the release (thread-safe)."""

    def __init__(self, endpoint: Selects, release: Release) -> None:
        self.endpoint = endpoint
        self.default_graphs = tuple(release.default_graphs)
        self.graphs = frozenset(release.graph_triples)
        self._anchors: dict[BlankNode, Anchor] = {}
        self._cache: _Lru[Key, tuple[Quad, ...]] = _Lru(CACHED)
        self._large: set[object] = set()  # subjects with more quads than a first page: asked property by property
        self.lookups = 0  # queries sent, for tests and curiosity

    # ---- pyoxigraph's Store, the part resources use ----------------------------------------------------------

    def quads_for_pattern(self, subject: object, predicate: object, object: object,
                          graph_name: object = None) -> Iterator[Quad]:
        """The quads matching the pattern (None: any), lazily: the store is asked when iterated, a page at a time."""
        key: Key = (subject, predicate, object, graph_name)
        cached = self._cache.get(key)
        if cached is not None:
            return iter(cached)
        if isinstance(subject, NamedNode | BlankNode) and (predicate is not None or object is not None):
            whole = self._described(subject, graph_name)
            if whole is not None:
                return iter([q for q in whole if (predicate is None or q.predicate == predicate)
                             and (object is None or q.object == object)])
        return self._lookup(key)

    def _described(self, subject: NamedNode | BlankNode, graph: object) -> tuple[Quad, ...] | None:
        """Every quad of ``subject`` (read once, remembered) when it has fewer than :data:`FIRST_PAGE`: pages ask a
        subject for one property after another (labels, types, values), and one round trip answers them all."""
        key: Key = (subject, None, None, graph)
        cached = self._cache.get(key)
        if cached is not None or subject in self._large:
            return cached
        found = list(self._lookup(key, pages=1))
        cached = self._cache.get(key)
        if cached is None:
            if len(self._large) < MAX_ANCHORS:
                self._large.add(subject)
            return None
        return tuple(found)

    def query(self, query: str, *, default_graph: object = None, named_graphs: object = None,
              **_ignored: object) -> QuerySolutions | QueryBoolean:
        """A SELECT or ASK of kgpub's own (the dataset description's) over the release's dataset on the store: the
        default graph the union of ``default_graph`` (the release's default graphs when None), the named graphs
        ``named_graphs`` (the release's when None)."""
        defaults = self._names(default_graph, self.default_graphs)
        named = self._names(named_graphs, tuple(sorted(self.graphs)))
        self.lookups += 1
        return self.endpoint.select(query, default_graphs=defaults, named_graphs=named)

    def _names(self, graphs: object, otherwise: tuple[str, ...]) -> list[str]:
        if graphs is None:
            return list(otherwise)
        found: list[str] = []
        for graph in graphs if isinstance(graphs, list | tuple) else [graphs]:
            if isinstance(graph, DefaultGraph):
                found += self.default_graphs
            elif isinstance(graph, NamedNode) and graph.value in self.graphs:
                found.append(graph.value)
        return found or [_EMPTY]

    # ---- for fragments ---------------------------------------------------------------------------------------

    def page(self, terms: Sequence[Term | None], same: Sequence[tuple[int, int]], graph: Graph | None, *,
             offset: int, limit: int, ordered: bool) -> list[Quad]:
        """Matches ``offset`` to ``offset + limit`` of a pattern (``ordered``: by subject, predicate, object)."""
        pattern = self._compile(terms, same)
        if pattern is None or not self._served(graph):
            return []
        if not pattern.exact:
            return self._checked(pattern, graph)[offset:offset + limit]
        return self._quads(pattern, graph, offset=offset, limit=limit, ordered=ordered)[0]

    def count(self, terms: Sequence[Term | None], same: Sequence[tuple[int, int]], graph: Graph | None, *,
              cap: int | None) -> int:
        """How many triples match, counted by the store (at most ``cap + 1`` when there is a cap)."""
        pattern = self._compile(terms, same)
        if pattern is None or not self._served(graph):
            return 0
        if not pattern.exact:
            return len(self._checked(pattern, graph))
        if not pattern.variables:
            return 1 if self._ask(pattern, graph) else 0
        inner = self._select(pattern, graph, limit=None if cap is None else cap + 1)
        found = self._run(f"SELECT (COUNT(*) AS ?n) WHERE {{ {inner} }}", graph)
        assert isinstance(found, QuerySolutions)
        for row in found:
            value = row["n"]
            return int(value.value) if isinstance(value, Literal) else 0
        return 0

    # ---- the lookups -----------------------------------------------------------------------------------------

    def _lookup(self, key: Key, *, pages: int = MAX_ROWS) -> Iterator[Quad]:
        subject, predicate, obj, graph = key
        terms = [t if isinstance(t, NamedNode | BlankNode | Literal) else None for t in (subject, predicate, obj)]
        where: Graph | None = graph if isinstance(graph, NamedNode | DefaultGraph) else None
        pattern = self._compile(terms, ())
        if pattern is None or not self._served(where):
            self._cache.put(key, (), 1)
            return
        if not pattern.variables:
            quad = _made(terms[0], terms[1], terms[2], where if where is not None else DefaultGraph())
            found = (quad,) if quad is not None and self._ask(pattern, where) else ()
            self._cache.put(key, found, 1)
            yield from found
            return
        offset, size = 0, FIRST_PAGE
        for _ in range(pages):
            if offset >= MAX_ROWS:
                log.warning("a lookup of %s on the store was cut at %d rows", key, MAX_ROWS)
                return
            quads, rows = self._quads(pattern, where, offset=offset, limit=size, ordered=False, key=key)
            yield from quads
            if rows < size:
                return
            offset += size
            size = min(PAGE, MAX_ROWS - offset)

    def _quads(self, pattern: _Pattern, graph: Graph | None, *, offset: int, limit: int, ordered: bool,
               key: Key | None = None) -> tuple[list[Quad], int]:
        """One page of a pattern's matches, and how many rows the store sent (before the checks)."""
        text = self._select(pattern, graph, offset=offset, limit=limit, ordered=ordered)
        found = self._run(text, graph)
        assert isinstance(found, QuerySolutions)
        rows = 0
        kept: list[Quad] = []
        siblings: dict[object, list[Quad]] = {}
        spot = _sibling_spot(pattern)
        for solution in found:
            rows += 1
            quad = self._quad(pattern, solution, graph)
            if quad is None:
                continue
            self._note(quad)
            if spot is not None:
                siblings.setdefault(solution[pattern.positions[spot]], []).append(quad)
            if all(solution[var] == node for var, node in pattern.checks):
                kept.append(quad)
        if key is not None and offset == 0 and rows < limit:  # complete: remembered, with its siblings'
            self._cache.put(key, tuple(kept), len(kept) + 1)
            if spot is not None:
                for node, quads in siblings.items():
                    if isinstance(node, BlankNode):
                        sibling = list(key)
                        sibling[spot] = node
                        self._cache.put(tuple(sibling), tuple(quads), len(quads) + 1)  # type: ignore[arg-type]
        return kept, rows

    def _checked(self, pattern: _Pattern, graph: Graph | None) -> list[Quad]:
        """Every match of a pattern with an anchored blank node (from at most :data:`CHECKED_ROWS` rows)."""
        found = self._run(self._select(pattern, graph, limit=CHECKED_ROWS, ordered=True), graph)
        assert isinstance(found, QuerySolutions)
        kept = []
        for solution in found:
            quad = self._quad(pattern, solution, graph)
            if quad is not None and all(solution[var] == node for var, node in pattern.checks):
                self._note(quad)
                kept.append(quad)
        return kept

    def _quad(self, pattern: _Pattern, solution: object, graph: Graph | None) -> Quad | None:
        s, p, o = (spot if not isinstance(spot, str) else solution[spot]  # type: ignore[index]
                   for spot in pattern.positions)
        return _made(s, p, o, solution["g"] if graph is None else graph)  # type: ignore[index]

    def _ask(self, pattern: _Pattern, graph: Graph | None) -> bool:
        found = self._run(f"ASK {{ {self._scoped(pattern, graph)} }}", graph)
        return bool(found)

    def _run(self, query: str, graph: Graph | None) -> QuerySolutions | QueryBoolean:
        self.lookups += 1
        if isinstance(graph, DefaultGraph):
            return self.endpoint.select(query, default_graphs=self.default_graphs, named_graphs=[_EMPTY])
        named = [graph.value] if isinstance(graph, NamedNode) else sorted(self.graphs)
        return self.endpoint.select(query, default_graphs=[_EMPTY], named_graphs=named)

    def _select(self, pattern: _Pattern, graph: Graph | None, *, offset: int = 0, limit: int | None = None,
                ordered: bool = False) -> str:
        variables = [*pattern.variables, *(["g"] if graph is None else [])]
        distinct = "DISTINCT " if isinstance(graph, DefaultGraph) else ""
        text = f"SELECT {distinct}{' '.join('?' + v for v in variables)} WHERE {{ {self._scoped(pattern, graph)} }}"
        if ordered:
            text += " ORDER BY " + " ".join("?" + v for v in variables)
        if limit is not None:
            text += f" LIMIT {limit}"
        if offset:
            text += f" OFFSET {offset}"
        return text

    def _scoped(self, pattern: _Pattern, graph: Graph | None) -> str:
        if isinstance(graph, DefaultGraph):
            return pattern.where
        name = f"<{graph.value}>" if isinstance(graph, NamedNode) else "?g"
        return f"GRAPH {name} {{ {pattern.where} }}"

    def _served(self, graph: Graph | None) -> bool:
        return not isinstance(graph, NamedNode) or graph.value in self.graphs

    # ---- patterns and blank nodes ----------------------------------------------------------------------------

    def _compile(self, terms: Sequence[Term | None], same: Sequence[tuple[int, int]]) -> _Pattern | None:
        """The pattern as SPARQL, or None when it can match nothing (a literal subject, an unknown blank node)."""
        if isinstance(terms[0], Literal) or isinstance(terms[1], Literal | BlankNode):
            return None
        bound_to = {b: a for a, b in same}
        texts: list[str] = []
        positions: list[str | Term] = []
        variables: list[str] = []
        checks: list[tuple[str, BlankNode]] = []
        path: list[str] = []
        for i, term in enumerate(terms):
            if i in bound_to:  # one variable for both positions (?x ... ?x)
                positions.append(positions[bound_to[i]])
                texts.append(texts[bound_to[i]])
                continue
            if term is None:
                positions.append(VARIABLES[i])
                variables.append(VARIABLES[i])
                texts.append("?" + VARIABLES[i])
            elif isinstance(term, BlankNode):
                named = self.endpoint.blank_node(term)
                if named is not None:
                    positions.append(term)
                    texts.append(named)
                    continue
                var = VARIABLES[i]
                if not self._path(term, var, path, checks, variables, 0):
                    return None
                positions.append(var)
                variables.append(var)
                texts.append("?" + var)
                checks.insert(0, (var, term))
            else:
                positions.append(term)
                texts.append(str(term))
        where = " ".join([*path, f"{texts[0]} {texts[1]} {texts[2]} ."])
        return _Pattern(where, tuple(variables), tuple(positions), tuple(checks))

    def _path(self, node: BlankNode, var: str, path: list[str], checks: list[tuple[str, BlankNode]],
              variables: list[str], depth: int) -> bool:
        """Triples that reach ``node`` as ``?var`` from a named node through its anchors; False when unknown."""
        anchor = self._anchors.get(node)
        if anchor is None or depth >= MAX_DEPTH:
            return False
        parent = anchor.parent
        if isinstance(parent, BlankNode):
            named = self.endpoint.blank_node(parent)
            if named is None:
                up = f"a{len(variables)}_{depth}"
                if not self._path(parent, up, path, checks, variables, depth + 1):
                    return False
                variables.append(up)
                checks.append((up, parent))
                named = "?" + up
            text = named
        else:
            text = str(parent)
        path.append(f"{text} {anchor.predicate} ?{var} ." if anchor.forward else f"?{var} {anchor.predicate} {text} .")
        return True

    def _note(self, quad: Quad) -> None:
        """Remember how the blank nodes of ``quad`` are reached (a forward anchor wins over a backward one)."""
        s, p, o = quad.subject, quad.predicate, quad.object
        if isinstance(o, BlankNode) and o != s and self.endpoint.blank_node(o) is None:
            known = self._anchors.get(o)
            if (known is None or not known.forward) and self._reachable(s) and len(self._anchors) < MAX_ANCHORS:
                self._anchors[o] = Anchor(s, p, True)  # type: ignore[arg-type]
        if isinstance(s, BlankNode) and s not in self._anchors and self.endpoint.blank_node(s) is None and (
                self._reachable(o) and o != s and len(self._anchors) < MAX_ANCHORS):
            self._anchors[s] = Anchor(o, p, False)  # type: ignore[arg-type]

    def _reachable(self, term: object) -> bool:
        return isinstance(term, NamedNode | Literal) or (isinstance(term, BlankNode) and (
            term in self._anchors or self.endpoint.blank_node(term) is not None))


def _made(s: object, p: object, o: object, g: object) -> Quad | None:
    """The quad of these terms; None when they make none (a literal subject from a confused store, an unbound one)."""
    if not (isinstance(s, NamedNode | BlankNode) and isinstance(p, NamedNode)
            and isinstance(o, NamedNode | BlankNode | Literal) and isinstance(g, NamedNode | DefaultGraph)):
        return None
    return Quad(s, p, o, g)


def _sibling_spot(pattern: _Pattern) -> int | None:
    """The position whose anchored blank node is the only check: rows of other blank nodes there are siblings'."""
    if len(pattern.checks) != 1:
        return None
    var = pattern.checks[0][0]
    return next((i for i, spot in enumerate(pattern.positions) if spot == var), None)


_EMPTY = "urn:kgpub:empty-graph"  # never holds data (kgpub.query.execute.EMPTY_GRAPH): an empty part of a dataset


# ---- Triple Pattern Fragments --------------------------------------------------------------------------------


class _Remote:
    """One graph's fragments, each page and count a query on the store."""

    def __init__(self, store: RemoteStore, graph: Graph, skolem: Skolem, *, size: int, ordered: bool) -> None:
        self.store, self.graph, self.skolem, self.size, self.ordered = store, graph, skolem, size, ordered
        self._counts: _Lru[Selector, int] = _Lru(4096)

    def match(self, selector: Selector, offset: int, limit: int) -> Matches:
        terms = [self.skolem.node(term) for term in selector.terms]
        total, exact = self._count(selector, terms)
        skipped = exact and offset >= total  # past the last page: nothing to ask
        rows = [] if skipped else self.store.page(terms, selector.same, self.graph, offset=offset, limit=limit + 1,
                                                   ordered=self.ordered)
        more = len(rows) > limit
        quads = [self.skolem.served(q) for q in rows[:limit]]
        if not exact:  # an estimate is at least what this page shows
            total = max(total, offset + len(quads) + more)
        return Matches(quads, [q.triple for q in quads], total, exact, more)

    def _count(self, selector: Selector, terms: Sequence[Term | None]) -> tuple[int, bool]:
        if selector.terms == (None, None, None) and not selector.same:
            return self.size, True  # the manifest's count of the graph
        counted = self._counts.get(selector)
        if counted is None:
            counted = self.store.count(terms, selector.same, self.graph, cap=None if self.ordered else COUNT_CAP)
            self._counts.put(selector, counted)
        if self.ordered:
            return counted, True
        return min(counted, COUNT_CAP), counted <= COUNT_CAP


class RemoteFragments(Fragments):
    """The release's fragments over a :class:`RemoteStore`: every page and count asked of the store, never a graph
    read whole (the metadata, controls and rendering are :class:`~kgpub.resources.fragments.Fragments`')."""

    def __init__(self, release: Release, store: RemoteStore, *, base_iri: str, **options: int) -> None:
        super().__init__(release, store, base_iri=base_iri, **options)  # type: ignore[arg-type]
        self.remote = store

    def _open(self, graph: NamedNode | None) -> _Source:
        release = self.release
        if graph is not None and graph.value not in release.graph_triples:
            return _Indexed(())
        where: Graph = DefaultGraph() if graph is None else graph
        size = release.default_graph_triples if graph is None else release.graph_triples[graph.value]
        return _Remote(self.remote, where, self.skolem, size=size, ordered=size <= self.index_limit)
