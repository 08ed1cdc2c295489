"""An answer read back as rows of terms: what the CLI's table and the HTML result page both show.

Both ask the one run path for SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE) and read
it here, so their rows are exactly the server's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)

from kgpub.query.protocol import Answer
from kgpub.rdf.formats import BY_NAME

Term = NamedNode | BlankNode | Literal | Triple | None  # None: an unbound variable
TRIPLE_HEADER = ("subject", "predicate", "object")


@dataclass(frozen=True)
class Rows:
    kind: str  # select | ask | graph
    header: tuple[str, ...]
    rows: Iterator[tuple[Term, ...]]  # read lazily: a caller may stop early
    boolean: bool | None = None  # an ASK's answer


def read(answer: Answer) -> Rows:
    """The rows of ``answer`` (SPARQL JSON or N-Triples, as the one run path wrote them)."""
    if answer.media_type == BY_NAME["ntriples"].media_type:
        triples = parse(answer.body, format=RdfFormat.N_TRIPLES)
        return Rows("graph", TRIPLE_HEADER, ((t.subject, t.predicate, t.object) for t in triples))
    found = parse_query_results(answer.body, format=QueryResultsFormat.JSON)
    if isinstance(found, QueryBoolean):
        return Rows("ask", (), iter(()), boolean=bool(found))
    names = tuple(v.value for v in found.variables)
    return Rows("select", names, (tuple(solution[name] for name in names) for solution in found))
