"""Publishing a release into a triple store people already run: over the Graph Store Protocol (:mod:`.gsp`), or
as files for the store's own bulk loader (:mod:`.bulk`).

Both send the release's named graphs, one N-Triples document per graph (never N-Quads or TriG: Virtuoso's Graph
Store Protocol refuses them), written by streaming from the release's store (never a whole graph in a Python
list), and both check each graph by its count of triples, which the manifest holds (distinct triples per graph).
The store's default graph is never touched: stores disagree on what it is (Virtuoso's is the union of every
graph; Oxigraph's is its own graph unless served with ``--union-default-graph``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pyoxigraph import NamedNode, RdfFormat, Store, Triple, serialize

GSP_ADVICE = {"oxigraph": 1_000_000, "virtuoso": 10_000_000}
"""Triples above which the Graph Store Protocol stops being sensible, by store (measured on 2 cores, 24 GiB: the
Oxigraph server's memory grows ~4 GB per million triples received over GSP; Virtuoso's GSP PUT is one
transaction and slows down well before 10M). Above them ``kgpub publish`` warns and names ``--bulk``."""

SAFE_IRI = frozenset('<>"{}|^`\\')


def check_iri(iri: str) -> str:
    """An absolute IRI that can be written between ``<`` and ``>`` in SPARQL and N-Triples (a release's graph
    names always are; checked anyway, since they go into update requests)."""
    scheme, colon, _ = iri.partition(":")
    if not colon or not scheme or not scheme[0].isalpha() or any(c in SAFE_IRI or c <= " " for c in iri):
        raise ValueError(f"not an absolute IRI kgpub can send: {iri!r}")
    return iri


class Writer(Protocol):
    """Where a body goes: a file, a gzip stream."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


class Counted:
    """A binary sink that passes writes on (or drops them) and counts the bytes: a graph's size without a file."""

    def __init__(self, out: Writer | None = None) -> None:
        self.out, self.bytes = out, 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        if self.out is not None:
            self.out.write(data)
        return len(data)

    def flush(self) -> None:  # pyoxigraph flushes when it is done
        if self.out is not None:
            self.out.flush()


def write_graph(store: Store, graph: str, out: Writer | None) -> tuple[int, int]:
    """Write one named graph of ``store`` to ``out`` as N-Triples, streaming; returns (triples, bytes). With
    ``out=None`` nothing is kept: the size a dry run reports."""
    triples = [0]

    def each() -> Iterator[Triple]:
        for quad in store.quads_for_pattern(None, None, None, NamedNode(graph)):
            triples[0] += 1
            yield quad.triple

    sink = Counted(out)
    serialize(each(), output=sink, format=RdfFormat.N_TRIPLES)  # type: ignore[arg-type]  # any binary writer
    return triples[0], sink.bytes
