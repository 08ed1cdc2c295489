"""Readable plain-text rendering of query results (for the CLI)."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, QueryBoolean, QueryTriples

from kgpub.query.execute import QueryResult

MAX_CELL = 80


def term(node: object, prefixes: dict[str, str]) -> str:
    """A term as a reader wants it: prefixed IRIs, plain strings, typed values unquoted."""
    if node is None:
        return ""
    if isinstance(node, NamedNode):
        for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            if ns and node.value.startswith(ns):
                return f"{prefix}:{node.value[len(ns):]}"
        return f"<{node.value}>"
    if isinstance(node, Literal):
        return f"{node.value}@{node.language}" if node.language else node.value
    if isinstance(node, BlankNode):
        return f"_:{node.value}"
    return str(node)


def render(result: QueryResult, *, prefixes: dict[str, str]) -> str:
    if isinstance(result, QueryBoolean):
        return f"{'true' if bool(result) else 'false'}\n"
    if isinstance(result, QueryTriples):
        rows = [[term(t.subject, prefixes), term(t.predicate, prefixes), term(t.object, prefixes)]
                for t in result]
        return _grid(["subject", "predicate", "object"], rows)
    names = [v.value for v in result.variables]
    rows = [[term(sol[name], prefixes) for name in names] for sol in result]
    return _grid(names, rows)


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
