"""The label index: what is indexed, width and case folding, CJK substrings, ranking, the cap, bad queries."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Store

from kgpub.errors import BadRequest
from kgpub.resources.iris import Namespace
from kgpub.resources.search import MAX_QUERY, LabelIndex, normalise, parse_query

BASE = "https://w3id.org/kjtrade/"
EX = "http://example.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL, PREF, ALT = NamedNode(RDFS + "label"), NamedNode(SKOS + "prefLabel"), NamedNode(SKOS + "altLabel")
NAME, TITLE = NamedNode("http://schema.org/name"), NamedNode("http://purl.org/dc/terms/title")
COUNTRY, CONCEPT = NamedNode(BASE + "ontology#Country"), NamedNode(SKOS + "Concept")


def iri(local: str) -> NamedNode:
    return NamedNode(BASE + "id/" + local)


def lit(text: str, lang: str | None = None) -> Literal:
    return Literal(text, language=lang)


def index_of(triples: Sequence[tuple[NamedNode, NamedNode, NamedNode | Literal]], *,
             graph: NamedNode | None = None) -> LabelIndex:
    """The index of ``triples`` in a new store's default graph (or its ``graph``)."""
    where = DefaultGraph() if graph is None else graph
    store = Store()
    store.extend([Quad(s, p, o, where) for s, p, o in triples])
    return LabelIndex.build(store, Namespace(BASE), graphs=(where,))


@pytest.fixture(scope="module")
def index() -> LabelIndex:
    kr, jp, semi, next_semi = iri("country/KR"), iri("country/JP"), iri("industry/semi"), iri("sector/next-semi")
    return index_of([
        (kr, PREF, lit("South Korea", "en")), (kr, PREF, lit("대한민국", "ko")), (kr, PREF, lit("大韓民国", "ja")),
        (kr, LABEL, lit("South Korea", "en")), (kr, ALT, lit("Korea", "en")), (kr, ALT, lit("한국", "ko")),
        (kr, RDF_TYPE, COUNTRY),
        (jp, PREF, lit("Japan", "en")), (jp, PREF, lit("日本", "ja")), (jp, RDF_TYPE, COUNTRY),
        (semi, PREF, lit("Semiconductors", "en")), (semi, PREF, lit("반도체", "ko")), (semi, PREF, lit("半導体", "ja")),
        (semi, RDF_TYPE, CONCEPT),
        (next_semi, PREF, lit("Next-generation semiconductors", "en")), (next_semi, PREF, lit("차세대 반도체", "ko")),
        (next_semi, PREF, lit("次世代半導体", "ja")), (next_semi, RDF_TYPE, CONCEPT),
        (iri("event/kana"), NAME, lit("ハンドウタイ", "ja")),
        (iri("report/title"), TITLE, lit("Korea–Japan trade")),  # no language tag
        (COUNTRY, LABEL, lit("Country", "en")), (COUNTRY, LABEL, lit("국가", "ko")),
        (NamedNode(EX + "outside"), LABEL, lit("Korean Air", "en")),
        (iri("country/KR"), NamedNode(EX + "note"), lit("Korea bank")),  # not a label predicate
    ])


def found(index: LabelIndex, q: str, lang: str = "en") -> list[str]:
    return [hit.iri for hit in index.search(q, lang=lang).hits]


def test_every_label_predicate_and_language_is_indexed(index: LabelIndex) -> None:
    assert found(index, "ハンドウタイ") == [BASE + "id/event/kana"]  # schema:name
    assert found(index, "trade") == [BASE + "id/report/title"]  # dcterms:title, untagged
    assert found(index, "한국") == [BASE + "id/country/KR"]  # skos:altLabel
    assert found(index, "bank") == []  # another predicate's literal is not a label


def test_prefix_before_word_before_substring(index: LabelIndex) -> None:
    # prefixes by length: "Korea" (KR's altLabel) < "Korean Air" < "Korea–Japan trade"; "South Korea" only a word
    assert found(index, "korea") == [BASE + "id/country/KR", EX + "outside", BASE + "id/report/title"]
    # "Semiconductors" starts with it; "Next-generation semiconductors" has it as a later word
    assert found(index, "semicon") == [BASE + "id/industry/semi", BASE + "id/sector/next-semi"]
    # a word start beats a match inside a word, even for a shorter label
    words = index_of([(iri("a"), LABEL, lit("xxbar")), (iri("b"), LABEL, lit("long foo bar"))])
    assert found(words, "bar") == [BASE + "id/b", BASE + "id/a"]


def test_one_hit_per_iri_with_its_best_label(index: LabelIndex) -> None:
    results = index.search("korea", lang="en")
    kr = results.hits[0]
    assert [h.iri for h in results.hits].count(kr.iri) == 1
    assert (kr.matched, kr.matched_lang) == ("Korea", "en")  # not "South Korea" (no prefix) twice


@pytest.mark.parametrize("q", ["KOREA", "ＫＯＲＥＡ", "ｋｏｒｅａ", "  korea  "])
def test_case_and_width_are_folded(index: LabelIndex, q: str) -> None:
    assert found(index, q)[0] == BASE + "id/country/KR"


def test_half_width_katakana_finds_full_width() -> None:
    assert normalise("ﾊﾝﾄﾞｳﾀｲ") == "ハンドウタイ"
    only = index_of([(iri("k"), LABEL, lit("ハンドウタイ", "ja"))])
    assert found(only, "ﾊﾝﾄﾞｳ") == [BASE + "id/k"]
    full = index_of([(iri("h"), LABEL, lit("ﾊﾝﾄﾞｳﾀｲ", "ja"))])  # and the other way round
    assert found(full, "ハンドウ") == [BASE + "id/h"]


def test_cjk_substrings_match(index: LabelIndex) -> None:
    # the exact label first, then the longer one that contains it
    assert found(index, "도체") == [BASE + "id/industry/semi", BASE + "id/sector/next-semi"]
    assert found(index, "半導体") == [BASE + "id/industry/semi", BASE + "id/sector/next-semi"]
    hit = index.search("도체", lang="en").hits[0]
    assert (hit.matched, hit.matched_lang) == ("반도체", "ko")


def test_a_hit_is_shown_in_the_readers_language(index: LabelIndex) -> None:
    hit = index.search("korea", lang="ko").hits[0]
    assert hit.path == "/id/country/KR"
    assert (hit.label.text, hit.label.lang, hit.label.fallback) == ("대한민국", "ko", False)
    assert [(t.iri, t.label, t.lang) for t in hit.types] == [(COUNTRY.value, "국가", "ko")]
    ja = index.search("korea", lang="ja").hits[0]
    assert (ja.label.text, ja.label.lang) == ("大韓民国", "ja")  # skos:prefLabel, the label to show
    assert [(t.label, t.lang) for t in ja.types] == [("Country", "en")]  # no Japanese label: English
    concept = index.search("반도체", lang="en").hits[0]
    assert [(t.label, t.lang) for t in concept.types] == [("Concept", "")]  # unlabelled type: its local name
    outside = index.search("korean air", lang="en").hits[0]
    assert outside.path is None


def test_preferred_label_is_shown_over_an_alternative() -> None:
    x = iri("x")
    one = index_of([(x, ALT, lit("Aardvark", "en")), (x, PREF, lit("Zebra", "en")), (x, LABEL, lit("Mule", "en"))])
    hit = one.search("aardvark", lang="en").hits[0]
    assert (hit.label.text, hit.matched) == ("Zebra", "Aardvark")


def test_ranking_is_stable_by_length_then_text_then_iri() -> None:
    labels = ["ab", "abc", "abd", "ab"]  # two IRIs with the same label: by IRI
    triples = [(iri(f"n{i}"), LABEL, lit(text, "en")) for i, text in reversed(list(enumerate(labels)))]
    index = index_of(triples)
    expected = [BASE + "id/n0", BASE + "id/n3", BASE + "id/n1", BASE + "id/n2"]
    assert found(index, "ab") == expected
    assert found(index_of(list(reversed(triples))), "ab") == expected  # the store's order does not matter


def test_results_are_capped_and_the_total_reported() -> None:
    index = index_of([(iri(f"n{i:03}"), LABEL, lit(f"item {i:03}", "en")) for i in range(120)])
    results = index.search("item", lang="en", limit=50)
    assert (results.total, len(results.hits), results.truncated) == (120, 50, True)
    assert results.hits[0].iri == BASE + "id/n000" and results.hits[-1].iri == BASE + "id/n049"
    small = index.search("item 11", lang="en", limit=50)
    assert (small.total, len(small.hits), small.truncated) == (10, 10, False)
    assert index.search("nothing", lang="en").total == 0


def test_named_graphs_are_read_when_given() -> None:
    g = NamedNode(EX + "data")
    index = index_of([(iri("n"), LABEL, lit("Seoul", "en"))], graph=g)
    assert found(index, "seoul") == [BASE + "id/n"]
    assert index.search("seoul", lang="en").hits[0].path == "/id/n"


@pytest.mark.parametrize(("values", "expected"), [([], None), ([""], None), (["korea"], "korea"),
                                                   ([" 반도체 "], " 반도체 "), (["x" * MAX_QUERY], "x" * MAX_QUERY)])
def test_parse_query(values: list[str], expected: str | None) -> None:
    assert parse_query(values) == expected


@pytest.mark.parametrize(("values", "says"), [([" "], "white space"), (["\t\n\u3000"], "white space"),
                                              (["x" * (MAX_QUERY + 1)], f"at most {MAX_QUERY}"),
                                              (["a", "b"], "2 times")])
def test_bad_queries_are_bad_requests(values: list[str], says: str) -> None:
    with pytest.raises(BadRequest, match=says):
        parse_query(values)


def test_search_refuses_a_blank_query(index: LabelIndex) -> None:
    with pytest.raises(BadRequest, match="white space"):
        index.search("   ", lang="en")
