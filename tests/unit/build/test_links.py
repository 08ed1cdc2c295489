"""The check of links into other knowledge graphs against the project's data/links.csv."""

from pathlib import Path

import pytest

from helpers.projects import TINY_DATA, write_project
from kgpub.build.links import COLUMNS, knowledge_graph, problems
from kgpub.build.pipeline import build
from kgpub.build.sources import load_sources
from kgpub.errors import UnverifiedLinks, by_code
from kgpub.settings import Settings

BASE = "http://example.org/"  # the tiny project's own namespace, used as its base IRI here
WD = "http://www.wikidata.org/entity/"
HEADER = ",".join(COLUMNS) + "\n"
PREFIXES = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
LINKED = TINY_DATA + PREFIXES + "ex:a owl:sameAs <http://www.wikidata.org/entity/Q42> .\n"
LINK = f"<{BASE}a> owl:sameAs <{WD}Q42>"
VERIFIED_ROW = f"{BASE}a,owl:sameAs,{WD}Q42,true,https://www.wikidata.org/wiki/Q42 (label 'A'),2026-12-01\n"


def _problems(tmp_path: Path, data: str, mapping: str | None = None) -> list[str]:
    project = write_project(tmp_path / "p", data=data)
    if mapping is not None:
        (project / "data" / "links.csv").write_text(mapping, encoding="utf-8")
    return problems(load_sources(project, base_iri=BASE))


def test_no_links_no_mapping_no_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path, TINY_DATA) == []


def test_an_unknown_link_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, LINKED) == [f"{LINK} is published but has no row in data/links.csv"]
    assert _problems(tmp_path, LINKED, HEADER) == [f"{LINK} is published but has no row in data/links.csv"]


def test_an_unverified_link_is_refused(tmp_path: Path) -> None:
    row = f"{BASE}a,owl:sameAs,{WD}Q42,false,,\n"
    assert _problems(tmp_path, LINKED, HEADER + row) == [
        f"data/links.csv:2: {LINK} is published but not verified (verified=false)"]


def test_a_verified_link_is_accepted(tmp_path: Path) -> None:
    assert _problems(tmp_path, LINKED, HEADER + VERIFIED_ROW) == []
    full = VERIFIED_ROW.replace("owl:sameAs", "http://www.w3.org/2002/07/owl#sameAs")
    assert _problems(tmp_path, LINKED, HEADER + full) == []


def test_a_row_for_another_relation_does_not_verify_the_link(tmp_path: Path) -> None:
    data = TINY_DATA + PREFIXES + f"ex:a skos:exactMatch <{WD}Q42> .\n"
    assert _problems(tmp_path, data, HEADER + VERIFIED_ROW) == [
        f"data/links.csv:2: <{BASE}a> skos:exactMatch <{WD}Q42> is published, but this row gives the relation "
        "owl:sameAs"]


def test_links_are_recognized_by_namespace_whatever_the_property_and_scheme(tmp_path: Path) -> None:
    data = TINY_DATA + PREFIXES + (
        "ex:a ex:currency <http://publications.europa.eu/resource/authority/currency/USD> ;\n"
        "     rdfs:seeAlso <https://www.wikidata.org/entity/Q42> , <https://ko.dbpedia.org/resource/X> ;\n"
        "     ex:near <http://sws.geonames.org/1835841/> .\n")
    found = _problems(tmp_path, data)
    assert len(found) == 4 and all(p.endswith("has no row in data/links.csv") for p in found)
    assert knowledge_graph("https://sws.geonames.org/1861060/") == "GeoNames"
    assert knowledge_graph("http://dbpedia.org/ontology/Country") is None  # a vocabulary, not a resource
    assert knowledge_graph("http://example.org/entity/Q1") is None


def test_identity_and_mapping_properties_link_anywhere_but_ours_and_reused_vocabularies(tmp_path: Path) -> None:
    data = TINY_DATA + PREFIXES + (
        "ex:a skos:closeMatch <http://other.example/x> ;\n"  # another graph: a link
        "     owl:sameAs ex:b , <http://qudt.org/vocab/unit/CCY_USD> ;\n"  # ours, a reused vocabulary: not
        "     rdfs:seeAlso <http://other.example/y> .\n")  # not a mapping property: not
    assert _problems(tmp_path, data) == [
        f"<{BASE}a> skos:closeMatch <http://other.example/x> is published but has no row in data/links.csv"]


@pytest.mark.parametrize(("row", "problem"), [
    (VERIFIED_ROW.replace(",true,", ",yes,"), "verified must be 'true' or 'false', not 'yes'"),
    (f"{BASE}a,owl:sameAs,{WD}Q42,true,,2026-12-01\n", "verified=true needs a source"),
    (VERIFIED_ROW.replace("2026-12-01", "1 Dec 2026"), "verified=true needs checked_on"),
    (VERIFIED_ROW.replace("owl:sameAs", "nope:sameAs"), "relation 'nope:sameAs' is neither a full IRI"),
    (VERIFIED_ROW.replace(f"{BASE}a", "https://elsewhere.example/a"), "is not under the project's base IRI"),
    (VERIFIED_ROW.replace(f"{WD}Q42", "Q42"), "target_iri 'Q42' is not an http(s) IRI"),
])
def test_malformed_rows_are_problems(tmp_path: Path, row: str, problem: str) -> None:
    found = _problems(tmp_path, TINY_DATA, HEADER + row)
    assert len(found) == 1 and found[0].startswith("data/links.csv:2: ") and problem in found[0], found


def test_duplicate_rows_and_wrong_columns_are_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path, LINKED, HEADER + VERIFIED_ROW + VERIFIED_ROW) == [
        "data/links.csv:3: the same link as line 2"]
    found = _problems(tmp_path, LINKED, "local_iri,wikidata_id,relation,verified,source\n")
    assert found[0].startswith("data/links.csv:1: the columns must be local_iri,relation,target_iri,")
    assert found[1] == f"{LINK} is published but has no row in data/links.csv"


def test_the_build_refuses_an_unverified_link_and_writes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=LINKED)
    (project / "data" / "links.csv").write_text(HEADER + f"{BASE}a,owl:sameAs,{WD}Q42,false,,\n")
    with pytest.raises(UnverifiedLinks) as info:
        build(Settings.load(env={}, project=project, base_iri=BASE))
    message = info.value.message
    assert "data/links.csv" in message and "nothing was published" in message
    assert f"data/links.csv:2: {LINK} is published but not verified" in message
    assert not (project / "release").exists()
    assert by_code("unverified_links") is UnverifiedLinks and UnverifiedLinks.exit_code == 1


def test_the_build_publishes_a_verified_link(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", data=LINKED)
    (project / "data" / "links.csv").write_text(HEADER + VERIFIED_ROW)
    assert build(Settings.load(env={}, project=project, base_iri=BASE)).release.path.is_dir()


EU_USD = "http://publications.europa.eu/resource/authority/currency/USD"
CURRENCY = "http://purl.org/linked-data/sdmx/2009/attribute#currency"


def test_a_star_row_verifies_a_value_link_on_every_resource(tmp_path: Path) -> None:
    """One row for a currency code on many observations: it is the target that is checked."""
    data = TINY_DATA + f"ex:a <{CURRENCY}> <{EU_USD}> .\nex:b <{CURRENCY}> <{EU_USD}> .\n"
    row = f"*,{CURRENCY},{EU_USD},true,the EU currency authority table lists USD,2026-12-01\n"
    assert _problems(tmp_path, data, HEADER + row) == []
    unverified = row.replace(",true,", ",false,")
    assert _problems(tmp_path, data, HEADER + unverified) == [
        f"data/links.csv:2: <{BASE}{x}> sdmx-attribute:currency <{EU_USD}> is published "
        "but not verified (verified=false)"
        for x in ("a", "b")]


def test_a_star_row_never_verifies_an_identity_link(tmp_path: Path) -> None:
    star = "*" + VERIFIED_ROW[len(f"{BASE}a"):]
    found = _problems(tmp_path, LINKED, HEADER + star)
    assert found[0].startswith("data/links.csv:2: local_iri * is for value links; owl:sameAs is an identity")
    assert found[1:] == [f"{LINK} is published but has no row in data/links.csv"]
