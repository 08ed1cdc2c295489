"""The one run path of a query, for the CLI and the server's workers alike.

:func:`answer` checks a :class:`~kgpub.query.protocol.QueryJob` with the configured limits,
runs it over the RDF dataset the SPARQL 1.1 Protocol defines, and serializes the result with
the one serializer, on a thread with a big stack (pyoxigraph parses, plans and evaluates
recursively: 10,000 chained ``+``, ``&&``, UNION, OPTIONAL, path steps or triple patterns
overflow an 8 MiB stack and kill the process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, QueryTriples, Store

from kgpub.errors import QueryRejected, QuerySyntaxError, ServiceCallFailed
from kgpub.query.checks import QueryLimits, check, is_update
from kgpub.query.protocol import Answer, QueryJob
from kgpub.rdf.formats import Kind
from kgpub.rdf.serialize import serialize
from kgpub.rdf.syntax import problem

if TYPE_CHECKING:
    from kgpub.release.reader import Release

QueryResult = QuerySolutions | QueryBoolean | QueryTriples
T = TypeVar("T")

EMPTY_GRAPH = NamedNode("urn:kgpub:empty-graph")  # never holds data: stands for an empty default graph


@dataclass(frozen=True)
class DefaultDataset:
    """What a query reads as its default graph when neither the protocol nor its FROM says.

    ``stored``: the store's own default graph (a release stores the knowledge graph's union
    there); otherwise the union of ``graphs``, or of every named graph when ``graphs`` is None.
    Every graph is a named graph in all three cases.
    """

    graphs: tuple[str, ...] | None = None
    stored: bool = False

    @classmethod
    def store_default(cls) -> DefaultDataset:
        return cls(stored=True)

    @classmethod
    def union_of(cls, graphs: Sequence[str]) -> DefaultDataset:
        return cls(graphs=tuple(graphs))

    @classmethod
    def all_graphs(cls) -> DefaultDataset:
        return cls()

    @classmethod
    def of_release(cls, release: Release) -> DefaultDataset:
        """A release's rule: its store's default graph, or (older layouts) the union of its default graphs."""
        return cls.store_default() if release.stores_default_graph else cls.union_of(release.default_graphs)


@dataclass(frozen=True)
class QueryContext:
    """What every query over one store is run with: the store, its default dataset, limits, row cap, prefixes."""

    store: Store
    default: DefaultDataset
    limits: QueryLimits
    max_rows: int | None
    prefixes: dict[str, str]

    @classmethod
    def open(cls, release: Release, *, limits: QueryLimits, max_rows: int | None) -> QueryContext:
        """The context of queries over ``release`` (its store opened read-only)."""
        return cls(store=release.open_store(), default=DefaultDataset.of_release(release), limits=limits,
                   max_rows=max_rows, prefixes=release.prefixes)


def run(store: Store, query: str, *, limits: QueryLimits, default: DefaultDataset,
        default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None) -> QueryResult:
    """Check and run a query over the RDF dataset the SPARQL 1.1 Protocol (§2.1.4) defines.

    ``default_graphs``/``named_graphs`` are the protocol's ``default-graph-uri`` and
    ``named-graph-uri``: when either is given they make the whole dataset (the other part is
    empty). Otherwise the query's own FROM / FROM NAMED apply, and failing those ``default``.
    Relative IRIs resolve against ``base_iri`` (the endpoint's URL on the web; without one
    they are syntax errors). Results are lazy: iterate them on a big stack too.
    """
    found = check(query, limits)
    kwargs: dict[str, object] = {}
    if default_graphs is not None or named_graphs is not None:
        kwargs["default_graph"] = [NamedNode(g) for g in default_graphs or ()] or [EMPTY_GRAPH]
        kwargs["named_graphs"] = [NamedNode(g) for g in named_graphs or ()]
    elif "FROM" in found.keywords or default.stored:
        pass  # the query's own dataset, or the store's default graph: pyoxigraph's defaults
    elif default.graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [NamedNode(g) for g in default.graphs] or [EMPTY_GRAPH]
    try:
        return store.query(query, base_iri=base_iri, **kwargs)  # type: ignore[arg-type]
    except RuntimeError as e:
        if "is not supported" not in str(e):
            raise
        raise QueryRejected(f"this endpoint cannot run the query: {e}") from e
    except SyntaxError as e:
        if is_update(query):
            raise QueryRejected("SPARQL Update is not allowed: this endpoint is read-only") from e
        found_problem = problem(e)
        where = f" at {found_problem.where}" if found_problem.where else ""
        raise QuerySyntaxError(f"malformed query{where}: {found_problem.detail}") from e


def result_kind(result: QueryResult) -> Kind:
    return Kind.RDF if isinstance(result, QueryTriples) else Kind.RESULTS


def answer(ctx: QueryContext, job: QueryJob) -> Answer:
    """Check, run and serialize one query on a big stack; expected errors are raised as KgpubError."""
    return on_big_stack(_answer, ctx, job)


def _answer(ctx: QueryContext, job: QueryJob) -> Answer:
    try:
        result = run(ctx.store, job.query, limits=ctx.limits, default=ctx.default, default_graphs=job.default_graphs,
                     named_graphs=job.named_graphs, base_iri=job.base_iri)
        fmt, media_type = job.formats.pick(result_kind(result))
        out = serialize(result, fmt, max_rows=ctx.max_rows, prefixes=ctx.prefixes)
    except OSError as e:  # pyoxigraph's error for a failed HTTP call, at planning or while results stream
        if not ctx.limits.allowed_services:
            raise  # no SERVICE can have run: a store error, i.e. a bug
        raise ServiceCallFailed(f"a SERVICE endpoint failed: {e}") from e
    return Answer(media_type=media_type, count=out.count, truncated=out.truncated, body=out.body)


STACK_BYTES = 512 * 1024 * 1024
"""Stack of the thread queries run on: address space only, memory is used only as deep as a query goes."""
_big = threading.local()


def on_big_stack(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` on a thread with :data:`STACK_BYTES` of stack (directly when already on one)."""
    if getattr(_big, "active", False):
        return func(*args)
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _big.active = True
        try:
            outcome.append(func(*args))
        except BaseException as e:  # handed to the caller's thread, re-raised there unchanged
            failure.append(e)

    previous = threading.stack_size(STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name="kgpub-query")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
