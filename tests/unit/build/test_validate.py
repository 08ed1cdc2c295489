from pathlib import Path

import pytest
from pyoxigraph import Store
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from helpers.projects import TINY_DATA, TINY_SHAPES, write_project
from kgpub.build.sources import load_sources
from kgpub.build.validate import ValidationReport, validate
from kgpub.errors import ShapesError
from kgpub.settings import DEFAULT_BASE_IRI


def _validate(project: Path) -> ValidationReport:
    sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
    store = Store()
    store.extend(sources.all_quads())
    return validate(sources, store=store)


def test_warnings_do_not_block_publication_but_do_not_conform(tiny_project: Path) -> None:
    report = _validate(tiny_project)
    assert report.publishable and not report.conforms  # SHACL: any result, whatever its severity
    assert report.summary == "Validation: no violations, 1 warning"
    assert [(r.severity, r.shape, r.focus, r.path, r.value) for r in report.results] == [
        ("Warning", "ex:ThingShape", "ex:b", "ex:size", "300")]
    assert report.results[0].message == "Unusually large size"


def test_violation_is_reported_readably(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=TINY_DATA + "ex:c a ex:Thing .\n")
    report = _validate(project)
    assert not report.publishable and not report.conforms
    text = report.text()
    assert text.startswith("Validation: 1 violation, 1 warning\n\n")
    assert "VIOLATION: A thing needs a label\n  shape: ex:ThingShape\n  focus: ex:c\n  path:  rdfs:label" in text


def _graph_conforms(report: ValidationReport) -> object:
    [value] = report.graph.objects(None, SH.conforms)
    return value.toPython()


def test_report_graph_conforms_only_without_results(tiny_project: Path, tmp_path: Path) -> None:
    warned = _validate(tiny_project)  # one warning: SHACL says it does not conform (SHACL 1.0 §3.6.1.1)
    assert len(warned.results) == 1 and _graph_conforms(warned) is False
    clean = _validate(write_project(tmp_path / "p", data=TINY_DATA.replace("ex:size 300", "ex:size 30")))
    assert clean.results == () and clean.conforms and clean.publishable
    assert _graph_conforms(clean) is True
    assert clean.summary == "Validation: no results"


def _dangling(graph: Graph) -> set[tuple[Node, Node]]:
    """(predicate, blank node) of every blank node object that is nowhere a subject."""
    subjects = set(graph.subjects())
    return {(p, o) for _, p, o in graph if isinstance(o, BNode) and o not in subjects}


BLANK = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
[] a ex:Thing ; rdfs:label "A"@en ; ex:part [ ex:size 7 ; ex:part [ ex:size 8 ] ] .
ex:b a ex:Thing ; rdfs:label "B"@en ; ex:part [ ex:size 9 ] .
"""
BLANK_SHAPES = TINY_SHAPES + """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:PartShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "has part {?value}" ;
  sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ;
              sh:select "SELECT $this ?value WHERE { $this ex:part ?value . }" ] .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
[] a sh:NodeShape ; sh:targetClass ex:Thing ; sh:severity sh:Info ; sh:message "blank shape" ;
  sh:sparql [ sh:select "SELECT $this WHERE { $this a ?type . }" ] .
ex:PathShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ( ex:part ex:size ) ; sh:maxInclusive 5 ; sh:severity sh:Warning ] .
"""


@pytest.mark.parametrize("offload", [True, False], ids=["offloaded", "plain"])
def test_every_blank_node_of_the_report_is_described_in_it(tmp_path: Path, offload: bool) -> None:
    """SHACL-SPARQL results name the constraint (SHACL 1.0 §5.3.2): it comes with its triples, as blank
    focus nodes, values, shapes and paths do; nothing else of the shapes graph is copied."""
    sources = load_sources(write_project(tmp_path / "p", data=BLANK, shapes=BLANK_SHAPES), base_iri=DEFAULT_BASE_IRI)
    report = validate(sources, offload=offload, processes=1)
    assert _dangling(report.graph) == set()
    assert {r.severity for r in report.results} == {"Violation", "Warning", "Info"}
    g, ex = report.graph, "http://example.org/"
    constraint = g.value(predicate=SH.select, object=Literal("SELECT $this ?value WHERE { $this ex:part ?value . }"))
    assert constraint in set(g.objects(None, SH.sourceConstraint))
    assert (constraint, SH.prefixes, URIRef(ex + "prefixes")) in g
    assert (URIRef(ex + "prefixes"), None, None) not in g  # an IRI of the shapes graph: not copied
    assert (None, SH.targetClass, URIRef(ex + "Thing")) in g  # the blank shape, with its triples
    assert (None, RDF.type, URIRef(ex + "Thing")) in g  # the blank focus node, with its triples
    assert (None, URIRef(ex + "size"), Literal(8)) in g  # and the blank nodes they reach


CUBE = """\
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix ex: <http://example.org/> .
ex:ds a qb:DataSet ; qb:structure ex:dsd .
ex:dsd qb:component [ qb:dimension ex:year ], [ qb:dimension ex:area ] .
ex:o1 qb:dataSet ex:ds ; ex:year 2020 ; ex:area ex:KR ; ex:value 1 .
ex:o2 qb:dataSet ex:ds ; ex:year 2020 ; ex:area ex:JP ; ex:value 2 .
ex:o3 qb:dataSet ex:ds ; ex:year 2020 ; ex:area ex:KR ; ex:value 3 .
"""


def test_duplicate_observations_are_violations(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    report = _validate(project)
    assert not report.publishable
    [result] = report.results
    assert (result.shape, result.focus, result.value) == (
        "<https://w3id.org/kjtrade/shapes#IC12-NoDuplicateObservations>", "ex:o3", "ex:o1")  # under the base IRI
    assert "Data Cube IC-12" in result.message


def test_store_is_made_when_not_given(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    assert not validate(load_sources(project, base_iri=DEFAULT_BASE_IRI)).publishable


BAD_CARDINALITY = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:size ; sh:minCount "x" ] .
"""
BAD_SELECT = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "m" ;
  sh:sparql [ sh:select "SELECT $this WHERE { $this ?p }" ] .
"""
BAD_PROPERTY_SELECT = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:S a sh:PropertyShape ; sh:targetClass ex:Thing ; sh:path ex:size ; sh:message "m" ;
  sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH }" ] .
"""


@pytest.mark.parametrize(("shapes", "message"), [
    (BAD_CARDINALITY, "the shapes are not valid SHACL: MinCountConstraintComponent sh:minCount must be a literal"),
    (BAD_SELECT, "shape <http://example.org/S>: its sh:select does not parse at line 1, column 31: expected one of"),
    (BAD_PROPERTY_SELECT,
     "shape <http://example.org/S>: its sh:select does not parse at line 1, column 34: expected one of"),
])
def test_invalid_shapes_are_input_errors(tmp_path: Path, shapes: str, message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path / "p", shapes=shapes)
    with pytest.raises(ShapesError) as info:
        _validate(project)
    assert str(info.value).startswith(message)
    assert capsys.readouterr().err == ""  # no duplicate log lines from pySHACL


def test_split_validation_gives_the_serial_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.projects import ROOT
    from kgpub.build import parallel as module

    monkeypatch.setattr(module, "PARALLEL_MIN_TRIPLES", 0)  # fork even for the small real graph
    sources = load_sources(ROOT, base_iri=DEFAULT_BASE_IRI)
    serial = validate(sources, processes=1)
    split = validate(sources, processes=3)
    assert split.results == serial.results and len(serial.results) == 1
    assert split.text() == serial.text()


def test_split_validation_keeps_violations_from_every_group(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kgpub.build import parallel as module

    monkeypatch.setattr(module, "PARALLEL_MIN_TRIPLES", 0)
    shapes = TINY_SHAPES + """
ex:OtherShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:colour ; sh:minCount 1 ; sh:message "A thing needs a colour" ] .
"""
    sources = load_sources(write_project(tmp_path / "p", shapes=shapes), base_iri=DEFAULT_BASE_IRI)
    split, serial = validate(sources, processes=2), validate(sources, processes=1)
    assert split.results == serial.results
    assert {r.message for r in split.results} == {"A thing needs a colour", "Unusually large size"}
    assert not split.publishable


def test_duplicates_found_when_a_dimension_is_stated_in_two_graphs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    (project / "shapes" / "again.ttl").write_text("<http://example.org/o3> <http://example.org/year> 2020 .\n")
    report = _validate(project)
    assert not report.publishable and [r.focus for r in report.results] == ["ex:o3"]
