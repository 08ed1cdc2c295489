import gzip
import hashlib
import json
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, parse

from conftest import TINY_DATA, write_project
from kgpub.build.pipeline import build
from kgpub.errors import ReleaseNotFound, SourceSyntaxError, ValidationFailed
from kgpub.rdf.formats import DUMP_FORMATS
from kgpub.release.reader import open_release
from kgpub.settings import Settings


def _settings(project: Path, releases: Path | None = None) -> Settings:
    return Settings.load(env={}, project=project, release_root=releases)


def test_build_writes_a_complete_release(tiny_project: Path) -> None:
    result = build(_settings(tiny_project))
    rel = result.release
    assert not result.reused
    assert rel.path.parent == tiny_project / "release"
    assert (tiny_project / "release" / "current").resolve() == rel.path
    manifest = rel.manifest
    assert manifest["version"] == rel.path.name
    assert manifest["validation"] == {"conforms": True, "violations": 0, "warnings": 1, "info": 0}
    for name, entry in manifest["files"].items():
        data = (rel.path / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    for fmt in DUMP_FORMATS:
        plain = rel.dump_path(fmt).read_bytes()
        assert gzip.decompress(rel.dump_path(fmt, gz=True).read_bytes()) == plain
    assert "WARNING: Unusually large size" in rel.report_text
    assert [s["path"] for s in manifest["sources"]] == ["ontology/main.ttl", "data/main.ttl", "shapes/main.ttl"]


def test_dumps_parse_with_another_tool(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    for fmt, rdflib_format in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        graph = rdflib.Graph().parse(rel.path / f"dataset.{fmt}", format=rdflib_format)
        assert (rdflib.URIRef("http://example.org/b"), rdflib.URIRef("http://example.org/size"),
                rdflib.Literal(300)) in graph
    for fmt, rdflib_format in (("nq", "nquads"), ("trig", "trig")):
        ds = rdflib.Dataset().parse(rel.path / f"dataset.{fmt}", format=rdflib_format)
        assert {str(g.identifier) for g in ds.graphs()} >= {
            "https://w3id.org/kjtrade/graph/data", "https://w3id.org/kjtrade/graph/shapes",
            "https://w3id.org/kjtrade/graph/validation"}


def test_triple_dumps_hold_data_and_ontology_only(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    triples = list(parse(path=rel.path / "dataset.nt", format=RdfFormat.N_TRIPLES))
    assert len(triples) == 6 + 2


def test_same_sources_give_byte_identical_dumps(tiny_project: Path, tmp_path: Path) -> None:
    first = build(_settings(tiny_project, tmp_path / "r1")).release
    second = build(_settings(tiny_project, tmp_path / "r2")).release
    assert first.version == second.version
    for name in first.manifest["files"]:
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes(), name


def test_rebuild_of_unchanged_sources_reuses_the_release(tiny_project: Path) -> None:
    first = build(_settings(tiny_project))
    again = build(_settings(tiny_project))
    assert again.reused and again.release.path == first.release.path


def test_changed_sources_make_a_new_release_and_keep_the_old(tiny_project: Path) -> None:
    old = build(_settings(tiny_project)).release
    (tiny_project / "data" / "more.ttl").write_text('<http://example.org/x> <http://example.org/y> "z" .\n')
    new = build(_settings(tiny_project)).release
    assert new.version != old.version
    assert (old.path / "manifest.json").is_file()
    assert open_release(_settings(tiny_project)).path == new.path


@pytest.mark.parametrize(("breakage", "error"), [
    ("violation", ValidationFailed), ("syntax", SourceSyntaxError)])
def test_failed_build_leaves_the_previous_release_untouched(tiny_project: Path, breakage: str,
                                                            error: type[Exception]) -> None:
    old = build(_settings(tiny_project)).release
    before = sorted(p.relative_to(tiny_project) for p in (tiny_project / "release").rglob("*"))
    manifest = (old.path / "manifest.json").read_text()
    extra = "ex:c a ex:Thing .\n" if breakage == "violation" else "ex:c a .\n"
    (tiny_project / "data" / "main.ttl").write_text(TINY_DATA + extra)
    with pytest.raises(error):
        build(_settings(tiny_project))
    after = sorted(p.relative_to(tiny_project) for p in (tiny_project / "release").rglob("*"))
    assert after == before
    assert (old.path / "manifest.json").read_text() == manifest
    assert open_release(_settings(tiny_project)).path == old.path


def test_failed_first_build_writes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=TINY_DATA + "ex:c a ex:Thing .\n")
    with pytest.raises(ValidationFailed):
        build(_settings(project))
    assert not (project / "release").exists()


def test_open_release_without_one(tiny_project: Path) -> None:
    with pytest.raises(ReleaseNotFound, match="run `kgpub build` first"):
        open_release(_settings(tiny_project))


def test_store_answers_queries_over_named_graphs(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    store = rel.open_store()
    graphs = {r["g"].value for r in store.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == set(rel.named_graphs) == {f"https://w3id.org/kjtrade/graph/{g}"
                                               for g in ("data", "ontology", "shapes", "validation")}
    assert json.loads((rel.path / "manifest.json").read_text())["default_graphs"] == rel.default_graphs


def test_store_default_graph_holds_the_knowledge_graph(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    assert rel.service_default == "stored"
    store = rel.open_store()
    in_default = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, DefaultGraph())}
    kg = {(q.subject, q.predicate, q.object) for g in rel.default_graphs
          for q in store.quads_for_pattern(None, None, None, NamedNode(g))}
    assert in_default == kg and len(kg) == 8
    # the default graph is not a named graph: GRAPH ?g sees the four named graphs only
    graphs = {r["g"].value for r in store.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == set(rel.named_graphs)
