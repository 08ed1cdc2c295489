"""Bulk SHACL-SPARQL on pyoxigraph gives exactly pySHACL's report (differential test)."""

from pathlib import Path

import pytest
from pyoxigraph import Store

from conftest import ROOT, write_project
from kgpub.build import shacl_sparql
from kgpub.settings import DEFAULT_BASE_IRI
from kgpub.build.sources import Sources, load_sources
from kgpub.build.validate import Result, to_rdflib, validate

EXAMPLES = sorted((ROOT / "shapes" / "examples").glob("*.ttl"))


def project_with(tmp_path: Path, data_files: list[Path]) -> Path:
    project = tmp_path / "p"
    (project / "data").mkdir(parents=True)
    for folder in ("ontology", "shapes"):
        (project / folder).symlink_to(ROOT / folder)
    for f in data_files:
        (project / "data" / f.name).write_bytes(f.read_bytes())
    return project


def both_ways(sources: Sources) -> tuple[set[Result], set[Result]]:
    return set(validate(sources).results), set(validate(sources, offload=False).results)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_give_the_same_report(tmp_path: Path, example: Path) -> None:
    sources = load_sources(project_with(tmp_path, [example]), base_iri=DEFAULT_BASE_IRI)
    offloaded, plain = both_ways(sources)
    assert offloaded == plain


def test_real_data_gives_the_same_report(tmp_path: Path) -> None:
    sources = load_sources(project_with(tmp_path, sorted((ROOT / "data").glob("*.ttl"))), base_iri=DEFAULT_BASE_IRI)
    offloaded, plain = both_ways(sources)
    assert offloaded == plain and len(offloaded) == 1


def _plan(sources: Sources) -> shacl_sparql.Plan:
    store = Store()
    store.extend(sources.all_quads())
    return shacl_sparql.plan(to_rdflib(sources.graph("shapes")), store,
                             [sources.graph_names["data"], sources.graph_names["ontology"]])


def test_the_real_shapes_are_offloaded(tmp_path: Path) -> None:
    sources = load_sources(project_with(tmp_path, sorted((ROOT / "data").glob("*.ttl"))), base_iri=DEFAULT_BASE_IRI)
    plan = _plan(sources)
    sh = "http://www.w3.org/ns/shacl#"
    assert len(plan.constraints) == 6
    remaining = plan.shapes_for_pyshacl
    assert not any(str(p) in (sh + "sparql", sh + "target") for _, p, _ in remaining)


SHAPES_WITH_FALLBACKS = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:Moved a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "moved {$this} {?size}" ;
  sh:sparql [ sh:prefixes ex:prefixes ;
              sh:select "SELECT $this ?size WHERE { $this ex:size ?size FILTER(?size > 100) }" ] .
ex:Grouped a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "grouped" ;
  sh:sparql [ sh:prefixes ex:prefixes ;
              sh:select "SELECT $this (COUNT(*) AS ?n) WHERE { $this ?p ?o } GROUP BY $this HAVING (COUNT(*) > 100)" ] .
ex:Nested a sh:NodeShape ; sh:message "nested" ;
  sh:sparql [ sh:prefixes ex:prefixes ; sh:select "SELECT $this WHERE { $this ex:size 3 }" ] .
ex:User a sh:NodeShape ; sh:targetClass ex:Thing ; sh:not ex:Nested .
ex:Prop a sh:PropertyShape ; sh:targetClass ex:Thing ; sh:path ex:size ; sh:message "prop" ;
  sh:sparql [ sh:prefixes ex:prefixes ; sh:select "SELECT $this WHERE { $this $PATH 300 }" ] .
"""


def test_only_provably_equivalent_constraints_move(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", shapes=SHAPES_WITH_FALLBACKS)
    sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
    assert [str(c.shape) for c in _plan(sources).constraints] == ["http://example.org/Moved"]
    offloaded, plain = both_ways(sources)
    assert offloaded == plain
    assert {(r.shape, r.focus, r.message) for r in offloaded} == {
        ("ex:Moved", "ex:b", "moved http://example.org/b 300"),
        ("ex:User", "ex:b", "Node <http://example.org/b> must not conform to shape <http://example.org/Nested>"),
        ("ex:Prop", "ex:b", "prop"),
    }
