"""The dataset description checked with tools and material our code does not use.

* rdflib parses the description as the server renders it (Turtle), pyld its JSON-LD (offline: a document
  loader that refuses every URL); both read the same graph.
* Every VoID number equals a SPARQL ``COUNT`` that rdflib runs over the release's ``dataset.nt`` (whose
  lines are ``void:triples``); every linkset holds exactly the links that ``data/links.csv`` verifies,
  found in that dump; every size and checksum is the file's own.
* The DCAT is validated with the DCAT-AP 3.0.1 SHACL shapes of ``../shared/vocab`` (mandatory + ranges:
  no violation; recommended: exactly the warnings listed in :data:`RECOMMENDED_LEFT`, each explained).
* Every schema.org term of ``/dataset.jsonld`` is declared (and not deprecated) in the official
  schema.org 30.0 file, used within its ``domainIncludes`` and, for a typed value, its ``rangeIncludes``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
import rdflib.compare
from pyld import jsonld
from pyshacl import validate
from rdflib.namespace import RDF

from helpers.projects import ROOT
from helpers.published import PublishedGraph
from helpers.requirements import missing
from helpers.vocabularies import SCHEMA, VOCAB, Vocabularies, load_vocabularies
from kgpub.build import links
from kgpub.metadata import schema_org, void
from kgpub.rdf import jsonld as kgpub_jsonld
from kgpub.rdf.formats import BY_NAME
from kgpub.rdf.serialize import serialize
from kgpub.release import history
from kgpub.settings import DEFAULT_BASE_IRI, Settings

SETTINGS = Settings.load(env={})
D = rdflib.URIRef(DEFAULT_BASE_IRI + "id/dataset/kjtrade")
VOID = rdflib.Namespace(void.VOID)
DCAT = rdflib.Namespace(void.DCAT)
DCT = rdflib.Namespace(void.DCTERMS)
SPDX = rdflib.Namespace(void.SPDX)
DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
FOAF = rdflib.Namespace(void.FOAF)
SHAPES = ("dcat-ap-3.0.1-shapes.ttl", "dcat-ap-3.0.1-range.ttl")
RECOMMENDED = "dcat-ap-3.0.1-shapes_recommended.ttl"

# What the DCAT-AP recommended shapes still ask for, by the class of the focus node and the property, and why
# each is left: nothing in the sources can say it, and a description must not invent it.
RECOMMENDED_LEFT = {
    (DCAT.Dataset, DCAT.contactPoint): "the sources name no contact point (no address to publish)",
    (DCAT.DataService, DCAT.contactPoint): "the same: no contact point in the sources",
    (FOAF.Agent, DCT.type): "the publisher type (ADMS publisher-type table) of a project is not stated anywhere",
    (DCAT.Distribution, DCATAP.availability): "planned availability (EU table) is a promise only the publisher "
                                              "can make; the unversioned dumps follow the served release",
    (DCT.Location, DCAT.bbox): "the graph has no geometry of the countries (their GeoNames, Wikidata and DBpedia "
                               "links have it); a bounding box made up here would be unchecked",
    (DCT.Location, DCAT.centroid): "the same: no geometry in the graph",
}
# Fixed, so no longer warned about: the licence document's dct:type (ADMS licence type Attribution, for CC BY 4.0).
KINDS = (DCAT.Dataset, DCAT.DataService, DCAT.Distribution, FOAF.Agent, DCT.Location, DCT.LicenseDocument,
         DCT.PeriodOfTime)


def refuse(url: str, options: object = None) -> object:
    raise jsonld.JsonLdError(f"{url}: remote documents are refused", "jsonld.LoadDocumentError",
                             code="loading document failed")


@pytest.fixture(scope="module")
def triples(published: PublishedGraph) -> list[Any]:
    release = published.release
    return void.describe(release, SETTINGS, history.kept(history.root_of(release)), store=published.store)


@pytest.fixture(scope="module")
def description(triples: list[Any], published: PublishedGraph) -> rdflib.Graph:
    """The description as rdflib reads it from the Turtle the server writes."""
    prefixes = {**published.release.prefixes, **void.PREFIXES}
    graph = rdflib.Graph()
    graph.parse(data=serialize(triples, BY_NAME["turtle"], prefixes=prefixes).body, format="turtle")
    assert len(graph) == len(triples)
    return graph


@pytest.fixture(scope="module")
def dump(published: PublishedGraph) -> rdflib.Graph:
    """The knowledge graph as rdflib reads ``dataset.nt``."""
    graph = rdflib.Graph()
    graph.parse(published.release.file("dataset.nt"), format="nt")
    return graph


def value(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.URIRef) -> Any:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0].toPython() if isinstance(values[0], rdflib.Literal) else values[0]


def count(graph: rdflib.Graph, query: str) -> int:
    (row,) = graph.query(query)
    return int(row[0])  # type: ignore[index]


# ------------------------------------------------------------------ parsers


def test_pyld_reads_the_json_ld_rendering_as_the_same_graph(triples: list[Any], description: rdflib.Graph,
                                                            published: PublishedGraph) -> None:
    prefixes = {**published.release.prefixes, **void.PREFIXES}
    context = kgpub_jsonld.Context.of(prefixes, triples=triples)
    body = serialize(triples, BY_NAME["jsonld"], prefixes=prefixes, context=context).body
    nquads = jsonld.to_rdf(json.loads(body), {"documentLoader": refuse, "format": "application/n-quads"})
    again = rdflib.Graph()
    again.parse(data=nquads, format="nquads")
    assert rdflib.compare.isomorphic(again, description)


# ------------------------------------------------------------------ counts


def test_void_triples_is_the_number_of_lines_of_dataset_nt(description: rdflib.Graph, dump: rdflib.Graph,
                                                          published: PublishedGraph) -> None:
    lines = published.release.file("dataset.nt").read_bytes().count(b"\n")
    assert value(description, D, VOID.triples) == lines == len(dump)
    assert count(dump, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == lines


def test_every_dataset_number_is_a_sparql_count_of_the_dump(description: rdflib.Graph, dump: rdflib.Graph) -> None:
    space = value(description, D, VOID.uriSpace)
    assert space == DEFAULT_BASE_IRI + "id/"
    queries = {
        VOID.entities: "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o "
                       f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{space}")) }}',
        VOID.distinctSubjects: "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }",
        VOID.distinctObjects: "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }",
        VOID.classes: "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }",
        VOID.properties: "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }",
    }
    for predicate, query in queries.items():
        assert value(description, D, predicate) == count(dump, query), predicate


def test_every_partition_is_a_sparql_count_of_the_dump(description: rdflib.Graph, dump: rdflib.Graph) -> None:
    space = value(description, D, VOID.uriSpace)
    partitions = list(description.objects(D, VOID.classPartition))
    assert len(partitions) == count(dump, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }")
    for partition in partitions:
        c = value(description, partition, VOID["class"])
        instances = f"{{ SELECT DISTINCT ?s {{ ?s a <{c}> }} }}"
        assert value(description, partition, VOID.triples) == count(
            dump, f"SELECT (COUNT(*) AS ?n) {{ {instances} ?s ?p ?o }}"), c
        assert value(description, partition, VOID.distinctSubjects) == count(
            dump, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{c}> }}"), c
        assert value(description, partition, VOID.entities) == count(
            dump, f'SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{c}> FILTER(STRSTARTS(STR(?s), "{space}")) }}'), c
    partitions = list(description.objects(D, VOID.propertyPartition))
    assert len(partitions) == count(dump, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }")
    for partition in partitions:
        p = value(description, partition, VOID.property)
        for predicate, aggregate in ((VOID.triples, "*"), (VOID.distinctSubjects, "DISTINCT ?s"),
                                     (VOID.distinctObjects, "DISTINCT ?o")):
            assert value(description, partition, predicate) == count(
                dump, f"SELECT (COUNT({aggregate}) AS ?n) {{ ?s <{p}> ?o }}"), (p, predicate)


def verified_links(dump: rdflib.Graph) -> set[tuple[str, str, str]]:
    """The links of the dump that data/links.csv verifies, read here with the csv module (``*`` rows expanded)."""
    prefixes = {**links.PREFIXES, "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#"}
    found = set()
    with (ROOT / "data" / "links.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["verified"] != "true":
                continue
            prefix, _, local = row["relation"].partition(":")
            relation = rdflib.URIRef(prefixes[prefix] + local)
            target = rdflib.URIRef(row["target_iri"])
            subjects = (list(dump.subjects(relation, target)) if row["local_iri"] == "*"
                        else [rdflib.URIRef(row["local_iri"])])
            found |= {(str(s), str(relation), str(target)) for s in subjects if (s, relation, target) in dump}
    return found


def test_the_linksets_hold_exactly_the_verified_links(description: rdflib.Graph, dump: rdflib.Graph) -> None:
    in_linksets: set[tuple[str, str, str]] = set()
    total = 0
    for linkset in description.subjects(RDF.type, VOID.Linkset):
        assert (D, VOID.subset, linkset) in description
        assert value(description, linkset, VOID.subjectsTarget) == D
        target = value(description, linkset, VOID.objectsTarget)
        spaces = [str(s) for s in description.objects(target, VOID.uriSpace)]
        predicates = {str(p) for p in description.objects(linkset, VOID.linkPredicate)}
        found = {(str(s), str(p), str(o)) for s, p, o in dump
                 if str(s).startswith(DEFAULT_BASE_IRI) and isinstance(o, rdflib.URIRef)
                 and str(o).startswith(tuple(spaces))}
        assert {p for _, p, _ in found} == predicates
        assert value(description, linkset, VOID.triples) == len(found)
        total += len(found)
        in_linksets |= found
    assert len(in_linksets) == total  # no link is in two linksets
    assert in_linksets == verified_links(dump)
    assert total == 9  # 2 Wikidata identities + 1 close match, 2 GeoNames, 2 DBpedia, 2 currencies


def test_sizes_and_checksums_are_the_files_own(description: rdflib.Graph, published: PublishedGraph) -> None:
    release = published.release
    distributions = list(description.objects(D, DCAT.distribution))
    assert distributions
    for distribution in distributions:
        url = str(value(description, distribution, DCAT.downloadURL))
        leaf = url.rsplit("/", 1)[1]
        name = "dataset" + leaf.removeprefix("dump") if leaf.startswith("dump.") else leaf
        data = release.file(name).read_bytes()
        assert value(description, distribution, DCAT.byteSize) == len(data)
        checksum = value(description, distribution, SPDX.checksum)
        assert value(description, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        hex_value = next(description.objects(checksum, SPDX.checksumValue))
        assert str(hex_value) == hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ DCAT-AP 3.0.1


def shapes(*names: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in names:
        path = VOCAB / name
        if not path.is_file():
            missing(f"{path} not found: the DCAT-AP shapes are needed to validate the description")
        graph.parse(path, format="turtle")
    return graph


def results(data: rdflib.Graph, shapes_graph: rdflib.Graph) -> Iterator[tuple[rdflib.URIRef, Any, Any, Any]]:
    """(severity, focus node, path, source shape) of every result pySHACL reports."""
    _, report, _ = validate(data, shacl_graph=shapes_graph, inference="none", allow_warnings=True)
    assert isinstance(report, rdflib.Graph)
    for result in report.subjects(RDF.type, SH.ValidationResult):
        yield (report.value(result, SH.resultSeverity), report.value(result, SH.focusNode),
               report.value(result, SH.resultPath), report.value(result, SH.resultMessage))


def test_the_dcat_conforms_to_dcat_ap_mandatory_shapes_and_ranges(description: rdflib.Graph) -> None:
    found = [r for r in results(description, shapes(*SHAPES)) if r[0] == SH.Violation]
    assert not found, "\n".join(f"{focus} {path}: {message}" for _, focus, path, message in found)


def test_the_recommended_properties_left_out_are_the_listed_ones(description: rdflib.Graph) -> None:
    found = set()
    for severity, focus, path, message in results(description, shapes(RECOMMENDED)):
        assert severity == SH.Warning, (focus, path, message)
        kinds = [c for c in KINDS if (focus, RDF.type, c) in description]
        assert len(kinds) == 1, (focus, path, kinds)
        found.add((kinds[0], path))
    assert found == set(RECOMMENDED_LEFT), found ^ set(RECOMMENDED_LEFT)


# ------------------------------------------------------------------ the terms of the description

# Namespaces without an official file in ../shared/vocab: the terms the description uses beyond the reviewed
# allow-lists of tests/helpers/vocabularies.py, each checked by hand against the specification named.
DESCRIPTION_TERMS: dict[str, tuple[str, frozenset[str]]] = {
    void.VOID: ("VoID vocabulary (W3C Interest Group Note 2011-03-03, rdfs.org/ns/void)", frozenset({
        "Dataset", "Linkset", "triples", "entities", "distinctSubjects", "distinctObjects", "classes", "properties",
        "classPartition", "propertyPartition", "class", "property", "uriSpace", "vocabulary", "exampleResource",
        "sparqlEndpoint", "subset", "dataDump", "feature", "subjectsTarget", "objectsTarget", "linkPredicate"})),
    void.DCTERMS: ("DCMI Metadata Terms, sections 2 (properties) and 3 (classes)", frozenset({
        "title", "description", "license", "LicenseDocument", "type", "creator", "publisher", "issued", "modified",
        "temporal", "PeriodOfTime", "spatial", "Location", "hasPart", "format", "MediaType", "MediaTypeOrExtent",
        "conformsTo", "Standard"})),
    void.FOAF: ("FOAF Vocabulary Specification 0.99", frozenset({
        "Agent", "Organization", "name", "homepage", "Document", "page"})),
    void.SPDX: ("SPDX 2.3 RDF terms (spdx.org/rdf/terms), which DCAT 3 uses for spdx:checksum", frozenset({
        "checksum", "Checksum", "algorithm", "checksumAlgorithm_sha256", "checksumValue"})),
    void.SKOS: ("SKOS Reference, Appendix A", frozenset({"Concept", "prefLabel", "inScheme"})),
    void.OWL: ("OWL 2 RDF mapping", frozenset({"versionInfo"})),
    void.RDFS: ("RDF Schema 1.1", frozenset({"label", "seeAlso"})),
    void.XSD: ("XML Schema 1.1 Part 2", frozenset({
        "integer", "nonNegativeInteger", "hexBinary", "dateTime", "gYear", "boolean", "string", "langString"})),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": ("RDF 1.1", frozenset({"type", "langString"})),
    "http://www.w3.org/ns/formats/": ("Unique URIs for File Formats", frozenset({
        "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD"})),
}


def test_every_reused_term_of_the_description_is_declared_where_it_is_defined(
        triples: list[Any], vocabularies: Vocabularies) -> None:
    """Predicates, classes, datatypes and vocabulary individuals: DCAT, PROV, SHACL and schema.org terms must be
    declared (and not deprecated) in their official files; the rest must be in :data:`DESCRIPTION_TERMS`."""
    from pyoxigraph import Literal, NamedNode

    from helpers.vocabularies import VOCABULARY_FILES

    used: set[str] = set()
    for t in triples:
        used.add(t.predicate.value)
        if isinstance(t.object, Literal):
            used.add(t.object.datatype.value)
        elif isinstance(t.object, NamedNode) and (t.predicate.value == str(RDF.type)
                                                 or t.object.value.startswith((void.SPDX, "http://www.w3.org/ns/"))):
            used.add(t.object.value)
    problems = []
    for term in sorted(used):
        files = [ns for ns in VOCABULARY_FILES if term.startswith(ns)]
        lists = [ns for ns in DESCRIPTION_TERMS if term.startswith(ns)]
        if files:
            ns = max(files, key=len)
            if term not in vocabularies.declared.get(ns, frozenset()) or term in vocabularies.deprecated:
                problems.append(f"{term}: not declared (or deprecated) in {VOCABULARY_FILES[ns]}")
        elif lists:
            ns = max(lists, key=len)
            if term[len(ns):] not in DESCRIPTION_TERMS[ns][1]:
                problems.append(f"{term}: not a reviewed term of {DESCRIPTION_TERMS[ns][0]}")
        elif not term.startswith(DEFAULT_BASE_IRI):
            problems.append(f"{term}: no vocabulary file and no reviewed list for its namespace")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ schema.org


@pytest.fixture(scope="module")
def vocabularies() -> Vocabularies:
    return load_vocabularies()


def test_every_schema_org_term_of_dataset_jsonld_exists_and_is_used_as_specified(
        published: PublishedGraph, vocabularies: Vocabularies) -> None:
    release = published.release
    document = schema_org.dataset_jsonld(release, SETTINGS, store=published.store)

    def local_context(url: str, options: object = None) -> dict[str, Any]:
        """The context the document names, as a stand-in (never fetched): schema.org's vocabulary, http
        namespace as the official file writes it; anything else is refused."""
        if url != "https://schema.org/":
            refuse(url)
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": {"@context": {"@vocab": SCHEMA}}}

    expanded = jsonld.expand(document, {"documentLoader": local_context})
    declared = vocabularies.declared[SCHEMA]
    schema = vocabularies.schema
    problems: list[str] = []

    def classes(types: list[str]) -> set[str]:
        found, todo = set(), list(types)
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo += schema.superclasses.get(current, ())
        return found

    def term(iri: str) -> None:
        if not iri.startswith(SCHEMA):
            problems.append(f"{iri}: not a schema.org term")
        elif iri not in declared:
            problems.append(f"{iri}: not declared in schemaorg-30.0-all-http.ttl")
        elif iri in vocabularies.deprecated:
            problems.append(f"{iri}: deprecated ({vocabularies.deprecated[iri]})")

    def walk(node: dict[str, Any]) -> None:
        types = node.get("@type", [])
        for t in types:
            term(t)
        mine = classes(types)
        for key, values in node.items():
            if key.startswith("@"):
                continue
            term(key)
            domain = schema.domain_includes.get(key, frozenset())
            if domain and not mine & domain:
                problems.append(f"{key} on {types}: outside domainIncludes")
            for item in values:
                if isinstance(item, dict) and "@type" in item and "@value" not in item:
                    if not classes(item["@type"]) & schema.range_includes.get(key, frozenset()):
                        problems.append(f"{key} -> {item['@type']}: outside rangeIncludes")
                    walk(item)

    (top,) = expanded
    assert top["@type"] == [SCHEMA + "Dataset"]
    walk(top)
    assert not problems, "\n".join(problems)
    used = {k for k in top if not k.startswith("@")}
    assert {SCHEMA + p for p in ("name", "description", "url", "identifier", "version", "license", "creator",
                                 "datePublished", "dateModified", "temporalCoverage", "spatialCoverage", "keywords",
                                 "variableMeasured", "isBasedOn", "distribution")} <= used


def test_the_schema_org_file_is_there() -> None:
    if not (VOCAB / "schemaorg-30.0-all-http.ttl").is_file():
        missing(f"{VOCAB} has no schema.org file")
    assert Path(VOCAB / "schemaorg-30.0-all-http.ttl").stat().st_size > 1_000_000
