"""IRIs and paths: one rule both ways, and document suffixes that are never part of an IRI."""

from __future__ import annotations

import pytest

from kgpub.rdf.formats import BY_NAME
from kgpub.resources.iris import DOCUMENT_FORMATS, Namespace, split_suffix

NS = Namespace("https://w3id.org/kjtrade/")


@pytest.mark.parametrize(("path", "iri"), [
    ("/id/country/KR", "https://w3id.org/kjtrade/id/country/KR"),
    ("/ontology", "https://w3id.org/kjtrade/ontology"),
    ("/ontology/0.2.0", "https://w3id.org/kjtrade/ontology/0.2.0"),
    ("/graph/data", "https://w3id.org/kjtrade/graph/data"),
])
def test_paths_and_iris_are_one_rule_both_ways(path: str, iri: str) -> None:
    assert NS.iri(path) == iri and NS.path(iri) == path


def test_a_hash_iri_is_answered_by_its_document_and_foreign_iris_have_no_path() -> None:
    assert NS.path("https://w3id.org/kjtrade/ontology#refArea") == "/ontology"
    assert NS.path("http://www.wikidata.org/entity/Q884") is None
    assert NS.path("https://w3id.org/kjtrade") is None  # not under the base (no slash)


@pytest.mark.parametrize(("path", "stem", "fmt"), [
    ("/id/country/KR.ttl", "/id/country/KR", "turtle"),
    ("/id/country/KR.nt", "/id/country/KR", "ntriples"),
    ("/id/country/KR.jsonld", "/id/country/KR", "jsonld"),
    ("/id/country/KR.rdf", "/id/country/KR", "rdfxml"),
    ("/id/country/KR.trig", "/id/country/KR", "trig"),
    ("/id/country/KR.nq", "/id/country/KR", "nquads"),
    ("/id/country/KR.html", "/id/country/KR", "html"),  # the page for people
    ("/ontology/0.2.0.ttl", "/ontology/0.2.0", "turtle"),
    ("/ontology/0.2.0", "/ontology/0.2.0", None),  # a version number is not a suffix
    ("/id/country/KR", "/id/country/KR", None),
    ("/id/country/KR.htm", "/id/country/KR.htm", None),  # not a document suffix
    ("/id/country/KR.srj", "/id/country/KR.srj", None),  # results formats are not documents
    ("/id/.ttl", "/id/.ttl", None),  # no stem
])
def test_suffixes(path: str, stem: str, fmt: str | None) -> None:
    got_stem, got = split_suffix(path)
    assert got_stem == stem and (got.name if got else None) == fmt


def test_every_document_format_has_a_suffix_and_a_document_path() -> None:
    assert {f.name for f in DOCUMENT_FORMATS} == {"turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml", "html"}
    assert NS.document("/id/country/KR", BY_NAME["jsonld"]) == "/id/country/KR.jsonld"
