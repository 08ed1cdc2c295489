"""The release's JSON-LD dump: compacted with the context it publishes, lossless, and byte-stable.

The compactor (``kgpub.rdf.jsonld``, reached through the one serializer) is checked against
pyld, a JSON-LD 1.1 processor: its compaction of our output is our output, and its RDF is
exactly the graph we wrote (same lexical forms, datatypes and language tags).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pyld import jsonld
from pyoxigraph import (
    BaseDirection,
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Triple,
    parse,
)

from kgpub.build.pipeline import build
from kgpub.rdf.formats import BY_NAME
from kgpub.rdf.jsonld import CONTEXT_NAME, Context
from kgpub.rdf.serialize import serialize
from kgpub.release import writer
from kgpub.settings import Settings

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SCHEMA = "http://schema.org/"
KJD = "https://w3id.org/kjtrade/id/"
JSONLD = BY_NAME["jsonld"]
PREFIXES = {"ex": EX, "xsd": XSD, "rdf": RDF, "schema": SCHEMA, "kjd": KJD, "country": KJD + "country/"}


def refuse(url: str, options: object = None) -> object:
    raise jsonld.JsonLdError(f"{url}: remote documents are refused", "jsonld.LoadDocumentError",
                             code="loading document failed")


LOCAL = {"documentLoader": refuse}


def n(iri: str) -> NamedNode:
    return NamedNode(iri)


def lit(value: str, datatype: str = "", language: str = "") -> Literal:
    if language:
        return Literal(value, language=language)
    return Literal(value, datatype=n(datatype)) if datatype else Literal(value)


TRIPLES = [
    Triple(n(KJD + "country/KR"), n(RDF + "type"), n(SCHEMA + "Country")),
    Triple(n(KJD + "country/KR"), n(RDF + "type"), n(EX + "Thing")),
    Triple(n(KJD + "country/KR"), n(SCHEMA + "name"), lit("South Korea", language="en")),
    Triple(n(KJD + "country/KR"), n(SCHEMA + "name"), lit("대한민국", language="ko")),
    Triple(n(KJD + "country/KR"), n(SCHEMA + "name"), lit("大韓民国", language="ja")),
    Triple(n(KJD + "country/KR"), n(SCHEMA + "alternateName"), lit("Korea", language="en-gb")),
    Triple(n(KJD + "country/KR"), n(EX + "code"), lit("KR")),
    Triple(n(KJD + "country/KR"), n(EX + "quote"), lit('say "hi"\n\ttab \\ slash \u2028')),
    Triple(n(KJD + "country/KR"), n(EX + "partOf"), n(KJD + "region/east-asia")),
    Triple(n(EX + "obs"), n(EX + "value"), lit("77200000000", XSD + "decimal")),
    Triple(n(EX + "obs"), n(EX + "value"), lit("1.50", XSD + "decimal")),
    Triple(n(EX + "obs"), n(EX + "count"), lit("007", XSD + "integer")),
    Triple(n(EX + "obs"), n(EX + "year"), lit("2024", XSD + "gYear")),
    Triple(n(EX + "obs"), n(EX + "flag"), lit("1", XSD + "boolean")),
    Triple(n(EX + "obs"), n(EX + "ratio"), lit("1.0E0", XSD + "double")),
    Triple(n(EX + "obs"), n(EX + "custom"), lit("x", "urn:example:datatype")),
    Triple(n(EX + "obs"), n(EX + "json"), lit('{"a": 1}', RDF + "JSON")),
    Triple(n(EX + "obs"), n(EX + "html"), lit("<b>bold</b>", RDF + "HTML")),
    Triple(n(EX + "obs"), n(RDF + "type"), lit("a literal type")),
    Triple(n(EX + "obs"), n(EX + "node"), BlankNode("b1")),
    Triple(BlankNode("b1"), n(RDF + "type"), BlankNode("b2")),
    Triple(BlankNode("b1"), n(EX + "label"), lit("anonymous", language="en")),
    Triple(n(EX + "obs"), n(EX + "namespace"), n(SCHEMA)),  # an IRI that is a prefix's namespace
    Triple(n(EX + "obs"), n(SCHEMA), n(EX + "x")),
    Triple(n(EX + "obs"), n(RDF + "type"), n(SCHEMA)),
    Triple(n(EX + "obs"), n(EX + "slashes"), n(EX + "//not-a-compact-iri")),
    Triple(n(EX + "obs"), n(EX + "elsewhere"), n("https://creativecommons.org/licenses/by/4.0/")),
    Triple(n(EX + "obs"), n(EX + "query"), n(EX + "search?q=a&b=%3C")),
]


def dump(triples: list[Triple], prefixes: dict[str, str] = PREFIXES) -> bytes:
    return serialize(triples, JSONLD, context=Context.of(prefixes, triples=triples)).body


def exact(statements: list[Quad] | list[Triple]) -> set[str]:
    """The statements as canonical N-Quads lines: equal sets are the same graph, term for term."""
    dataset = Dataset([s if isinstance(s, Quad) else Quad(s.subject, s.predicate, s.object) for s in statements])
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def read_back(body: bytes) -> set[str]:
    nquads = jsonld.to_rdf(json.loads(body), {**LOCAL, "format": "application/n-quads"})
    return exact(list(parse(nquads.encode(), format=RdfFormat.N_QUADS)))


def test_pyld_reads_back_exactly_the_graph_written() -> None:
    assert read_back(dump(TRIPLES)) == exact(TRIPLES)


def test_pyoxigraph_reads_it_back_too() -> None:
    assert exact(list(parse(dump(TRIPLES), format=RdfFormat.JSON_LD))) == exact(TRIPLES)


def test_it_is_what_a_json_ld_processor_compacts_with_that_context() -> None:
    plain = [t for t in TRIPLES if not t.object.value.endswith("//not-a-compact-iri")]
    doc = json.loads(dump(plain))
    assert jsonld.compact(doc, {"@context": doc["@context"]}, LOCAL) == doc


def test_a_suffix_that_starts_with_two_slashes_is_not_compacted() -> None:
    """pyld writes ``ex://x`` for ``http://example.org///x``, which reads back as the IRI ``ex://x``."""
    doc = {"@context": {"ex": EX}, "@id": "ex:s", "ex:p": {"@id": "ex://x"}}
    assert "<ex://x>" in jsonld.to_rdf(doc, {**LOCAL, "format": "application/n-quads"})
    slashes = [t for t in TRIPLES if t.object.value.endswith("//not-a-compact-iri")]
    assert json.loads(dump(slashes))["@graph"][0]["ex:slashes"] == {"@id": EX + "//not-a-compact-iri"}


def test_keys_and_identifiers_are_compact_iris_and_literals_keep_their_form() -> None:
    nodes = {node["@id"]: node for node in json.loads(dump(TRIPLES))["@graph"]}
    kr, obs = nodes["country:KR"], nodes["ex:obs"]  # the shortest compact IRI wins over kjd:country/KR
    assert kr["@type"] == ["ex:Thing", "schema:Country"]
    assert kr["schema:name"] == [{"@language": "en", "@value": "South Korea"},
                                 {"@language": "ja", "@value": "大韓民国"}, {"@language": "ko", "@value": "대한민국"}]
    assert kr["ex:code"] == "KR" and kr["ex:partOf"] == {"@id": "kjd:region/east-asia"}
    assert obs["ex:value"] == [{"@type": "xsd:decimal", "@value": "1.50"},
                               {"@type": "xsd:decimal", "@value": "77200000000"}]
    assert obs["ex:count"] == {"@type": "xsd:integer", "@value": "007"}  # never a JSON number
    assert obs["ex:custom"] == {"@type": "urn:example:datatype", "@value": "x"}
    assert obs["@type"] == "schema" and obs["rdf:type"] == "a literal type"  # a literal rdf:type stays a property
    assert obs["ex:namespace"] == {"@id": SCHEMA} and obs["schema"] == {"@id": "ex:x"}
    assert obs["ex:node"] == {"@id": "_:b1"} and nodes["_:b1"]["@type"] == "_:b2"


def test_the_context_is_inline_and_holds_usable_prefixes_only() -> None:
    prefixes = {**PREFIXES, "": "http://example.org/empty/", "part": "http://example.org/part-", "urn": "urn:x:"}
    context = Context.of(prefixes, triples=TRIPLES)
    assert context.prefixes == dict(sorted(PREFIXES.items()))  # no empty name, no namespace without / or #,
    assert "urn" in Context.of(prefixes).prefixes  # and urn: only because the graph has a urn: IRI (a datatype)
    doc = json.loads(dump(TRIPLES, prefixes))
    assert doc["@context"] == context.prefixes
    assert json.loads(context.render()) == {"@context": context.prefixes}


def test_same_triples_in_any_order_give_the_same_bytes() -> None:
    shuffled = [*TRIPLES, *TRIPLES[:5]]  # duplicates too
    random.Random(7).shuffle(shuffled)
    assert dump(shuffled) == dump(TRIPLES)
    assert dump(TRIPLES).endswith(b"\n  ]\n}\n") and dump(TRIPLES).count(b'\n    {"@id": ') == 3  # a node a line


def test_empty_graph_and_row_cap() -> None:
    assert json.loads(dump([])) == {"@context": dict(sorted(PREFIXES.items())), "@graph": []}
    capped = serialize(TRIPLES, JSONLD, context=Context.of(PREFIXES), max_rows=3)
    assert (capped.count, capped.truncated) == (3, True)
    assert len(read_back(capped.body)) == 3


def test_directional_strings_use_direction_and_other_rdf_1_2_terms_are_refused() -> None:
    s, p = n(EX + "s"), n(EX + "p")
    rtl = Triple(s, p, Literal("مرحبا", language="ar", direction=BaseDirection.RTL))
    assert json.loads(dump([rtl]))["@graph"][0]["ex:p"] == {"@direction": "rtl", "@language": "ar", "@value": "مرحبا"}
    with pytest.raises(ValueError, match="triple terms"):
        dump([Triple(s, p, Triple(s, p, s))])
    with pytest.raises(ValueError, match="one graph"):
        serialize([Quad(s, p, s, n(EX + "g"))], JSONLD, context=Context.of(PREFIXES))


def test_without_a_context_json_ld_is_pyoxigraphs_expanded_form() -> None:  # SPARQL answers (unchanged)
    doc = json.loads(serialize(TRIPLES[:1], JSONLD, prefixes=PREFIXES).body)
    assert doc == [{"@id": KJD + "country/KR", RDF + "type": [{"@id": SCHEMA + "Country"}]}]


def test_the_release_publishes_its_context_and_embeds_it_in_the_dump(tiny_project: Path) -> None:
    rel = build(Settings.load(env={}, project=tiny_project)).release
    published = json.loads(rel.file(CONTEXT_NAME).read_bytes())
    assert CONTEXT_NAME in rel.manifest.files
    assert published["@context"]["ex"] == "http://example.org/"
    dump_doc = json.loads(rel.dump_path(JSONLD).read_bytes())
    assert dump_doc["@context"] == published["@context"]
    assert {node["@id"] for node in dump_doc["@graph"]} == {"ex:Thing", "ex:a", "ex:b"}


def test_the_context_name_is_the_writers() -> None:
    draft = writer.Draft(quads=[], default_graphs=[])
    with pytest.raises(ValueError, match="exists already"):
        draft.add_file(CONTEXT_NAME, lambda _: b"{}")


def test_a_changed_context_is_a_new_release(tmp_path: Path) -> None:
    quad = Quad(n(EX + "s"), n(EX + "p"), n(EX + "o"), n(EX + "g"))
    one = writer.write(writer.Draft(quads=[quad], default_graphs=[EX + "g"], prefixes={"ex": EX}), tmp_path)
    two = writer.write(writer.Draft(quads=[quad], default_graphs=[EX + "g"], prefixes={"e": EX}), tmp_path)
    assert one.version != two.version
    assert json.loads(two.file(CONTEXT_NAME).read_bytes()) == {"@context": {"e": EX}}


def test_compacting_by_subject_gives_the_same_bytes_and_refuses_scattered_subjects() -> None:
    from pyoxigraph import Literal as L
    from pyoxigraph import NamedNode as N
    from pyoxigraph import Triple as T

    from kgpub.rdf.jsonld import Context, compact, compact_by_subject

    ex = "http://example.org/"
    triples = sorted([T(N(ex + s), N(ex + p), L(v)) for s in ("b", "a", "zz") for p, v in (("p", "1"), ("q", "2"))]
                     + [T(N(ex + "a"), N(ex + "p"), N(ex + "b"))], key=str)
    context = Context.of({"ex": ex}, triples=triples)
    assert compact_by_subject(triples, context) == compact(triples, context)
    scattered = [triples[0], triples[-1], triples[1]]
    with pytest.raises(ValueError, match="not together"):
        compact_by_subject(scattered, context)
