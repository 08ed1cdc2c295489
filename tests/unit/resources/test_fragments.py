"""Triple Pattern Fragments, the core: selectors as the spec writes them, IRIs, pages, counts, documents.

The data of every page is checked against SPARQL on the same store (computed independently of
the fragments' index), for the in-memory index and for the store path alike.
"""

from __future__ import annotations

import pytest
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse

from helpers.published import PublishedGraph
from kgpub.errors import BadRequest
from kgpub.rdf.formats import BY_NAME
from kgpub.release import writer
from kgpub.release.reader import Release
from kgpub.resources import fragments as tpf
from kgpub.resources.fragments import FragmentRequest, Fragments, Selector, locate, parse_request

EX = "http://example.org/"
BASE = "https://w3id.org/kjtrade/"
XSD = "http://www.w3.org/2001/XMLSchema#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
URL = "http://testserver/fragments"


def ex(local: str) -> NamedNode:
    return NamedNode(EX + local)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """250 triples ex:s ex:p ex:o<i> (3 pages), a loop, a blank node, a typed literal; a second named graph."""
    g, other = ex("g"), ex("other")
    quads = [Quad(ex("s"), ex("p"), ex(f"o{i:03}"), g) for i in range(250)]
    quads += [Quad(ex("loop"), ex("p"), ex("loop"), g),
              Quad(ex("s"), ex("q"), BlankNode("b"), g), Quad(BlankNode("b"), ex("r"), Literal("x", language="en"), g),
              Quad(ex("n"), ex("v"), Literal("5", datatype=NamedNode(XSD + "integer")), g)]
    quads += [Quad(ex(f"t{i}"), ex("p"), ex("x"), other) for i in range(3)]
    root = tmp_path_factory.mktemp("tpf") / "releases"
    return writer.write(writer.Draft(quads=quads, default_graphs=[EX + "g"], prefixes={"ex": EX}), root)


@pytest.fixture(scope="module")
def store(small: Release) -> Store:
    return small.open_store()


# ---- selectors -------------------------------------------------------------------------------------------------

GOOD = [
    ({}, Selector()),
    ({"subject": "", "predicate": "", "object": ""}, Selector()),
    ({"subject": "?s", "predicate": "?p", "object": "?o"}, Selector()),
    ({"subject": "_:b", "object": "_:c"}, Selector()),
    ({"subject": EX + "a"}, Selector(subject=ex("a"))),
    ({"subject": f"<{EX}a>"}, Selector(subject=ex("a"))),
    ({"predicate": RDF_TYPE}, Selector(predicate=NamedNode(RDF_TYPE))),
    ({"object": EX + "a"}, Selector(object=ex("a"))),
    ({"object": '"text"'}, Selector(object=Literal("text"))),
    ({"object": '""'}, Selector(object=Literal(""))),
    ({"object": '"say "hi""'}, Selector(object=Literal('say "hi"'))),
    ({"object": '"tüte"@de'}, Selector(object=Literal("tüte", language="de"))),
    ({"object": '"colour"@EN-GB'}, Selector(object=Literal("colour", language="en-gb"))),
    ({"object": f'"42"^^{XSD}integer'}, Selector(object=Literal("42", datatype=NamedNode(XSD + "integer")))),
    ({"object": f'"42"^^<{XSD}integer>'}, Selector(object=Literal("42", datatype=NamedNode(XSD + "integer")))),
    ({"object": f'"x"^^{XSD}string'}, Selector(object=Literal("x"))),
    ({"graph": EX + "g"}, Selector(graph=ex("g"))),
    ({"graph": ""}, Selector()),
    ({"graph": tpf.DEFAULT_GRAPH}, Selector()),
    ({"graph": f"<{tpf.DEFAULT_GRAPH}>"}, Selector()),
    ({"subject": "?x", "object": "?x"}, Selector(same=((0, 2),))),
    ({"subject": "?x", "predicate": "?x", "object": "?x"}, Selector(same=((0, 1), (0, 2)))),
    ({"subject": "_:n", "object": "_:n"}, Selector(same=((0, 2),))),
    ({"subject": "?x", "object": "?y"}, Selector()),
    ({"format": "turtle", "callback": "x", "subject ": "ignored"}, Selector()),
]


@pytest.mark.parametrize(("params", "expected"), GOOD, ids=[repr(p) for p, _ in GOOD])
def test_selectors_in_the_spec_forms(params: dict[str, str], expected: Selector) -> None:
    assert parse_request(params.items()).selector == expected


BAD = [
    ({"subject": '"x"'}, "only the object can be a literal"),
    ({"predicate": '"x"@en'}, "only the object can be a literal"),
    ({"subject": "relative/iri"}, "not an absolute IRI"),
    ({"predicate": "http://ex.org/a b"}, "not an absolute IRI"),
    ({"object": "<http://ex.org/a"}, "not an absolute IRI"),
    ({"object": '"open'}, "no closing quote"),
    ({"object": '"x"@'}, "not a language tag"),
    ({"object": '"x"@e n'}, "not a language tag"),
    ({"object": '"x"^^notaniri'}, "not an absolute IRI"),
    ({"object": '"x"^^http://www.w3.org/1999/02/22-rdf-syntax-ns#langString'}, "language-tagged"),
    ({"object": '"x"en'}, "after a literal's closing quote"),
    ({"subject": "?"}, "a variable is"),
    ({"subject": "?a-b"}, "a variable is"),
    ({"object": "_:"}, "not a blank node label"),
    ({"graph": "?g"}, "a fragment is of one graph"),
    ({"graph": "_:g"}, "a fragment is of one graph"),
    ({"graph": '"g"'}, "a fragment is of one graph"),
    ({"graph": "g"}, "not an absolute IRI"),
    ({"page": "0"}, "a page is a whole number"),
    ({"page": "-1"}, "a page is a whole number"),
    ({"page": "01"}, "a page is a whole number"),
    ({"page": "1.5"}, "a page is a whole number"),
    ({"page": ""}, "a page is a whole number"),
    ({"page": "٣"}, "a page is a whole number"),
    ({"page": str(tpf.MAX_PAGE + 1)}, "a page is a whole number"),
]


@pytest.mark.parametrize(("params", "message"), BAD, ids=[repr(p) for p, _ in BAD])
def test_malformed_parameters_are_bad_requests_naming_them(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_request(params.items())
    assert message in raised.value.message
    name = next(iter(params))
    assert raised.value.message.startswith(f"{name}=") and raised.value.status == 400


def test_a_parameter_given_twice_is_a_bad_request() -> None:
    for name in ("subject", "page", "graph"):
        with pytest.raises(BadRequest, match="more than once"):
            parse_request([(name, ""), (name, "")])
    assert parse_request([("format", "a"), ("format", "b")]) == FragmentRequest(Selector(), 1)


def test_pages() -> None:
    assert parse_request([]).page == 1
    assert parse_request([("page", "7")]).page == 7
    assert parse_request([("page", str(tpf.MAX_PAGE))]).page == tpf.MAX_PAGE


# ---- IRIs ------------------------------------------------------------------------------------------------------

def test_the_page_is_the_request_url_exactly_and_the_fragment_drops_page() -> None:
    url = f"{URL}?predicate=http%3A%2F%2Fex.org%2Fp&page=3&format=ttl"
    where = locate(url)
    assert where.page == url
    assert where.fragment == f"{URL}?predicate=http%3A%2F%2Fex.org%2Fp&format=ttl"
    assert where.search == URL and where.dataset == URL + "#dataset"
    assert where.template == URL + "{?subject,predicate,object,graph}"
    assert where.metadata == where.fragment + "#metadata"
    assert where.page_iri(1) == where.fragment
    assert where.page_iri(4) == where.fragment + "&page=4"
    reordered = locate(f"{URL}?page=3&object=%22a%22")  # the client's order and spelling are kept
    assert reordered.page == f"{URL}?page=3&object=%22a%22" and reordered.fragment == f"{URL}?object=%22a%22"
    bare = locate(f"{URL}?page=2")
    assert bare.fragment == URL and bare.page_iri(2) == URL + "?page=2"
    assert locate(URL).page == locate(URL).fragment == URL
    assert locate(f"{URL}?pa%67e=2").fragment == URL  # page= however it is spelled


def test_characters_no_iri_may_hold_are_escaped_and_broken_escapes_refused() -> None:
    assert locate(URL + '?object="a b"').page == URL + "?object=%22a%20b%22"
    with pytest.raises(BadRequest, match="not an IRI"):
        locate(URL + "?subject=%zz")


# ---- data, counts, pages ---------------------------------------------------------------------------------------

def sparql(store: Store, pattern: str) -> set[Triple]:
    """The triples a pattern matches, by SPARQL (default graph, or GRAPH <g> when the pattern says)."""
    return {Triple(r["s"], r["p"], r["o"]) for r in store.query(f"SELECT ?s ?p ?o WHERE {{ {pattern} }}")}


def everything(fragments: Fragments, selector: Selector) -> list[Triple]:
    """Every page of a fragment, concatenated, checking the paging rules on the way."""
    pages, number = [], 1
    while True:
        found = fragments.matches(selector, number)
        assert len(found.triples) <= tpf.PAGE_SIZE
        assert list(found.triples) == [q.triple for q in found.quads]
        pages += found.triples
        if not found.more:
            return pages
        assert len(found.triples) == tpf.PAGE_SIZE  # only the last page is short
        number += 1


def unskolemized(fragments: Fragments, triples: list[Triple]) -> set[Triple]:
    out = set()
    for t in triples:
        s, o = fragments.skolem.node(t.subject), fragments.skolem.node(t.object)  # type: ignore[arg-type]
        assert not isinstance(s, Literal) and s is not None and o is not None
        out.add(Triple(s, t.predicate, o))
    return out


PATTERNS = [  # selector, the same as SPARQL
    (Selector(), "?s ?p ?o"),
    (Selector(subject=ex("s")), f"BIND(<{EX}s> AS ?s) ?s ?p ?o"),
    (Selector(predicate=ex("p")), f"BIND(<{EX}p> AS ?p) ?s ?p ?o"),
    (Selector(object=Literal("x", language="en")), 'BIND("x"@en AS ?o) ?s ?p ?o'),
    (Selector(object=Literal("5", datatype=NamedNode(XSD + "integer"))), f'BIND("5"^^<{XSD}integer> AS ?o) ?s ?p ?o'),
    (Selector(subject=ex("s"), predicate=ex("p"), object=ex("o007")), f"BIND(<{EX}s> AS ?s) BIND(<{EX}p> AS ?p) "
                                                                      f"BIND(<{EX}o007> AS ?o) ?s ?p ?o"),
    (Selector(subject=ex("s"), object=ex("nothing")), f"BIND(<{EX}s> AS ?s) BIND(<{EX}nothing> AS ?o) ?s ?p ?o"),
    (Selector(same=((0, 2),)), "?s ?p ?o FILTER(?s = ?o)"),
    (Selector(predicate=ex("p"), graph=ex("other")), f"GRAPH <{EX}other> {{ BIND(<{EX}p> AS ?p) ?s ?p ?o }}"),
    (Selector(graph=ex("absent")), f"GRAPH <{EX}absent> {{ ?s ?p ?o }}"),
]


@pytest.mark.parametrize("index_limit", [tpf.INDEX_LIMIT, 0], ids=["indexed", "stored"])
@pytest.mark.parametrize(("selector", "pattern"), PATTERNS, ids=[p for _, p in PATTERNS])
def test_pages_hold_exactly_what_sparql_matches(small: Release, store: Store, index_limit: int,
                                                selector: Selector, pattern: str) -> None:
    fragments = Fragments(small, store, base_iri=BASE, index_limit=index_limit)
    triples = everything(fragments, selector)
    assert len(triples) == len(set(triples))  # each triple on one page only
    assert unskolemized(fragments, triples) == sparql(store, pattern)
    first = fragments.matches(selector, 1)
    assert first.total == len(triples) and first.exact
    assert not any(isinstance(term, BlankNode) for t in triples for term in (t.subject, t.object))


@pytest.mark.parametrize("index_limit", [tpf.INDEX_LIMIT, 0], ids=["indexed", "stored"])
def test_paging_arithmetic(small: Release, store: Store, index_limit: int) -> None:
    fragments = Fragments(small, store, base_iri=BASE, index_limit=index_limit)
    selector = Selector(predicate=ex("p"))  # 250 + the loop = 251: pages of 100, 100, 51
    sizes = [len(fragments.matches(selector, n).triples) for n in (1, 2, 3, 4)]
    assert sizes == [100, 100, 51, 0]
    assert [fragments.matches(selector, n).more for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert {fragments.matches(selector, n).total for n in (1, 2, 3, 4)} == {251}
    page2 = fragments.matches(selector, 2).triples
    assert page2[0] not in fragments.matches(selector, 1).triples  # page 2 continues page 1


def test_order_is_n_triples_order_and_the_same_in_every_instance(small: Release, store: Store) -> None:
    one, two = Fragments(small, store, base_iri=BASE), Fragments(small, small.open_store(), base_iri=BASE)
    triples = everything(one, Selector())
    keys = [(str(t.subject), str(t.predicate), str(t.object)) for t in triples]
    assert keys == sorted(keys)
    assert everything(two, Selector()) == triples
    stored = Fragments(small, store, base_iri=BASE, index_limit=0)
    assert everything(stored, Selector()) == everything(stored, Selector())  # the store's order, stable too


def test_blank_nodes_are_skolem_iris_of_the_release_and_can_be_asked_for(small: Release, store: Store) -> None:
    for index_limit in (tpf.INDEX_LIMIT, 0):
        fragments = Fragments(small, store, base_iri=BASE, index_limit=index_limit)
        [link] = fragments.matches(Selector(subject=ex("s"), predicate=ex("q")), 1).triples
        assert isinstance(link.object, NamedNode)
        assert link.object.value.startswith(f"{BASE}.well-known/genid/{small.version}/")
        [about] = fragments.matches(Selector(subject=link.object), 1).triples
        assert about.predicate == ex("r") and about.object == Literal("x", language="en")
        assert fragments.matches(Selector(object=link.object), 1).triples == [link]
        stale = NamedNode(f"{BASE}.well-known/genid/0000000000000000/b")  # another release's node
        assert fragments.matches(Selector(subject=stale), 1).total == 0


def test_large_graphs_are_counted_up_to_a_cap(small: Release, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tpf, "COUNT_CAP", 120)
    fragments = Fragments(small, store, base_iri=BASE, index_limit=0)
    selector = Selector(predicate=ex("p"))
    first = fragments.matches(selector, 1)
    assert (first.total, first.exact, first.more) == (120, False, True)
    third = fragments.matches(selector, 3)  # an estimate never says less than a page shows
    assert third.total == 251 and not third.exact and not third.more
    whole = fragments.matches(Selector(), 1)  # the manifest knows the size of a whole graph
    assert whole.exact and whole.total == small.default_graph_triples == 254
    document = parsed(fragments, FragmentRequest(selector), locate(f"{URL}?predicate={EX}p"), "turtle")
    description = next(t.object.value for t in document if t.predicate.value.endswith("/description"))
    assert "at least 120 triples match (an estimate" in description
    assert not [t for t in document if t.predicate.value == HYDRA + "last"]  # no last page of an estimate


def test_the_knowledge_graph_of_the_real_release(published: PublishedGraph) -> None:
    fragments = Fragments(published.release, published.store, base_iri=BASE)
    triples = everything(fragments, Selector())
    assert len(triples) == published.release.default_graph_triples
    assert unskolemized(fragments, triples) == sparql(published.store, "?s ?p ?o")
    shapes = NamedNode(BASE + "graph/shapes")
    in_shapes = everything(fragments, Selector(graph=shapes))
    assert unskolemized(fragments, in_shapes) == sparql(published.store, f"GRAPH <{shapes.value}> {{ ?s ?p ?o }}")


# ---- documents -------------------------------------------------------------------------------------------------

def parsed(fragments: Fragments, asked: FragmentRequest, where: tpf.Locations, fmt: str) -> list[Quad]:
    body = fragments.render(asked, where, BY_NAME[fmt])
    return list(parse(body, format=BY_NAME[fmt].oxigraph))  # type: ignore[arg-type]


def one(quads: list[Quad], subject: str, predicate: str) -> str:
    [value] = [q.object.value for q in quads if q.subject.value == subject and q.predicate.value == predicate]
    return value


@pytest.mark.parametrize("fmt", ["trig", "nquads", "jsonld"])
def test_quad_formats_put_metadata_and_controls_in_the_fragments_metadata_graph(
        small: Release, store: Store, fmt: str) -> None:
    fragments = Fragments(small, store, base_iri=BASE)
    where = locate(f"{URL}?predicate={EX}p&page=2")
    quads = parsed(fragments, parse_request([("predicate", EX + "p"), ("page", "2")]), where, fmt)
    data = [q for q in quads if q.graph_name == DefaultGraph()]
    meta = [q for q in quads if q.graph_name == NamedNode(where.metadata)]
    assert len(data) + len(meta) == len(quads)
    assert {q.triple for q in data} == set(fragments.matches(Selector(predicate=ex("p")), 2).triples)
    fragment, page, dataset = where.fragment, where.page, where.dataset
    assert one(meta, where.metadata, "http://xmlns.com/foaf/0.1/primaryTopic") == fragment
    assert one(meta, fragment, VOID + "triples") == one(meta, fragment, HYDRA + "totalItems") == "251"
    assert {q.object.value for q in meta if q.subject.value == dataset and q.predicate.value == VOID + "subset"} \
        == {page, fragment}
    assert one(meta, fragment, VOID + "subset") == one(meta, fragment, HYDRA + "view") == page
    assert one(meta, page, HYDRA + "first") == fragment
    assert one(meta, page, HYDRA + "previous") == fragment  # page 1 is the fragment itself
    assert one(meta, page, HYDRA + "next") == f"{fragment}&page=3"
    assert one(meta, page, HYDRA + "last") == f"{fragment}&page=3"
    assert one(meta, page, HYDRA + "itemsPerPage") == "100"
    if fmt != "jsonld":  # JSON-LD has no document order to speak of
        subsets = [q.subject.value for q in meta if q.predicate.value == VOID + "subset" and q.object.value == page]
        assert subsets[-1] == fragment  # clients take the last subset of the page as the fragment


def test_the_search_form_is_the_datasets(small: Release, store: Store) -> None:
    fragments = Fragments(small, store, base_iri=BASE)
    where = locate(URL)
    quads = parsed(fragments, FragmentRequest(Selector()), where, "turtle")
    [search] = [q.object for q in quads if q.subject.value == where.dataset and q.predicate.value == HYDRA + "search"]
    assert one(quads, search.value, HYDRA + "template") == URL + "{?subject,predicate,object,graph}"
    assert one(quads, search.value, HYDRA + "variableRepresentation") == HYDRA + "ExplicitRepresentation"
    mappings = [q.object for q in quads if q.subject == search and q.predicate.value == HYDRA + "mapping"]
    found = {one(quads, m.value, HYDRA + "variable"): one(quads, m.value, HYDRA + "property") for m in mappings}
    rdf, sd = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/ns/sparql-service-description#"
    assert found == {"subject": rdf + "subject", "predicate": rdf + "predicate", "object": rdf + "object",
                     "graph": sd + "graph"}
    types = {q.object.value for q in quads if q.subject.value == where.dataset and q.predicate.value == RDF_TYPE}
    assert types == {VOID + "Dataset", HYDRA + "Collection"}
    assert one(quads, where.dataset, sd + "defaultGraph") == tpf.DEFAULT_GRAPH
    assert all(q.graph_name == DefaultGraph() for q in quads)  # Turtle: one graph
    assert one(quads, URL, VOID + "triples") == "254"
    assert not [q for q in quads if q.predicate.value == HYDRA + "previous"]
    assert quads[0].predicate.value == VOID + "triples"  # the count comes before the data


def test_a_named_graphs_data_is_in_that_graph_in_quad_formats(small: Release, store: Store) -> None:
    fragments = Fragments(small, store, base_iri=BASE)
    where = locate(f"{URL}?graph={EX}other")
    quads = parsed(fragments, parse_request([("graph", EX + "other")]), where, "nquads")
    data = [q for q in quads if q.graph_name != NamedNode(where.metadata)]
    assert len(data) == 3 and {q.graph_name for q in data} == {ex("other")}


def test_documents_are_deterministic_and_kept(small: Release, store: Store) -> None:
    asked, where = FragmentRequest(Selector(predicate=ex("p"))), locate(f"{URL}?predicate={EX}p")
    one_instance = Fragments(small, store, base_iri=BASE)
    first = one_instance.render(asked, where, BY_NAME["turtle"])
    assert one_instance.render(asked, where, BY_NAME["turtle"]) is first  # rendered once
    assert Fragments(small, small.open_store(), base_iri=BASE).render(asked, where, BY_NAME["turtle"]) == first
    assert first.startswith(b"@prefix") and b"@prefix ex: <http://example.org/>" in first
    empty = Fragments(small, store, base_iri=BASE).render(FragmentRequest(Selector(graph=ex("absent"))),
                                                           locate(f"{URL}?graph={EX}absent"), BY_NAME["turtle"])
    assert b"ex:" not in empty.split(b"\n<")[0]  # a prefix no IRI uses is not declared
    assert list(parse(empty, format=RdfFormat.TURTLE))  # an empty fragment still has its controls
