"""The SPARQL Service Description: its default graph is the dataset the VoID description is about.

(The route that answers it, and its formats, are tested in tests/unit/web/routes/test_sparql.py; the
terms against their vocabularies in tests/data/test_vocabularies.py.)
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode

from helpers.sites import release
from kgpub.metadata.service import service_description
from kgpub.settings import DEFAULT_BASE_IRI, Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ENDPOINT = "http://testserver/sparql"


def test_the_default_graph_is_described_by_the_dataset_iri(tmp_path: Path) -> None:
    served = release(tmp_path / "releases", "ex", objects=3)
    triples = service_description(endpoint=ENDPOINT, release=served, settings=Settings.load(env={}))
    by = {(t.subject, t.predicate.value): t.object for t in triples}
    (dataset,) = [t.object for t in triples if t.predicate.value == SD + "defaultDataset"]
    assert isinstance(dataset, BlankNode)
    default = by[(dataset, SD + "defaultGraph")]
    assert default == NamedNode(DEFAULT_BASE_IRI + "id/dataset/kjtrade")
    assert by[(default, RDF_TYPE)] == NamedNode(SD + "Graph")
    count = by[(default, VOID + "triples")]
    assert isinstance(count, Literal) and int(count.value) == served.default_graph_triples == 3


def test_the_dataset_iri_follows_the_base_iri(tmp_path: Path) -> None:
    served = release(tmp_path / "releases", "ex")
    settings = Settings.load(env={}, base_iri="https://example.org/kg/")
    triples = service_description(endpoint=ENDPOINT, release=served, settings=settings)
    defaults = [t.object for t in triples if t.predicate.value == SD + "defaultGraph"]
    assert defaults == [NamedNode("https://example.org/kg/id/dataset/kjtrade")]
