"""Descriptions of what is published: the SPARQL 1.1 Service Description (more to come: VoID, DCAT).

Everything said here is derived from the release and the settings, so it stays true:
the result formats come from the format registry, the default dataset's graphs and triple
counts from the release manifest, and federation is advertised only when SERVICE calls are
allowed.

The service is linked to the dataset description: ``sd:defaultGraph`` (SPARQL 1.1 Service
Description §3, "relates an instance of sd:Dataset to the description of its default graph") of the
default dataset is the knowledge graph, so the node describing it is the dataset's own IRI,
``<base>id/dataset/kjtrade``, an ``sd:Graph`` with its ``void:triples``, as the VoID guide's section on
the Service Description lets an ``sd:Graph`` be the ``void:Dataset`` it holds. Dereferencing that IRI
gives the VoID + DCAT description (:mod:`kgpub.metadata.void`), which names this endpoint as its
``void:sparqlEndpoint``; the named graphs stay blank nodes, their sizes from the manifest.
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kgpub.metadata.void import dataset_iri
from kgpub.rdf.formats import FORMATS
from kgpub.release.reader import Release
from kgpub.settings import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
PREFIXES = {"sd": SD, "void": VOID, "dcterms": DCTERMS}


def _sd(local: str) -> NamedNode:
    return NamedNode(SD + local)


def service_description(*, endpoint: str, release: Release, settings: Settings) -> list[Triple]:
    """The Service Description of the endpoint at ``endpoint`` (an absolute URL)."""
    service, dataset, default = NamedNode(endpoint), BlankNode("dataset"), NamedNode(dataset_iri(settings))
    triples = [
        Triple(service, RDF_TYPE, _sd("Service")),
        Triple(service, _sd("endpoint"), service),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        Triple(service, _sd("defaultEntailmentRegime"), NamedNode("http://www.w3.org/ns/entailment/Simple")),
        Triple(service, NamedNode(DCTERMS + "description"), Literal(
            f"Read-only SPARQL 1.1 endpoint of release {release.version}. The default graph is the union of "
            f"{', '.join(release.default_graphs)}; every graph is also a named graph. Limits: "
            f"{settings.query_timeout:g} s per query, {settings.max_rows} rows per answer (a cut is signalled), "
            f"{settings.max_query_length} characters, {settings.max_depth} nested groups.", language="en")),
        Triple(service, _sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, _sd("Dataset")),
        Triple(dataset, _sd("defaultGraph"), default),
        Triple(default, RDF_TYPE, _sd("Graph")),
        Triple(default, NamedNode(VOID + "triples"), Literal(str(release.default_graph_triples), datatype=XSD_INTEGER)),
    ]
    triples += [Triple(service, _sd("resultFormat"), NamedNode(f.w3c_iri)) for f in FORMATS if f.w3c_iri]
    if settings.allowed_services:
        triples.append(Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for index, (name, count) in enumerate(sorted(release.graph_triples.items())):
        named, graph = BlankNode(f"named{index}"), BlankNode(f"graph{index}")
        triples += [
            Triple(dataset, _sd("namedGraph"), named),
            Triple(named, RDF_TYPE, _sd("NamedGraph")),
            Triple(named, _sd("name"), NamedNode(name)),
            Triple(named, _sd("graph"), graph),
            Triple(graph, RDF_TYPE, _sd("Graph")),
            Triple(graph, NamedNode(VOID + "triples"), Literal(str(count), datatype=XSD_INTEGER)),
        ]
    return sorted(triples, key=lambda t: (isinstance(t.subject, BlankNode), str(t.subject)))  # groups by subject



