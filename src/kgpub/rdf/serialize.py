"""The one serializer: query results, graphs and datasets to bytes in a registered format.

Everything kgpub writes as RDF or SPARQL results goes through :func:`serialize`: query
answers (server and CLI alike), dumps, the validation report, the Service Description.
A row cap is reported, never silent: SELECT results are written here in the four W3C
formats (JSON, XML, CSV, TSV; checked against pyoxigraph's parsers in the tests) so that
writing can stop after N rows; ASK results use pyoxigraph's serializer, and triples and
quads go through pyoxigraph's serializers behind a counting iterator, except JSON-LD with a
context, which :mod:`kgpub.rdf.jsonld` compacts (the dumps).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
)
from pyoxigraph import (
    serialize as ox_serialize,
)

from kgpub.rdf import jsonld
from kgpub.rdf.formats import Format, Kind

T = TypeVar("T")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
Content = QuerySolutions | QueryBoolean | Iterable[Triple] | Iterable[Quad]


@dataclass(frozen=True)
class Serialized:
    body: bytes
    count: int  # rows (SELECT), triples or quads written; 1 for ASK
    truncated: bool  # the cap cut the content short


def serialize(content: Content, fmt: Format, *, prefixes: dict[str, str] | None = None,
              context: jsonld.Context | None = None, max_rows: int | None = None) -> Serialized:
    """``content`` in ``fmt``: SELECT/ASK results in a results format, triples or quads in an RDF format.

    At most ``max_rows`` rows, triples or quads are written; ``truncated`` says whether more were there.
    With a ``context``, JSON-LD is written compacted with it, inline (triples only); other formats ignore it.
    """
    if isinstance(content, QueryBoolean):
        assert isinstance(fmt.oxigraph, QueryResultsFormat)
        return Serialized(content.serialize(format=fmt.oxigraph) or b"", 1, False)
    if isinstance(content, QuerySolutions):
        if fmt.kind is not Kind.RESULTS:
            raise ValueError(f"{fmt.label} is not a query results format")
        names = [v.value for v in content.variables]
        solutions = _Capped(content, max_rows)
        rows = ([solution[name] for name in names] for solution in solutions)
        body = _WRITERS[fmt.name](names, rows)
        return Serialized(body, solutions.count, solutions.truncated)
    if fmt.kind is not Kind.RDF:
        raise ValueError(f"{fmt.label} is not an RDF format")
    statements = _Capped(content, max_rows)
    if context is not None and fmt.oxigraph == RdfFormat.JSON_LD:
        return Serialized(jsonld.compact(statements, context), statements.count, statements.truncated)
    data = ox_serialize(statements, format=fmt.oxigraph, prefixes=prefixes or {})  # type: ignore[arg-type]
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return Serialized(data, statements.count, statements.truncated)


class _Capped(Iterator[T]):
    """Yields at most ``cap`` items and notes whether more were there."""

    def __init__(self, items: Iterable[T], cap: int | None) -> None:
        self._items = iter(items)
        self._cap = cap
        self.count = 0
        self.truncated = False

    def __iter__(self) -> _Capped[T]:
        return self

    def __next__(self) -> T:
        item = next(self._items)
        if self._cap is not None and self.count >= self._cap:
            self.truncated = True
            raise StopIteration
        self.count += 1
        return item


Row = list[object]
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;"})


def escape(text: str) -> str:  # xml.sax.saxutils would import urllib and email into every worker
    return text.translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    return '"' + text.translate(_XML_ATTR) + '"'


def _json(names: list[str], rows: Iterable[Row]) -> bytes:
    bindings = [{n: _json_term(t) for n, t in zip(names, row, strict=True) if t is not None} for row in rows]
    doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    assert isinstance(term, Triple)
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _xml(names: list[str], rows: Iterable[Row]) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(n)}/>" for n in names]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                for n, t in zip(names, row, strict=True) if t is not None]
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode("utf-8")


def _xml_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    assert isinstance(term, Triple)
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>")


def _csv(names: list[str], rows: Iterable[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows([_csv_term(t) for t in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def _csv_term(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode | Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return str(term)  # a triple term: no CSV form is defined, its N-Triples form is the least surprise


def _tsv(names: list[str], rows: Iterable[Row]) -> bytes:
    lines = ["\t".join(f"?{n}" for n in names)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


_WRITERS = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}
