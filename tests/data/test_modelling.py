"""Modelling rules that independent reviewers checked by hand: prefixes, unused terms, labels, metadata."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from helpers.projects import ROOT
from helpers.published import PublishedGraph

KJT = "https://w3id.org/kjtrade/ontology#"
ONTOLOGY = "https://w3id.org/kjtrade/ontology"
PREFIX_LINE = re.compile(r"^@prefix\s+([\w-]*):\s*<[^>]*>\s*\.", re.MULTILINE)

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX schema: <http://schema.org/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
"""


def rows(graph: PublishedGraph, query: str) -> list[tuple]:
    result = graph.query(PREFIXES + query)
    return [tuple(s[v] for v in result.variables) for s in result]


@pytest.mark.parametrize("folder", ["data", "ontology"])
def test_every_declared_prefix_is_used_in_its_folder(folder: str) -> None:
    """A prefix declared but never used (dcat: in every data file, once) misleads readers."""
    files = sorted((ROOT / folder).glob("*.ttl"))
    bodies = {f: PREFIX_LINE.sub("", f.read_text(encoding="utf-8")) for f in files}
    unused = defaultdict(list)
    for path in files:
        for prefix in PREFIX_LINE.findall(path.read_text(encoding="utf-8")):
            used = re.compile(rf"(?<![\w-]){re.escape(prefix)}:")
            if not any(used.search(body) for body in bodies.values()):
                unused[prefix].append(Path(path).name)
    assert dict(unused) == {}


def test_every_kjt_term_is_used(published: PublishedGraph) -> None:
    """A term defined but used nowhere (kjt:isDerivedValue, once) is dead weight in the ontology."""
    unused = rows(published, """
        SELECT ?term WHERE {
          ?term rdfs:isDefinedBy <https://w3id.org/kjtrade/ontology> .
          FILTER NOT EXISTS { ?s ?term ?o }
          FILTER NOT EXISTS { ?x a/rdfs:subClassOf* ?term }
          FILTER NOT EXISTS { ?dsd qb:component/qb:dimension ?term }
        } ORDER BY ?term""")
    assert unused == []


def test_ontology_header_has_what_vocabulary_registries_read(published: PublishedGraph) -> None:
    found = {p.value for (p,) in rows(published, f"SELECT DISTINCT ?p {{ <{ONTOLOGY}> ?p ?o }}")}
    wanted = {"http://purl.org/dc/terms/" + t for t in (
        "title", "description", "license", "creator", "contributor", "publisher", "created", "issued",
        "modified")} | {"http://xmlns.com/foaf/0.1/homepage", "http://www.w3.org/2000/01/rdf-schema#seeAlso",
                        "http://www.w3.org/2002/07/owl#versionIRI", "http://www.w3.org/2002/07/owl#priorVersion",
                        "http://purl.org/vocab/vann/preferredNamespacePrefix",
                        "http://purl.org/vocab/vann/preferredNamespaceUri"}
    assert wanted - found == set()
    agents = rows(published, f"""
        SELECT ?agent ?name WHERE {{
          <{ONTOLOGY}> dcterms:creator|dcterms:publisher|dcterms:contributor ?agent .
          ?agent foaf:name ?name }}""")
    assert len({a for a, _ in agents}) == 2 and all(isinstance(n, Literal) for _, n in agents)


def test_every_data_set_has_a_licence(published: PublishedGraph) -> None:
    assert rows(published, """
        SELECT ?ds WHERE { ?ds a qb:DataSet FILTER NOT EXISTS { ?ds dcterms:license ?l } }""") == []
    licences = {lic.value for (lic,) in rows(published, "SELECT DISTINCT ?l { ?ds a qb:DataSet ; dcterms:license ?l }")}
    assert licences == {"https://creativecommons.org/licenses/by/4.0/"}


def test_inverse_properties_are_stated_both_ways(published: PublishedGraph) -> None:
    pairs = rows(published, "SELECT ?p ?q { ?p owl:inverseOf ?q }")
    assert {(p.value, q.value) for p, q in pairs} == {
        (KJT + "hasRecommendation", KJT + "recommendedIn"), (KJT + "hasCohort", KJT + "surveyedIn")}
    for p, q in pairs:
        one_way = rows(published, f"""
            SELECT ?a ?b WHERE {{
              {{ ?a <{p.value}> ?b FILTER NOT EXISTS {{ ?b <{q.value}> ?a }} }}
              UNION {{ ?b <{q.value}> ?a FILTER NOT EXISTS {{ ?a <{p.value}> ?b }} }} }}""")
        assert one_way == [], (p, q)
        assert rows(published, f"SELECT * {{ ?a <{p.value}> ?b }} LIMIT 1"), f"{p} is used"


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_no_two_terms_or_schemes_share_a_label(published: PublishedGraph, lang: str) -> None:
    """kjt:indicator and the indicator code list were both "지표" / "指標"."""
    labels = rows(published, f"""
        SELECT ?label (GROUP_CONCAT(STR(?x); separator=" ") AS ?terms) WHERE {{
          {{ ?x rdfs:isDefinedBy <{ONTOLOGY}> }} UNION {{ ?x a skos:ConceptScheme }}
          ?x rdfs:label ?label FILTER (lang(?label) = "{lang}")
        }} GROUP BY ?label HAVING (COUNT(DISTINCT ?x) > 1)""")
    assert labels == []


def test_the_inferred_release_year_is_marked(published: PublishedGraph) -> None:
    """The article says "released on June 19"; 2025 comes from context, and the graph says so."""
    (date, stated, note), = rows(published, """
        SELECT ?date ?stated ?note WHERE {
          <https://w3id.org/kjtrade/id/report/kita-iitc-2025-korea-japan-60th-anniversary>
              schema:datePublished ?date ; kjt:statedAs ?stated ; skos:editorialNote ?note }""")
    assert date.value == "2025-06-19"
    assert stated == Literal("released on June 19", language="en")
    assert "inferred" in note.value and "2025" in note.value and "60th anniversary" in note.value


def test_the_trade_value_is_described_as_a_bilateral_total(published: PublishedGraph) -> None:
    (definition, note), = rows(published, """
        SELECT ?d ?n WHERE {
          <https://w3id.org/kjtrade/id/concept/indicator/trade-value> skos:definition ?d ; skos:scopeNote ?n }""")
    assert "both directions" in definition.value and "bilateral total" in definition.value
    assert "not a figure reported by one side" in note.value


def test_the_survey_is_an_activity_without_entity_provenance(published: PublishedGraph) -> None:
    survey = NamedNode("https://w3id.org/kjtrade/id/survey/kita-korea-japan-2025")
    props = {p.value for (p,) in rows(published, f"SELECT DISTINCT ?p {{ <{survey.value}> ?p ?o }}")}
    assert "http://www.w3.org/ns/prov#wasDerivedFrom" not in props
    assert "http://purl.org/dc/terms/isReferencedBy" in props
