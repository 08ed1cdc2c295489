import gzip
import hashlib
import json
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse

from helpers.projects import TINY_DATA, write_project
from kgpub.build.pipeline import build
from kgpub.errors import ReleaseNotFound, SourceSyntaxError, ValidationFailed
from kgpub.rdf.formats import DUMP_FORMATS
from kgpub.release import layout, writer
from kgpub.release.manifest import Manifest, ValidationSummary
from kgpub.release.reader import Release, open_release
from kgpub.settings import Settings


def _settings(project: Path, releases: Path | None = None) -> Settings:
    return Settings.load(env={}, project=project, releases=releases)


def test_build_writes_a_complete_release(tiny_project: Path) -> None:
    result = build(_settings(tiny_project))
    rel = result.release
    assert not result.reused
    assert rel.path.parent == tiny_project / "release"
    assert (tiny_project / "release" / "current").resolve() == rel.path
    manifest = rel.manifest
    assert manifest.version == rel.path.name
    assert manifest.validation == ValidationSummary(conforms=False, publishable=True, violations=0, warnings=1, info=0)
    assert set(manifest.files) == {p.name for p in rel.path.iterdir()} - {"store", "manifest.json"}
    for name, entry in manifest.files.items():
        data = (rel.path / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256 and len(data) == entry.bytes, name
    for fmt in DUMP_FORMATS:
        plain = rel.dump_path(fmt).read_bytes()
        assert gzip.decompress(rel.dump_path(fmt, gz=True).read_bytes()) == plain
    assert "WARNING: Unusually large size" in rel.report_text
    assert [s.path for s in manifest.sources] == ["ontology/main.ttl", "data/main.ttl", "shapes/main.ttl"]


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
    for name in first.manifest.files:
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
    assert open_release(_settings(tiny_project).releases_dir).path == new.path


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
    assert open_release(_settings(tiny_project).releases_dir).path == old.path


def test_failed_first_build_writes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=TINY_DATA + "ex:c a ex:Thing .\n")
    with pytest.raises(ValidationFailed):
        build(_settings(project))
    assert not (project / "release").exists()


def test_open_release_without_one(tiny_project: Path) -> None:
    with pytest.raises(ReleaseNotFound, match="run `kgpub build` first"):
        open_release(_settings(tiny_project).releases_dir)


def test_store_answers_queries_over_named_graphs(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    store = rel.open_store()
    graphs = {r["g"].value for r in store.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == set(rel.named_graphs) == {f"https://w3id.org/kjtrade/graph/{g}"
                                               for g in ("data", "ontology", "shapes", "validation")}
    assert json.loads((rel.path / "manifest.json").read_text())["default_graphs"] == rel.default_graphs


def test_store_default_graph_holds_the_knowledge_graph(tiny_project: Path) -> None:
    rel = build(_settings(tiny_project)).release
    assert rel.stores_default_graph
    store = rel.open_store()
    in_default = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, DefaultGraph())}
    kg = {(q.subject, q.predicate, q.object) for g in rel.default_graphs
          for q in store.quads_for_pattern(None, None, None, NamedNode(g))}
    assert in_default == kg and len(kg) == 8
    # the default graph is not a named graph: GRAPH ?g sees the four named graphs only
    graphs = {r["g"].value for r in store.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == set(rel.named_graphs)


EX = "http://example.org/"
G = NamedNode(EX + "g")


def _quad(s: str, o: str, graph: NamedNode = G) -> Quad:
    return Quad(NamedNode(EX + s), NamedNode(EX + "p"), NamedNode(EX + o), graph)


def test_counts_are_distinct_triples_not_statements(tmp_path: Path) -> None:
    draft = writer.Draft(quads=[_quad("a", "b"), _quad("a", "b"), _quad("c", "d")], default_graphs=[G.value])
    rel = writer.write(draft, tmp_path)
    assert rel.graph_triples == {G.value: 2} and rel.default_graph_triples == 2


def test_duplicate_statements_in_sources_are_counted_once(tiny_project: Path) -> None:
    (tiny_project / "data" / "again.ttl").write_text(TINY_DATA, encoding="utf-8")  # every triple stated twice
    rel = build(_settings(tiny_project)).release
    assert rel.graph_triples["https://w3id.org/kjtrade/graph/data"] == 6
    assert sum(s.triples for s in rel.manifest.sources if s.graph.endswith("/data")) == 12  # statements per file


def test_an_extra_file_is_one_line_and_part_of_the_version(tmp_path: Path) -> None:
    base = writer.write(writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value]), tmp_path)
    draft = writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value])
    draft.add_file("count.txt", lambda content: str(len(content.knowledge_graph)).encode())
    rel = writer.write(draft, tmp_path)
    assert (rel.path / "count.txt").read_bytes() == b"1" and "count.txt" in rel.manifest.files
    assert rel.version != base.version  # a different file published is a different release
    with pytest.raises(ValueError, match="exists already"):
        draft.add_file("count.txt", lambda _: b"")
    with pytest.raises(ValueError, match="exists already"):
        draft.add_file("dataset.ttl", lambda _: b"")


def test_writing_the_same_draft_again_reuses_the_release(tmp_path: Path) -> None:
    first = writer.write(writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value]), tmp_path)
    again = writer.write(writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value]), tmp_path)
    assert not first.reused and again.reused and again == first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_manifest_round_trips_and_damage_is_named(tmp_path: Path) -> None:
    rel = writer.write(writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value], base_iri=EX), tmp_path)
    text = (rel.path / "manifest.json").read_text()
    assert Manifest.from_json(text, where="m").to_json() == text
    (rel.path / "manifest.json").write_text('{"version": "x", "graphs": {"g": "many"}, "default_graphs": []}')
    with pytest.raises(ReleaseNotFound, match="not a release manifest"):
        open_release(rel.path)
    (rel.path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ReleaseNotFound, match="not a JSON object"):
        Release(rel.path).manifest  # noqa: B018


def _patch(release: Release) -> list[str]:
    """The release's changes file as rows (split at newlines only: N-Quads leaves U+2028 as is)."""
    return gzip.decompress(release.file(layout.CHANGES).read_bytes()).decode("utf-8").split("\n")[:-1]


def _applied(rows: list[str], dump: Path) -> set[str]:
    """The dump's lines with the patch's rows applied; each row must apply (none added twice, none deleted unseen)."""
    lines = set(dump.read_text(encoding="utf-8").split("\n")[:-1])
    for row in rows:
        op, _, line = row.partition(" ")
        if op == "A":
            assert line not in lines
            lines.add(line)
        elif op == "D":
            assert line in lines
            lines.remove(line)
    return lines


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _iri(version: str) -> str:
    return f"https://w3id.org/kjtrade/releases/{version}/"


def test_every_release_has_its_changes_since_the_release_current_was(tmp_path: Path) -> None:
    first = writer.write(writer.Draft(quads=[_quad("a", "b"), _quad("c", "d")], default_graphs=[G.value]), tmp_path)
    assert first.manifest.previous is None  # nothing before it: the changes are from the empty dataset
    assert _patch(first) == [f"H id <{_iri(first.version)}> .", "TX .", f"A {_quad('a', 'b')} .",
                             f"A {_quad('c', 'd')} .", "TC ."]
    second = writer.write(writer.Draft(quads=[_quad("a", "b"), _quad("e", "f")], default_graphs=[G.value]), tmp_path)
    assert second.manifest.previous == first.version
    assert _patch(second) == [f"H id <{_iri(second.version)}> .", f"H prev <{_iri(first.version)}> .", "TX .",
                              f"D {_quad('c', 'd')} .", f"A {_quad('e', 'f')} .", "TC ."]
    data = second.file(layout.CHANGES).read_bytes()
    entry = second.manifest.files[layout.CHANGES]  # listed like every file, with its digest and size
    assert (entry.sha256, entry.bytes) == (hashlib.sha256(data).hexdigest(), len(data))
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip, no timestamp: the same changes, the same bytes
    assert json.loads((second.path / "manifest.json").read_text())["previous"] == first.version
    assert _applied(_patch(second), first.file("dataset.nq")) == _applied([], second.file("dataset.nq"))
    with pytest.raises(ValueError, match="exists already"):
        writer.Draft(quads=[], default_graphs=[]).add_file(layout.CHANGES, lambda _: b"")


def test_the_version_and_the_dumps_do_not_depend_on_what_was_built_before(tmp_path: Path) -> None:
    def a() -> writer.Draft:
        return writer.Draft(quads=[_quad("a", "b"), _quad("c", "d")], default_graphs=[G.value])

    def b() -> writer.Draft:
        return writer.Draft(quads=[_quad("a", "b"), _quad("e", "f")], default_graphs=[G.value])

    alone = writer.write(b(), tmp_path / "fresh")
    root = tmp_path / "releases"
    first = writer.write(a(), root)
    second = writer.write(b(), root)
    assert second.version == alone.version  # B after A is the release B alone is
    for name in second.manifest.files.keys() - {layout.CHANGES}:
        assert second.file(name).read_bytes() == alone.file(name).read_bytes(), name
    assert (alone.manifest.previous, second.manifest.previous) == (None, first.version)
    assert set(alone.manifest.files) == set(second.manifest.files)


def test_building_a_then_b_then_a_again_reuses_a_untouched(tiny_project: Path) -> None:
    a = build(_settings(tiny_project)).release
    before = _snapshot(a.path)
    (tiny_project / "data" / "more.ttl").write_text('<http://example.org/x> <http://example.org/y> "z\\"q" .\n')
    b = build(_settings(tiny_project)).release
    (tiny_project / "data" / "more.ttl").unlink()
    again = build(_settings(tiny_project))
    assert again.reused and again.release.path == a.path and again.release.version == a.version
    assert _snapshot(a.path) == before  # not a byte nor a timestamp changed, the changes file included
    assert open_release(_settings(tiny_project).releases_dir).path == a.path  # current is A again
    assert a.manifest.previous is None and b.manifest.previous == a.version
    rows = _patch(b)
    assert rows[:2] == [f"H id <{_iri(b.version)}> .", f"H prev <{_iri(a.version)}> ."]
    added = [r for r in rows if r.startswith("A ")]
    assert ('A <http://example.org/x> <http://example.org/y> "z\\"q" <https://w3id.org/kjtrade/graph/data> .'
            in added)
    assert _applied(rows, a.file("dataset.nq")) == _applied([], b.file("dataset.nq"))
    (tiny_project / "data" / "other.ttl").write_text('<http://example.org/x> <http://example.org/y> "w" .\n')
    c = build(_settings(tiny_project)).release
    assert c.manifest.previous == a.version  # against the release current was, not the newest built


def test_a_damaged_current_release_is_not_diffed_against(tmp_path: Path) -> None:
    first = writer.write(writer.Draft(quads=[_quad("a", "b")], default_graphs=[G.value]), tmp_path)
    (first.path / "manifest.json").write_text("[]")
    second = writer.write(writer.Draft(quads=[_quad("c", "d")], default_graphs=[G.value]), tmp_path)
    assert second.manifest.previous is None and _patch(second)[1] == "TX ."


def test_literals_are_published_as_written_not_as_a_store_keeps_them(tmp_path: Path) -> None:
    """A store keeps "1.50"^^xsd:decimal as "1.5"; the dumps and tables are written from the statements as
    written, so the release says what the sources say."""
    from pyoxigraph import Literal as L
    from pyoxigraph import NamedNode as N
    from pyoxigraph import Quad as Q

    decimal = N("http://www.w3.org/2001/XMLSchema#decimal")
    quads = [Q(N("http://example.org/a"), N("http://example.org/v"), L("1.50", datatype=decimal),
               N("http://example.org/g")),
             Q(N("http://example.org/a"), N("http://example.org/w"), L("007", datatype=N(
                 "http://www.w3.org/2001/XMLSchema#integer")), N("http://example.org/g"))]
    release = writer.write(writer.Draft(quads=quads, default_graphs=["http://example.org/g"]), tmp_path / "r")
    text = release.file("dataset.nt").read_text(encoding="utf-8")
    assert '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>' in text
    assert '"007"^^<http://www.w3.org/2001/XMLSchema#integer>' in text
