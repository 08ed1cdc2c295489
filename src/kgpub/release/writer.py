"""Write a release: ``write(draft, root) -> Release``, the one way a release folder comes to be.

The writer canonicalizes the draft's quads (RDFC-1.0 blank node labels, duplicates dropped,
a stable order), renders the dumps (JSON-LD compacted with the release's context, which is
also published as ``context.jsonld``) and the draft's extra files, hashes everything, writes
the manifest, renames the folder into place and switches ``current``. The same sources give
byte-identical files; the version is the start of a SHA-256 over the layout version, the
N-Quads dump, the JSON-LD context and every extra file, so any change to what is published
is a new version. A release that already exists is reused, not rewritten.

Two things are not in the version, because they depend on what was built before and not on
the content: the manifest (its ``built_at`` and ``previous``) and the changes file
``changes.rdfp.gz`` (:mod:`kgpub.release.diff`: RDF Patch against the release ``current``
pointed to when this one was written, or from the empty dataset when there was none). So the
same sources give the same version whatever the history, and a reused release keeps the
changes it was first written with. Nor are the store's files (the manifest's ``store_files``):
RocksDB does not write the same bytes twice for the same content.

Faults never leave a release to serve that is not complete. Everything is written, synced
and hashed in a ``.building-*`` folder, which this build holds locked, and is renamed into
place only when complete; ``current`` is switched last, by an atomic rename of a symlink. A
write that fails (a full disk, a read-only releases folder) removes the temporary folder and
raises an :class:`~kgpub.errors.InputError` naming the path and the cause, with ``current``
as it was. A build that is killed leaves at most its temporary folder, which no reader takes
for a release (:func:`kgpub.release.layout.is_temporary`) and the next build removes once no
build holds it. A release about to be reused is verified first: a damaged one is written
again (the same sources give the same files) and only then is the damaged folder removed.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import heapq
import os
import shutil
import struct
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, cast

from pyoxigraph import (
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    NamedNode,
    Quad,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse,
)
from pyoxigraph import serialize as ox_serialize

from kgpub import __version__
from kgpub.errors import InputError, ReleaseNotFound
from kgpub.progress import QUIET, Progress
from kgpub.rdf import jsonld
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS, Format
from kgpub.rdf.serialize import serialize
from kgpub.release import diff, layout, verify
from kgpub.release.manifest import FileEntry, Manifest, SourceEntry, ValidationSummary
from kgpub.release.reader import Release

STALE_AFTER_S = 5.0
"""A build's temporary folder or link left this long, and held by no build, is a killed build's: the next build
removes it. (A folder is locked within microseconds of being made; the delay covers that instant.)"""


@dataclass(frozen=True)
class Canonical:
    """The release's content as written: what extra files are rendered from.

    The writer gives re-readable views of its sorted files (each iteration parses them again), never a list
    of every quad; tests may give lists."""

    quads: Iterable[Quad]  # deduplicated, canonical blank node labels, sorted
    knowledge_graph: Iterable[Triple]  # distinct triples of the default graphs' union, sorted
    prefixes: dict[str, str]
    graphs: Mapping[str, Iterable[Triple]] | None = None  # each named graph's triples, sorted (when known)
    store: Store | None = None  # the release's store (its default graph is the knowledge graph), when written

    @cached_property
    def knowledge_graph_store(self) -> Store:
        """A store whose default graph is the knowledge graph, to count and look up in (the release's own, else
        one made from :attr:`knowledge_graph`)."""
        if self.store is not None:
            return self.store
        made = Store()
        made.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in self.knowledge_graph)
        return made

    def graph(self, name: str) -> list[Triple]:
        if self.graphs is not None:
            return list(self.graphs.get(name, ()))
        node = NamedNode(name)
        return [q.triple for q in self.quads if q.graph_name == node]


class _Reread:
    """The statements of a sorted file the writer wrote, parsed again at each iteration."""

    def __init__(self, path: Path, fmt: RdfFormat, count: int, *, triples: bool) -> None:
        self.path, self.fmt, self.count, self.triples = path, fmt, count, triples

    def __iter__(self) -> Iterator[Any]:
        parsed = parse(path=str(self.path), format=self.fmt)
        return (q.triple for q in parsed) if self.triples else iter(parsed)

    def __len__(self) -> int:
        return self.count


Render = Callable[[Canonical], bytes]


@dataclass(frozen=True)
class Part:
    """A file of statements that are all of one named graph (a source file): streamed, never held in Python."""

    path: Path
    format: RdfFormat
    graph: str


@dataclass(kw_only=True)
class Draft:
    """Everything a release is made of, before it is written."""

    quads: Iterable[Quad] = ()
    parts: list[Part] = field(default_factory=list)  # files whose statements go into a graph as they are written
    default_graphs: list[str]  # named graphs whose union is the knowledge graph (triple dumps, default graph)
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None
    sources: list[SourceEntry] = field(default_factory=list)
    validation: ValidationSummary | None = None
    files: dict[str, Render] = field(default_factory=dict)  # extra files by name, rendered at write time

    def add_file(self, name: str, render: Render) -> None:
        """One more file in the release (a report, VoID, pages): rendered from the canonical content."""
        reserved = (layout.MANIFEST, layout.CHANGES, jsonld.CONTEXT_NAME)
        if name in self.files or name in reserved or name.startswith(layout.DUMP_STEM + "."):
            raise ValueError(f"{name}: a release file of that name exists already")
        self.files[name] = render


def graph_file(graph: str, format_name: str, *, prefixes: dict[str, str] | None = None) -> Render:
    """A renderer for one named graph of the release as a file in a registered RDF format."""
    fmt = BY_NAME[format_name]

    def render(content: Canonical) -> bytes:
        return serialize(content.graph(graph), fmt, prefixes={**content.prefixes, **(prefixes or {})}).body

    return render


def write(draft: Draft, root: Path, *, progress: Progress = QUIET) -> Release:
    """Write ``draft`` as a release under ``root`` (or reuse the identical one) and make it current.

    The dumps are written once, straight into the build's temporary folder, and hashed there; nothing holds
    every statement in Python. An OSError while writing (no space left, a read-only folder) is an InputError
    naming the path and the cause; what ``current`` pointed to is then untouched and no temporary folder is left.
    """
    _clean_stale(root)
    refused: OSError | None = None  # the releases folder cannot be written: render elsewhere, to see if it must be
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{layout.BUILDING_PREFIX}{os.getpid()}-", dir=root))
    except OSError as e:
        refused = e
        try:
            tmp = Path(tempfile.mkdtemp(prefix="kgpub-render-"))
        except OSError:
            raise _unwritable(root, "cannot write release files", e, "nothing was published") from e
    reused, version = False, ""
    try:
        with _held(tmp, wait=True):
            try:
                tmp.chmod(0o755)
                version, content, dumps, files = _render(draft, tmp, progress)
            except OSError as e:
                raise _unwritable(root, "cannot write release files", e, "nothing was published") from e
            final = root / version
            exists = (final / layout.MANIFEST).is_file()
            reused = exists and _intact(final)
            if not reused and refused is not None:
                raise _unwritable(root, f"cannot write release {version}", refused, "nothing was published")
            if not reused:
                previous = _previous(root)
                try:
                    progress.step("writing: the changes since the current release")
                    files = {**files, layout.CHANGES: _changes(previous, version, draft.base_iri, content)}
                    manifest = _manifest(version, draft, content, {**dumps, **_entries(files)}, previous)
                    _write_folder(root, tmp, final, files, manifest, replacing=exists)
                except OSError as e:
                    raise _unwritable(root, f"cannot write release {version}", e, "nothing was published") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        _point_current(root, version)
    except OSError as e:
        raise _unwritable(root, f"release {version} is in place but `current` could not be switched to it", e,
                          "") from e
    return Release((root / version).resolve(), reused=reused)


def _entries(files: Mapping[str, bytes]) -> dict[str, FileEntry]:
    return {name: FileEntry(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data)) for name, data in files.items()}


def _intact(folder: Path) -> bool:
    """Whether the release already at ``folder`` can be reused: it verifies, hashes included."""
    try:
        verify.verify(Release(folder))
    except ReleaseNotFound:
        return False
    return True


def _unwritable(root: Path, what: str, error: OSError, outcome: str) -> InputError:
    """The error of a failed write: where, why, and that the release being served is still the one it was."""
    cause = error.strerror or str(error)
    where = f": {error.filename}" if error.filename else ""
    try:
        current = f"{os.readlink(layout.current_link(root))} is still current"
    except OSError:
        current = "there is still no current release"
    return InputError(f"{root}: {what} ({cause}{where}); {', '.join(filter(None, (outcome, current)))}")


BULK_LOAD_BYTES = 16 << 20  # a sorted graph file larger than this goes through the store's bulk loader
WORK = ".work"  # the sorted statements, inside the temporary folder: the store is loaded from them, then removed


def _render(draft: Draft, tmp: Path, progress: Progress = QUIET
            ) -> tuple[str, Canonical, dict[str, FileEntry], dict[str, bytes]]:
    """The version, the canonical content, the dumps (written into ``tmp``) and every other file but the manifest.

    The version covers the layout version, the N-Quads dump, the context and every extra file."""
    work = tmp / WORK
    work.mkdir()
    progress.step("writing: the statements of every graph")
    raw = _statements(draft, work)
    progress.step("writing: canonical blank node labels")
    blank = _canonical_blank_nodes(raw)
    graphs: dict[str, _Reread] = {}
    for i, name in enumerate(sorted(raw, key=lambda g: f"<{g}>")):
        path = work / f"graph-{i}.nt"
        progress.step(f"writing: sorting graph <{name}>")
        graphs[name] = _Reread(path, RdfFormat.N_TRIPLES, _sort(raw[name], blank.get(name, []), path), triples=True)
    kg_path = tmp / layout.dump_name(BY_NAME["ntriples"])  # the N-Triples dump is the sorted knowledge graph
    kg = _Reread(kg_path, RdfFormat.N_TRIPLES,
                 _merge([graphs[g].path for g in draft.default_graphs if g in graphs], kg_path), triples=True)
    nq_path = tmp / layout.dump_name(BY_NAME["nquads"])
    quads = _Reread(nq_path, RdfFormat.N_QUADS, _write_nquads(graphs, nq_path), triples=False)
    prefixes = dict(sorted(draft.prefixes.items()))
    context = jsonld.Context.of(prefixes, triples=kg)  # the JSON-LD dump holds the knowledge graph
    progress.step(f"writing: the store ({len(quads):,} quads, {len(kg):,} triples in its default graph)")
    _write_store(tmp / layout.STORE, graphs, kg, blank,
                 [line for g in draft.default_graphs for line in blank.get(g, [])])
    content = Canonical(quads=quads, knowledge_graph=kg, prefixes=prefixes, graphs=graphs,
                        store=Store.read_only(str(tmp / layout.STORE)))  # read-only: it writes nothing to be hashed
    dumps: dict[str, FileEntry] = {}
    digest = hashlib.sha256(layout.FORMAT.encode() + b"\n")  # the version: over the N-Quads dump, then the files
    for fmt in DUMP_FORMATS:
        name = layout.dump_name(fmt)
        path = tmp / name
        progress.step(f"writing: {name} and {name}.gz ({len(quads if fmt.quads else kg):,} statements)")
        if fmt.name not in ("ntriples", "nquads"):  # those two are written above, from the sorted lines
            with _naming(path), _out(path) as out:
                _dump(fmt, quads if fmt.quads else kg, out, prefixes, context)
        dumps[name], dumps[layout.dump_name(fmt, gz=True)] = _seal(
            path, tmp / layout.dump_name(fmt, gz=True), also=digest if fmt.name == "nquads" else None)
    files: dict[str, bytes] = {}
    renders: dict[str, Render] = {**draft.files, jsonld.CONTEXT_NAME: lambda _: context.render()}
    for name, render in sorted(renders.items()):
        progress.step(f"writing: {name}")
        files[name] = render(content)
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    content = Canonical(quads=quads, knowledge_graph=kg, prefixes=prefixes, graphs=graphs)  # the store is closed
    return digest.hexdigest()[:16], content, dumps, files


def _statements(draft: Draft, work: Path) -> dict[str, Path]:
    """Every graph's statements, as written (pyoxigraph's N-Triples of the parsed files, not a store's: a store keeps
    ``"1.50"^^xsd:decimal`` as ``"1.5"``), unsorted, one file per graph."""
    paths: dict[str, Path] = {}
    outs: dict[str, BinaryIO] = {}
    try:
        def out(graph: str) -> BinaryIO:
            if graph not in outs:
                paths[graph] = work / f"raw-{len(paths)}.nt"
                outs[graph] = paths[graph].open("wb")
            return outs[graph]

        for part in draft.parts:
            ox_serialize(parse(path=str(part.path), format=part.format), output=out(part.graph),
                         format=RdfFormat.N_TRIPLES)
        extra: dict[str, list[Triple]] = {}
        for q in draft.quads:
            if not isinstance(q.graph_name, NamedNode):
                raise ValueError(f"{q}: a release's statements are in named graphs")
            extra.setdefault(q.graph_name.value, []).append(q.triple)
        for graph, triples in extra.items():
            ox_serialize(triples, output=out(graph), format=RdfFormat.N_TRIPLES)
    finally:
        for f in outs.values():
            f.close()
    return paths


def _mentions_blank_node(line: bytes) -> bool:
    """Whether an N-Triples line's subject or object is a blank node (a predicate is an IRI, and an IRI holds no
    ``> ``)."""
    if line.startswith(b"_:"):
        return True
    after_predicate = line.index(b"> ", line.index(b"> ") + 2) + 2
    return line.startswith(b"_:", after_predicate)


def _canonical_blank_nodes(raw: Mapping[str, Path]) -> dict[str, list[bytes]]:
    """The statements that mention a blank node, per graph, with RDFC-1.0 labels, as N-Triples lines. Only quads
    that mention a blank node take part in RDFC-1.0's hashes, so those alone are canonicalized."""
    blank: list[Quad] = []
    for graph, path in raw.items():
        with path.open("rb") as f:
            lines = b"".join(line for line in f if _mentions_blank_node(line))
        if lines:
            blank += [Quad(q.subject, q.predicate, q.object, NamedNode(graph))
                      for q in parse(lines, format=RdfFormat.N_TRIPLES)]
    if not blank:
        return {}
    dataset = Dataset(blank)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    found: dict[str, list[bytes]] = {}
    for q in dataset:
        assert isinstance(q.graph_name, NamedNode)
        found.setdefault(q.graph_name.value, []).append(f"{q.triple} .\n".encode())
    return found


def _sort(raw: Path, blank: list[bytes], path: Path) -> int:
    """One graph's distinct N-Triples lines, sorted, in ``path``; how many. Sorting the lines as bytes is the release
    order (:func:`kgpub.release.diff.order`): UTF-8 keeps code point order, and the space after each term sorts
    before anything that could continue it."""
    with raw.open("rb") as f:
        lines = [line for line in f if not _mentions_blank_node(line)] if blank else f.readlines()
    raw.unlink()
    lines += blank
    lines.sort()
    count, last = 0, None
    with path.open("wb") as f:
        for line in lines:
            if line != last:
                f.write(line)
                count, last = count + 1, line
    return count


def _merge(paths: list[Path], out: Path) -> int:
    """The distinct lines of sorted files, merged into ``out``, sorted; how many."""
    files = [p.open("rb") for p in paths]
    count = 0
    try:
        with _naming(out), _out(out) as target:
            last = None
            for line in heapq.merge(*files):
                if line != last:
                    target.write(line)
                    count, last = count + 1, line
    finally:
        for f in files:
            f.close()
    return count


def _write_nquads(graphs: Mapping[str, _Reread], path: Path) -> int:
    """The N-Quads dump from the sorted graphs (graph names in release order): each line with its graph."""
    count = 0
    with _naming(path), _out(path) as out:
        for name, graph in graphs.items():
            suffix = f"<{name}> .\n".encode()
            with graph.path.open("rb") as f:
                for line in f:
                    out.write(line[:-2] + suffix)
                    count += 1
    return count


def _dump(fmt: Format, statements: Iterable[Any], out: BinaryIO, prefixes: dict[str, str],
          context: jsonld.Context) -> None:
    if fmt.oxigraph == RdfFormat.JSON_LD:  # the knowledge graph's sorted triples: one subject's at a time
        out.write(jsonld.compact_by_subject(statements, context))
        return
    ox_serialize(statements, output=out, format=fmt.oxigraph, prefixes=prefixes)  # type: ignore[arg-type]


def _seal(path: Path, target: Path, *, also: Any = None) -> tuple[FileEntry, FileEntry]:
    """A written dump's manifest entry and its gzip twin's (``target``), from one read of it; ``also`` (a hash)
    is fed the same bytes. The gzip bytes are those of ``gzip.compress(data, 9, mtime=0)``."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    digest, crc, size = hashlib.sha256(), 0, 0
    with _naming(path), path.open("rb") as f, _naming(target), _out(target) as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")  # no name, mtime 0, best compression, Unix
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            if also is not None:
                also.update(chunk)
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            out.write(deflate.compress(chunk))
        out.write(deflate.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))
        os.fsync(f.fileno())
    return FileEntry(sha256=digest.hexdigest(), bytes=size), _synced_entry(target)


def _out(path: Path) -> BinaryIO:
    """A dump of the release opened for writing: the one place streamed files are made."""
    return path.open("wb")


def _synced_entry(path: Path) -> FileEntry:
    """A written file's manifest entry (hashed as read back), synced to disk."""
    with _naming(path), path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        os.fsync(f.fileno())
    return FileEntry(sha256=digest, bytes=path.stat().st_size)


def _previous(root: Path) -> Release | None:
    """The release ``current`` points to, if it is one to diff against (a damaged one is not)."""
    link = layout.current_link(root)
    if not (link / layout.MANIFEST).is_file():
        return None
    release = Release(link.resolve())
    try:
        entry = release.manifest.files.get(diff.DUMP)
    except ReleaseNotFound:
        return None
    if entry is None:
        return release if release.file(diff.DUMP).is_file() else None
    return release if verify.file_problem(release.path, diff.DUMP, entry) is None else None  # a damaged dump: no


def _changes(previous: Release | None, version: str, base_iri: str | None, content: Canonical) -> bytes:
    """``changes.rdfp.gz``: RDF Patch from ``previous``'s dump (None: the empty dataset) to ``content``."""
    if previous is None and isinstance(content.quads, _Reread):
        return gzip.compress(b"".join(diff.first_patch(content.quads.path, new=version, base_iri=base_iri)),
                             compresslevel=9, mtime=0)
    before = diff.read(previous.file(diff.DUMP)) if previous is not None else ()
    rows = diff.changes(before, content.quads, old_name=str(previous.file(diff.DUMP)) if previous else "old",
                        new_name=f"release {version}")
    text = b"".join(diff.patch(rows, new=version, old=previous.version if previous else None, base_iri=base_iri))
    return gzip.compress(text, compresslevel=9, mtime=0)


def _manifest(version: str, draft: Draft, content: Canonical, files: dict[str, FileEntry],
              previous: Release | None) -> Manifest:
    graphs = content.graphs or {}
    return Manifest(
        version=version, format=layout.FORMAT, kgpub=__version__,
        built_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        graphs={name: len(cast(Sized, triples)) for name, triples in sorted(graphs.items())},
        default_graphs=list(draft.default_graphs),
        default_graph_triples=len(cast(Sized, content.knowledge_graph)), prefixes=content.prefixes,
        base_iri=draft.base_iri, sources=draft.sources, validation=draft.validation,
        files=dict(sorted(files.items())),
        previous=previous.version if previous is not None else None,
    )


def _write_folder(root: Path, tmp: Path, final: Path, files: dict[str, bytes], manifest: Manifest, *,
                  replacing: bool = False) -> None:
    """Finish the release folder ``tmp`` (the dumps are in it) and rename it to ``final``; the store also holds the
    knowledge graph as its default graph.

    Queries without a dataset then read one graph instead of a union of named graphs (25-40%
    faster on aggregates); the named graphs, and so ``GRAPH`` queries, are unchanged. Every file
    is synced before the folder is renamed into place, so ``current`` never points to a release
    whose bytes are still only in memory. ``replacing``: ``final`` is a damaged copy of this
    release, set aside when the new one is complete and removed once it is in place.
    """
    aside = root / f"{layout.SET_ASIDE_PREFIX}{final.name}-{os.getpid()}"
    try:
        shutil.rmtree(tmp / WORK)
        for name, data in files.items():
            _write_file(tmp / name, data)
        manifest = replace(manifest, store_files=_store_files(tmp / layout.STORE))
        _write_file(tmp / layout.MANIFEST, manifest.to_json().encode("utf-8"))
        _sync(tmp)
        if replacing:
            _set_aside(final, aside)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / layout.MANIFEST).is_file():  # not a concurrent identical build: a real error
                if replacing and aside.exists() and not final.exists():
                    os.rename(aside, final)  # as it was
                raise
        with suppress(OSError):  # the release is in place: making the rename durable is the disk's best
            _sync(root)
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _write_store(folder: Path, graphs: Mapping[str, _Reread], kg: _Reread, blank: Mapping[str, list[bytes]],
                 kg_blank: list[bytes]) -> None:
    """The store, loaded from the sorted graphs, closed when this returns (its files are final: they are hashed
    at the end). The bulk loader gives each file's blank nodes new labels: those few statements are then put back
    with their canonical labels, so the store's blank nodes are the dumps'."""
    store = Store(str(folder))
    targets: list[tuple[Path, NamedNode | DefaultGraph]] = [(g.path, NamedNode(name)) for name, g in graphs.items()]
    for path, graph_name in [*targets, (kg.path, DefaultGraph())]:
        # The bulk loader writes new table files for every call: the fast way for a large graph, not for a small one
        load = store.bulk_load if path.stat().st_size > BULK_LOAD_BYTES else store.load
        load(path=str(path), format=RdfFormat.N_TRIPLES, to_graph=graph_name)
    if blank:
        relabelled = [Quad(r["s"], r["p"], r["o"], r["g"] if r["g"] is not None else DefaultGraph())
                      for r in cast(QuerySolutions, store.query(
                          "SELECT ?s ?p ?o ?g WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } "
                          "FILTER(isBlank(?s) || isBlank(?o)) }"))]
        for quad in relabelled:
            store.remove(quad)
        canonical = [(NamedNode(g), lines) for g, lines in blank.items()] + [(DefaultGraph(), sorted(set(kg_blank)))]
        store.bulk_extend(Quad(q.subject, q.predicate, q.object, graph) for graph, lines in canonical if lines
                          for q in parse(b"".join(lines), format=RdfFormat.N_TRIPLES))
    store.flush()
    store.optimize()
    del store


def _write_file(path: Path, data: bytes) -> None:
    with _naming(path), path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """OSErrors of writes and syncs name no file (``open`` does): give them ``path``, for the message."""
    try:
        yield
    except OSError as e:
        if e.filename is None and e.errno is not None:
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise


def _store_files(folder: Path) -> dict[str, FileEntry]:
    """The closed store's files as the manifest lists them (synced as they are read: RocksDB may not have)."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink() and layout.is_store_content(path.name):
            with _naming(path), path.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
                os.fsync(f.fileno())
            found[path.name] = FileEntry(sha256=digest, bytes=path.stat().st_size)
    return found


def _sync(folder: Path) -> None:
    """Make a folder's entries durable (the files in it are synced as they are written)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with _naming(folder):
            os.fsync(fd)
    finally:
        os.close(fd)


def _set_aside(final: Path, aside: Path) -> None:
    """Move a damaged release out of the way of its rewrite (gone already: a concurrent build did it)."""
    with suppress(FileNotFoundError):
        os.rename(final, aside)


@contextmanager
def _held(folder: Path, *, wait: bool) -> Iterator[bool]:
    """Hold ``folder`` locked (``flock`` on the folder itself): a build holds its temporary folder while it
    writes, so another build can tell a live build's folder from a killed one's (the kernel drops the lock of a
    killed process). Yields whether it got the lock (without ``wait``, another build may have it)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as e:
            if wait or e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _clean_stale(root: Path) -> None:
    """Remove what killed builds left in ``root``: temporary folders no build holds, temporary links and set-aside
    folders, once :data:`STALE_AFTER_S` old. Best effort: a leftover that cannot be removed stays (it is never
    taken for a release) and does not fail this build."""
    now = time.time()
    try:
        entries = list(root.iterdir())
    except OSError:  # no releases folder yet, or one that cannot be listed: nothing to clean
        return
    for entry in entries:
        name = entry.name
        if not (layout.is_temporary(name) or name.startswith(f".{layout.CURRENT}-")):
            continue
        try:
            if now - entry.lstat().st_mtime < STALE_AFTER_S:
                continue
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink()
            elif name.startswith(layout.BUILDING_PREFIX):
                with _held(entry, wait=False) as free:
                    if free:
                        shutil.rmtree(entry)
            else:
                shutil.rmtree(entry)
        except OSError:
            continue


def _point_current(root: Path, version: str) -> None:
    """Switch ``current`` to ``version`` atomically (nothing to do when it points there already)."""
    link = layout.current_link(root)
    with suppress(OSError):
        if os.readlink(link) == version:
            return
    tmp = root / f".{layout.CURRENT}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(version, tmp)
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    with suppress(OSError):  # switched already: an error here must not say it was not
        _sync(root)
