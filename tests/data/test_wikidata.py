"""Every Wikidata ID the graph publishes is in data/wikidata-mapping.csv, verified, with a source."""

import csv
from pathlib import Path

from helpers.projects import ROOT
from helpers.published import PublishedGraph

WD = "http://www.wikidata.org/entity/"
MAPPING = ROOT / "data" / "wikidata-mapping.csv"


def mapping(path: Path = MAPPING) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {(row["local_iri"], row["wikidata_id"]): row for row in csv.DictReader(f)}


def published_links(graph: PublishedGraph) -> set[tuple[str, str]]:
    rows = graph.query(f"SELECT ?s ?o {{ ?s ?p ?o FILTER(STRSTARTS(STR(?o), '{WD}')) }}")
    return {(row["s"].value, row["o"].value.removeprefix(WD)) for row in rows}


def problems(links: set[tuple[str, str]], table: dict[tuple[str, str], dict[str, str]]) -> list[str]:
    found = []
    for link in sorted(links):
        row = table.get(link)
        if row is None:
            found.append(f"{link} is published but not in {MAPPING.name}")
        elif row["verified"] != "true" or not row["source"].strip():
            found.append(f"{link} is published but not verified with a source")
    return found


def test_every_published_wikidata_id_is_mapped_and_verified(published: PublishedGraph) -> None:
    links = published_links(published)
    assert links, "the countries link to Wikidata"
    assert problems(links, mapping()) == []


def test_verified_countries() -> None:
    table = mapping()
    assert table[("https://w3id.org/kjtrade/id/country/KR", "Q884")]["verified"] == "true"
    assert table[("https://w3id.org/kjtrade/id/country/JP", "Q17")]["verified"] == "true"


def test_an_unverified_id_fails(published: PublishedGraph, tmp_path: Path) -> None:
    bad = tmp_path / "mapping.csv"
    bad.write_text(MAPPING.read_text(encoding="utf-8").replace(",Q17,owl:sameAs,true", ",Q17,owl:sameAs,false"))
    assert problems(published_links(published), mapping(bad)) == [
        "('https://w3id.org/kjtrade/id/country/JP', 'Q17') is published but not verified with a source"]
