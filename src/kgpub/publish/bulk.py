"""Files for a store's own bulk loader: what ``kgpub publish --bulk DIR`` writes when a release is too large for
the Graph Store Protocol (see :data:`kgpub.publish.GSP_ADVICE`).

``DIR/graphs/`` holds one gzip N-Triples file per named graph of the release, and beside each the graph's IRI in
a ``.graph`` file, Virtuoso's per-file graph convention (measured: for ``x.nt.gz`` its loader reads
``x.nt.graph``, not ``x.nt.gz.graph``). Two scripts name the exact commands:

- ``load.sql`` for Virtuoso's isql, run as dba: it clears each graph (a bulk load adds to a graph, so without it
  a second load would duplicate its blank nodes), forgets the files in ``DB.DBA.load_list`` (the loader skips a
  file it has loaded before), ``ld_dir`` + ``rdf_loader_run()`` + ``checkpoint``, then lists the loader's state
  per file and counts each graph. The folder must be one of ``DirsAllowed`` in the server's ``virtuoso.ini``,
  and the paths in the script are this folder's absolute path: write it where the server reads it.
- ``load.sh`` for ``oxigraph load`` into a store folder (the server stopped: it locks the folder): per graph,
  ``oxigraph update`` drops it, ``oxigraph load --file … --graph …`` loads it; then ``oxigraph query`` counts.

``expected-counts.tsv`` lists each graph and its triples in the release, to compare with the counts printed.
"""

from __future__ import annotations

import gzip
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from kgpub.errors import InputError
from kgpub.publish import check_iri, write_graph
from kgpub.release.reader import Release

GRAPHS = "graphs"
VIRTUOSO_SCRIPT = "load.sql"
OXIGRAPH_SCRIPT = "load.sh"
COUNTS = "expected-counts.tsv"
NO_GRAPH_FILE = "urn:kgpub:bulk:no-graph-file"  # ld_dir's default graph: only a file without a .graph file gets it


@dataclass(frozen=True)
class BulkFile:
    graph: str
    path: Path  # the gzip N-Triples file
    triples: int
    bytes: int  # uncompressed N-Triples


@dataclass(frozen=True)
class BulkPlan:
    version: str
    folder: Path
    files: list[BulkFile]
    virtuoso_script: Path
    oxigraph_script: Path

    @property
    def triples(self) -> int:
        return sum(f.triples for f in self.files)

    def commands(self) -> dict[str, str]:
        """How to run each script, as a person types it."""
        return {"virtuoso": f"isql-vt 1111 dba PASSWORD {shlex.quote(str(self.virtuoso_script))}"
                            "   # isql on other systems; the folder must be in DirsAllowed",
                "oxigraph": f"sh {shlex.quote(str(self.oxigraph_script))} STORE_FOLDER"
                            "   # with the server stopped"}


def write(release: Release, folder: Path) -> BulkPlan:
    """Write the bulk-load files of ``release`` into ``folder`` (created; an existing one must be empty)."""
    folder = folder.resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"--bulk {folder}: exists and is not an empty folder; name a new or empty one")
    graphs_dir = folder / GRAPHS
    try:
        graphs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--bulk {folder}: cannot be created ({e.strerror or e})") from None
    manifest = release.manifest
    store = release.open_store()
    files = []
    for i, graph in enumerate(sorted(manifest.graphs), start=1):
        check_iri(graph)
        stem = f"{i:02d}-{_slug(graph)}"
        path = graphs_dir / f"{stem}.nt.gz"
        with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            triples, size = write_graph(store, graph, out)
        (graphs_dir / f"{stem}.nt.graph").write_text(graph + "\n", encoding="utf-8")
        files.append(BulkFile(graph, path, triples, size))
    (folder / COUNTS).write_text("".join(f"{f.graph}\t{f.triples}\n" for f in files), encoding="utf-8")
    virtuoso = folder / VIRTUOSO_SCRIPT
    virtuoso.write_text(virtuoso_script(release.version, graphs_dir, files), encoding="utf-8")
    oxigraph = folder / OXIGRAPH_SCRIPT
    oxigraph.write_text(oxigraph_script(release.version, files), encoding="utf-8")
    oxigraph.chmod(0o755)
    return BulkPlan(release.version, folder, files, virtuoso, oxigraph)


def _slug(graph: str) -> str:
    """A file-name part for a graph: its IRI's last path segment, in safe characters."""
    last = re.split(r"[/#?]", graph.rstrip("/#?"))[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-.")[:60] or "graph"


def _sql(text: str) -> str:
    return text.replace("'", "''")


def virtuoso_script(version: str, graphs_dir: Path, files: list[BulkFile]) -> str:
    where = _sql(str(graphs_dir))
    counted = " ".join(f"<{f.graph}>" for f in files)
    lines = [
        f"-- kgpub publish --bulk: release {version} into Virtuoso with its bulk loader.",
        "-- Run as dba with isql (Debian: isql-vt 1111 dba PASSWORD load.sql); the folder",
        f"-- {graphs_dir}",
        "-- must be listed in DirsAllowed of the server's virtuoso.ini.",
        "-- Each graph is cleared first: the bulk loader adds to a graph, it never replaces one.",
        "log_enable(3,1);",
        *(f"SPARQL CLEAR GRAPH <{f.graph}>;" for f in files),
        "-- the loader skips files it has loaded before: forget these, so that a second run loads them again",
        f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE '{where}/%';",
        f"ld_dir('{where}', '*.nt.gz', '{NO_GRAPH_FILE}');",
        "rdf_loader_run();",
        "checkpoint;",
        "-- every file: ll_state 2 (done) and ll_error NULL",
        f"SELECT ll_file, ll_graph, ll_state, ll_error FROM DB.DBA.load_list WHERE ll_file LIKE '{where}/%';",
        "-- each graph's triples; expected:",
        *(f"--   {f.graph}\t{f.triples}" for f in files),
        f"SPARQL SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {counted} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g;",
    ]
    return "\n".join(lines) + "\n"


def oxigraph_script(version: str, files: list[BulkFile]) -> str:
    counted = " ".join(f"<{f.graph}>" for f in files)
    lines = [
        "#!/bin/sh",
        f"# kgpub publish --bulk: release {version} into an Oxigraph store folder with `oxigraph load`.",
        "# Stop the server first (it locks its folder), then: sh load.sh STORE_FOLDER; start it again.",
        "# Each graph is dropped first: oxigraph load adds to a graph, it never replaces one.",
        "# OXIGRAPH names the command (default: oxigraph, from PyPI oxigraph).",
        "set -eu",
        'LOCATION="${1:?usage: sh load.sh STORE_FOLDER}"',
        'OXIGRAPH="${OXIGRAPH:-oxigraph}"',
        'HERE="$(cd "$(dirname "$0")" && pwd)"',
    ]
    for f in files:
        name = f"{GRAPHS}/{f.path.name}"
        lines += [f'"$OXIGRAPH" update --location "$LOCATION" --update {shlex.quote(f"DROP SILENT GRAPH <{f.graph}>")}',
                  f'"$OXIGRAPH" load --location "$LOCATION" --file "$HERE/{name}" --graph {shlex.quote(f.graph)}']
    lines += ["# each graph's triples; expected:",
              *(f"#   {f.graph}\t{f.triples}" for f in files),
              '"$OXIGRAPH" query --location "$LOCATION" --results-format csv --query '
              + shlex.quote(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {counted} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                            "GROUP BY ?g")]
    return "\n".join(lines) + "\n"
