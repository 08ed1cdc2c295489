"""Checks every query passes before it runs, with the configured limits.

Size cap, nesting-depth cap (pyoxigraph crashes the whole process on a few thousand
nested groups), read-only, and no ``SERVICE`` unless the endpoint is allow-listed
(pyoxigraph would make the outbound HTTP call itself). A small lexer finds keywords and
nesting outside strings, IRIs and comments.

The one lazy exception to "only ``build/`` imports rdflib": a query whose text mentions
"service" and that the lexer cannot settle is parsed by rdflib's SPARQL parser
(:func:`_parsed_service_calls`), so that no spelling can smuggle a SERVICE call past the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kgpub.errors import QueryRejected

if TYPE_CHECKING:
    from kgpub.settings import Settings


@dataclass(frozen=True, kw_only=True)
class QueryLimits:
    """What a query may be; :meth:`from_settings` is the one place they come from for the CLI and the server."""

    max_length: int = 100_000  # characters
    max_depth: int = 64  # nested (), {}, [] groups
    allowed_services: tuple[str, ...] = ()  # SERVICE endpoints that may be called

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(max_length=settings.max_query_length, max_depth=settings.max_depth,
                   allowed_services=settings.allowed_services)


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
class QueryOutline:
    depth: int
    keywords: frozenset[str]  # upper-cased bare words (no prefixed names, no variables)
    services: tuple[str, ...]  # what follows SERVICE (SILENT): an IRI, a prefixed name or a variable


def tokens(query: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) of the tokens that matter: string, iri, comment, word, open, close."""
    for m in _TOKENS.finditer(query):
        yield m.lastgroup or "", m.group(), m.start()


def outline(query: str) -> QueryOutline:
    """Nesting depth, bare keywords and SERVICE targets of a query, from its tokens."""
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
    return QueryOutline(depth=max_depth, keywords=frozenset(words), services=tuple(services))


def check(query: str, limits: QueryLimits) -> QueryOutline:
    """Refuse queries that are too big, too deep, or call non-allowed services; returns their outline."""
    if len(query) > limits.max_length:
        raise QueryRejected(f"query is {len(query)} characters long; the limit is {limits.max_length}")
    found = outline(query)
    depth = max(found.depth, raw_depth(query))
    if depth > limits.max_depth:
        raise QueryRejected(f"query nests groups {depth} deep; the limit is {limits.max_depth}")
    _check_services(query, found, limits.allowed_services)
    return found


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


def _check_services(query: str, found: QueryOutline, allowed: tuple[str, ...]) -> None:
    """No SERVICE call to an endpoint that is not allowed (pyoxigraph would make the HTTP call).

    The lexer cannot settle every case (``1<2)SERVICE#>`` is a comparison and a comment to
    pyoxigraph, an IRI to a lexer), so: a query whose text does not contain "service" at all
    cannot call one; any other query is parsed by rdflib's SPARQL parser, and refused when
    that parse finds a SERVICE that is not allowed or cannot be done.
    """
    if "service" not in query.lower():
        return
    if found.services and not allowed:  # the common refusal, without loading a parser
        raise QueryRejected(f"SERVICE calls are not allowed on this endpoint (federated query is off): "
                            f"{', '.join(found.services)}")
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


def is_update(query: str) -> bool:
    """Update keywords and no query form: what a failed parse of an update looks like."""
    found = outline(query)
    return bool(found.keywords & _UPDATE_WORDS) and not found.keywords & {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
