"""Every dump of the release reads back, with a second parser, as the release's own graph.

The dumps are listed from the release's manifest (with their gzip copies); pyld reads the
JSON-LD dump through a document loader that refuses every URL (nothing is ever fetched),
rdflib reads the others; each must be isomorphic to what the release's store holds: the
knowledge graph (its default graph) for the triple dumps, every named graph for the quad
dumps. Isomorphism is checked as equal canonical N-Quads (RDFC-1.0 over the whole dataset:
rdflib's own check takes seconds per graph on the shapes' blank nodes), and literals are
compared as written (rdflib's normalization of lexical forms is off).
The JSON-LD dump also embeds the published context, is compacted, and renders byte for byte.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable

import pytest
import rdflib
from pyld import jsonld
from pyoxigraph import BlankNode, CanonicalizationAlgorithm, Dataset, DefaultGraph, Literal, NamedNode, Quad

from helpers.published import PublishedGraph
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS, Format, from_name
from kgpub.rdf.jsonld import CONTEXT_NAME, Context
from kgpub.rdf.serialize import serialize
from kgpub.release import layout
from kgpub.release.reader import Release

JSONLD = BY_NAME["jsonld"]
RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig"}  # JSON-LD: pyld


def refuse(url: str, options: object = None) -> object:
    raise jsonld.JsonLdError(f"{url}: remote documents are refused", "jsonld.LoadDocumentError",
                             code="loading document failed")


LOCAL = {"documentLoader": refuse}


def dumps(release: Release) -> dict[str, tuple[Format, bool]]:
    """Every dump file the release lists: its format, and whether it is the gzip copy."""
    found = {}
    for name in release.manifest.files:
        stem, _, extension = name.partition(".")
        if stem == layout.DUMP_STEM:
            found[name] = (from_name(extension.removesuffix(".gz")), extension.endswith(".gz"))
    return found


def oxigraph_term(term: rdflib.term.Node) -> NamedNode | BlankNode | Literal:
    """An rdflib term as pyoxigraph's, converted directly (no serializer in between)."""
    if isinstance(term, rdflib.URIRef):
        return NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    assert isinstance(term, rdflib.Literal)
    if term.language:
        return Literal(str(term), language=term.language)
    return Literal(str(term), datatype=NamedNode(str(term.datatype))) if term.datatype else Literal(str(term))


def canonical(quads: Iterable[Quad]) -> set[str]:
    """Canonical N-Quads lines (RDFC-1.0): equal sets are isomorphic datasets, term for term."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def quads_of(dataset: rdflib.Dataset) -> Iterable[Quad]:
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, rdflib.Graph) else g
        graph = DefaultGraph() if name in (None, rdflib.graph.DATASET_DEFAULT_GRAPH_ID) else NamedNode(str(name))
        yield Quad(oxigraph_term(s), oxigraph_term(p), oxigraph_term(o), graph)


def read_back(data: bytes, fmt: Format) -> rdflib.Dataset:
    """The dump as a second parser reads it: pyld for JSON-LD (local documents only), rdflib for the rest."""
    dataset = rdflib.Dataset()
    if fmt is JSONLD:
        nquads = jsonld.to_rdf(json.loads(data), {**LOCAL, "format": "application/n-quads"})
        dataset.parse(data=nquads, format="nquads")
    else:
        dataset.parse(data=data, format=RDFLIB_FORMATS[fmt.name])
    return dataset


def test_the_release_has_every_dump_the_registry_offers(published: PublishedGraph) -> None:
    expected = {layout.dump_name(f, gz=gz) for f in DUMP_FORMATS for gz in (False, True)}
    assert set(dumps(published.release)) == expected


def test_every_dump_reads_back_as_the_release_graph(published: PublishedGraph,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)  # "1.50"^^xsd:decimal must stay "1.50"
    release, store = published.release, published.store
    assert release.stores_default_graph
    knowledge_graph = list(store.quads_for_pattern(None, None, None, DefaultGraph()))
    assert len(knowledge_graph) == release.default_graph_triples
    expected = {False: canonical(knowledge_graph),
                True: canonical(q for g in release.named_graphs
                                for q in store.quads_for_pattern(None, None, None, NamedNode(g)))}
    different = []
    for name, (fmt, gz) in sorted(dumps(release).items()):
        data = release.file(name).read_bytes()
        if canonical(quads_of(read_back(gzip.decompress(data) if gz else data, fmt))) != expected[fmt.quads]:
            different.append(name)
    assert different == []


@pytest.fixture(scope="module")
def dump(published: PublishedGraph) -> dict[str, object]:
    document: dict[str, object] = json.loads(published.release.dump_path(JSONLD).read_bytes())
    return document


def test_the_json_ld_dump_embeds_the_published_context(published: PublishedGraph, dump: dict[str, object]) -> None:
    context = json.loads(published.release.file(CONTEXT_NAME).read_bytes())
    assert isinstance(dump["@context"], dict)  # inline: a processor never fetches anything
    assert dump["@context"] == context["@context"]
    assert set(context["@context"].items()) <= set(published.release.prefixes.items())
    assert {"kjt", "kjd", "qb", "schema", "skos", "rdfs", "xsd"} <= set(context["@context"])


def iris_of(node: dict[str, object]) -> Iterable[str]:
    """The strings of a node that are IRIs: its keys, its @id and @type, and the @id of its values."""
    yield from (k for k in node if not k.startswith("@"))
    yield str(node["@id"])
    for key, value in node.items():
        for item in value if isinstance(value, list) else [value]:
            if key == "@type":
                yield str(item)
            elif isinstance(item, dict) and "@id" in item:
                yield str(item["@id"])
            elif isinstance(item, dict) and "@type" in item:
                yield str(item["@type"])


def test_the_json_ld_dump_is_compacted(dump: dict[str, object]) -> None:
    context = dump["@context"]
    assert isinstance(context, dict) and isinstance(dump["@graph"], list)
    nodes = {node["@id"]: node for node in dump["@graph"]}
    full = sorted({iri for node in nodes.values() for iri in iris_of(node)
                   for ns in context.values() if iri.startswith(ns) and len(iri) > len(ns)
                   and not iri.startswith("//", len(ns))})
    assert full == []  # no full IRI where a prefix applies
    korea = nodes["country:KR"]
    assert "schema:Country" in korea["@type"] and korea["owl:sameAs"] == {"@id": "wd:Q884"}
    assert {"@language": "ko", "@value": "대한민국"} in korea["skos:prefLabel"]
    trade = nodes["observation:trade-value-KR-JP-2024"]
    assert trade["sdmx-measure:obsValue"] == {"@type": "xsd:decimal", "@value": "77200000000"}
    assert trade["kjt:refYear"] == {"@type": "xsd:gYear", "@value": "2024"}


def test_the_json_ld_dump_renders_again_byte_for_byte(published: PublishedGraph) -> None:
    release = published.release
    triples = [q.triple for q in published.store.quads_for_pattern(None, None, None, DefaultGraph())]
    context = Context.of(release.prefixes, triples=triples)
    first = serialize(triples, JSONLD, prefixes=release.prefixes, context=context).body
    random.Random(1).shuffle(triples)
    second = serialize(triples, JSONLD, prefixes=release.prefixes, context=context).body
    assert first == second == release.dump_path(JSONLD).read_bytes()
    assert context.render() == release.file(CONTEXT_NAME).read_bytes()
