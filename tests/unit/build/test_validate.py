from pathlib import Path

import pytest
from pyoxigraph import Store

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


def test_warnings_do_not_break_conformance(tiny_project: Path) -> None:
    report = _validate(tiny_project)
    assert report.conforms
    assert [(r.severity, r.shape, r.focus, r.path, r.value) for r in report.results] == [
        ("Warning", "ex:ThingShape", "ex:b", "ex:size", "300")]
    assert report.results[0].message == "Unusually large size"


def test_violation_is_reported_readably(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=TINY_DATA + "ex:c a ex:Thing .\n")
    report = _validate(project)
    assert not report.conforms
    text = report.text()
    assert text.startswith("Validation does NOT conform: 1 violation(s), 1 warning(s), 0 info")
    assert "VIOLATION: A thing needs a label\n  shape: ex:ThingShape\n  focus: ex:c\n  path:  rdfs:label" in text


def test_report_graph_says_whether_it_conforms(tiny_project: Path) -> None:
    report = _validate(tiny_project)
    ask = "ASK { ?r a sh:ValidationReport ; sh:conforms true }"
    assert report.graph.query(ask, initNs={"sh": "http://www.w3.org/ns/shacl#"}).askAnswer


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
    assert not report.conforms
    [result] = report.results
    assert (result.shape, result.focus, result.value) == (
        "<https://w3id.org/kjtrade/shapes#IC12-NoDuplicateObservations>", "ex:o3", "ex:o1")  # under the base IRI
    assert "Data Cube IC-12" in result.message


def test_store_is_made_when_not_given(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    assert not validate(load_sources(project, base_iri=DEFAULT_BASE_IRI)).conforms


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
    assert not split.conforms


def test_duplicates_found_when_a_dimension_is_stated_in_two_graphs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    (project / "shapes" / "again.ttl").write_text("<http://example.org/o3> <http://example.org/year> 2020 .\n")
    report = _validate(project)
    assert not report.conforms and [r.focus for r in report.results] == ["ex:o3"]
