"""The single registry of serialization formats.

Negotiation, dumps, the CLI's ``--format`` choices and the service description all read
this table; nothing else names a media type or file extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pyoxigraph import QueryResultsFormat, RdfFormat


class Kind(Enum):
    RDF = "rdf"  # graphs and datasets (dumps, CONSTRUCT, DESCRIBE)
    RESULTS = "results"  # SELECT and ASK results
    PAGE = "page"  # a page for people (HTML), offered beside the RDF of a document


@dataclass(frozen=True, kw_only=True)
class Format:
    name: str  # short name used by the CLI and the ``format=`` parameter
    label: str
    media_type: str
    extension: str
    kind: Kind
    aliases: tuple[str, ...] = ()  # other media types that mean the same
    quads: bool = False  # its dump holds every named graph (else: the knowledge graph as one graph)
    dump: bool = False  # offered as a whole-dataset download
    w3c_iri: str = ""

    @property
    def oxigraph(self) -> RdfFormat | QueryResultsFormat:
        table = _OX_RDF if self.kind is Kind.RDF else _OX_RESULTS
        return table[self.name]

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


_OX_RDF = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
_OX_RESULTS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}

FORMATS: tuple[Format, ...] = (
    Format(name="turtle", label="Turtle", media_type="text/turtle", extension="ttl",
           kind=Kind.RDF, aliases=("application/x-turtle",), dump=True,
           w3c_iri="http://www.w3.org/ns/formats/Turtle"),
    Format(name="ntriples", label="N-Triples", media_type="application/n-triples",
           extension="nt", kind=Kind.RDF, aliases=("text/plain",), dump=True,
           w3c_iri="http://www.w3.org/ns/formats/N-Triples"),
    Format(name="nquads", label="N-Quads", media_type="application/n-quads", extension="nq",
           kind=Kind.RDF, quads=True, dump=True, w3c_iri="http://www.w3.org/ns/formats/N-Quads"),
    Format(name="trig", label="TriG", media_type="application/trig", extension="trig",
           kind=Kind.RDF, quads=True, dump=True, w3c_iri="http://www.w3.org/ns/formats/TriG"),
    Format(name="jsonld", label="JSON-LD", media_type="application/ld+json", extension="jsonld",
           kind=Kind.RDF, dump=True, w3c_iri="http://www.w3.org/ns/formats/JSON-LD"),
    Format(name="rdfxml", label="RDF/XML", media_type="application/rdf+xml", extension="rdf",
           kind=Kind.RDF, w3c_iri="http://www.w3.org/ns/formats/RDF_XML"),
    Format(name="json", label="SPARQL Results JSON", media_type="application/sparql-results+json",
           extension="srj", kind=Kind.RESULTS, aliases=("application/json",),
           w3c_iri="http://www.w3.org/ns/formats/SPARQL_Results_JSON"),
    Format(name="xml", label="SPARQL Results XML", media_type="application/sparql-results+xml",
           extension="srx", kind=Kind.RESULTS, aliases=("application/xml", "text/xml"),
           w3c_iri="http://www.w3.org/ns/formats/SPARQL_Results_XML"),
    Format(name="csv", label="SPARQL Results CSV", media_type="text/csv", extension="csv",
           kind=Kind.RESULTS, w3c_iri="http://www.w3.org/ns/formats/SPARQL_Results_CSV"),
    Format(name="tsv", label="SPARQL Results TSV", media_type="text/tab-separated-values",
           extension="tsv", kind=Kind.RESULTS, w3c_iri="http://www.w3.org/ns/formats/SPARQL_Results_TSV"),
    Format(name="html", label="HTML", media_type="text/html", extension="html", kind=Kind.PAGE,
           aliases=("application/xhtml+xml",)),
)

BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
HTML: Format = BY_NAME["html"]
DUMP_FORMATS: tuple[Format, ...] = tuple(f for f in FORMATS if f.dump)


def by_kind(kind: Kind) -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.kind is kind)


_BY_KEY: dict[str, Format] = {}
for _f in FORMATS:  # the first format that has a key owns it, as a scan of FORMATS in order would find
    for _key in (_f.name, _f.extension, *_f.media_types):
        _BY_KEY.setdefault(_key, _f)


def from_name(name: str) -> Format:
    """Look a format up by short name, extension or media type (case-insensitive); one dict look-up, as
    a request may name thousands (``format=`` repeated)."""
    try:
        return _BY_KEY[name.strip().lower()]
    except KeyError:
        raise KeyError(name) from None
