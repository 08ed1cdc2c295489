"""Every link into another knowledge graph that the release publishes is in data/links.csv, verified.

The build refuses unverified links (tests/unit/build/test_links.py); these tests check the real
graph and mapping: the links published are exactly the rows, each row has its source and the
date of the check, and the relations are the ones data/README.md explains.
"""

import csv
import datetime
from pathlib import Path

from helpers.projects import ROOT
from helpers.published import PublishedGraph
from kgpub.build.links import ANY, MAPPING, OWL, SCHEMA, SKOS, Link, problems, published_links, read_mapping
from kgpub.build.sources import load_sources
from kgpub.settings import DEFAULT_BASE_IRI

KJD = DEFAULT_BASE_IRI + "id/"
WD = "http://www.wikidata.org/entity/"
CURRENCY = "http://purl.org/linked-data/sdmx/2009/attribute#currency"
USD = "http://publications.europa.eu/resource/authority/currency/USD"
EXPECTED = {
    Link(KJD + "country/KR", OWL + "sameAs", WD + "Q884"),
    Link(KJD + "country/JP", OWL + "sameAs", WD + "Q17"),
    Link(KJD + "country/KR", SCHEMA + "sameAs", "https://sws.geonames.org/1835841/"),
    Link(KJD + "country/JP", SCHEMA + "sameAs", "https://sws.geonames.org/1861060/"),
    Link(KJD + "country/KR", SCHEMA + "sameAs", "http://dbpedia.org/resource/South_Korea"),
    Link(KJD + "country/JP", SCHEMA + "sameAs", "http://dbpedia.org/resource/Japan"),
    Link(KJD + "concept/industry/semiconductors", SKOS + "closeMatch", WD + "Q2986369"),
    Link(KJD + "observation/trade-value-KR-JP-1965", CURRENCY, USD),
    Link(KJD + "observation/trade-value-KR-JP-2024", CURRENCY, USD),
}


def _published(graph: PublishedGraph) -> set[Link]:
    rows = graph.query("SELECT ?s ?p ?o { ?s ?p ?o FILTER (isIRI(?o)) }")
    return published_links(((r["s"], r["p"], r["o"]) for r in rows), base_iri=DEFAULT_BASE_IRI)


def _mapping() -> dict[Link, bool]:
    rows, found = read_mapping(ROOT / MAPPING, base_iri=DEFAULT_BASE_IRI, name=MAPPING.as_posix())
    assert found == []
    return {row.link: row.verified for row in rows}


def _verified(link: Link, mapping: dict[Link, bool]) -> bool:
    return mapping.get(link, False) or mapping.get(Link(ANY, link.relation, link.target), False)


def test_every_published_link_is_mapped_and_verified(published: PublishedGraph) -> None:
    mapping = _mapping()
    links = _published(published)
    assert links, "the countries link to Wikidata"
    assert [link for link in sorted(links) if not _verified(link, mapping)] == []


def test_every_row_is_a_published_link(published: PublishedGraph) -> None:
    links = _published(published)
    values = {(link.relation, link.target) for link in links}
    assert {row for row in _mapping() if row not in links and (row.local != ANY or
                                                               (row.relation, row.target) not in values)} == set()


def test_the_published_links(published: PublishedGraph) -> None:
    assert _published(published) == EXPECTED
    mapping = _mapping()
    assert all(_verified(link, mapping) for link in EXPECTED)
    # the currency code is one row for every observation that uses it, not one row per observation
    assert Link(ANY, CURRENCY, USD) in mapping


def test_every_verified_row_names_its_source_and_date() -> None:
    with (ROOT / MAPPING).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(EXPECTED) - 1  # the two currency links share one * row
    for row in rows:
        assert row["verified"] == "true", row
        assert "http" in row["source"] or "MODELLING.md" in row["source"], row
        assert datetime.date.fromisoformat(row["checked_on"]) <= datetime.date.today(), row


def test_only_wikidata_is_owl_same_as(published: PublishedGraph) -> None:
    """owl:sameAs only for the identity the modelling guide certifies; the rest are weaker relations."""
    same = {link for link in _published(published) if link.relation == OWL + "sameAs"}
    assert same == {Link(KJD + "country/KR", OWL + "sameAs", WD + "Q884"),
                    Link(KJD + "country/JP", OWL + "sameAs", WD + "Q17")}


def test_an_unverified_row_fails(real_project: Path) -> None:
    mapping = real_project / MAPPING
    text = mapping.read_text(encoding="utf-8")
    row = f"{KJD}country/JP,owl:sameAs,{WD}Q17,true,"
    assert text.count(row) == 1
    mapping.write_text(text.replace(row, f"{KJD}country/JP,owl:sameAs,{WD}Q17,false,"), encoding="utf-8")
    assert problems(load_sources(real_project, base_iri=DEFAULT_BASE_IRI)) == [
        f"data/links.csv:3: <{KJD}country/JP> owl:sameAs <{WD}Q17> is published but not verified (verified=false)"]


def test_the_real_sources_have_no_link_problems() -> None:
    assert problems(load_sources(ROOT, base_iri=DEFAULT_BASE_IRI)) == []
