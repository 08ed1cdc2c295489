"""Hypothesis strategies for what a client sends kgpub: SPARQL text, the parameters of every route, headers.

Used by ``tests/unit/web/test_fuzz.py`` (in-process, against the real article release). Two kinds of
SPARQL text: *grammar-ish* (a random walk over the language's tokens, so that a good share of
examples parse and reach the engine, the serializers and the pages) and *fully random* text
(surrogate-free Unicode, CJK, control characters). IRIs stay inside the dataset's namespace,
``urn:`` and ``.invalid`` hosts: nothing a fuzzed query names could be reached even if it were
fetched (and a SERVICE is refused before any engine runs).
"""

from __future__ import annotations

from hypothesis import strategies as st

from kgpub.rdf.formats import FORMATS
from kgpub.resources.i18n import LANGUAGES

BASE = "https://w3id.org/kjtrade/"
KNOWN_IRIS = (BASE + "id/country/KR", BASE + "id/country/JP", BASE + "ontology#Country", BASE + "graph/data",
              BASE + "graph/ontology", BASE + "graph/shapes", "http://schema.org/Country",
              "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://purl.org/linked-data/cube#Observation")
KEYWORDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH",
            "SERVICE", "SILENT", "BIND", "AS", "VALUES", "PREFIX", "BASE", "FROM", "NAMED", "LIMIT", "OFFSET",
            "ORDER BY", "GROUP BY", "HAVING", "DISTINCT", "REDUCED", "EXISTS", "NOT", "IN", "UNDEF", "a", "true",
            "false", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "STR", "LANG",
            "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND",
            "CONCAT", "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE",
            "STRAFTER", "YEAR", "NOW", "UUID", "STRUUID", "MD5", "SHA256", "COALESCE", "IF", "STRLANG", "STRDT",
            "sameTerm", "isIRI", "isBlank", "isLiteral", "isNumeric", "REGEX", "SUBSTR", "REPLACE", "ASC", "DESC",
            "INSERT", "DELETE", "DATA", "LOAD", "CLEAR", "DROP", "CREATE", "WITH", "USING", "INTO", "ALL",
            "DEFAULT", "TRIPLE", "isTRIPLE", "SUBJECT", "PREDICATE", "OBJECT", "LATERAL", "ADJUST")
PUNCTUATION = ("{", "}", "(", ")", ".", ";", ",", "*", "=", "!=", "<", ">", "<=", ">=", "&&", "||", "!", "+", "-",
               "/", "^", "|", "?", "^^", "@", "<<", ">>", "{|", "|}", "[", "]", "#", "\n", "'''", '"""')
PREFIXES = ("rdf:", "rdfs:", "owl:", "xsd:", "qb:", "kjt:", "country:", "schema:", ":", "ex:", "p1:")
LOCAL = st.text(st.characters(codec="utf-8", categories=("L", "Nd")), min_size=0, max_size=12)
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.characters(min_codepoint=0xAC00,
              max_codepoint=0xD7A3) | st.characters(min_codepoint=0x3040, max_codepoint=0x30FF), max_size=20)
ANY_TEXT = st.text(max_size=200)  # Hypothesis' default alphabet: every code point but surrogates
LANG_TAGS = st.sampled_from(("en", "ko", "ja", "ko-KR", "ja-Jpan-JP", "en-x-private", "x", "*", "", "EN", "zh-Hant",
                             "a-b-c-d-e-f-g-h", "i-klingon", "en-"))


@st.composite
def iris(draw: st.DrawFn) -> str:
    """An IRI as a parameter value: of the dataset, or any other, sometimes broken."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(KNOWN_IRIS))
    if kind == 1:
        return BASE + "id/" + draw(st.sampled_from(("country", "observation", "dataset", "x"))) + "/" + draw(LOCAL)
    if kind == 2:
        return "urn:" + draw(LOCAL) + ":" + draw(LOCAL)
    if kind == 3:
        return "http://" + draw(LOCAL) + ".invalid/" + draw(st.text(max_size=30))
    if kind == 4:
        return draw(st.sampled_from(("", "relative", "/absolute/path", "http://", "urn:", "http://[::1", "%zz",
                                     "http://a b", "http://x/\u00e9", "mailto:x@y.invalid", "javascript:1")))
    return draw(ANY_TEXT)


@st.composite
def terms(draw: st.DrawFn) -> str:
    """One SPARQL term: a variable, an IRI, a prefixed name, a literal, a number, a blank node."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return draw(st.sampled_from("?$")) + (draw(LOCAL) or "x")
    if kind == 1:
        return "<" + draw(iris()) + ">"
    if kind == 2:
        return draw(st.sampled_from(PREFIXES)) + draw(LOCAL)
    if kind == 3:
        quote = draw(st.sampled_from(('"', "'", '"""', "'''")))
        body = draw(CJK | st.text(max_size=20) | st.sampled_from(("\\n", "\\u0041", "\\U0001F600", "\\", "\\x")))
        suffix = draw(st.sampled_from(("", "@" + draw(LANG_TAGS), "^^xsd:integer", "^^<" + draw(iris()) + ">")))
        return quote + body + quote + suffix
    if kind == 4:
        return str(draw(st.integers(-10**30, 10**30) | st.floats(allow_nan=False).map(repr)))
    if kind == 5:
        return "_:" + (draw(LOCAL) or "b")
    if kind == 6:
        return draw(st.sampled_from(("[]", "()", "a", "<<?s ?p ?o>>", "UNDEF", "1e999", "-0", ".5", "0x10")))
    if kind == 7:
        return draw(st.sampled_from(KEYWORDS)) + "(" + draw(st.sampled_from(("?x", "<urn:x>", '"a"', "*", ""))) + ")"
    return draw(CJK)


@st.composite
def grammarish(draw: st.DrawFn) -> str:
    """A random mix of the language's tokens, usually in the shape of a query (a form, a group)."""
    tokens = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION), terms())
    head = draw(st.lists(st.sampled_from(("PREFIX ex: <urn:ex:>", "PREFIX : <" + BASE + "id/>", "BASE <urn:b/>",
                                          "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>")), max_size=2))
    form = draw(st.sampled_from(("SELECT *", "SELECT ?s", "SELECT (COUNT(*) AS ?n)", "ASK", "CONSTRUCT", "DESCRIBE",
                                 "SELECT DISTINCT ?o", "", "CONSTRUCT WHERE", "DESCRIBE <" + KNOWN_IRIS[0] + ">")))
    body = draw(st.lists(tokens, max_size=40))
    shaped = draw(st.booleans())
    separator = draw(st.sampled_from((" ", "\n", "\t", "", " # c\n")))
    text = separator.join([*head, form] + (["WHERE {", *body, "}"] if shaped else body))
    if draw(st.booleans()):
        text += draw(st.sampled_from(("", " LIMIT 5", " LIMIT 100000000000", " OFFSET 3", " ORDER BY ?s",
                                      " GROUP BY ?s", " VALUES ?s { <urn:x> }")))
    return text


@st.composite
def well_formed(draw: st.DrawFn) -> str:
    """A query that parses, of every form, over the dataset's terms: the answers' serializers and pages run."""
    node = st.one_of(st.sampled_from(("?s", "?o", "?x")), st.sampled_from(KNOWN_IRIS).map(lambda i: f"<{i}>"))
    literal = st.one_of(CJK.map(lambda t: '"' + t + '"'), st.integers(-10**6, 10**6).map(str),
                        st.tuples(CJK, st.sampled_from(("en", "ko", "ja"))).map(lambda t: f'"{t[0]}"@{t[1]}'))
    s, p, o = draw(node), draw(node | st.just("a")), draw(node | literal)
    pattern = f"{s} {p} {o}"
    value = draw(st.sampled_from(KNOWN_IRIS))
    extra = draw(st.sampled_from(("", f" OPTIONAL {{ {s} <{KNOWN_IRIS[7]}> ?t }}", " FILTER(isIRI(?s))",
                                  f" FILTER(CONTAINS(STR(?o), {draw(literal)}))", " BIND(STRLEN(STR(?o)) AS ?n)",
                                  " } UNION { ?s a ?o", " MINUS { ?s a <urn:x> }", f" VALUES ?x {{ <{value}> }}")))
    where = f"{{ {pattern} .{extra} }}" if "UNION" not in extra else f"{{ {{ {pattern}{extra} }} }}"
    form = draw(st.sampled_from(("SELECT *", "SELECT DISTINCT ?s", "SELECT (COUNT(*) AS ?n)", "ASK",
                                 "CONSTRUCT { ?s ?p ?o }", "DESCRIBE ?s", "SELECT ?s (SAMPLE(?o) AS ?v)")))
    if "?p" in form and "?p" not in where:
        form = "CONSTRUCT WHERE"
        where = f"{{ {pattern} }}"
    tail = draw(st.sampled_from(("", " LIMIT 3", " ORDER BY ?s LIMIT 5", " OFFSET 2 LIMIT 2")))
    if "SAMPLE" in form:
        tail = " GROUP BY ?s" + tail
    return f"{form} WHERE {where}{tail}" if form != "CONSTRUCT WHERE" else f"{form} {where}{tail}"


sparql_texts = st.one_of(well_formed(), grammarish(), ANY_TEXT, CJK,
                         st.text(st.characters(codec="utf-8"), max_size=2000))
"""SPARQL text: well-formed queries, grammar-ish token soup, or fully random (surrogate-free) Unicode."""


FORMAT_VALUES = st.one_of(
    st.sampled_from([f.name for f in FORMATS] + [f.extension for f in FORMATS]
                    + [m for f in FORMATS for m in f.media_types]
                    + ["xml", "rdf+xml", "rdf", "n3", "json-ld", "JSON", " Turtle ", "text/html;q=0.5", "*/*", ""]),
    st.text(max_size=30))
TIMEOUT_VALUES = st.one_of(
    st.sampled_from(("0", "-1", "0.0001", "1", "2.5", "1e999", "-1e999", "nan", "NaN", "inf", "-inf", "1_0", "0x1",
                     " 1 ", "", "１", "٣")),
    st.floats().map(repr), st.integers().map(str), st.text(max_size=10))
LANG_VALUES = st.one_of(st.sampled_from((*LANGUAGES, "KO", " ja ", "ko-KR", "", "xx", "en\t")), st.text(max_size=8))


VALID_FORMATS = st.sampled_from([f.name for f in FORMATS] + [m for f in FORMATS for m in f.media_types])
VALID_TIMEOUTS = st.sampled_from(("0.5", "1", "0.25", "2"))
GRAPHS = st.sampled_from([i for i in KNOWN_IRIS if "/graph/" in i])


@st.composite
def sparql_params(draw: st.DrawFn, *, with_query: bool = True) -> list[tuple[str, str]]:
    """The parameters of a /sparql request, each maybe repeated, maybe missing, plus strangers. Half of the
    examples hold only values the endpoint accepts (one query, graphs of the release, known formats), so that
    the engine, the serializers and the result pages run; the other half anything."""
    params: list[tuple[str, str]] = []
    if draw(st.booleans()):  # only valid values
        if with_query:
            params.append(("query", draw(st.one_of(well_formed(), grammarish()))))
        params += [("default-graph-uri", v) for v in draw(st.lists(GRAPHS, max_size=2))]
        params += [("named-graph-uri", v) for v in draw(st.lists(GRAPHS, max_size=2))]
        params += [("format", v) for v in draw(st.lists(VALID_FORMATS, max_size=1))]
        params += [("timeout", v) for v in draw(st.lists(VALID_TIMEOUTS, max_size=1))]
        params += [("lang", v) for v in draw(st.lists(st.sampled_from(LANGUAGES), max_size=1))]
        return params
    if with_query:
        params += [("query", q) for q in draw(st.lists(sparql_texts, min_size=0, max_size=2))]
    params += [("default-graph-uri", v) for v in draw(st.lists(iris(), max_size=3))]
    params += [("named-graph-uri", v) for v in draw(st.lists(iris(), max_size=3))]
    params += [("format", v) for v in draw(st.lists(FORMAT_VALUES, max_size=2))]
    params += [("timeout", v) for v in draw(st.lists(TIMEOUT_VALUES, max_size=2))]
    params += [("lang", v) for v in draw(st.lists(LANG_VALUES, max_size=1))]
    params += [("edit", v) for v in draw(st.lists(sparql_texts, max_size=1))]
    if draw(st.integers(0, 19)) == 0:  # now and then an update= (a 403 whatever else is there)
        params.append(("update", draw(sparql_texts)))
    params += draw(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=2))
    return draw(st.permutations(params)) if params else params


@st.composite
def fragment_terms(draw: st.DrawFn) -> str:
    """A Triple Pattern Fragments selector value: an IRI (of the dataset, half the time), a variable, a blank
    node, a literal, or junk."""
    kind = draw(st.integers(-3, 5))
    if kind < 0:
        return draw(st.sampled_from(KNOWN_IRIS))
    if kind == 0:
        return draw(iris())
    if kind == 1:
        return "?" + draw(LOCAL)
    if kind == 2:
        return "_:" + draw(LOCAL)
    if kind == 3:
        body = draw(CJK | st.text(max_size=20))
        return '"' + body + '"' + draw(st.sampled_from(("", "@" + draw(LANG_TAGS), "^^<" + draw(iris()) + ">",
                                                        "^^xsd:integer", "^^")))
    if kind == 4:
        return draw(st.sampled_from(("", "?", "_:", '"', '""', '"a', "<urn:x>", '"1"^^<', "\"\\\"\"")))
    return draw(ANY_TEXT)


@st.composite
def fragment_params(draw: st.DrawFn) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    repeat = draw(st.integers(0, 9)) == 0  # a parameter given twice (a 400) now and then, not in most examples
    for name in ("subject", "predicate", "object", "graph"):
        params += [(name, v) for v in draw(st.lists(fragment_terms(), max_size=2 if repeat else 1))]
    pages = st.integers(1, 5).map(str) | st.integers(-5, 10**20).map(str) | st.text(max_size=5)
    params += [("page", v) for v in draw(st.lists(pages, max_size=2 if repeat else 1))]
    params += [("format", v) for v in draw(st.lists(FORMAT_VALUES, max_size=1))]
    return params


search_queries = st.one_of(CJK, ANY_TEXT, st.sampled_from(("korea", "한국", "日本", "*", "%", "\\", " ", "")),
                           st.text(max_size=400))
"""Values of /search's ``q=``."""


# --------------------------------------------------------------------------- headers

HEADER_BYTES = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
"""What a header value may hold on the wire once the server's parser let it through: visible ASCII, space,
and the obs-text bytes 0x80-0xFF (as latin-1); never CR, LF or NUL, which the parser refuses."""


def header_text(max_size: int = 200) -> st.SearchStrategy[bytes]:
    return st.text(HEADER_BYTES, max_size=max_size).map(lambda s: s.encode("latin-1"))


MEDIA = st.sampled_from([m for f in FORMATS for m in f.media_types] + ["*/*", "text/*", "application/*", "*/turtle",
                                                                      "text/html", "image/png", "application/json"])
Q = st.one_of(st.sampled_from(("1", "0", "0.5", "0.001", "NaN", "nan", "1e999", "-1", "2", "", "0x1", "1.0000")),
              st.floats().map(repr))


@st.composite
def accept(draw: st.DrawFn) -> bytes:
    ranges = draw(st.lists(st.tuples(MEDIA | st.text(HEADER_BYTES, max_size=15), st.lists(Q, max_size=2),
                                     st.lists(st.tuples(LOCAL, LOCAL), max_size=2)), max_size=8))
    parts = []
    for media, qs, params in ranges:
        parts.append(media + "".join(f";{k}={v}" for k, v in params) + "".join(f";q={q}" for q in qs))
    text = draw(st.sampled_from((", ", ",", " , ", ";"))).join(parts)
    return text.encode("utf-8") if draw(st.booleans()) else text.encode("utf-8", "replace")[:2000]


@st.composite
def accept_language(draw: st.DrawFn) -> bytes:
    tags = draw(st.lists(st.tuples(LANG_TAGS | st.text(HEADER_BYTES, max_size=12), st.lists(Q, max_size=1)),
                         max_size=8))
    return ", ".join(tag + "".join(f";q={q}" for q in qs) for tag, qs in tags).encode("utf-8")


ETAGS = st.one_of(st.sampled_from(('*', '""', 'W/""', 'W/"x"', '"x"-gzip', '"x-gzip"', 'W/', '"', 'W/"a", "b"',
                                   ", ,", '"a" "b"')),
                  st.text(HEADER_BYTES, max_size=40).map(lambda s: '"' + s + '"'),
                  st.text(HEADER_BYTES, max_size=40))
DATES = st.one_of(st.sampled_from(("Tue, 01 Dec 2099 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT",
                                   "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "0", "-1", "",
                                   "Mon, 32 Foo 2024 25:61:61 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                                   "Wed, 01 Jan 0001 00:00:00 GMT", "Tue, 01 Dec 2026 00:00:00 +9999")),
                  st.text(HEADER_BYTES, max_size=40))
RANGES = st.one_of(st.sampled_from(("bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-0", "bytes=5-1", "bytes=0-1,2-3",
                                    "bytes=" + ",".join(f"{i}-{i}" for i in range(200)), "bytes=99999999999-",
                                    "items=0-1", "bytes=", "bytes=-", "bytes=0-1, -5, 9-")),
                   st.text(HEADER_BYTES, max_size=40))
CHARSETS = st.sampled_from(("utf-8", "UTF-8", "utf8", "latin-1", "iso-8859-1", "utf-16", "ascii", '"utf-8"', "",
                            "utf-8; charset=latin-1", "x-unknown", "UTF-8\t", "utf-8, latin-1"))


@st.composite
def content_types(draw: st.DrawFn) -> bytes:
    media = draw(st.sampled_from(("application/x-www-form-urlencoded", "application/sparql-query",
                                  "application/sparql-update", "text/plain", "application/json",
                                  "multipart/form-data", "", "APPLICATION/SPARQL-QUERY", "application/sparql-query+x")))
    charset = draw(st.none() | CHARSETS)
    extra = draw(st.sampled_from(("", "; boundary=x", "; q=1", ";", "; charset")))
    return (media + ("" if charset is None else f"; charset={charset}") + extra).encode("latin-1")


@st.composite
def headers(draw: st.DrawFn) -> dict[str, bytes]:
    """Some of the headers the server reads, each valid-ish, malformed, or random bytes."""
    found: dict[str, bytes] = {}
    choices = {"accept": accept(), "accept-language": accept_language(), "if-none-match": ETAGS.map(str.encode),
               "if-modified-since": DATES.map(str.encode), "range": RANGES.map(str.encode),
               "cookie": st.one_of(LANG_VALUES.map(lambda v: f"kgpub_lang={v}".encode()), header_text(60)),
               "accept-encoding": st.sampled_from((b"gzip", b"identity", b"*", b"gzip;q=0", b"br, gzip;q=0.1"))}
    for name, strategy in choices.items():
        if draw(st.booleans()):
            found[name] = draw(strategy | header_text())
    return found
