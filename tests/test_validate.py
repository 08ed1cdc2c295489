from pathlib import Path

from pyoxigraph import Store

from conftest import TINY_DATA, write_project
from kgpub.settings import DEFAULT_BASE_IRI
from kgpub.sources import load_sources
from kgpub.validate import ValidationReport, validate


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
        "kjsh:IC12-NoDuplicateObservations", "ex:o3", "ex:o1")
    assert "Data Cube IC-12" in result.message


def test_store_is_made_when_not_given(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=CUBE, shapes="")
    assert not validate(load_sources(project, base_iri=DEFAULT_BASE_IRI)).conforms
