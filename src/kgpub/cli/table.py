"""Readable plain-text rendering of a query answer (for the CLI).

The CLI asks the one run path for SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT,
DESCRIBE), reads it with :func:`kgpub.query.rows.read` and renders that here, so its rows are
exactly the server's.
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode

from kgpub.query import rows
from kgpub.query.protocol import Answer
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
    found = rows.read(answer)
    if found.kind == "ask":
        return f"{'true' if found.boolean else 'false'}\n"
    return grid(list(found.header), [[term(node, names) for node in row] for row in found.rows])


def grid(header: list[str], rows: list[list[str]]) -> str:
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
