"""VoID statistics of a knowledge graph: each number as the module defines it, on graphs small enough to count by hand.

Also: the link targets from the verified mapping, the release file's bytes (deterministic, read back
the same), and the real release's file against the release's own N-Triples dump.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, parse

from helpers.published import PublishedGraph
from kgpub.build import links
from kgpub.errors import NotFound
from kgpub.metadata import statistics
from kgpub.release import writer
from kgpub.release.reader import Release
from kgpub.release.writer import Canonical

BASE = "http://example.org/kg/"
ID = BASE + "id/"
EX = "http://vocab.example/ns#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
WD = "http://www.wikidata.org/entity/"


def n(iri: str) -> NamedNode:
    return NamedNode(iri)


# Two entities (a, b), a blank node, an ontology-like term under the base but outside id/, a link out.
A, B, TERM, BNODE = n(ID + "a"), n(ID + "b"), n(BASE + "ontology#Thing"), BlankNode("x")
GRAPH = [
    Triple(A, RDF_TYPE, n(EX + "Person")),
    Triple(A, n(EX + "name"), Literal("A")),
    Triple(A, n(EX + "knows"), B),
    Triple(A, n(EX + "knows"), BNODE),
    Triple(B, RDF_TYPE, n(EX + "Person")),
    Triple(B, RDF_TYPE, n(EX + "Agent")),
    Triple(B, n(EX + "name"), Literal("A")),  # the same literal object as a's name: one distinct object
    Triple(BNODE, RDF_TYPE, n(EX + "Person")),
    Triple(TERM, RDF_TYPE, n(EX + "Class")),
    Triple(A, n("http://www.w3.org/2002/07/owl#sameAs"), n(WD + "Q1")),
    Triple(B, n("http://schema.org/sameAs"), n(WD + "Q2")),
    Triple(n("http://elsewhere.example/c"), n("http://schema.org/sameAs"), n(WD + "Q3")),  # not ours: no link
]


def computed(triples: list[Triple] = GRAPH) -> statistics.Statistics:
    return statistics.compute(triples, base_iri=BASE, targets={"Wikidata": (WD,)},
                              prefixes={"ex": EX, "own": BASE + "ontology#"})


def test_dataset_numbers_follow_the_void_definitions() -> None:
    s = computed()
    assert s.uri_space == ID
    assert s.triples == 12
    assert s.entities == 2  # a and b: under id/ and subjects; not the term (outside id/), not the blank node
    assert s.distinct_subjects == 5  # a, b, _:x, the term, elsewhere:c
    # objects: Person, "A", b, _:x, Agent, Class, Q1, Q2, Q3
    assert s.distinct_objects == 9
    assert s.classes == 3  # Person, Agent, Class
    assert s.properties == 5  # rdf:type, name, knows, owl:sameAs, schema:sameAs


def test_duplicates_are_counted_once() -> None:
    assert computed([*GRAPH, GRAPH[0], GRAPH[1]]) == computed()


def test_class_partitions_count_the_instances_and_the_triples_that_describe_them() -> None:
    by_class = {p.cls: p for p in computed().class_partitions}
    person = by_class[EX + "Person"]
    assert (person.distinct_subjects, person.entities) == (3, 2)  # a, b, _:x; the blank node is no entity
    assert person.triples == 5 + 4 + 1  # every triple whose subject is a (5), b (4) or _:x (1)
    agent = by_class[EX + "Agent"]
    assert (agent.distinct_subjects, agent.entities, agent.triples) == (1, 1, 4)
    term = by_class[EX + "Class"]
    assert (term.distinct_subjects, term.entities, term.triples) == (1, 0, 1)
    assert [p.cls for p in computed().class_partitions] == sorted(by_class)


def test_property_partitions() -> None:
    by_property = {p.property: p for p in computed().property_partitions}
    knows = by_property[EX + "knows"]
    assert (knows.triples, knows.distinct_subjects, knows.distinct_objects) == (2, 1, 2)
    name = by_property[EX + "name"]
    assert (name.triples, name.distinct_subjects, name.distinct_objects) == (2, 2, 1)
    assert sum(p.triples for p in by_property.values()) == computed().triples


def test_linksets_count_links_from_our_resources_into_each_target() -> None:
    (wikidata,) = computed().linksets
    assert wikidata.target == "Wikidata" and wikidata.slug == "wikidata" and wikidata.namespaces == [WD]
    assert wikidata.triples == 2  # elsewhere:c's link is not ours
    assert wikidata.predicates == {"http://schema.org/sameAs": 1, "http://www.w3.org/2002/07/owl#sameAs": 1}
    assert (wikidata.distinct_subjects, wikidata.distinct_objects) == (2, 2)


def test_a_target_without_links_has_no_linkset() -> None:
    s = statistics.compute(GRAPH, base_iri=BASE, targets={"GeoNames": ("https://sws.geonames.org/",)})
    assert s.linksets == []


def test_vocabularies_are_the_namespaces_of_predicates_and_classes_not_ours() -> None:
    assert computed().vocabularies == [
        "http://schema.org/", "http://vocab.example/ns#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/2002/07/owl#"]


def test_examples_are_the_first_entity_of_each_class() -> None:
    assert computed().examples == {EX + "Agent": ID + "b", EX + "Person": ID + "a"}


def test_slugs_of_names_with_spaces() -> None:
    s = statistics.Linkset(target="EU Publications Office authority tables", namespaces=[], triples=1,
                           distinct_subjects=1, distinct_objects=1, predicates={})
    assert s.slug == "eu-publications-office-authority-tables"


def test_link_targets_use_the_builds_table_and_the_iris_own_scheme_and_host() -> None:
    iris = ["http://www.wikidata.org/entity/Q884", "https://www.wikidata.org/entity/Q17",
            "https://sws.geonames.org/1835841/", "http://example.org/not-a-knowledge-graph"]
    assert statistics.link_targets(iris, links.KNOWLEDGE_GRAPHS, links.knowledge_graph) == {
        "GeoNames": ("https://sws.geonames.org/",),
        "Wikidata": ("http://www.wikidata.org/entity/", "https://www.wikidata.org/entity/"),
    }


def test_the_file_is_deterministic_and_reads_back() -> None:
    s = computed()
    assert s.to_json() == computed(list(reversed(GRAPH))).to_json()
    assert statistics.Statistics.from_json(s.to_json().decode()) == s
    assert b'"class": "http://vocab.example/ns#Agent"' in s.to_json()  # "class", as VoID names it


def test_a_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="statistics format"):
        statistics.Statistics.from_json('{"format": 0}')


def test_the_renderer_counts_the_knowledge_graph_of_the_canonical_content() -> None:
    content = Canonical(quads=[Quad(t.subject, t.predicate, t.object, n(BASE + "graph/data")) for t in GRAPH],
                        knowledge_graph=GRAPH, prefixes={"ex": EX})
    render = statistics.renderer(BASE, {"Wikidata": (WD,)})
    assert statistics.Statistics.from_json(render(content).decode()) == computed()


def test_a_release_without_the_file_is_not_found(tmp_path: Path) -> None:
    quads = [Quad(A, n(EX + "name"), Literal("A"), n(BASE + "graph/data"))]
    release: Release = writer.write(writer.Draft(quads=quads, default_graphs=[BASE + "graph/data"]), tmp_path)
    with pytest.raises(NotFound, match=r"has no statistics\.json"):
        statistics.of_release(release)


def test_the_real_release_file_counts_its_n_triples_dump(published: PublishedGraph) -> None:
    """An independent count: the lines of dataset.nt, parsed by pyoxigraph's N-Triples parser."""
    release = published.release
    s = statistics.of_release(release)
    lines = release.file("dataset.nt").read_bytes().splitlines()
    dump = list(parse(release.file("dataset.nt").read_bytes(), format=RdfFormat.N_TRIPLES))
    assert s.triples == len(lines) == len(set(dump)) == release.default_graph_triples
    assert s.distinct_subjects == len({t.subject for t in dump})
    assert s.entities == len({t.subject for t in dump if isinstance(t.subject, NamedNode)
                              and t.subject.value.startswith(release.manifest.base_iri + "id/")})
    assert {ls.target for ls in s.linksets} == {"Wikidata", "GeoNames", "DBpedia",
                                                "EU Publications Office authority tables"}
