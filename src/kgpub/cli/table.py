"""Readable plain-text rendering of a query answer (for the CLI).

The CLI asks the one run path for SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT,
DESCRIBE) and renders that here, so its rows are exactly the server's.
"""

from __future__ import annotations

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    RdfFormat,
    parse,
    parse_query_results,
)

from kgpub.query.protocol import Answer
from kgpub.rdf.formats import BY_NAME
from kgpub.rdf.terms import Prefixes

MAX_CELL = 80


def term(node: object, prefixes: Prefixes) -> str:
    """A term as a reader wants it: prefixed IRIs, plain strings, typed values unquoted."""
    if node is None:
        return ""
    if isinstance(node, NamedNode):
        return prefixes.compact(node.value)
    if isinstance(node, Literal):
        return f"{node.value}@{node.language}" if node.language else node.value
    if isinstance(node, BlankNode):
        return f"_:{node.value}"
    return str(node)


def render(answer: Answer, *, prefixes: dict[str, str]) -> str:
    names = Prefixes(prefixes)
    if answer.media_type == BY_NAME["ntriples"].media_type:
        rows = [[term(t.subject, names), term(t.predicate, names), term(t.object, names)]
                for t in parse(answer.body, format=RdfFormat.N_TRIPLES)]
        return _grid(["subject", "predicate", "object"], rows)
    result = parse_query_results(answer.body, format=QueryResultsFormat.JSON)
    if isinstance(result, QueryBoolean):
        return f"{'true' if bool(result) else 'false'}\n"
    variables = [v.value for v in result.variables]
    return _grid(variables, [[term(sol[name], names) for name in variables] for sol in result])


def _grid(header: list[str], rows: list[list[str]]) -> str:
    cells = [[_clip(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(s.rstrip() for s in out) + "\n"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
