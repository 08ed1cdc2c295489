"""Bulk SHACL-SPARQL on pyoxigraph gives exactly pySHACL's report (differential test).

That every shape example and the real data give the same report either way is checked,
together with their expected results, in tests/data/test_shapes.py.
"""

from pathlib import Path

from pyoxigraph import Store
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from helpers.projects import ROOT, project_with, write_project
from kgpub.build import shacl_sparql
from kgpub.build.bridge import to_rdflib
from kgpub.build.report import Result
from kgpub.build.sources import Sources, load_sources
from kgpub.build.validate import validate
from kgpub.settings import DEFAULT_BASE_IRI

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def both_ways(sources: Sources) -> tuple[set[Result], set[Result]]:
    return set(validate(sources).results), set(validate(sources, offload=False).results)


def _plan(sources: Sources, shapes: Graph | None = None) -> shacl_sparql.Plan:
    store = Store()
    store.extend(sources.all_quads())
    shapes = to_rdflib(sources.graph("shapes")) if shapes is None else shapes
    return shacl_sparql.plan(shapes, store, [sources.graph_names["data"], sources.graph_names["ontology"]])


def _targeted_sparql_constraints(shapes: Graph) -> set[tuple[object, object]]:
    """(shape, sh:sparql value) of every named node shape with a target (explicit or implicit class)."""
    found: set[tuple[object, object]] = set()
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if not isinstance(shape, URIRef) or (shape, RDF.type, SH.NodeShape) not in shapes:
            continue
        implicit = (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes
        if implicit or any((shape, p, None) in shapes for p in TARGETS):
            found.add((shape, constraint))
    return found


def test_the_real_shapes_are_offloaded(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", sorted((ROOT / "data").glob("*.ttl")))
    sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
    shapes = to_rdflib(sources.graph("shapes"))
    plan = _plan(sources, shapes)
    expected = _targeted_sparql_constraints(shapes)
    assert expected, "the real shapes have no SHACL-SPARQL constraints on targeted named node shapes"
    assert len(plan.constraints) == len(expected)
    assert {(c.shape, c.node) for c in plan.constraints} == expected
    remaining = plan.shapes_for_pyshacl
    assert not any(p in (SH.sparql, SH.target) for _, p, _ in remaining)


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
