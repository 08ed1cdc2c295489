"""The dataset as schema.org ``Dataset`` JSON-LD: Google's required and recommended properties, each from the release.

The terms themselves are checked against the official schema.org file in tests/data/test_description.py.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyoxigraph import QuerySolutions

from helpers.published import PublishedGraph
from kgpub.metadata import schema_org
from kgpub.rdf.formats import DUMP_FORMATS
from kgpub.release import history, layout
from kgpub.settings import DEFAULT_BASE_IRI, Settings

SETTINGS = Settings.load(env={})


@pytest.fixture(scope="module")
def document(published: PublishedGraph) -> dict[str, object]:
    release = published.release
    return schema_org.dataset_jsonld(release, SETTINGS, store=published.store,
                                     releases=history.kept(history.root_of(release)))


def test_googles_required_properties(document: dict[str, object]) -> None:
    assert document["@context"] == "https://schema.org/" and document["@type"] == "Dataset"
    assert isinstance(document["name"], str) and document["name"] == "Korea–Japan Trade Knowledge Graph"
    description = document["description"]
    assert isinstance(description, str) and 50 <= len(description) <= 5000


def test_the_same_facts_as_the_dcat_description(document: dict[str, object], published: PublishedGraph) -> None:
    release = published.release
    iri = DEFAULT_BASE_IRI + "id/dataset/kjtrade"
    assert document["@id"] == document["identifier"] == iri
    assert document["url"] == DEFAULT_BASE_IRI
    assert document["version"] == release.version
    assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert document["temporalCoverage"] == "1965/2025"
    assert datetime.fromisoformat(str(document["dateModified"])) == release.built
    assert datetime.fromisoformat(str(document["datePublished"])) <= release.built
    creator = document["creator"]
    assert isinstance(creator, dict) and creator["@id"] == DEFAULT_BASE_IRI + "id/organization/kjtrade-project"
    assert creator["name"] == "Korea–Japan Trade Knowledge Graph project"
    places = document["spatialCoverage"]
    assert isinstance(places, list)
    assert {p["name"]: p["@type"] for p in places} == {"South Korea": "Country", "Japan": "Country"}
    korea = next(p for p in places if p["name"] == "South Korea")
    assert "http://www.wikidata.org/entity/Q884" in korea["sameAs"]
    keywords = document["keywords"]
    assert isinstance(keywords, list) and "intra-industry trade" in keywords and "한일 무역" in keywords
    based = document["isBasedOn"]
    assert isinstance(based, dict) and based["@type"] == "NewsArticle"
    assert based["headline"].startswith("Korea-Japan Trade Grows 352-Fold")
    citation = document["citation"]
    assert isinstance(citation, dict) and citation["@type"] == "Report" and citation["datePublished"] == "2025-06-19"


def test_one_variable_per_indicator_of_the_observations(document: dict[str, object],
                                                        published: PublishedGraph) -> None:
    solutions = published.query("""
        PREFIX qb: <http://purl.org/linked-data/cube#>
        PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?i ?label { ?o a qb:Observation ; kjt:indicator ?i .
                                    ?i skos:prefLabel ?label FILTER(LANG(?label) = "en") }""")
    assert isinstance(solutions, QuerySolutions)
    expected = {s["i"].value: s["label"].value for s in solutions}  # type: ignore[union-attr]
    assert len(expected) == 4
    variables = document["variableMeasured"]
    assert isinstance(variables, list)
    assert {v["propertyID"]: v["name"] for v in variables} == expected
    assert all(v["@type"] == "PropertyValue" and v["description"] for v in variables)
    trade = next(v for v in variables if v["propertyID"].endswith("/trade-value"))
    assert trade["unitCode"] == "http://qudt.org/vocab/unit/CCY_USD"


def test_a_data_download_per_dump_and_table(document: dict[str, object], published: PublishedGraph) -> None:
    files = published.release.manifest.files
    downloads = document["distribution"]
    assert isinstance(downloads, list)
    by_url = {d["contentUrl"]: d for d in downloads}
    for fmt in DUMP_FORMATS:
        for gz in (False, True):
            name = layout.dump_name(fmt, gz=gz)
            found = by_url[DEFAULT_BASE_IRI + "dump." + fmt.extension + (".gz" if gz else "")]
            assert found["@type"] == "DataDownload"
            assert found["encodingFormat"] == ("application/gzip" if gz else fmt.media_type)
            assert found["sha256"] == files[name].sha256 and found["contentSize"] == f"{files[name].bytes} B"
    tables = [name for name in files if name.endswith(".csv")]
    for name in tables:
        assert by_url[DEFAULT_BASE_IRI + "datasets/" + name]["encodingFormat"] == "text/csv"
    assert len(downloads) == 2 * len(DUMP_FORMATS) + len(tables)


def test_parts_are_datasets_with_their_own_description(document: dict[str, object]) -> None:
    parts = document["hasPart"]
    assert isinstance(parts, list)
    assert {p["@id"] for p in parts} == {DEFAULT_BASE_IRI + "id/dataset/bilateral-trade",
                                         DEFAULT_BASE_IRI + "id/dataset/survey-2025"}
    assert all(50 <= len(p["description"]) <= 5000 for p in parts)


def test_the_document_is_plain_json_and_stable(document: dict[str, object], published: PublishedGraph) -> None:
    text = json.dumps(document, ensure_ascii=False)
    assert "testserver" not in text and "127.0.0.1" not in text
    release = published.release
    assert schema_org.dataset_jsonld(release, SETTINGS, releases=history.kept(history.root_of(release))) == document
