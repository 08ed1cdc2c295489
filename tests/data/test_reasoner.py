"""OWL 2 DL: the ontology, with the vocabularies it reuses, and with the data, loads in HermiT.

HermiT accepts only the OWL 2 datatype map, so the ontology's ranges stay inside it
(rdfs:Literal, rdf:PlainLiteral, xsd:decimal ...) and the exact datatypes (xsd:gYear,
rdf:langString ...) are checked by the SHACL shapes. The data's date, year and month *values* are
xsd:date/xsd:gYear/xsd:gYearMonth literals, which SPARQL and SHACL users expect and OWL 2 has
no datatype for: the ontology-plus-data check therefore runs with HermiT's
``--ignoreUnsupportedDatatypes``, and a test pins exactly which such datatypes the data uses,
so a new one is noticed. The ontology checks run strict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import reasoner
from helpers.projects import ROOT

ONTOLOGY = sorted((ROOT / "ontology").glob("*.ttl"))
DATA = sorted((ROOT / "data").glob("*.ttl"))
XSD = "http://www.w3.org/2001/XMLSchema#"

pytestmark = pytest.mark.slow


def _assert_sound(verdict: reasoner.Verdict) -> None:
    assert verdict.loaded, f"HermiT refused the input:\n{verdict.output[-3000:]}"
    assert verdict.consistent, f"HermiT: inconsistent\n{verdict.output[-3000:]}"
    assert verdict.unsatisfiable == [], f"unsatisfiable classes: {verdict.unsatisfiable}"


def test_the_ontology_alone_is_owl2_dl_and_consistent(tmp_path: Path) -> None:
    _assert_sound(reasoner.hermit(reasoner.merged(ONTOLOGY), tmp_path))


def test_the_ontology_with_the_reused_vocabularies_is_consistent(tmp_path: Path) -> None:
    graph = reasoner.merged([*ONTOLOGY, *reasoner.vocabulary_files()])
    _assert_sound(reasoner.hermit(graph, tmp_path))


def test_the_ontology_vocabularies_and_data_are_consistent(tmp_path: Path) -> None:
    graph = reasoner.merged([*ONTOLOGY, *reasoner.vocabulary_files(), *DATA])
    _assert_sound(reasoner.hermit(graph, tmp_path, ignore_unsupported_datatypes=True))


def test_only_date_year_and_month_values_fall_outside_the_owl2_datatype_map() -> None:
    outside = reasoner.literal_datatypes(reasoner.merged([*ONTOLOGY, *DATA])) - reasoner.OWL2_DATATYPES
    assert outside == {XSD + "gYear", XSD + "gYearMonth", XSD + "date"}


def test_the_ontology_uses_no_datatype_outside_the_owl2_map_in_its_axioms() -> None:
    """A range or restriction on xsd:gYear is what made HermiT refuse the ontology."""
    from rdflib import RDFS, URIRef
    graph = reasoner.merged(ONTOLOGY)
    ranges = {str(o) for o in graph.objects(None, RDFS.range) if isinstance(o, URIRef)}
    datatypes = {r for r in ranges if r.startswith(XSD) or r.endswith(("#langString", "#PlainLiteral", "#Literal"))}
    assert datatypes <= reasoner.OWL2_DATATYPES - {"http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


# ----------------------------------------------------------------- the checks can fail

def test_hermit_finds_an_activity_used_as_an_entity(tmp_path: Path) -> None:
    """The defect this guards against: a kjt:Survey (a prov:Activity) with prov:wasDerivedFrom."""
    graph = reasoner.merged([*ONTOLOGY, *reasoner.vocabulary_files(), *DATA], extra="""
        <https://w3id.org/kjtrade/id/survey/kita-korea-japan-2025>
            <http://www.w3.org/ns/prov#wasDerivedFrom>
            <https://w3id.org/kjtrade/id/article/asiae-korea-japan-trade-352-fold> .""")
    verdict = reasoner.hermit(graph, tmp_path, ignore_unsupported_datatypes=True)
    assert verdict.loaded and not verdict.consistent, verdict.output[-2000:]


def test_hermit_refuses_a_range_outside_the_owl2_datatype_map(tmp_path: Path) -> None:
    graph = reasoner.merged(ONTOLOGY, extra="""
        <https://w3id.org/kjtrade/ontology#refYear>
            <http://www.w3.org/2000/01/rdf-schema#range> <http://www.w3.org/2001/XMLSchema#gYear> .""")
    verdict = reasoner.hermit(graph, tmp_path)
    assert not verdict.loaded and "gYear" in verdict.output


def test_hermit_reports_an_unsatisfiable_class(tmp_path: Path) -> None:
    graph = reasoner.merged(ONTOLOGY, extra="""
        @prefix kjt: <https://w3id.org/kjtrade/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        kjt:Broken a owl:Class ; rdfs:subClassOf kjt:Finding , kjt:Survey .
        kjt:Finding owl:disjointWith kjt:Survey .""")
    verdict = reasoner.hermit(graph, tmp_path)
    assert verdict.loaded and verdict.consistent
    assert any("Broken" in c for c in verdict.unsatisfiable), verdict.output[-2000:]
