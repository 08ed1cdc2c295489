"""The entity page model on a small store: order (sh:order, the data structure, defaults), blank nodes
inline to three levels, what links here grouped and capped, literals formatted, labels with fallback."""

from __future__ import annotations

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store

from kgpub.resources import views as v
from kgpub.resources.iris import Namespace
from kgpub.resources.labels import Labels

BASE = "https://example.org/kg/"
EX = BASE + "id/"
NS = Namespace(BASE)
XSD = "http://www.w3.org/2001/XMLSchema#"


def n(iri: str) -> NamedNode:
    return NamedNode(iri)


def store_with(*quads: tuple[object, object, object] | tuple[object, object, object, object]) -> Store:
    store = Store()
    for q in quads:
        graph = q[3] if len(q) == 4 else DefaultGraph()
        store.add(Quad(q[0], q[1], q[2], graph))  # type: ignore[arg-type]
    return store


def views_of(store: Store) -> v.Views:
    return v.Views(store, NS, Labels(store, NS, {"ex": EX}))


def test_title_types_and_fallback() -> None:
    thing, cls = n(EX + "a"), n(EX + "Thing")
    store = store_with((thing, n(v.RDF + "type"), cls), (thing, n(v.RDFS + "label"), Literal("A", language="en")),
                       (cls, n(v.RDFS + "label"), Literal("물건", language="ko")))
    page = views_of(store).entity(thing.value, "ko")
    assert (page.title.text, page.title.lang, page.title.fallback) == ("A", "en", True)
    assert [(t.text, t.href) for t in page.types] == [("물건", "/id/Thing")]


def test_shapes_order_beats_the_defaults_and_the_cube_orders_dimensions() -> None:
    obs, ds, dsd = n(EX + "o"), n(EX + "ds"), n(EX + "dsd")
    a, b, c = n(EX + "dimA"), n(EX + "dimB"), n(EX + "zzz")
    c1, c2 = BlankNode(), BlankNode()
    shapes = n(BASE + "graph/shapes")
    shape, prop = n(EX + "Shape"), BlankNode()
    store = store_with(
        (obs, n(v.RDF + "type"), n(v.QB + "Observation")), (obs, n(v.QB + "dataSet"), ds),
        (ds, n(v.QB + "structure"), dsd), (dsd, n(v.QB + "component"), c1), (dsd, n(v.QB + "component"), c2),
        (c1, n(v.QB + "dimension"), b), (c1, n(v.QB + "order"), Literal("1", datatype=n(XSD + "integer"))),
        (c2, n(v.QB + "dimension"), a), (c2, n(v.QB + "order"), Literal("2", datatype=n(XSD + "integer"))),
        (obs, a, Literal("x")), (obs, b, Literal("y")), (obs, c, Literal("z")),
        (obs, n(v.RDFS + "label"), Literal("O", language="en")),
        (shape, n(v.SH + "targetClass"), n(v.QB + "Observation"), shapes), (shape, n(v.SH + "property"), prop, shapes),
        (prop, n(v.SH + "path"), c, shapes),
        (prop, n(v.SH + "order"), Literal("-5", datatype=n(XSD + "integer")), shapes))
    order = [row.predicate for row in views_of(store).entity(obs.value, "en").rows]
    assert order.index(v.RDFS + "label") < order.index(c.value)  # identity first
    assert order.index(c.value) < order.index(b.value)  # the shapes' sh:order before the structure's qb:order
    assert order.index(b.value) < order.index(a.value)  # the structure's qb:order, not the alphabet
    assert order.index(v.QB + "dataSet") < order.index(c.value)


def test_shapes_groups_name_their_properties() -> None:
    obs, p, q = n(EX + "o"), n(EX + "p"), n(EX + "q")
    shapes = n(BASE + "graph/shapes")
    shape, prop, group = n(EX + "Shape"), BlankNode(), n(EX + "Group")
    store = store_with(
        (obs, n(v.RDF + "type"), n(EX + "C")), (obs, p, Literal("x")), (obs, q, Literal("y")),
        (shape, n(v.SH + "targetClass"), n(EX + "C"), shapes), (shape, n(v.SH + "property"), prop, shapes),
        (prop, n(v.SH + "path"), q, shapes),
        (prop, n(v.SH + "order"), Literal("1", datatype=n(XSD + "integer")), shapes),
        (prop, n(v.SH + "group"), group, shapes), (group, n(v.RDF + "type"), n(v.SH + "PropertyGroup"), shapes),
        (group, n(v.RDFS + "label"), Literal("그룹", language="ko"), shapes))
    rows = {row.predicate: row for row in views_of(store).entity(obs.value, "ko").rows}
    assert rows[q.value].group is not None and rows[q.value].group.text == "그룹"
    assert rows[p.value].group is None


def test_blank_nodes_are_inline_three_levels_deep() -> None:
    top = n(EX + "t")
    b1, b2, b3, b4 = BlankNode(), BlankNode(), BlankNode(), BlankNode()
    p = n(EX + "p")
    store = store_with((top, p, b1), (b1, p, b2), (b2, p, b3), (b3, p, b4), (b4, p, Literal("deep")))
    row = views_of(store).entity(top.value, "en").rows[0]
    level = row.values[0]
    depth = 0
    while level.rows:
        depth += 1
        level = level.rows[0].values[0]
    assert depth == v.MAX_DEPTH and level.text == "…"


def test_what_links_here_is_grouped_counted_and_capped() -> None:
    target, p, q = n(EX + "t"), n(EX + "p"), n(EX + "q")
    many = [(n(EX + f"s{i:03}"), p, target) for i in range(v.INCOMING_SHOWN + 5)]
    store = store_with(*many, (n(EX + "x"), q, target))
    groups = {g.predicate: g for g in views_of(store).entity(target.value, "en").incoming}
    assert groups[p.value].count == v.INCOMING_SHOWN + 5 and len(groups[p.value].values) == v.INCOMING_SHOWN
    assert groups[q.value].count == 1 and not groups[p.value].more


def test_literals_for_people() -> None:
    assert v.literal(Literal("1234567", datatype=n(XSD + "integer")), "en").text == "1,234,567"
    assert v.literal(Literal("2025-06-19", datatype=n(XSD + "date")), "ja").text == "2025年6月19日"
    tagged = v.literal(Literal("한국", language="ko"), "en")
    assert (tagged.lang, tagged.tag) == ("ko", "ko")
    plain = v.literal(Literal("KR"), "en")
    assert plain.untagged and plain.lang == ""
    money = v.literal(Literal("200000000", datatype=n(XSD + "decimal")), "en", unit="http://qudt.org/vocab/unit/CCY_USD")
    assert money.text == "USD 200 million" and money.note == "200000000"


def test_links_out_are_external() -> None:
    thing = n(EX + "a")
    store = store_with((thing, n(v.OWL + "sameAs"), n("http://www.wikidata.org/entity/Q884")))
    page = views_of(store).entity(thing.value, "en")
    assert [(x.href, x.external) for x in page.links_out] == [("http://www.wikidata.org/entity/Q884", True)]
