"""The figures as tables: each data set's CSV, read back by a CSV on the Web processor, is its observations.

For every ``qb:DataSet`` of the published graph (asked of the release's store with SPARQL) the
release has ``<name>.csv`` and ``<name>.csv-metadata.json``, one row per observation. They are
read with csvw (PyPI), a CSVW processor our code does not use:

- csvw implements CSV to JSON, not CSV to RDF: :func:`csv2rdf` applies the rules of "Generating
  RDF from Tabular Data on the Web" (minimal mode) to what csvw makes of the files -- its parsed
  metadata, its ``aboutUrl``/``propertyUrl``/``valueUrl`` expansion, its parsed cells and their
  lexical forms (``datatype.formatted``), each column's datatype and language -- and the triples
  must be exactly the observations' triples in ``dataset.nt`` (read with rdflib, lexical forms
  not normalized);
- csvw's own CSV to JSON (minimal mode) must describe the same observations with the same IRIs
  and values;
- independently of csvw and of the tables code, every non-empty cell is checked against the
  store with SPARQL (the triple is there; a label is the value's English label);
- the columns are the ones documented, in order, and a few cells are the article's figures.

Nothing is fetched: csvw 4.1 does not load the CSVW context (it only checks that ``@context``
names ``http://www.w3.org/ns/csvw``) and reads local files from disk; all the same every test
here replaces ``csvw.utils.urlopen`` (its one way to the network) and fails any socket
connection. The HTTP test lets csvw find a table's metadata the way the CSVW specification says,
through the CSV's ``Link`` header, with ``urlopen`` answering from the app in process.
"""

from __future__ import annotations

import contextlib
import csv
import email.message
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import csvw
import csvw.utils
import pytest
import rdflib
from csvw.metadata_utils import NAMESPACES
from fastapi.testclient import TestClient
from pyoxigraph import Literal, NamedNode

from helpers.published import PublishedGraph
from helpers.vocabularies import load_vocabularies
from kgpub.metadata import tables

QB, RDF, RDFS, SKOS, SCHEMA, XSD = tables.QB, tables.RDF, tables.RDFS, tables.SKOS, tables.SCHEMA, tables.XSD
NOT_XSD = {"xml": RDF + "XMLLiteral", "html": RDF + "HTML", "json": "http://www.w3.org/ns/csvw#JSON",
           "number": XSD + "double", "binary": XSD + "base64Binary", "datetime": XSD + "dateTime",
           "any": XSD + "anyAtomicType"}  # CSVW datatype names that are not XSD local names

BILATERAL = ["observation", "indicator", "indicator_label", "ref_area", "ref_area_label", "counterpart_area",
             "counterpart_area_label", "ref_year", "value", "unit", "unit_label", "currency", "stated_as_en",
             "label_en", "source", "source_label"]
SURVEY = ["observation", "indicator", "indicator_label", "respondent_cohort", "respondent_cohort_label",
          "policy_option", "policy_option_label", "ref_month", "value", "unit", "unit_label", "stated_as_en",
          "label_en", "source", "source_label"]
HEADERS = {"bilateral-trade": BILATERAL, "survey-2025": SURVEY}
Triple3 = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """csvw's one way to fetch, and every socket connection, fail the test (the HTTP test swaps in the app)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(csvw.utils, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)  # "1.50"^^xsd:decimal must stay "1.50"
    yield


def data_sets(published: PublishedGraph) -> dict[str, str]:
    """Every qb:DataSet of the knowledge graph under the base, by name, from the store (not the tables code)."""
    prefix = published.release.manifest.base_iri + "id/dataset/"
    found = {}
    for row in published.store.query(f"SELECT ?d WHERE {{ ?d a <{QB}DataSet> }}"):
        iri = row["d"].value
        if iri.startswith(prefix):
            found[iri.removeprefix(prefix)] = iri
    return found


def observation_triples(published: PublishedGraph, dataset: str) -> set[Triple3]:
    """Every triple of the data set's observations, from the N-Triples dump read with rdflib."""
    graph = rdflib.Graph()
    graph.parse(published.release.file("dataset.nt"), format="nt")
    members = set(graph.subjects(rdflib.URIRef(QB + "dataSet"), rdflib.URIRef(dataset)))
    return {(s, p, o) for s, p, o in graph if s in members}


def csv2rdf(metadata: Path) -> set[Triple3]:
    """Minimal-mode CSV to RDF of the table ``metadata`` describes, from what csvw parses and expands."""
    processor = csvw.CSVW(str(metadata))
    found: set[Triple3] = set()
    for table in processor.tables:
        about = table.tableSchema.inherit("aboutUrl")
        for number, row in enumerate(table.iterdicts(), start=1):
            subject = rdflib.URIRef(str(table.expand(about, row, _row=number)))
            for column in table.tableSchema.columns:
                if column.suppressOutput:
                    continue
                predicate = rdflib.URIRef(str(table.expand(column.inherit("propertyUrl"), row, _row=number,
                                                           _name=column.header)))
                value, value_url = row.get(column.header), column.inherit("valueUrl")
                if value is None and not column.virtual:
                    continue  # an empty cell is no value
                if value_url:
                    found.add((subject, predicate, rdflib.URIRef(str(table.expand(value_url, row, _row=number,
                                                                                   _name=column.header)))))
                    continue
                base = column.datatype.base if column.datatype else "string"
                lexical, lang = column.datatype.formatted(value), column.inherit("lang")
                if base == "string" and lang and lang != "und":
                    found.add((subject, predicate, rdflib.Literal(lexical, lang=lang)))
                else:
                    found.add((subject, predicate, rdflib.Literal(lexical, datatype=NOT_XSD.get(base, XSD + base))))
    return found


def test_every_data_set_has_a_table_with_a_row_per_observation(published: PublishedGraph) -> None:
    found = data_sets(published)
    assert set(found) == set(HEADERS)  # both data sets of data/cube.ttl and data/survey.ttl
    for name, iri in found.items():
        files = published.release.manifest.files
        assert {tables.csv_name(name), tables.metadata_name(name)} <= set(files)
        count = next(iter(published.store.query(
            f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o <{QB}dataSet> <{iri}> }}")))["n"].value
        rows = list(csv.DictReader(io.StringIO(published.release.file(tables.csv_name(name)).read_text("utf-8"))))
        assert len(rows) == int(count) > 0
        assert len({r["observation"] for r in rows}) == len(rows)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_a_csvw_processor_turns_the_table_back_into_the_observations(published: PublishedGraph, name: str) -> None:
    metadata = published.release.file(tables.metadata_name(name))
    processor = csvw.CSVW(str(metadata), validate=True)
    assert processor.is_valid, processor.warnings
    dataset = data_sets(published)[name]
    expected = observation_triples(published, dataset)
    assert {p for _, p, _ in expected} >= {rdflib.URIRef(QB + "dataSet"), rdflib.RDF.type}
    got = csv2rdf(metadata)
    assert got == expected, (sorted(got - expected), sorted(expected - got))


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_csvws_own_csv_to_json_describes_the_same_observations(published: PublishedGraph, name: str) -> None:
    """csvw's minimal JSON: an object per row, IRIs as strings (prefixed where csvw has the prefix), numbers."""
    described = csvw.CSVW(str(published.release.file(tables.metadata_name(name)))).to_json(minimal=True)
    expected: dict[str, dict[str, set[object]]] = {}
    for s, p, o in observation_triples(published, data_sets(published)[name]):
        value: object = str(o)
        if isinstance(o, rdflib.Literal) and str(o.datatype) in (XSD + "decimal", XSD + "double", XSD + "integer"):
            value = float(o)
        expected.setdefault(str(s), {}).setdefault(str(p), set()).add(value)

    def expand(key: str) -> str:
        prefix, _, local = key.partition(":")
        return NAMESPACES[prefix] + local if prefix in NAMESPACES and not key.startswith("http") else key

    got: dict[str, dict[str, set[object]]] = {}
    for item in described:
        for key, values in item.items():
            if key != "@id":
                for v in values if isinstance(values, list) else [values]:
                    got.setdefault(item["@id"], {}).setdefault(expand(key), set()).add(
                        expand(v) if isinstance(v, str) else v)
    assert got == expected


def cell_term(cell: str, column: dict[str, object]) -> NamedNode | Literal:
    """The RDF term a cell stands for, read from the metadata alone (the CSVW rules, no processor)."""
    if "valueUrl" in column:
        return NamedNode(cell)
    if "lang" in column:
        return Literal(cell, language=str(column["lang"]))
    return Literal(cell, datatype=NamedNode(XSD + str(column["datatype"])))


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_every_cell_is_the_observations_value_in_the_store(published: PublishedGraph, name: str) -> None:
    release, store = published.release, published.store
    schema = json.loads(release.file(tables.metadata_name(name)).read_text("utf-8"))["tableSchema"]
    columns = {c["name"]: c for c in schema["columns"]}
    rows = list(csv.DictReader(io.StringIO(release.file(tables.csv_name(name)).read_text("utf-8"), newline="")))
    assert list(rows[0]) == HEADERS[name] == [c["name"] for c in schema["columns"] if not c.get("virtual")]
    checked = 0
    for row in rows:
        obs = NamedNode(row["observation"])
        assert store.query(f"ASK {{ {obs} <{QB}dataSet> <{data_sets(published)[name]}> ; a <{QB}Observation> }}")
        for column_name, cell in row.items():
            column = columns[column_name]
            if not cell or column_name == "observation":
                continue
            if column_name.endswith("_label"):
                value = NamedNode(row[column_name.removesuffix("_label")])
                labels = {r["l"].value for r in store.query(
                    f"SELECT ?l WHERE {{ {value} <{SKOS}prefLabel>|<{RDFS}label>|<{SCHEMA}name> ?l "
                    f'FILTER(lang(?l) = "en") }}')}
                assert cell in labels or (not labels and cell == tables.UNIT_LABELS[value.value]), (value, cell)
            else:
                term = cell_term(cell, column)
                assert store.query(f"ASK {{ {obs} <{column['propertyUrl']}> {term} }}"), (obs, column_name, cell)
            checked += 1
    assert checked >= 10 * len(rows)


def test_the_figures_are_the_articles(published: PublishedGraph) -> None:
    def rows(name: str) -> dict[str, dict[str, str]]:
        text = published.release.file(tables.csv_name(name)).read_text("utf-8")
        return {r["observation"].rsplit("/", 1)[-1]: r for r in csv.DictReader(io.StringIO(text, newline=""))}

    trade = rows("bilateral-trade")
    assert list(trade) == ["iit-index-KR-JP-1988", "iit-index-KR-JP-2024", "trade-value-KR-JP-1965",
                           "trade-value-KR-JP-2024"]  # sorted by indicator, then year
    latest = trade["trade-value-KR-JP-2024"]
    assert (latest["value"], latest["ref_year"], latest["unit_label"], latest["stated_as_en"]) == (
        "77200000000", "2024", "Us Dollar", "$77.2 billion in 2024")
    assert (latest["ref_area_label"], latest["counterpart_area_label"]) == ("South Korea", "Japan")
    assert latest["currency"] == "http://publications.europa.eu/resource/authority/currency/USD"
    assert trade["iit-index-KR-JP-1988"]["value"] == "0.25" and trade["iit-index-KR-JP-1988"]["currency"] == ""
    survey = rows("survey-2025")
    share = survey["survey-2025-05-kr-companies-mce-supply-chain"]
    assert (share["value"], share["unit_label"], share["ref_month"], share["stated_as_en"]) == (
        "47.4", "Percent", "2025-05", "47.4% of Korean companies")
    assert survey["survey-2025-05-jp-companies-respondents"]["value"] == "49"


def test_the_unit_labels_are_qudts(published: PublishedGraph) -> None:
    """Every unit the tables name has a label, and the labels the graph lacks are QUDT's own rdfs:label@en."""
    said = load_vocabularies().said
    for iri, label in tables.UNIT_LABELS.items():
        assert (f"<{iri}>", f"<{RDFS}label>", json.dumps(label) + "@en") in said, iri
    used = {row["u"].value for row in published.store.query(
        f"SELECT DISTINCT ?u WHERE {{ ?o <{QB}dataSet> ?d ; <{tables.SDMX_ATTRIBUTE}unitMeasure> ?u }}")}
    assert used <= set(tables.UNIT_LABELS)


class _Answer:
    """What csvw reads of a urllib response, taken from an answer of the app."""

    def __init__(self, response: object) -> None:
        self.status = response.status_code  # type: ignore[attr-defined]
        self._body: bytes = response.content  # type: ignore[attr-defined]
        self.headers = email.message.Message()
        for key, value in response.headers.multi_items():  # type: ignore[attr-defined]
            self.headers[key] = value

    def info(self) -> email.message.Message:
        return self.headers

    def read(self) -> bytes:
        return self._body


def test_csvw_finds_the_metadata_through_the_link_header(client: TestClient, published: PublishedGraph,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    @contextlib.contextmanager
    def from_the_app(url: str, method: str = "GET", timeout: object = None) -> Iterator[_Answer]:
        assert url.startswith("http://testserver/"), url  # nothing leaves the process
        asked.append(url.removeprefix("http://testserver"))
        yield _Answer(client.request(method, url, headers={"Accept-Encoding": "identity"}))

    monkeypatch.setattr(csvw.utils, "urlopen", from_the_app)
    processor = csvw.CSVW("http://testserver/datasets/bilateral-trade.csv")
    assert "/datasets/bilateral-trade.csv-metadata.json" in asked  # found through Link: rel="describedby"
    assert not processor.no_metadata
    described = processor.to_json(minimal=True)
    local = csvw.CSVW(str(published.release.file(tables.metadata_name("bilateral-trade")))).to_json(minimal=True)
    assert described == local and len(described) == 4
