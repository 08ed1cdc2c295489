"""The changes between two releases: the quads one has and the other has not, written as RDF Patch.

Each side is a release's ``dataset.nq``: every quad once, blank nodes labelled by RDFC-1.0, in
the writer's order, :func:`order` (the writer sorts with this very function). That order is
*not* the byte order of the lines: it compares the graph name first, then subject, predicate and
object, each as the Python string of its N-Quads form (by code point), while a line starts with
the subject and ends with the graph name. So the merge compares the same key, never the lines,
and checks while it reads that each quad comes strictly after the one before: a dump in any
other order (sorted as lines, edited, damaged) is refused with its file and quad number, never
diffed wrong. One quad of each side is held at a time: releases of any size diff in constant
memory.

Blank nodes are compared by their canonical labels. RDF Patch reads a label as the blank node's
identifier in the patch and in the dataset it applies to, so applying the patch to the old dump
gives the new dump exactly. A change that moves RDFC-1.0's labels (they depend on the whole
dataset) shows as the quads of the relabelled blank nodes removed and added again.

The output is RDF Patch (https://afs.github.io/rdf-patch/, as Apache Jena documents it at
https://jena.apache.org/documentation/rdf-patch/; media type ``application/rdf-patch``): our
choice, because N-Triples and N-Quads can say what was added but never what was removed. One
header, one transaction, rows in :func:`order`::

    H id <https://w3id.org/kjtrade/releases/NEW/> .
    H prev <https://w3id.org/kjtrade/releases/OLD/> .
    TX .
    D <s> <p> <o> <g> .
    A <s> <p> <o> <g> .
    TC .

A patch is named (``id``) by the release it produces and points (``prev``) to the release it
applies to, so the changes files of successive releases chain as a patch log; a patch from the
empty dataset (a first release's changes) has no ``prev``. A row is ``D`` (removed) or ``A``
(added) and the quad in N-Quads form, without a graph name for the default graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from kgpub.errors import ReleaseNotFound
from kgpub.rdf.formats import BY_NAME
from kgpub.release import layout
from kgpub.release.reader import Release
from kgpub.settings import DEFAULT_BASE_IRI

Key = tuple[str, str, str, str]
Op = Literal["A", "D"]
ADDED: Op = "A"
REMOVED: Op = "D"
DUMP = layout.dump_name(BY_NAME["nquads"])  # the canonical dump both sides are read from
MEDIA_TYPE = "application/rdf-patch"
_BATCH = 4096  # rows per chunk written


def order(quad: Quad) -> Key:
    """The release order: graph name, subject, predicate, object, as N-Quads terms compared as strings."""
    return str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object)


@dataclass(frozen=True)
class Change:
    op: Op
    quad: Quad

    def row(self) -> str:
        """The RDF Patch row: ``A`` or ``D``, the quad in N-Quads form, `` .``."""
        return f"{self.op} {self.quad} ."


def read(path: Path) -> Iterator[Quad]:
    """The quads of an N-Quads dump, streamed (a damaged or missing file is a ReleaseNotFound naming it)."""
    try:
        yield from parse(path=path, format=RdfFormat.N_QUADS)
    except SyntaxError as e:
        raise ReleaseNotFound(f"{path}: not a readable N-Quads dump ({e})") from None
    except OSError as e:
        raise ReleaseNotFound(f"{path}: not readable ({e.strerror or e})") from None


def _keyed(quads: Iterable[Quad], where: str) -> Iterator[tuple[Key, Quad]]:
    """``quads`` with their keys, checked to be distinct and in :func:`order`."""
    last: Key | None = None
    for number, quad in enumerate(quads, 1):
        key = order(quad)
        if last is not None and key <= last:
            what = "repeats the one before it" if key == last else "comes before the one before it"
            raise ReleaseNotFound(
                f"{where}: quad {number} {what}; a release's dump holds each quad once, sorted by graph name, "
                "subject, predicate and object (their N-Quads forms), so this is not a dump kgpub wrote, "
                "or it was changed")
        last = key
        yield key, quad


def changes(old: Iterable[Quad], new: Iterable[Quad], *, old_name: str = "old", new_name: str = "new"
            ) -> Iterator[Change]:
    """What turns ``old`` into ``new`` (both in :func:`order`, each checked as it is read), in that order:
    a quad only in ``old`` is REMOVED, one only in ``new`` ADDED. ``*_name`` names a side in errors."""
    left, right = _keyed(old, old_name), _keyed(new, new_name)
    a, b = next(left, None), next(right, None)
    while a is not None and b is not None:
        if a[0] == b[0]:
            a, b = next(left, None), next(right, None)
        elif a[0] < b[0]:
            yield Change(REMOVED, a[1])
            a = next(left, None)
        else:
            yield Change(ADDED, b[1])
            b = next(right, None)
    while a is not None:
        yield Change(REMOVED, a[1])
        a = next(left, None)
    while b is not None:
        yield Change(ADDED, b[1])
        b = next(right, None)


def between(old: Release | None, new: Release) -> Iterator[Change]:
    """The changes from release ``old`` (None: the empty dataset) to release ``new``, from their dumps."""
    before: Iterable[Quad] = read(old.file(DUMP)) if old is not None else ()
    return changes(before, read(new.file(DUMP)), old_name=str(old.file(DUMP)) if old else "old",
                   new_name=str(new.file(DUMP)))


def _head(*, new: str, old: str | None, base_iri: str | None) -> bytes:
    base = base_iri or DEFAULT_BASE_IRI
    head = [f"H id <{layout.release_iri(base, new)}> ."]
    if old is not None:
        head.append(f"H prev <{layout.release_iri(base, old)}> .")
    return ("\n".join([*head, "TX ."]) + "\n").encode("utf-8")


def first_patch(dump: Path, *, new: str, base_iri: str | None) -> Iterator[bytes]:
    """The RDF Patch from the empty dataset to a release: every line of its N-Quads dump, added. The same bytes
    as :func:`patch` of :func:`changes` from nothing, without a quad object per line (a first build of a large
    graph)."""
    yield _head(new=new, old=None, base_iri=base_iri)
    with dump.open("rb") as f:
        while lines := f.readlines(1 << 20):
            yield b"".join(b"A " + line for line in lines)
    yield b"TC .\n"


def patch(rows: Iterable[Change], *, new: str, old: str | None, base_iri: str | None) -> Iterator[bytes]:
    """``rows`` as an RDF Patch from release version ``old`` (None: the empty dataset) to ``new``, in chunks.

    The header names both by their canonical IRIs under ``base_iri`` (the release's; the default base without one).
    """
    yield _head(new=new, old=old, base_iri=base_iri)
    batch: list[str] = []
    for change in rows:
        batch.append(change.row())
        if len(batch) >= _BATCH:
            yield ("\n".join(batch) + "\n").encode("utf-8")
            batch = []
    if batch:
        yield ("\n".join(batch) + "\n").encode("utf-8")
    yield b"TC .\n"


@dataclass
class Summary:
    """How many quads were added and removed, in all and per graph (``""`` is the default graph)."""

    added: int = 0
    removed: int = 0
    graphs: dict[str, tuple[int, int]] = field(default_factory=dict)  # graph -> (added, removed)

    @classmethod
    def of(cls, rows: Iterable[Change]) -> Summary:
        summary = cls()
        for change in rows:
            graph = change.quad.graph_name
            name = graph.value if isinstance(graph, NamedNode) else ""
            added, removed = summary.graphs.get(name, (0, 0))
            if change.op == ADDED:
                summary.added += 1
                summary.graphs[name] = (added + 1, removed)
            else:
                summary.removed += 1
                summary.graphs[name] = (added, removed + 1)
        summary.graphs = dict(sorted(summary.graphs.items()))
        return summary

    def text(self, *, old: str | None, new: str) -> str:
        """The summary as people read it: a total line, then one line per graph that changed."""
        since = f"release {old}" if old is not None else "the empty dataset"
        quads = "quad" if self.added == 1 else "quads"
        lines = [f"From {since} to release {new}: {self.added} {quads} added, {self.removed} removed"]
        lines += [f"  +{a} -{r}  {g or '(default graph)'}" for g, (a, r) in self.graphs.items()]
        return "\n".join(lines) + "\n"
