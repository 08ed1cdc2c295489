"""The remote store's lookups and fragments give what the embedded store gives, over the real release.

The "remote" store here is a real SPARQL engine asked through the same interface as a store server
(:class:`Over`: pyoxigraph in memory, holding the release's graphs as named graphs, as ``kgpub publish``
puts them; like Oxigraph server it cannot name a blank node in a query), so the SPARQL the facade writes
is run for real and every answer is compared with the embedded store's. The end-to-end tests do the same
against Oxigraph server and Virtuoso.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    Store,
    Triple,
)

from helpers.published import PublishedGraph
from kgpub.resources import remote_store
from kgpub.resources.describe import describe
from kgpub.resources.fragments import PAGE_SIZE, Fragments, Selector
from kgpub.resources.remote_store import RemoteFragments, RemoteStore

BASE = "https://w3id.org/kjtrade/"
QB = "http://purl.org/linked-data/cube#"
SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class Over:
    """A store asked by SPARQL only, like a store server (blank nodes cannot be named in a query)."""

    def __init__(self, store: Store) -> None:
        self.store, self.asked = store, 0

    def select(self, query: str, *, default_graphs: Sequence[str] | None = None,
               named_graphs: Sequence[str] | None = None) -> QuerySolutions | QueryBoolean:
        self.asked += 1
        found = self.store.query(query, default_graph=[NamedNode(g) for g in default_graphs or ()],
                                 named_graphs=[NamedNode(g) for g in named_graphs or ()])
        assert not isinstance(found, Store)
        return found  # type: ignore[return-value]

    def blank_node(self, node: BlankNode) -> str | None:
        return None


@pytest.fixture(scope="module")
def served(published: PublishedGraph) -> Store:
    """The release's named graphs in another store (no stored default graph: the union is asked for)."""
    store = Store()
    store.extend(q for q in published.store if not isinstance(q.graph_name, DefaultGraph))
    return store


@pytest.fixture
def over(served: Store) -> Over:
    return Over(served)


@pytest.fixture
def remote(over: Over, published: PublishedGraph) -> RemoteStore:
    return RemoteStore(over, published.release)


def canonical(triples: Sequence[Triple]) -> set[str]:
    """Triples with their blank nodes canonicalized (RDFC-1.0): each store labels blank nodes its own way."""
    dataset = Dataset(Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def entities(published: PublishedGraph) -> list[str]:
    found = {q.subject.value for q in published.store.quads_for_pattern(None, None, None, DefaultGraph())
             if isinstance(q.subject, NamedNode) and q.subject.value.startswith(BASE + "id/")}
    return sorted(found)


def test_every_entity_is_described_as_on_the_embedded_store(published: PublishedGraph, remote: RemoteStore) -> None:
    """Blank nodes included (the data's component specifications): reached through their anchors."""
    described = entities(published)
    assert len(described) > 50
    for iri in described:
        mine, theirs = describe(remote, iri), describe(published.store, iri)
        assert canonical(mine.triples) == canonical(theirs.triples), iri
        assert (mine.incoming, mine.incoming_cut) == (theirs.incoming, theirs.incoming_cut)


def test_the_shapes_graph_with_its_nested_blank_nodes(published: PublishedGraph, remote: RemoteStore) -> None:
    """Shapes nest blank nodes (property shapes, lists): each is closed through its anchors, recursively."""
    shapes = NamedNode(BASE + "graph/shapes")
    named = [q.subject for q in published.store.quads_for_pattern(None, RDF_TYPE, NamedNode(SH + "NodeShape"), shapes)
             if isinstance(q.subject, NamedNode)]
    assert len(named) > 5
    for subject in named:
        iri = subject.value
        assert canonical(describe(remote, iri, graph=shapes).triples) == canonical(
            describe(published.store, iri, graph=shapes).triples), iri
    assert canonical([q.triple for q in remote.quads_for_pattern(None, None, None, shapes)]) == canonical(
        [q.triple for q in published.store.quads_for_pattern(None, None, None, shapes)])


def test_a_subject_is_asked_once_for_all_its_properties(published: PublishedGraph, remote: RemoteStore,
                                                        over: Over) -> None:
    kr = NamedNode(BASE + "id/country/KR")
    for predicate in {q.predicate for q in published.store.quads_for_pattern(kr, None, None, DefaultGraph())}:
        assert sorted(map(str, remote.quads_for_pattern(kr, predicate, None, DefaultGraph()))) == sorted(
            map(str, published.store.quads_for_pattern(kr, predicate, None, DefaultGraph())))
    assert over.asked == 1


def test_siblings_are_remembered_with_the_blank_node_asked(published: PublishedGraph, remote: RemoteStore,
                                                           over: Over) -> None:
    """The components of a structure: one query for the structure, one for all its component specifications."""
    dsd = NamedNode(BASE + "id/dsd/bilateral-trade")
    components = [q.object for q in remote.quads_for_pattern(dsd, NamedNode(QB + "component"), None, DefaultGraph())]
    assert len(components) > 3 and all(isinstance(c, BlankNode) for c in components)
    for node in components:
        assert list(remote.quads_for_pattern(node, None, None, DefaultGraph()))
    assert over.asked == 2


def test_a_blank_node_never_seen_matches_nothing(remote: RemoteStore) -> None:
    assert list(remote.quads_for_pattern(BlankNode("never-seen"), None, None, DefaultGraph())) == []
    assert list(remote.quads_for_pattern(None, None, BlankNode("never-seen"), DefaultGraph())) == []


def test_long_lookups_are_read_in_pages(published: PublishedGraph, remote: RemoteStore, over: Over,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_store, "FIRST_PAGE", 7)
    monkeypatch.setattr(remote_store, "PAGE", 50)
    found = list(remote.quads_for_pattern(None, RDF_TYPE, None, DefaultGraph()))
    expected = list(published.store.quads_for_pattern(None, RDF_TYPE, None, DefaultGraph()))
    assert sorted(map(str, found)) == sorted(map(str, expected))
    assert over.asked == 1 + -(-(len(expected) - 7) // 50) + (1 if (len(expected) - 7) % 50 == 0 else 0)


def test_the_dataset_description_queries_answer_alike(published: PublishedGraph, remote: RemoteStore) -> None:
    query = "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY ?t"
    graphs = [NamedNode(g) for g in published.release.default_graphs]
    remote_rows = [(r["t"], r["n"]) for r in remote.query(query, default_graph=graphs)]  # type: ignore[union-attr]
    local_rows = [(r["t"], r["n"]) for r in published.store.query(query)]  # type: ignore[union-attr]
    assert remote_rows == local_rows


@pytest.mark.parametrize("selector", [
    Selector(),
    Selector(predicate=RDF_TYPE),
    Selector(predicate=NamedNode(QB + "component")),
    Selector(subject=NamedNode(BASE + "id/country/KR")),
    Selector(graph=NamedNode(BASE + "graph/shapes"), predicate=NamedNode(SH + "path")),
    Selector(same=((0, 2),)),
    Selector(graph=NamedNode(BASE + "graph/none")),
], ids=lambda s: s.text() + (f" in {s.graph.value.rsplit('/', 1)[1]}" if s.graph else ""))
def test_fragments_have_the_embedded_counts_and_data(published: PublishedGraph, remote: RemoteStore,
                                                     selector: Selector) -> None:
    """Every page of a fragment (data as sets: the page order is the store's ORDER BY, not N-Triples order)."""
    local = Fragments(published.release, published.store, base_iri=BASE)
    far = RemoteFragments(published.release, remote, base_iri=BASE)
    first, there = local.matches(selector), far.matches(selector)
    assert (there.total, there.exact) == (first.total, first.exact)
    pages = max(1, -(-first.total // PAGE_SIZE))
    mine = [t for page in range(1, pages + 1) for t in far.matches(selector, page).triples]
    theirs = [t for page in range(1, pages + 1) for t in local.matches(selector, page).triples]
    assert len(mine) == len(theirs) and {str(t) for t in mine if "genid" not in str(t)} == {
        str(t) for t in theirs if "genid" not in str(t)}
    assert not far.matches(selector, pages + 1).triples


def test_a_skolemized_blank_node_of_a_fragment_is_its_own_fragment(published: PublishedGraph,
                                                                   remote: RemoteStore) -> None:
    """A fragment names blank nodes by skolem IRIs; asking for one gives that blank node's triples."""
    far = RemoteFragments(published.release, remote, base_iri=BASE)
    dsd = NamedNode(BASE + "id/dsd/bilateral-trade")
    spec = next(t.object for t in far.matches(Selector(subject=dsd, predicate=NamedNode(QB + "component"))).triples)
    assert isinstance(spec, NamedNode) and "/.well-known/genid/" in spec.value
    found = far.matches(Selector(subject=spec))
    assert found.total == len(found.triples) > 1 and all(t.subject == spec for t in found.triples)
    node = far.skolem.node(spec)
    assert isinstance(node, BlankNode)
    assert {str(q.triple) for q in remote.quads_for_pattern(node, None, None, DefaultGraph())} == {
        str(t).replace(str(spec), str(node)) for t in found.triples}


def test_quads_carry_their_graph(remote: RemoteStore) -> None:
    shapes = NamedNode(BASE + "graph/shapes")
    assert {q.graph_name for q in remote.quads_for_pattern(None, RDF_TYPE, None, shapes)} == {shapes}
    assert {q.graph_name for q in remote.quads_for_pattern(None, RDF_TYPE, None, DefaultGraph())} == {DefaultGraph()}
    assert list(remote.quads_for_pattern(None, None, None, NamedNode(BASE + "graph/none"))) == []
    assert all(isinstance(q, Quad) for q in remote.quads_for_pattern(None, RDF_TYPE, None, None))
