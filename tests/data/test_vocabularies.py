"""Every reused term is real: declared in its vocabulary's official file, not deprecated, used as specified.

The rules (which IRIs, which files, the allow-lists, what deprecated means, how schema.org
domains and ranges are read) are written at the top of ``tests/helpers/vocabularies.py``.
Covered: the knowledge graph (``ontology/*.ttl`` + ``data/*.ttl``), the shapes
(``shapes/*.ttl``, SPARQL text included), and what a release adds to them (its validation
graph) and what the server says about it (the SPARQL Service Description).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, Triple

from helpers.projects import ROOT, write_project
from helpers.published import PublishedGraph
from helpers.vocabularies import (
    ALLOWED,
    SCHEMA,
    SH,
    Statement,
    Vocabularies,
    load_vocabularies,
    require_vocabularies,
    restatement_problems,
    schema_problems,
    statements_of_files,
    statements_of_text,
    term_problem,
    term_problems,
    uses,
)
from kgpub.build.pipeline import build
from kgpub.build.sources import FOLDERS, find_files, graph_name
from kgpub.metadata.service import service_description
from kgpub.release.reader import Release
from kgpub.settings import DEFAULT_BASE_IRI, Settings

ENDPOINT = "http://testserver/sparql"
OWN = (DEFAULT_BASE_IRI,)
QB = "http://purl.org/linked-data/cube#"
UNIT = "http://qudt.org/vocab/unit/"


@pytest.fixture(scope="module")
def vocabularies() -> Vocabularies:
    return load_vocabularies()


def sources(*folders: str) -> list[Statement]:
    found = find_files(ROOT)
    return statements_of_files([path for folder in folders for path in found.get(folder, [])])


def knowledge_graph() -> list[Statement]:
    return sources("ontology", "data")


def description(release: Release) -> list[Statement]:
    """The service description of ``release``, federation allowed (so that every statement it can make is made)."""
    settings = Settings.load(env={}, project=release.path, allowed_services=("https://query.wikidata.org/sparql",))
    return [Statement(t, "service description") for t in
            service_description(endpoint=ENDPOINT, release=release, settings=settings)]


def release_graphs(release: Release) -> list[Statement]:
    """The graphs a release publishes beyond its source folders (the validation report)."""
    source_graphs = {graph_name(DEFAULT_BASE_IRI, folder) for folder in FOLDERS}
    return [Statement(q.triple, f"release graph <{q.graph_name.value}>") for q in release.open_store()
            if not isinstance(q.graph_name, DefaultGraph) and q.graph_name not in source_graphs]


def failure(what: str, problems: list[str]) -> str:
    return f"{len(problems)} {what}:\n" + "\n".join(problems)


# ------------------------------------------------------------------ the real graph


def test_reused_terms_of_the_knowledge_graph_exist_and_are_not_deprecated(vocabularies: Vocabularies) -> None:
    problems = term_problems(uses(knowledge_graph()), vocabularies, own=OWN)
    assert not problems, failure("reused terms of ontology/ and data/ are not real or deprecated", problems)


def test_reused_terms_of_the_shapes_exist_and_are_not_deprecated(vocabularies: Vocabularies) -> None:
    problems = term_problems(uses(sources("shapes")), vocabularies, own=OWN)
    assert not problems, failure("reused terms of shapes/ (SPARQL text included) are not real or deprecated", problems)


@pytest.fixture(scope="module")
def tiny_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A release of the tiny project: the service description's terms do not depend on the data."""
    return build(Settings.load(env={}, project=write_project(tmp_path_factory.mktemp("tiny")))).release


def test_reused_terms_of_the_service_description_exist(vocabularies: Vocabularies, tiny_release: Release) -> None:
    problems = term_problems(uses(description(tiny_release)), vocabularies, own=(*OWN, ENDPOINT))
    assert not problems, failure("reused terms of the service description are not real", problems)


def test_reused_terms_of_the_real_release_exist(vocabularies: Vocabularies, published: PublishedGraph) -> None:
    """The real release: its validation report graph and its service description."""
    statements = release_graphs(published.release)
    assert any(st.triple.predicate.value == SH + "result" for st in statements), "the release has a validation graph"
    problems = term_problems(uses(statements + description(published.release)), vocabularies, own=(*OWN, ENDPOINT))
    assert not problems, failure("reused terms of the release's validation graph or description are not real",
                                 problems)


def test_what_the_graph_says_about_reused_terms_is_what_their_vocabularies_say(vocabularies: Vocabularies) -> None:
    problems = restatement_problems(knowledge_graph(), vocabularies)
    assert not problems, failure("statements about reused terms that their vocabularies do not make", problems)


def test_schema_org_properties_are_used_within_their_domains_and_ranges(vocabularies: Vocabularies) -> None:
    problems = schema_problems(knowledge_graph(), vocabularies)
    assert not problems, failure("uses of schema.org properties outside their domainIncludes/rangeIncludes",
                                 problems)


# ------------------------------------------------------------------ the checks themselves


def test_the_vocabulary_files_are_read(vocabularies: Vocabularies) -> None:
    """The index holds what the files say, deprecation markers included (a renamed marker would weaken the check)."""
    declared = vocabularies.declared
    assert QB + "Observation" in declared[QB] and UNIT + "CCY_USD" in declared[UNIT]
    assert "http://www.w3.org/ns/shacl#minCount" in declared["http://www.w3.org/ns/shacl#"]
    deprecated = vocabularies.deprecated
    assert "supersededBy schema:MonetaryAmount" in deprecated[SCHEMA + "DatedMoneySpecification"]
    assert "schema:isPartOf <http://attic.schema.org>" in deprecated[SCHEMA + "StupidType"]
    assert deprecated[UNIT + "2PiRAD"] == ("qudt-units-all.ttl: dcterms:isReplacedBy unit:REV, "
                                          'qudt:deprecated "true"^^xsd:boolean')
    by_marker = {marker: sum(marker in why for why in deprecated.values())
                 for marker in ("schema:supersededBy", "attic.schema.org", "qudt:deprecated", "dcterms:isReplacedBy")}
    assert all(count >= 10 for count in by_marker.values()), by_marker
    schema = vocabularies.schema
    assert schema.domain_includes[SCHEMA + "name"] == {SCHEMA + "Thing"}
    assert SCHEMA + "URL" in schema.range_includes[SCHEMA + "url"]


def test_allow_lists_hold_no_typo() -> None:
    """Spot checks of the reviewed allow-lists: the right spelling is there, the usual misspellings are not."""
    skos, dcterms = ALLOWED["http://www.w3.org/2004/02/skos/core#"][1], ALLOWED["http://purl.org/dc/terms/"][1]
    assert "prefLabel" in skos and "preflabel" not in skos
    assert "license" in dcterms and "licence" not in dcterms


BROKEN_TERMS = """\
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#> .
@prefix kjd: <https://w3id.org/kjtrade/id/> .
kjd:observation\\/broken a qb:Observation ; qb:observationOf kjd:dataset\\/x ;
    sdmx-attribute:unitMeasure unit:2PiRAD ;
    schema:price [ a schema:DatedMoneySpecification ] ;
    skos:preflabel "typo"@en ; dcterms:licence <https://creativecommons.org/licenses/by/4.0/> ;
    <http://example.org/vocab#term> "unknown namespace" ;
    schema:url <https://example.org/a-page> .
"""


def test_a_broken_copy_of_the_graph_fails_with_every_offending_term(vocabularies: Vocabularies) -> None:
    real = knowledge_graph()
    broken = real + statements_of_text(BROKEN_TERMS, "data/broken.ttl")
    before = set(term_problems(uses(real), vocabularies, own=OWN))
    new = set(term_problems(uses(broken), vocabularies, own=OWN)) - before
    heads = sorted(problem.splitlines()[0] for problem in new)
    assert heads == [
        "<http://example.org/vocab#term>: its namespace http://example.org/vocab# has no vocabulary file in "
        "../shared/vocab and no reviewed allow-list in tests/helpers/vocabularies.py; used 1 time(s):",
        "dcterms:licence: not in the reviewed allow-list of dcterms: terms (check it against DCMI Metadata Terms, "
        "section 2 (properties in /terms/), then add it in tests/helpers/vocabularies.py); used 1 time(s):",
        "qb:observationOf: not declared in cube.ttl; used 1 time(s):",
        "schema:DatedMoneySpecification: deprecated (schemaorg-30.0-all-http.ttl: schema:supersededBy "
        "schema:MonetaryAmount); used 1 time(s):",
        "skos:preflabel: not in the reviewed allow-list of skos: terms (check it against SKOS Reference, "
        "Appendix A (SKOS vocabulary), then add it in tests/helpers/vocabularies.py); used 1 time(s):",
        "unit:2PiRAD: deprecated (qudt-units-all.ttl: dcterms:isReplacedBy unit:REV, "
        'qudt:deprecated "true"^^xsd:boolean); used 1 time(s):',
    ], "\n".join(sorted(new))
    where = next(p for p in new if p.startswith("qb:observationOf"))
    assert where.splitlines()[1] == "    data/broken.ttl: kjd:observation/broken qb:observationOf kjd:dataset/x"


def test_a_term_in_shapes_sparql_text_is_checked(vocabularies: Vocabularies) -> None:
    shape = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://w3id.org/kjtrade/shapes#> .
ex:prefixes sh:declare [ sh:prefix "qb" ; sh:namespace "http://purl.org/linked-data/cube#" ] .
ex:Shape a sh:NodeShape ; sh:minCont 1 ; sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex:prefixes ;
    sh:select \"\"\"SELECT $this WHERE {
        $this qb:dataset ?d ; <http://purl.org/linked-data/cube#Observations> ?x .
        FILTER (?d < 3 && STR(?d) != "qb:fake") }\"\"\" ] .
"""
    problems = term_problems(uses(statements_of_text(shape, "shapes/broken.ttl")), vocabularies, own=OWN)
    assert [p.splitlines()[0] for p in problems] == [
        "qb:Observations: not declared in cube.ttl; used 1 time(s):",
        "qb:dataset: not declared in cube.ttl; used 1 time(s):",
        "sh:minCont: not declared in shacl.ttl; used 1 time(s):",
    ], "\n".join(problems)
    assert "shapes/broken.ttl: sh:select ... $this qb:dataset ?d ;" in problems[1]


def test_links_and_own_terms_are_not_vocabulary_terms(vocabularies: Vocabularies) -> None:
    assert term_problem("https://www.asiae.co.kr/", vocabularies, link=True) is None
    assert term_problem("https://www.asiae.co.kr/", vocabularies) is not None
    typo = term_problem("http://schema.org/nmae", vocabularies, link=True)  # a link in a vocabulary's namespace
    assert typo == "not declared in schemaorg-30.0-all-http.ttl"
    assert term_problem(DEFAULT_BASE_IRI + "ontology#anything", vocabularies, own=OWN) is None
    assert term_problem("http://www.wikidata.org/entity/Q17", vocabularies) is None
    https = term_problem("https://schema.org/name", vocabularies)
    assert https is not None and "schema.org's namespace here is http://schema.org/" in https


BROKEN_SCHEMA = """\
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix kjt: <https://w3id.org/kjtrade/ontology#> .
@prefix kjd: <https://w3id.org/kjtrade/id/> .
kjd:concept\\/x a skos:Concept ; schema:headline "not a creative work"@en .
kjd:event\\/x a kjt:DiplomaticNormalization ; schema:startDate "1965"^^xsd:gYear .
kjd:report\\/x a schema:Report ; schema:datePublished "19 June 2025" ; schema:author "KITA" ;
    schema:url "https://example.org/report" ; schema:sameAs <https://example.org/report> ;
    schema:publisher kjd:event\\/x ; schema:copyrightYear 2025 ; schema:name "A report"@en ;
    schema:about kjd:event\\/x .
kjd:untyped\\/x schema:name "no type" .
"""


def test_schema_org_misuse_in_a_broken_copy_is_reported(vocabularies: Vocabularies) -> None:
    real = knowledge_graph()
    broken = real + statements_of_text(BROKEN_SCHEMA, "data/broken.ttl")
    new = sorted(set(schema_problems(broken, vocabularies)) - set(schema_problems(real, vocabularies)))
    assert new == [
        'schema:author: a literal typed xsd:string fits no data type of rangeIncludes: schema:Organization, '
        'schema:Person\n    data/broken.ttl: kjd:report/x schema:author "KITA"',
        'schema:datePublished: a literal typed xsd:string fits no data type of rangeIncludes: schema:Date, '
        'schema:DateTime\n    data/broken.ttl: kjd:report/x schema:datePublished "19 June 2025"',
        'schema:headline: the subject kjd:concept/x (types skos:Concept) is outside domainIncludes: '
        'schema:CreativeWork\n    data/broken.ttl: kjd:concept/x schema:headline "not a creative work"@en',
        "schema:name: the subject kjd:untyped/x has no rdf:type; domainIncludes: schema:Thing"
        '\n    data/broken.ttl: kjd:untyped/x schema:name "no type"',
        "schema:publisher: the object kjd:event/x (types kjt:DiplomaticNormalization, schema:Event, schema:Thing) "
        "is outside rangeIncludes: schema:Organization, schema:Person"
        "\n    data/broken.ttl: kjd:report/x schema:publisher kjd:event/x",
        'schema:url: a literal typed xsd:string fits no data type of rangeIncludes: schema:URL'
        '\n    data/broken.ttl: kjd:report/x schema:url "https://example.org/report"',
    ], "\n".join(new)
    # and what is right passes: a subclass from our ontology (kjt:DiplomaticNormalization ⊑ schema:Event) for
    # startDate and about, an untyped IRI where schema:URL is in range (sameAs), an integer for copyrightYear


def test_schema_org_rules_for_untyped_objects(vocabularies: Vocabularies) -> None:
    text = """\
@prefix schema: <http://schema.org/> .
<https://w3id.org/kjtrade/id/r> a schema:Report ; schema:author <https://example.org/someone> ,
    [ schema:name "anonymous" ] ; schema:image <https://example.org/photo.jpg> .
"""
    problems = schema_problems(statements_of_text(text, "t.ttl"), vocabularies)
    assert [p.split("\n")[0] for p in problems] == [
        "schema:author: the object <https://example.org/someone> has no rdf:type in the graph and rangeIncludes "
        "has no schema:URL: schema:Organization, schema:Person",
        "schema:author: the object [] has no rdf:type in the graph and rangeIncludes has no schema:URL: "
        "schema:Organization, schema:Person",
        "schema:name: the subject [] has no rdf:type; domainIncludes: schema:Thing",
    ], "\n".join(problems)


def test_a_typo_in_the_service_description_fails(vocabularies: Vocabularies, tiny_release: Release) -> None:
    statements = description(tiny_release)
    service = statements[0].triple.subject
    sd, void = "http://www.w3.org/ns/sparql-service-description#", "http://rdfs.org/ns/void#"
    statements += [Statement(Triple(service, NamedNode(sd + "endPoint"), service), "service description"),
                   Statement(Triple(service, NamedNode(void + "triple"), Literal("1")), "service description")]
    problems = term_problems(uses(statements), vocabularies, own=(*OWN, ENDPOINT))
    assert [p.splitlines()[0].split(" (check")[0] for p in problems] == [
        "sd:endPoint: not in the reviewed allow-list of sd: terms",
        "void:triple: not in the reviewed allow-list of void: terms",
    ], "\n".join(problems)
    assert problems[0].splitlines()[1] == f"    service description: <{ENDPOINT}> sd:endPoint <{ENDPOINT}>"


def test_a_statement_that_a_vocabulary_does_not_make_fails(vocabularies: Vocabularies) -> None:
    real = knowledge_graph()
    added = statements_of_text("""\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
sdmx-dimension:refArea rdfs:range <http://schema.org/Country> .
qb:Observation rdfs:label "Observation"@en , "observation"@en .
""", "ontology/broken.ttl")
    assert restatement_problems(real + added, vocabularies)[-2:] == [
        "sdmx-dimension:refArea: sdmx-dimension.ttl does not state this\n"
        "    ontology/broken.ttl: sdmx-dimension:refArea rdfs:range schema:Country",
        "qb:Observation: cube.ttl does not state this\n"
        '    ontology/broken.ttl: qb:Observation rdfs:label "observation"@en',
    ]


def test_missing_vocabularies_skip_outside_ci_and_fail_under_ci(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="vocabulary files not found"):
        require_vocabularies(tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must check the reused terms"):
        require_vocabularies(tmp_path)
