"""The bulk-load files: one gzip N-Triples file and one Virtuoso ``.graph`` file per graph, the counts, and the two
scripts. Running them against the real stores is tests/e2e/test_publish.py."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from helpers.published import PublishedGraph
from kgpub.errors import InputError
from kgpub.publish import bulk


@pytest.fixture(scope="module")
def plan(published: PublishedGraph, tmp_path_factory: pytest.TempPathFactory) -> bulk.BulkPlan:
    return bulk.write(published.release, tmp_path_factory.mktemp("bulk") / "out")


def test_every_graph_has_its_file_its_graph_file_and_its_count(plan: bulk.BulkPlan,
                                                               published: PublishedGraph) -> None:
    manifest = published.release.manifest
    assert {f.graph: f.triples for f in plan.files} == manifest.graphs
    for f in plan.files:
        assert f.path.name.endswith(".nt.gz") and f.path.parent == plan.folder / bulk.GRAPHS
        data = gzip.decompress(f.path.read_bytes())
        assert len(data) == f.bytes
        assert sum(1 for _ in parse(data, format=RdfFormat.N_TRIPLES)) == f.triples
        # Virtuoso's loader reads x.nt.graph for x.nt.gz (measured), not x.nt.gz.graph
        graph_file = f.path.with_name(f.path.name.removesuffix(".gz").removesuffix(".nt") + ".nt.graph")
        assert graph_file.read_text(encoding="utf-8").strip() == f.graph
    counts = (plan.folder / bulk.COUNTS).read_text(encoding="utf-8").splitlines()
    assert dict(line.split("\t") for line in counts) == {g: str(n) for g, n in manifest.graphs.items()}


def test_the_files_are_the_same_for_the_same_release(plan: bulk.BulkPlan, published: PublishedGraph,
                                                     tmp_path: Path) -> None:
    again = bulk.write(published.release, tmp_path / "again")
    assert [f.path.read_bytes() for f in again.files] == [f.path.read_bytes() for f in plan.files]


def test_the_virtuoso_script_replaces_each_graph(plan: bulk.BulkPlan) -> None:
    sql = plan.virtuoso_script.read_text(encoding="utf-8")
    graphs_dir = plan.folder / bulk.GRAPHS
    order = [f"SPARQL CLEAR GRAPH <{f.graph}>;" for f in plan.files] + [
        f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE '{graphs_dir}/%';",
        f"ld_dir('{graphs_dir}', '*.nt.gz', '{bulk.NO_GRAPH_FILE}');", "rdf_loader_run();", "checkpoint;"]
    positions = [sql.index(line) for line in order]
    assert positions == sorted(positions)
    assert all(line.endswith(";") for line in sql.splitlines() if line and not line.startswith("--"))
    assert graphs_dir.is_absolute()


def test_the_oxigraph_script_is_valid_sh_that_replaces_each_graph(plan: bulk.BulkPlan) -> None:
    script = plan.oxigraph_script.read_text(encoding="utf-8")
    assert subprocess.run(["sh", "-n", str(plan.oxigraph_script)], capture_output=True, check=False).returncode == 0
    for f in plan.files:
        drop = script.index(f"--update 'DROP SILENT GRAPH <{f.graph}>'")
        load = script.index(f'--file "$HERE/{bulk.GRAPHS}/{f.path.name}" --graph {f.graph}')
        assert drop < load
    assert plan.commands()["oxigraph"].startswith(f"sh {plan.oxigraph_script} STORE_FOLDER")


def test_a_folder_with_something_in_it_is_refused(published: PublishedGraph, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not an empty folder"):
        bulk.write(published.release, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(("graph", "slug"), [("https://w3id.org/kjtrade/graph/data", "data"),
                                             ("http://ex.org/g#part", "part"), ("urn:x:a b/", "urn-x-a-b"),
                                             ("http://ex.org/", "ex.org")])
def test_file_names_come_from_the_graph(graph: str, slug: str) -> None:
    assert bulk._slug(graph) == slug
