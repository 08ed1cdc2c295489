"""The query page (``/sparql`` in a browser) and the result page (a query's answer as an HTML table).

**The query page** is a plain form (a textarea prefilled with a query, a format choice, the competency
questions with links) that works without JavaScript; ``static/query.js`` replaces it with YASGUI
(vendored in ``static/yasgui/``), configured by the JSON block ``#yasgui-config`` of the page: this
server's endpoint, the release's prefixes, one tab per competency question, nothing persisted in the
browser (``persistenceId: null``: a new release never meets the tabs of the previous one), and the
``class``/``property`` autocompleters off (in YASGUI 4.6.2 they ask Linked Open Vocabularies on every
keystroke). YASGUI needs inline styles, so this page's Content-Security-Policy adds
``style-src 'unsafe-inline'`` (:data:`CSP`); scripts stay ``'self'`` only, and ``connect-src`` falls
back to ``default-src 'self'``, so no request can leave the origin.

**One URL opens the query UI with a query**: ``/sparql?edit=<query>`` (:func:`query_ui_link`); with
JavaScript the query opens in its tab (the competency question's own when it is one) and runs, without
it the form holds it. ``query=`` is not used for that: it is the protocol's, and runs the query.

**The result page** answers a query whose client prefers HTML (:func:`prefers_html`: a browser; an
explicit ``format=`` wins, ``format=html`` asks for it): the route runs the query through the one query
path, asking for SPARQL JSON or N-Triples as the CLI's table does, and :func:`results_page` renders it:
the bindings (IRIs under the base linked to their pages on this server, literals with their language),
the boolean, or the triples; the query, the count and any cut, and links to the same answer in every
format that fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from pyoxigraph import BlankNode, Literal, NamedNode

from kgpub.query import rows as answer_rows
from kgpub.query.protocol import Answer
from kgpub.query.service import PreparedQuery
from kgpub.rdf.formats import BY_NAME, HTML, Format, Kind, by_kind, from_name
from kgpub.rdf.negotiate import choose
from kgpub.rdf.terms import Prefixes
from kgpub.release.reader import Release
from kgpub.resources import i18n
from kgpub.resources.iris import Namespace
from kgpub.settings import Settings
from kgpub.site import Served
from kgpub.web import pages

ENDPOINT = "/sparql"
EDIT = "edit"
"""The parameter that opens the query UI with a query (``/sparql?edit=…``)."""
TABLE_FORMATS = (BY_NAME["json"].media_type, BY_NAME["ntriples"].media_type)
"""What the result page asks the query path for: SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE).
By media type: as a ``format=`` name, ``json`` means JSON-LD for graph results (as SPARQLWrapper sends it)."""
HTML_ROWS = 1000
"""Rows shown on a result page; the downloads hold the whole answer (up to the row limit)."""
FALLBACK_QUERY = "SELECT * WHERE { ?s ?p ?o } LIMIT 10"  # a release without example queries
AUTOCOMPLETERS = ("variables", "prefixes")  # local only: the query's variables, the bundled prefix list
AUTOCOMPLETERS_OFF = ("class", "property")  # these ask lov.linkeddata.es on every keystroke
RESULT_FORMATS: tuple[Format, ...] = by_kind(Kind.RESULTS)
GRAPH_FORMATS: tuple[Format, ...] = by_kind(Kind.RDF)
ANSWER_MEDIA_TYPES = tuple(m for f in (*RESULT_FORMATS, *GRAPH_FORMATS) for m in f.media_types)
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
"""The query page's policy: the pages' own (:data:`kgpub.web.pages.CSP`) with inline styles, which YASGUI sets."""


def query_ui_link(query: str) -> str:
    """The link that opens the query UI with ``query`` (the entity pages' "query this", the home page's "run")."""
    return f"{ENDPOINT}?{urlencode({EDIT: query})}"


def answer_link(query: str, fmt: Format | None = None, *, params: Sequence[tuple[str, str]] = ()) -> str:
    """``/sparql?query=…`` (with the request's other protocol parameters), in ``fmt`` when given."""
    kept = [(k, v) for k, v in params if k in ("default-graph-uri", "named-graph-uri", "timeout")]
    items = [("query", query), *kept, *([("format", fmt.name)] if fmt else [])]
    return f"{ENDPOINT}?{urlencode(items)}"


def prefers_html(accept: str | None, formats: Sequence[str]) -> bool:
    """Whether a query's answer is the result page: ``format=html`` first, or no ``format=`` and an Accept that
    puts HTML above every answer format (a browser). HTML is offered last, so ``*/*`` keeps the protocol's
    answers."""
    if formats:
        try:
            return from_name(formats[0]) is HTML
        except KeyError:
            return False
    return choose(accept, [*ANSWER_MEDIA_TYPES, *HTML.media_types]) in HTML.media_types


# The query page


@dataclass(frozen=True)
class Example:
    title: str
    description: str
    query: str
    edit_href: str
    run_href: str


@dataclass(frozen=True)
class Download:
    name: str
    label: str
    media_type: str
    href: str


def downloads(query: str, formats: Iterable[Format], params: Sequence[tuple[str, str]] = ()) -> list[Download]:
    return [Download(f.name, f.label, f.media_type, answer_link(query, f, params=params)) for f in formats]


def examples(release: Release) -> list[Example]:
    return [Example(e["title"], e["description"], e["query"], query_ui_link(e["query"]), answer_link(e["query"]))
            for e in release.examples()]


def new_tab_query(prefixes: dict[str, str]) -> str:
    """What a new tab starts with: the release's prefixes and a small query."""
    lines = [f"PREFIX {name}: <{ns}>" for name, ns in sorted(prefixes.items())]
    return "\n".join([*lines, "", FALLBACK_QUERY])


def tab_name(number: int, title: str) -> str:
    """A competency question's tab: its number in the page's list, and its title."""
    return f"{number}. {title}"


def accessible_names(lang: str) -> dict[str, str]:
    """The names ``static/query.js`` gives YASGUI's unnamed controls (its own labels are English only and some
    are missing): the tab list, the add-tab button, a tab's rename box, the endpoint box, the query editor and
    its scrolling view, and the same two in the result's raw response view."""
    _ = i18n.gettext(lang)
    return {
        "tabs": _("Queries"),
        "addTab": _("Add a tab"),
        "tabName": _("Tab name"),
        "endpoint": _("SPARQL endpoint"),
        "editor": _("SPARQL query"),
        "editorView": _("The query"),
        "response": _("Query result"),
        "responseView": _("Query result"),
    }


def yasgui_config(*, release: Release, settings: Settings, edit: str | None, lang: str) -> dict[str, Any]:
    """The JSON ``static/query.js`` reads: ``yasgui`` is YASGUI's own configuration (the parts JSON can say),
    the rest is ours: the tabs, which one is active, whether it runs at once, the base IRI of the links, and the
    accessible names of YASGUI's controls in the page's language (:func:`accessible_names`)."""
    _ = i18n.gettext(lang)
    tabs = [{"name": tab_name(i, e["title"]), "title": e["title"], "query": e["query"]}
            for i, e in enumerate(release.examples(), start=1)]
    active, run = 0, False
    if edit:
        run = True
        found = [i for i, tab in enumerate(tabs) if tab["query"] == edit]
        if found:
            active = found[0]
        else:
            tabs.insert(0, {"name": _("Linked query"), "title": _("Linked query"), "query": edit})
    if not tabs:
        tabs = [{"name": _("Query"), "title": _("Query"), "query": FALLBACK_QUERY}]
    return {
        "yasgui": {
            "persistenceId": None,
            "autoAddOnInit": False,
            "copyEndpointOnNewTab": True,
            "tabName": _("Query"),
            "requestConfig": {"endpoint": ENDPOINT, "method": "POST"},
            "yasqe": {"autocompleters": list(AUTOCOMPLETERS), "prefixCcApi": None,
                      "value": new_tab_query(release.prefixes)},
            "yasr": {"prefixes": release.prefixes},
        },
        "autocompletersOff": list(AUTOCOMPLETERS_OFF),
        "text": accessible_names(lang),
        "endpoint": ENDPOINT,
        "base": settings.base_iri,
        "tabs": tabs,
        "active": active,
        "run": run,
    }


def query_page(request: Request, served: Served) -> Response:
    """The query page, with the query of ``edit=`` (else the first competency question) in the form."""
    release, settings = served.release, served.service.settings
    lang = pages.language(request).lang
    edit = request.query_params.get(EDIT) or None
    listed = examples(release)
    query = edit or (listed[0].query if listed else FALLBACK_QUERY)
    context = {
        "frame": pages.frame(request, lang, release),
        "examples": listed,
        "query": query,
        "config": yasgui_config(release=release, settings=settings, edit=edit, lang=lang),
        "result_formats": RESULT_FORMATS, "graph_formats": GRAPH_FORMATS,
        "result_downloads": downloads(query, RESULT_FORMATS), "graph_downloads": downloads(query, GRAPH_FORMATS),
        "table_href": answer_link(query, HTML),
        "triples": i18n.number(str(release.default_graph_triples), lang),
        "timeout": i18n.number(f"{settings.query_timeout:g}", lang),
        "max_rows": i18n.number(str(settings.max_rows), lang),
    }
    return pages.answer(request, template="query.html", lang=lang, release=release, key=("sparql-page", edit or ""),
                        context=context, headers={"Content-Security-Policy": CSP})


# The result page


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str = ""  # iri | literal | bnode | triple ("" for an unbound variable)
    href: str = ""
    title: str = ""  # the full IRI behind a compacted one
    lang: str = ""  # a literal's language tag
    note: str = ""  # a typed literal's datatype, compacted
    local: bool = False  # an IRI under the base: its page is on this server


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Result:
    kind: str  # select | ask | graph
    count: int
    truncated: bool
    limit: int
    boolean: bool | None = None
    table: Table | None = None

    @property
    def shown(self) -> int:
        return len(self.table.rows) if self.table is not None else 0


class Terms:
    """Terms as the result page shows them: compacted with the release's prefixes, IRIs under the base linked
    to their pages here (the path is the IRI's, as :mod:`kgpub.resources.iris` says)."""

    def __init__(self, *, prefixes: dict[str, str], base: str) -> None:
        self.prefixes, self.ns = Prefixes(prefixes), Namespace(base)

    def cell(self, node: object) -> Cell:
        if node is None:
            return Cell("")
        if isinstance(node, NamedNode):
            return self.iri(node.value)
        if isinstance(node, Literal):
            datatype = node.datatype.value
            note = "" if node.language or datatype.endswith("#string") else self.prefixes.compact(datatype)
            return Cell(node.value, "literal", lang=node.language or "", note=note)
        if isinstance(node, BlankNode):
            return Cell(f"_:{node.value}", "bnode")
        return Cell(str(node), "triple")

    def iri(self, iri: str) -> Cell:
        text = self.prefixes.compact(iri)
        return Cell(text, "iri", href=self.ns.href(iri), title=iri if text != f"<{iri}>" else "",
                    local=self.ns.path(iri) is not None)


def read_answer(answer: Answer, terms: Terms, *, limit: int, rows: int = HTML_ROWS) -> Result:
    """The answer (SPARQL JSON or N-Triples, :func:`kgpub.query.rows.read`) as a result page's model, at
    most ``rows`` rows of it."""
    found = answer_rows.read(answer)
    if found.kind == "ask":
        return Result("ask", answer.count, answer.truncated, limit, boolean=found.boolean)
    body = tuple(tuple(terms.cell(node) for node in row) for row in islice(found.rows, rows))
    return Result(found.kind, answer.count, answer.truncated, limit, table=Table(found.header, body))


def results_key(prepared: PreparedQuery) -> tuple[str, ...]:
    """What a result page's bytes depend on besides the release and the language."""
    return ("sparql-results", prepared.key, f"{prepared.timeout:g}")


def results_page(request: Request, served: Served, *, query: str, prepared: PreparedQuery, answer: Answer,
                 params: Sequence[tuple[str, str]]) -> Response:
    """The answer of ``prepared`` as a page, with the headers of every answer (count, time limit, cut)."""
    release, service = served.release, served.service
    lang = pages.language(request).lang
    terms = Terms(prefixes=release.prefixes, base=service.settings.base_iri)
    result = read_answer(answer, terms, limit=service.settings.max_rows)
    formats = GRAPH_FORMATS if result.kind == "graph" else RESULT_FORMATS
    context = {"frame": pages.frame(request, lang, release), "query": query, "result": result,
               "downloads": downloads(query, formats, params), "edit_href": query_ui_link(query),
               "html_rows": HTML_ROWS}
    return pages.answer(request, template="results.html", lang=lang, release=release,
                        key=results_key(prepared), context=context,
                        headers=service.headers(prepared, answer))
