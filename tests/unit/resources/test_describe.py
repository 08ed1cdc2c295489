"""The entity description is the symmetric CBD plus labels, as documented, and equals the same
description computed independently with a SPARQL query on the real release."""

from __future__ import annotations

import pytest
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store, Triple

from helpers.descriptions import INDEPENDENT
from helpers.published import PublishedGraph
from kgpub.resources.describe import RDFS_LABEL, SKOS_PREF_LABEL, describe

EX = "http://example.org/"


def n(name: str) -> NamedNode:
    return NamedNode(EX + name)


def store_of(*triples: Triple) -> Store:
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    return store


def test_subject_and_object_triples_with_blank_nodes_closed_and_labels() -> None:
    b1, b2, b3 = BlankNode("b1"), BlankNode("b2"), BlankNode("b3")
    kept = [
        Triple(n("x"), n("p"), n("y")), Triple(n("x"), n("q"), b1), Triple(b1, n("r"), b2),
        Triple(b2, n("r"), Literal("deep")),
        Triple(n("z"), n("p"), n("x")), Triple(b3, n("s"), n("x")), Triple(b3, n("t"), Literal("about b3")),
        Triple(n("y"), RDFS_LABEL, Literal("why", language="en")), Triple(n("p"), SKOS_PREF_LABEL, Literal("pee")),
        Triple(n("z"), RDFS_LABEL, Literal("zed")), Triple(n("x"), RDFS_LABEL, Literal("ex")),
    ]
    left_out = [Triple(n("y"), n("p"), n("w")), Triple(n("z"), n("q"), n("w")),
                Triple(n("w"), RDFS_LABEL, Literal("w")), Triple(n("y"), n("comment"), Literal("not a label"))]
    found = describe(store_of(*kept, *left_out), EX + "x")
    assert set(found.triples) == set(kept) and len(found.triples) == len(kept)
    assert found.incoming == 2 and not found.incoming_cut
    assert found.triples == sorted(found.triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def test_incoming_triples_are_capped_and_the_cut_is_reported() -> None:
    store = store_of(*(Triple(n(f"s{i}"), n("p"), n("x")) for i in range(30)), Triple(n("x"), n("p"), n("y")))
    found = describe(store, EX + "x", max_incoming=10)
    assert found.incoming == 10 and found.incoming_cut
    assert sum(1 for t in found.triples if t.object == n("x")) == 10
    assert Triple(n("x"), n("p"), n("y")) in found.triples  # outgoing triples are never cut
    assert describe(store, EX + "x", max_incoming=10) == found  # the same cut every time


def test_an_unknown_iri_has_an_empty_description() -> None:
    assert describe(store_of(Triple(n("a"), n("p"), n("b"))), EX + "nothing").empty


@pytest.mark.parametrize("iri", [
    "https://w3id.org/kjtrade/id/country/KR", "https://w3id.org/kjtrade/id/country/JP",
    "https://w3id.org/kjtrade/id/observation/trade-value-KR-JP-2024", "https://w3id.org/kjtrade/id/dataset/bilateral-trade",
    "https://w3id.org/kjtrade/id/organization/kita-iitc", "https://w3id.org/kjtrade/id/concept/indicator/trade-value",
])
def test_real_descriptions_equal_an_independent_sparql_construct(published: PublishedGraph, iri: str) -> None:
    found = describe(published.store, iri)
    assert not found.empty, iri
    expected = set(published.store.query(INDEPENDENT.replace("$TARGET", iri)))  # type: ignore[arg-type]
    assert set(found.triples) == expected
