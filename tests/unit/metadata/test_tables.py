"""The figures as tables (kgpub.metadata.tables) on small graphs made here: columns, cells, bytes, metadata, refusals.

The CSV must hold every value exactly as written (datatypes and languages apart, one column
each), quote as RFC 4180 says, and come out the same for the same triples in any order; the
metadata must describe it so a CSV on the Web processor (csvw, read offline) accepts it and
parses every cell to the value written. What a table cannot say is an InputError.
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import random
import socket
from collections.abc import Iterator
from pathlib import Path

import csvw
import csvw.utils
import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from kgpub.errors import InputError
from kgpub.metadata import tables
from kgpub.release.writer import Canonical

BASE = "https://example.org/kg/"
EX = "http://example.org/ns#"
KJT, QB, XSD, RDF = tables.KJT, tables.QB, tables.XSD, tables.RDF
RDFS, SKOS, PROV = tables.RDFS, tables.SKOS, tables.PROV
MEASURE, ATTRIBUTE = tables.SDMX_MEASURE, tables.SDMX_ATTRIBUTE
UNIT = "http://qudt.org/vocab/unit/"
DATASET = BASE + "id/dataset/figures"
PREFIXES = {"ex": EX, "kjt": KJT, "qb": QB, "xsd": XSD, "sdmx-measure": MEASURE, "sdmx-attribute": ATTRIBUTE}


def n(iri: str) -> NamedNode:
    return NamedNode(iri)


def typed(value: str, local: str) -> Literal:
    return Literal(value, datatype=n(XSD + local))


def text(value: str, lang: str = "en") -> Literal:
    return Literal(value, language=lang)


def structure() -> list[Triple]:
    """The data set and its structure: two dimensions (ordered), one measure, a required and an optional attribute."""
    dsd = n(BASE + "id/dsd/figures")
    found = [Triple(n(DATASET), n(RDF + "type"), n(QB + "DataSet")), Triple(n(DATASET), n(QB + "structure"), dsd),
             Triple(n(DATASET), n(tables.DCTERMS + "title"), text("Figures")),
             Triple(n(DATASET), n(tables.DCTERMS + "license"), n("https://creativecommons.org/licenses/by/4.0/"))]
    for i, (role, prop, order, required) in enumerate([
            ("dimension", KJT + "refYear", 2, None), ("dimension", KJT + "indicator", 1, None),
            ("measure", MEASURE + "obsValue", None, None), ("attribute", ATTRIBUTE + "currency", None, False),
            ("attribute", ATTRIBUTE + "unitMeasure", None, True)]):
        component = BlankNode(f"c{i}")
        found += [Triple(dsd, n(QB + "component"), component), Triple(component, n(QB + role), n(prop))]
        if order is not None:
            found.append(Triple(component, n(QB + "order"), typed(str(order), "integer")))
        if required is not None:
            found.append(Triple(component, n(QB + "componentRequired"), typed(str(required).lower(), "boolean")))
    return found


def observation(slug: str, *values: tuple[str, NamedNode | Literal | BlankNode], types: bool = True) -> list[Triple]:
    obs = n(BASE + "id/observation/" + slug)
    found = [Triple(obs, n(QB + "dataSet"), n(DATASET))]
    if types:
        found.append(Triple(obs, n(RDF + "type"), n(QB + "Observation")))
    return found + [Triple(obs, n(p), o) for p, o in values]


def labels() -> list[Triple]:
    return [Triple(n(EX + "a"), n(SKOS + "prefLabel"), text("Indicator A")),
            Triple(n(EX + "a"), n(SKOS + "prefLabel"), text("지표 A", "ko")),
            Triple(n(EX + "b"), n(RDFS + "label"), text("Indicator B")),
            Triple(n(EX + "article"), n(RDFS + "label"), text("The article")),
            Triple(n(KJT + "refYear"), n(RDFS + "label"), text("reference year")),
            Triple(n(KJT + "refYear"), n(RDFS + "comment"), text("The calendar year an observation refers to."))]


def figures() -> list[Triple]:
    """Two observations with what a table must keep apart: datatypes, languages, two values, quoting."""
    return structure() + labels() + observation(
        "one",
        (KJT + "indicator", n(EX + "a")), (KJT + "refYear", typed("2024", "gYear")),
        (MEASURE + "obsValue", typed("1.50", "decimal")), (ATTRIBUTE + "unitMeasure", n(UNIT + "PERCENT")),
        (KJT + "statedAs", text('1.5%, "about" half\r\nof it')), (KJT + "statedAs", text("1.5퍼센트", "ko")),
        (PROV + "wasDerivedFrom", n(EX + "report")), (PROV + "wasDerivedFrom", n(EX + "article")),
    ) + observation(
        "two",
        (KJT + "indicator", n(EX + "b")), (KJT + "refYear", typed("1965", "gYear")),
        (MEASURE + "obsValue", typed("1.0E3", "double")), (ATTRIBUTE + "unitMeasure", n(EX + "unit")),
        (ATTRIBUTE + "currency", n(EX + "USD")), (KJT + "statedAs", text("  a thousand  ")),
        (PROV + "wasDerivedFrom", n(EX + "article")),
    )


def content(triples: list[Triple]) -> Canonical:
    ordered = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return Canonical(quads=[Quad(t.subject, t.predicate, t.object, n(BASE + "graph/data")) for t in ordered],
                     knowledge_graph=ordered, prefixes=PREFIXES)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


EXPECTED_HEADER = ["observation", "indicator", "indicator_label", "ref_year", "value_decimal", "value_double",
                   "unit", "unit_label", "currency", "stated_as_en", "stated_as_ko", "source", "source_label",
                   "source_2", "source_2_label"]


def test_one_row_per_observation_every_value_as_written() -> None:
    table = tables.table(content(figures()), DATASET)
    data = table.csv()
    assert data.decode("utf-8").split("\r\n")[0] == ",".join(EXPECTED_HEADER)
    one, two = rows(data)  # sorted by the dimensions in qb:order: indicator ex:a before ex:b
    assert one == {
        "observation": BASE + "id/observation/one", "indicator": EX + "a", "indicator_label": "Indicator A",
        "ref_year": "2024", "value_decimal": "1.50", "value_double": "", "unit": UNIT + "PERCENT",
        "unit_label": "Percent", "currency": "", "stated_as_en": '1.5%, "about" half\r\nof it',
        "stated_as_ko": "1.5퍼센트", "source": EX + "article", "source_label": "The article",
        "source_2": EX + "report", "source_2_label": ""}
    assert (two["value_decimal"], two["value_double"], two["currency"]) == ("", "1.0E3", EX + "USD")
    assert two["stated_as_en"] == "  a thousand  "  # never trimmed
    assert (two["unit_label"], two["source_2"]) == ("", "")  # no label in the graph or QUDT's list; one source


def test_rfc_4180_bytes_utf8_crlf_minimal_quoting() -> None:
    data = tables.table(content(figures()), DATASET).csv()
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte order mark
    text_ = data.decode("utf-8")
    assert text_.endswith("\r\n") and "\n" not in text_.replace("\r\n", "")  # records end in CRLF
    assert '"1.5%, ""about"" half\r\nof it"' in text_  # quoted: comma, quotes doubled, a line break inside
    assert ",1.5퍼센트," in text_ and ",  a thousand  ," in text_  # not quoted: nothing needs it


def test_the_same_triples_in_any_order_give_the_same_bytes() -> None:
    triples = figures()
    first = tables.table(content(triples), DATASET)
    random.Random(7).shuffle(triples)
    canonical = content(triples)
    shuffled = Canonical(quads=canonical.quads, knowledge_graph=list(reversed(canonical.knowledge_graph)),
                         prefixes=PREFIXES)
    again = tables.table(shuffled, DATASET)
    assert (again.csv(), again.metadata()) == (first.csv(), first.metadata())
    files = tables.Tables({"figures": DATASET})
    assert files.csv("figures")(shuffled) == first.csv()
    assert files.metadata("figures")(shuffled) == first.metadata()


def test_the_metadata_maps_every_column_back_to_its_triples() -> None:
    document = json.loads(tables.table(content(figures()), DATASET).metadata())
    assert document["@context"] == "http://www.w3.org/ns/csvw"
    assert document["url"] == "figures.csv"  # relative: it describes the CSV beside it, wherever both are
    assert document["dc:source"] == {"@id": DATASET}
    assert document["dc:title"] == {"@value": "Figures", "@language": "en"}
    assert document["dc:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert document["dialect"]["trim"] is False
    schema = document["tableSchema"]
    assert schema["aboutUrl"] == "{+observation}" and schema["primaryKey"] == "observation"
    columns = {c["name"]: c for c in schema["columns"]}
    assert [c["name"] for c in schema["columns"]] == [*EXPECTED_HEADER, "virtual_type", "virtual_data_set"]
    assert all(c["titles"] == c["name"] for c in schema["columns"] if not c.get("virtual"))
    assert columns["indicator"] | {"dc:description": None} == {
        "name": "indicator", "titles": "indicator", "dc:description": None, "datatype": "string", "required": True,
        "propertyUrl": KJT + "indicator", "valueUrl": "{+indicator}"}
    assert (columns["value_decimal"]["datatype"], columns["value_double"]["datatype"]) == ("decimal", "double")
    assert columns["ref_year"]["datatype"] == "gYear" and columns["ref_year"]["propertyUrl"] == KJT + "refYear"
    assert (columns["stated_as_en"]["lang"], columns["stated_as_ko"]["lang"]) == ("en", "ko")
    assert columns["source_2"]["propertyUrl"] == PROV + "wasDerivedFrom" and "required" not in columns["source_2"]
    for name in ("observation", "indicator_label", "unit_label", "source_label"):
        assert columns[name]["suppressOutput"] is True and "propertyUrl" not in columns[name]
    assert columns["virtual_type"] | {"dc:description": None} == {
        "name": "virtual_type", "dc:description": None, "virtual": True, "propertyUrl": RDF + "type",
        "valueUrl": QB + "Observation"}
    assert columns["virtual_data_set"]["valueUrl"] == DATASET
    ref_year = columns["ref_year"]["dc:description"]["@value"]
    assert ref_year.startswith("The calendar year an observation refers to.") and "kjt:refYear" in ref_year
    assert "xsd:gYear" in ref_year


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No network: csvw's one way to fetch, and every socket connection, fail the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(csvw.utils, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def test_a_csvw_processor_reads_every_cell_as_written(tmp_path: Path, offline: None) -> None:
    table = tables.table(content(figures()), DATASET)
    (tmp_path / "figures.csv").write_bytes(table.csv())
    (tmp_path / "figures.csv-metadata.json").write_bytes(table.metadata())
    processor = csvw.CSVW(str(tmp_path / "figures.csv-metadata.json"), validate=True)
    assert processor.is_valid, processor.warnings
    parsed = list(processor.tables[0].iterdicts())
    assert parsed[0]["value_decimal"] == decimal.Decimal("1.50") and parsed[1]["value_double"] == 1000.0
    assert parsed[0]["stated_as_en"] == '1.5%, "about" half\r\nof it' and parsed[1]["stated_as_en"] == "  a thousand  "
    assert parsed[1]["value_decimal"] is None and parsed[1]["source_2"] is None  # empty cells are no value
    columns = {c.name: c for c in processor.tables[0].tableSchema.columns}
    assert columns["stated_as_ko"].inherit("lang") == "ko"
    described = processor.to_json(minimal=True)
    assert described[0]["@id"] == BASE + "id/observation/one"
    assert described[0]["prov:wasDerivedFrom"] == [EX + "article", EX + "report"]
    assert described[1]["qb:dataSet"] == DATASET and described[1]["rdf:type"] == "qb:Observation"


def test_an_observation_without_rdf_type_gets_no_virtual_type_column() -> None:
    triples = structure() + observation("one", (MEASURE + "obsValue", typed("1", "decimal"))) + observation(
        "two", (MEASURE + "obsValue", typed("2", "decimal")), types=False)
    document = json.loads(tables.table(content(triples), DATASET).metadata())
    names = [c["name"] for c in document["tableSchema"]["columns"]]
    assert names == ["observation", "value", "type", "virtual_data_set"]  # rdf:type is a column: one row has it
    assert rows(tables.table(content(triples), DATASET).csv())[0]["type"] == QB + "Observation"


def test_a_data_set_without_observations_is_a_header_row() -> None:
    table = tables.table(content(structure()), DATASET)
    assert table.csv() == b"observation\r\n"
    assert [c["name"] for c in json.loads(table.metadata())["tableSchema"]["columns"]] == ["observation"]


def test_the_same_local_name_in_two_namespaces_is_told_apart_by_prefix() -> None:
    other = "http://example.com/other#"
    triples = structure() + observation("one", (EX + "note", text("ours")), (other + "note", text("theirs")))
    table = tables.table(Canonical(quads=[], knowledge_graph=sorted(triples, key=str),
                                   prefixes={**PREFIXES, "other": other}), DATASET)
    assert [c.name for c in table.columns][:3] == ["observation", "ex_note_en", "other_note_en"]


@pytest.mark.parametrize(("value", "why"), [
    (BlankNode("x"), "blank node value"),
    (Literal("x", datatype=n(EX + "custom")), "datatype"),
    (typed("", "string"), "empty literal"),
    (n("http://example.org/caf\u00e9"), "percent-encode"),
    (n("http://example.org/국가"), "percent-encode"),
])
def test_what_a_table_cannot_say_stops_the_build(value: NamedNode | Literal | BlankNode, why: str) -> None:
    triples = structure() + observation("one", (EX + "p", value))
    with pytest.raises(InputError, match=why) as caught:
        tables.table(content(triples), DATASET)
    assert BASE + "id/observation/one" in caught.value.message  # names the observation


def test_a_blank_node_observation_is_refused() -> None:
    triples = [*structure(), Triple(BlankNode("o"), n(QB + "dataSet"), n(DATASET))]
    with pytest.raises(InputError, match="blank node"):
        tables.table(content(triples), DATASET)


def test_published_tables_are_the_data_sets_under_the_base() -> None:
    data, shapes = BASE + "graph/data", BASE + "graph/shapes"
    kind = (n(RDF + "type"), n(QB + "DataSet"))
    quads = [Quad(n(BASE + "id/dataset/b-2"), *kind, n(data)), Quad(n(BASE + "id/dataset/a"), *kind, n(data)),
             Quad(n(BASE + "id/dataset/in-shapes"), *kind, n(shapes)),  # not in the knowledge graph
             Quad(n("http://example.com/id/dataset/theirs"), *kind, n(data)),  # not ours
             Quad(n(BASE + "id/dataset/c"), n(RDF + "type"), n(EX + "Other"), n(data)),  # not a data set
             Quad(BlankNode("d"), *kind, n(data))]
    found = tables.published(quads, graphs=[data], base_iri=BASE)
    assert found.datasets == {"a": BASE + "id/dataset/a", "b-2": BASE + "id/dataset/b-2"}
    assert found.names == ["a", "b-2"]


def test_every_table_of_a_release_is_made_once_from_one_index(monkeypatch: pytest.MonkeyPatch) -> None:
    other = BASE + "id/dataset/other"
    triples = [*figures(), Triple(n(other), n(RDF + "type"), n(QB + "DataSet")),
               Triple(n(BASE + "id/observation/x"), n(QB + "dataSet"), n(other))]
    canonical = content(triples)
    alone = tables.table(canonical, DATASET).csv()
    made: list[object] = []
    index = tables._Index
    monkeypatch.setattr(tables, "_Index", lambda c: made.append(c) or index(c))
    release = tables.Tables({"figures": DATASET, "other": other})
    outputs = [render(canonical) for name in release.names for render in (release.csv(name), release.metadata(name))]
    assert len(made) == 1  # one pass over the knowledge graph for the four files
    assert outputs[0] == alone
    assert outputs[2] == b"observation\r\nhttps://example.org/kg/id/observation/x\r\n"
    release.csv("figures")(content(triples))  # other content: made again
    assert len(made) == 2


@pytest.mark.parametrize("name", ["dataset", "dataset.nt", "a/b", "x%20y", "-x", "", "a?b"])
def test_a_data_set_name_that_cannot_name_files_is_refused(name: str) -> None:
    quads = [Quad(n(BASE + "id/dataset/" + name), n(RDF + "type"), n(QB + "DataSet"), n(BASE + "graph/data"))]
    with pytest.raises(InputError, match="cannot name its table files"):
        tables.published(quads, graphs=[BASE + "graph/data"], base_iri=BASE)


def test_file_names_and_media_types() -> None:
    assert (tables.csv_name("trade"), tables.metadata_name("trade")) == ("trade.csv", "trade.csv-metadata.json")
    assert tables.media_type("trade.csv") == "text/csv; charset=utf-8; header=present"
    assert tables.media_type("trade.csv-metadata.json") == "application/csvm+json"
    assert tables.media_type("trade.json") is None and tables.media_type("dataset.nt") is None
