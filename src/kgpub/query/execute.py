"""SPARQL query checks, execution over a release store, and result serialization.

Every query is checked before it runs: size cap, nesting-depth cap (pyoxigraph crashes the
whole process on a few thousand nested groups), read-only, and no ``SERVICE`` unless the
endpoint is allow-listed (pyoxigraph would make the outbound HTTP call itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    serialize,
)

from kgpub.errors import QueryRejected, QuerySyntaxError
from kgpub.rdf.formats import Format, Kind

QueryResult = QuerySolutions | QueryBoolean | QueryTriples


@dataclass(frozen=True, kw_only=True)
class QueryLimits:
    max_length: int = 100_000  # characters
    max_depth: int = 64  # nested (), {}, [] groups
    allowed_services: tuple[str, ...] = ()  # SERVICE endpoints that may be called


# Lexing just enough of SPARQL to find keywords and nesting outside strings, IRIs and comments.
_TOKENS = re.compile(
    r'''(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''
    r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')'''
    r'''|(?P<iri><[^<>"{}|^`\\\s]*>)'''
    r'''|(?P<comment>\#[^\n]*)'''
    r'''|(?P<word>[?$]?[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)'''
    r'''|(?P<open>[({\[])|(?P<close>[)}\]])''',
    re.DOTALL,
)
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"}


@dataclass(frozen=True)
class QueryShape:
    depth: int
    keywords: frozenset[str]  # upper-cased bare words (no prefixed names, no variables)
    services: tuple[str, ...]  # what follows SERVICE (SILENT): an IRI, a prefixed name or a variable


def tokens(query: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) of the tokens that matter: string, iri, comment, word, open, close."""
    for m in _TOKENS.finditer(query):
        yield m.lastgroup or "", m.group(), m.start()


def inspect(query: str) -> QueryShape:
    depth = max_depth = 0
    words: set[str] = set()
    services: list[str] = []
    expect_service = False
    for kind, text, _ in tokens(query):
        if kind == "open":
            depth += 1
            max_depth = max(max_depth, depth)
        elif kind == "close":
            depth -= 1
        elif kind == "word" and ":" not in text and text[0] not in "?$":
            upper = text.upper()
            words.add(upper)
            if upper == "SERVICE":
                expect_service = True
                continue
            if expect_service and upper == "SILENT":
                continue
        if expect_service and kind in ("iri", "word"):
            services.append(text[1:-1] if kind == "iri" else text)
        expect_service = expect_service and kind in ("comment",)
    return QueryShape(depth=max_depth, keywords=frozenset(words), services=tuple(services))


def check_query(query: str, limits: QueryLimits) -> QueryShape:
    """Refuse queries that are too big, too deep, or call non-allowed services; returns their shape."""
    if len(query) > limits.max_length:
        raise QueryRejected(f"query is {len(query)} characters long; the limit is {limits.max_length}")
    shape = inspect(query)
    depth = max(shape.depth, raw_depth(query))
    if depth > limits.max_depth:
        raise QueryRejected(f"query nests groups {depth} deep; the limit is {limits.max_depth}")
    _check_services(query, shape, limits.allowed_services)
    return shape


def raw_depth(query: str) -> int:
    """Bracket depth of the raw text, never below zero: an upper bound that no lexing can hide."""
    depth = deepest = 0
    for char in query:
        if char in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")}]" and depth:
            depth -= 1
    return deepest


def _check_services(query: str, shape: QueryShape, allowed: tuple[str, ...]) -> None:
    """No SERVICE call to an endpoint that is not allowed (pyoxigraph would make the HTTP call).

    The lexer cannot settle every case (``1<2)SERVICE#>`` is a comparison and a comment to
    pyoxigraph, an IRI to a lexer), so: a query whose text does not contain "service" at all
    cannot call one; any other query is parsed by rdflib's SPARQL parser, and refused when
    that parse finds a SERVICE that is not allowed or cannot be done.
    """
    if "service" not in query.lower():
        return
    if shape.services and not allowed:  # the common refusal, without loading a parser
        raise QueryRejected(f"SERVICE calls are not allowed on this endpoint (federated query is off): "
                            f"{', '.join(shape.services)}")
    calls = _parsed_service_calls(query)
    if calls is None:
        raise QueryRejected("the query mentions SERVICE and could not be checked for SERVICE calls; "
                            "federated query is off on this endpoint")
    forbidden = [c for c in calls if c not in allowed]
    if forbidden:
        raise QueryRejected(f"SERVICE calls are not allowed on this endpoint (federated query is off): "
                            f"{', '.join(forbidden)}")


def _parsed_service_calls(query: str) -> list[str] | None:
    """Endpoints of every SERVICE pattern as a SPARQL parser sees them (a variable as ``?name``)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery  # only for queries that mention "service"

    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception:  # any parse or translation failure: undecided, so refused by the caller
        return None
    found: list[str] = []

    def visit(node: object) -> None:
        if getattr(node, "name", None) == "ServiceGraphPattern":
            term = node["term"]  # type: ignore[index]
            found.append(f"?{term}" if term.__class__.__name__ == "Variable" else str(term))
        if isinstance(node, dict):
            for value in node.values():
                visit(value)
        elif isinstance(node, list | tuple):
            for value in node:
                visit(value)

    visit(algebra)
    return found


def syntax_message(error: SyntaxError, *, limit: int = 200) -> str:
    """pyoxigraph's parse error, first line only and cut short (its token lists run to pages)."""
    text = str(error.msg if error.msg else error).splitlines()[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LOCATION = re.compile(r"(?:error at |line )(\d+)[:, ]+(?:column )?(\d+)")


EMPTY_GRAPH = NamedNode("urn:kgpub:empty-graph")  # never holds data: stands for an empty default graph


def execute(store: Store, query: str, *, limits: QueryLimits | None = None,
            default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None,
            service_default: Sequence[str] | str | None = None, base_iri: str | None = None) -> QueryResult:
    """Check and run a query over the RDF dataset the SPARQL 1.1 Protocol (§2.1.4) defines.

    ``default_graphs``/``named_graphs`` are the protocol's ``default-graph-uri`` and
    ``named-graph-uri``: when either is given they make the whole dataset (the other part is
    empty). Otherwise the query's own FROM / FROM NAMED apply, and failing those the
    service's default: the union of ``service_default`` (all graphs when None; the store's
    own default graph when ``"stored"``) as default graph, every graph as a named graph.
    Relative IRIs resolve against ``base_iri`` (the endpoint's URL on the web; without one
    they are syntax errors).
    """
    shape = check_query(query, limits or QueryLimits())
    kwargs: dict[str, object] = {}
    if default_graphs is not None or named_graphs is not None:
        kwargs["default_graph"] = [NamedNode(g) for g in default_graphs or ()] or [EMPTY_GRAPH]
        kwargs["named_graphs"] = [NamedNode(g) for g in named_graphs or ()]
    elif "FROM" not in shape.keywords:
        if service_default is None:
            kwargs["use_default_graph_as_union"] = True
        elif service_default != "stored":
            kwargs["default_graph"] = [NamedNode(g) for g in service_default] or [EMPTY_GRAPH]
    try:
        return store.query(query, base_iri=base_iri, **kwargs)  # type: ignore[arg-type]
    except RuntimeError as e:
        if "is not supported" not in str(e):
            raise
        raise QueryRejected(f"this endpoint cannot run the query: {e}") from e
    except SyntaxError as e:
        text = syntax_message(e)
        if _is_update(query):
            raise QueryRejected("SPARQL Update is not allowed: this endpoint is read-only") from e
        m = _LOCATION.search(text)
        where = f" at line {m.group(1)}, column {m.group(2)}" if m else ""
        detail = re.sub(r"^error at \d+:\d+:\s*", "", text)
        raise QuerySyntaxError(f"malformed query{where}: {detail}") from e


def _is_update(query: str) -> bool:
    shape = inspect(query)
    return bool(shape.keywords & _UPDATE_WORDS) and not shape.keywords & {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def result_kind(result: QueryResult) -> Kind:
    return Kind.RDF if isinstance(result, QueryTriples) else Kind.RESULTS


def serialize_result(result: QueryResult, fmt: Format, *, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialize a query result in ``fmt`` (a results format for SELECT/ASK, RDF otherwise)."""
    if isinstance(result, QueryTriples):
        assert isinstance(fmt.oxigraph, RdfFormat)
        data = serialize(result, format=fmt.oxigraph, prefixes=prefixes or {})
    else:
        assert isinstance(fmt.oxigraph, QueryResultsFormat)
        data = result.serialize(format=fmt.oxigraph)
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data
