import pytest

from kgpub.errors import UnsupportedFormat
from kgpub.rdf.formats import Kind
from kgpub.rdf.negotiate import choose, parse_accept, pick

RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "application/json", "application/xml"]
RDF = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@pytest.mark.parametrize(("accept", "offered", "expected"), [
    (None, RESULTS, "application/sparql-results+json"),  # no header: the server's first choice
    ("", RESULTS, "application/sparql-results+json"),
    ("*/*", RDF, "text/turtle"),
    ("text/csv", RESULTS, "text/csv"),
    ("text/*", RESULTS, "text/csv"),  # first text/ type offered
    ("application/sparql-results+xml, */*;q=0.1", RESULTS, "application/sparql-results+xml"),
    ("text/csv;q=0.5, text/tab-separated-values", RESULTS, "text/tab-separated-values"),
    ("text/*;q=0.2, text/csv;q=0.9", RESULTS, "text/csv"),  # the specific range decides
    ("text/*, text/csv;q=0", RESULTS, "text/tab-separated-values"),  # q=0 excludes
    ("*/*, text/turtle;q=0", RDF, "application/n-triples"),
    ("text/html", RESULTS, None),  # 406
    ("application/sparql-results+json;q=0", ["application/sparql-results+json"], None),
    ("TEXT/Turtle", RDF, "text/turtle"),  # case-insensitive
    ("application/ld+json;profile=\"http://www.w3.org/ns/json-ld#expanded\"", RDF, "application/ld+json"),
    ("text/turtle;q=abc, application/n-triples;q=0.5", RDF, "application/n-triples"),  # bad q counts as 0
    ("text/turtle;q=0.9, application/rdf+xml;q=0.9", RDF, "text/turtle"),  # tie: server order
    ("application/json, text/javascript, */*; q=0.01", RESULTS, "application/json"),  # jQuery default
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", RESULTS, "application/xml"),  # browser
    (",,", RDF, "text/turtle"),  # no ranges at all: like no header
])
def test_choose(accept: str | None, offered: list[str], expected: str | None) -> None:
    assert choose(accept, offered) == expected


def test_parse_accept_keeps_parameters_and_clamps_q() -> None:
    [r] = parse_accept('text/turtle; charset="utf-8"; q=7')
    assert (r.type, r.subtype, r.q, r.params) == ("text", "turtle", 1.0, (("charset", "utf-8"),))


@pytest.mark.parametrize(("kind", "accept", "name", "expected"), [
    (Kind.RESULTS, None, None, ("json", "application/sparql-results+json")),
    (Kind.RESULTS, "application/json", None, ("json", "application/json")),
        (Kind.RESULTS, "text/*", None, ("csv", "text/csv")),  # the first format whose own type is text/
    (Kind.RDF, None, None, ("turtle", "text/turtle")),
    (Kind.RDF, "application/json, application/ld+json;q=0.9", None, ("jsonld", "application/ld+json")),
    (Kind.RESULTS, "text/csv", "tsv", ("tsv", "text/tab-separated-values")),
    (Kind.RDF, None, "ttl", ("turtle", "text/turtle")),
])
def test_pick(kind: Kind, accept: str | None, name: str | None, expected: tuple[str, str]) -> None:
    fmt, media_type = pick(kind, accept, [name] if name else [])
    assert (fmt.name, media_type) == expected


@pytest.mark.parametrize(("kind", "accept", "name"), [
    (Kind.RESULTS, "image/png", None), (Kind.RDF, None, "csv"), (Kind.RESULTS, None, "nonsense")])
def test_pick_refuses_what_does_not_fit(kind: Kind, accept: str | None, name: str | None) -> None:
    with pytest.raises(UnsupportedFormat, match="offered"):
        pick(kind, accept, [name] if name else [])


@pytest.mark.parametrize(("kind", "names", "expected"), [
    (Kind.RDF, ["xml"], "rdfxml"), (Kind.RDF, ["n3"], "turtle"),
    (Kind.RDF, ["rdf+xml", "application/rdf+xml"], "rdfxml"),
    (Kind.RDF, ["json-ld", "application/ld+json"], "jsonld"), (Kind.RESULTS, ["xml"], "xml"),
    (Kind.RESULTS, ["json"], "json"),
    (Kind.RESULTS, ["turtle", "csv"], "csv"),  # the first value that fits this result
])
def test_format_names_clients_send(kind: Kind, names: list[str], expected: str) -> None:
    assert pick(kind, None, names)[0].name == expected
