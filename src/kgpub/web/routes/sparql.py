"""``/sparql``: the SPARQL 1.1 Protocol (query operation) over HTTP.

GET with ``query=``, POST form-encoded, POST ``application/sparql-query``; ``default-graph-uri``
and ``named-graph-uri``; ``format=`` and ``timeout=`` as extensions. A client that prefers HTML
(a browser; or ``format=html``) gets the answer as the result page. GET without a query answers
the Service Description (RDF) or the query page (HTML; ``edit=`` opens it with a query, see
:mod:`kgpub.web.query_page`). Updates are refused: the endpoint is read-only.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kgpub.errors import InputError, ReadOnly, TooLarge, UnsupportedFormat, UnsupportedMediaType
from kgpub.metadata import service as metadata
from kgpub.query.protocol import Answer
from kgpub.query.service import PreparedQuery, QueryRequest
from kgpub.rdf import formats
from kgpub.rdf.formats import BY_NAME
from kgpub.rdf.negotiate import choose
from kgpub.rdf.serialize import serialize
from kgpub.resources import i18n
from kgpub.site import Served
from kgpub.web import conditional, disconnect, pages, query_page
from kgpub.web.deps import SiteDep

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
SD_FORMATS = [BY_NAME[n] for n in ("turtle", "jsonld", "rdfxml", "ntriples")]
Params = list[tuple[str, str]]


# --------------------------------------------------------------------------- the OpenAPI description
# What /openapi.json says of /sparql: every parameter, body and media type, so that clients and
# schema-driven fuzzers know the protocol. The media types come from the one format registry.


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code of the error class (kgpub.errors)",
                      examples=["query_syntax"])
    status: int = Field(description="the HTTP status, repeated", examples=[400])
    message: str = Field(description="what was wrong, for a person", examples=["line 1, column 8: ..."])


class Error(BaseModel):
    """The one body of every error answer (``text/html`` instead for a client that prefers it)."""

    error: ErrorDetail


def _string(description: str, **schema: object) -> dict[str, object]:
    return {"type": "string", "description": description, **schema}


def _list(description: str) -> dict[str, object]:
    return {"type": "array", "items": {"type": "string", "format": "iri-reference"}, "description": description}


_FORMAT_NAMES = [f.name for f in formats.FORMATS]
QUERY_FIELDS: dict[str, dict[str, object]] = {
    "query": _string("the SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE); updates are refused (403)",
                     examples=["SELECT * WHERE { ?s ?p ?o } LIMIT 10"]),
    "default-graph-uri": _list("a graph of the default graph (repeatable); none: data and ontology merged"),
    "named-graph-uri": _list("a graph the query may name with GRAPH (repeatable); none: every named graph"),
    "format": {"type": "array", "items": {"type": "string", "examples": _FORMAT_NAMES},
               "description": "the answer's format by name, extension or media type, instead of Accept "
                              "(repeatable: the first that fits the result wins): " + ", ".join(_FORMAT_NAMES)},
    "timeout": {"type": "number", "exclusiveMinimum": 0,
                "description": "seconds; lowers the server's time limit for this query, never raises it"},
}
PAGE_FIELDS: dict[str, dict[str, object]] = {
    "lang": _string("the language of the query page and result page (HTML)", enum=list(i18n.LANGUAGES)),
}
EDIT_FIELD = {"edit": _string("without query=: open the query page (HTML) with this query in the editor")}


def _parameters(fields: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    return [{"name": name, "in": "query", "required": False, "schema": schema,
             **({"style": "form", "explode": True} if schema.get("type") == "array" else {})}
            for name, schema in fields.items()]


def _media_types(*kinds: formats.Kind) -> list[str]:
    return [m for f in formats.FORMATS if f.kind in kinds for m in f.media_types]


def _body(media_type: str) -> dict[str, object]:
    return {"schema": {} if media_type.endswith("json") else {"type": "string"}}


_ANSWER_HEADERS = {
    "ETag": {"description": "weak validator of the answer (release, query, parameters, format)",
             "schema": {"type": "string"}},
    "X-Result-Count": {"description": "rows or triples in the answer", "schema": {"type": "integer"}},
    "X-Result-Truncated": {"description": "true when the answer was cut at the row limit",
                           "schema": {"type": "string", "enum": ["true"]}},
    "X-Query-Timeout": {"description": "the time limit that applied, in seconds", "schema": {"type": "number"}},
}
_ERRORS: dict[int, str] = {
    400: "a bad parameter, a query that does not parse or is refused (SERVICE, too long, too deep)",
    403: "an update (SPARQL Update, or update=): the endpoint is read-only",
    406: "no format the endpoint offers fits Accept or format= for the result's kind",
    413: "the request body is over the limit",
    415: "POST with a Content-Type other than a form or application/sparql-query (or a charset not UTF-8)",
    502: "an allow-listed SERVICE endpoint failed",
    503: "the query ran past its time limit, the server is overloaded, or a query worker failed: retry later",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def _responses(*, description: bool) -> dict[int | str, dict[str, object]]:
    """200 in every media type the registry offers for an answer, 304, and the errors with one body schema."""
    kinds = (formats.Kind.RESULTS, formats.Kind.RDF, formats.Kind.PAGE)
    what = "the answer: SELECT/ASK results, a CONSTRUCT/DESCRIBE graph, or the result page (HTML)"
    if description:
        what += "; without query=: the service description (RDF) or the query page (HTML)"
    found: dict[int | str, dict[str, object]] = {
        200: {"description": what, "headers": _ANSWER_HEADERS,
              "content": {m: _body(m) for m in _media_types(*kinds)}},
        304: {"description": "not modified: If-None-Match names the current answer"}}
    for status, text in _ERRORS.items():
        found[status] = {"model": Error, "description": text, "content": {"text/html": {"schema": {"type": "string"}}},
                         **({"headers": _RETRY_AFTER} if status == 503 else {})}
    return found


GET_OPENAPI = {"parameters": _parameters(QUERY_FIELDS | PAGE_FIELDS | EDIT_FIELD)}
_FORM_SCHEMA = {"type": "object", "required": ["query"], "properties": QUERY_FIELDS}  # other fields are ignored
POST_OPENAPI = {
    "parameters": _parameters({k: v for k, v in QUERY_FIELDS.items() if k != "query"} | PAGE_FIELDS),
    "requestBody": {"required": True, "content": {
        FORM: {"schema": _FORM_SCHEMA, "encoding": {name: {"style": "form", "explode": True}
                                                    for name, s in QUERY_FIELDS.items() if s["type"] == "array"}},
        DIRECT: {"schema": {"type": "string", "description": "the query itself, UTF-8"}}}},
}


@router.head("/sparql", include_in_schema=False)
@router.get("/sparql", summary="SPARQL query (GET), or the service description",
            description="SPARQL 1.1 Protocol query by GET. Without `query=`, the Service Description (RDF), or "
                        "the query page for a client that prefers HTML.",
            openapi_extra=GET_OPENAPI, responses=_responses(description=True))
async def sparql_get(request: Request, site: SiteDep) -> Response:
    params = request.query_params.multi_items()
    async with site.serving() as served:  # one release for the whole request, whatever a swap does
        if not any(k == "query" for k, _ in params) and not any(k == "update" for k, _ in params):
            return describe(request, served)
        return await run_query(request, served, params)


@router.post("/sparql", summary="SPARQL query (POST form-encoded or application/sparql-query)",
             description="SPARQL 1.1 Protocol query by POST: a form (`query=` and the other fields) or the query "
                         "itself as `application/sparql-query`; the other parameters may also be in the query string.",
             openapi_extra=POST_OPENAPI, responses=_responses(description=False))
async def sparql_post(request: Request, site: SiteDep) -> Response:
    async with site.serving() as served:  # one release for the whole request, whatever a swap does
        return await _post(request, served)


async def _post(request: Request, served: Served) -> Response:
    content_type, _, parameters = (request.headers.get("content-type") or "").partition(";")
    content_type = content_type.strip().lower()
    if content_type not in (FORM, DIRECT, UPDATE):
        given = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise UnsupportedMediaType(f"{given}: send the query as {FORM} (query=...) or as {DIRECT}")
    coding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if coding != "identity":  # never inflated here: a small gzip body can be gigabytes of text
        raise UnsupportedMediaType(f"Content-Encoding {coding[:40]!r}: send the request body uncompressed")
    body = await read_body(request, served.service.settings.max_body)
    url_params = request.query_params.multi_items()
    if content_type == UPDATE:
        raise ReadOnly("SPARQL Update is not allowed: this endpoint is read-only")
    if content_type == FORM:
        return await run_query(request, served, url_params + parse_form(body))
    charset = dict(_param(p) for p in parameters.split(";") if "=" in p).get("charset", "utf-8")
    if charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset={charset}: a {DIRECT} body must be UTF-8")
    if any(k in ("query", "update") for k, _ in url_params):
        raise InputError(f"a {DIRECT} request carries the query in its body; do not also give query= or update=")
    return await run_query(request, served, [*url_params, ("query", decode(body, "the query"))])


@router.options("/sparql", include_in_schema=False)
async def sparql_options() -> Response:
    return Response(status_code=204, headers={"Allow": "GET, HEAD, POST, OPTIONS"})


async def run_query(request: Request, served: Served, params: Params) -> Response:
    """Parse, prepare (every parameter checked), then 304, or the answer (the result page for a browser)."""
    base = str(request.url.replace(query=None, fragment=None))
    parsed = protocol_request(params, accept=request.headers.get("accept"), base_iri=base)
    if query_page.prefers_html(parsed.accept, parsed.format):
        prepared = served.service.prepare(replace(parsed, accept=None, format=query_page.TABLE_FORMATS))
        request.state.query_hash = prepared.key[:16]  # for the access log line
        etag = pages.page_etag(served.release, pages.language(request).lang, query_page.results_key(prepared))
        unchanged = conditional.not_modified(request, etag, {"Vary": pages.PAGE_VARY}, methods=conditional.SAFE_QUERY)
        if unchanged is not None:  # decided before the query runs, as for every other answer
            return pages.remember(request, unchanged)
        answer = await answer_for(request, served, prepared)
        return query_page.results_page(request, served, query=parsed.query, prepared=prepared, answer=answer,
                                       params=params)
    prepared = served.service.prepare(parsed)
    request.state.query_hash = prepared.key[:16]  # for the access log line
    etag = conditional.validator(served.release.version, "query", prepared.key)
    headers = {"ETag": etag, "Vary": "Accept"}
    unchanged = conditional.not_modified(request, etag, headers, methods=conditional.SAFE_QUERY)
    if unchanged is not None:
        return unchanged
    answer = await answer_for(request, served, prepared)
    return _response(answer.body, answer.media_type, headers | served.service.headers(prepared, answer))


async def answer_for(request: Request, served: Served, prepared: PreparedQuery) -> Answer:
    """The answer from the cache, else from the backend for this client, given up if the client goes meanwhile."""
    cached = served.service.cached(prepared)
    if cached is not None:
        return cached
    return await disconnect.unless_gone(request, served.service.run(prepared, client=client_of(request)))


def client_of(request: Request) -> str:
    """Whom admission control shares the workers between: the peer address (a proxy in front is one client)."""
    return request.client.host if request.client else ""


def protocol_request(params: Params, *, accept: str | None, base_iri: str | None = None) -> QueryRequest:
    """The parameters of a query operation (SPARQL 1.1 Protocol §2.1), checked."""
    values: dict[str, list[str]] = {}
    for key, value in params:
        values.setdefault(key, []).append(value)
    if "update" in values:
        if "query" in values:
            raise InputError("give either query= or update=, not both")
        raise ReadOnly("SPARQL Update is not allowed: this endpoint is read-only")
    queries = values.get("query", [])
    if len(queries) != 1:
        raise InputError(f"exactly one query= parameter is allowed; this request has {len(queries)}")
    if len(values.get("timeout", [])) > 1:
        raise InputError("timeout= may be given once")
    timeout = values.get("timeout", [None])[0]
    return QueryRequest(
        query=queries[0],
        default_graphs=tuple(values["default-graph-uri"]) if "default-graph-uri" in values else None,
        named_graphs=tuple(values["named-graph-uri"]) if "named-graph-uri" in values else None,
        accept=accept, format=_format(values.get("format", [])), timeout=_seconds(timeout), base_iri=base_iri)


def describe(request: Request, served: Served) -> Response:
    """GET /sparql without a query: the Service Description, or the query page for browsers."""
    url = str(request.url.replace(query=None, fragment=None))
    offered = [*(m for f in SD_FORMATS for m in f.media_types), "text/html"]  # RDF first: */* gets Turtle
    chosen = choose(request.headers.get("accept"), offered)
    if chosen is None:
        raise UnsupportedFormat("offered: " + ", ".join(offered))
    if chosen == "text/html":
        return query_page.query_page(request, served)
    etag = conditional.validator(served.release.version, "service-description", chosen, url)
    headers = {"ETag": etag, "Vary": "Accept"}
    unchanged = conditional.not_modified(request, etag, headers)
    if unchanged is not None:
        return unchanged
    settings = served.service.settings
    fmt = next(f for f in SD_FORMATS if chosen in f.media_types)
    triples = metadata.service_description(endpoint=url, release=served.release, settings=settings)
    return _response(serialize(triples, fmt, prefixes=metadata.PREFIXES).body, fmt.media_type, headers)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"request body of {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"request body over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_form(body: bytes) -> Params:
    """Decode an application/x-www-form-urlencoded body, once, as UTF-8."""
    text = decode(body, "the form body")
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InputError("the form body has percent-encoded bytes that are not UTF-8") from None


def decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{what} is not UTF-8 (byte {e.start})") from None


def _param(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name.strip().lower(), value.strip().strip('"')


def _format(values: list[str]) -> tuple[str, ...]:
    """format= values; clients repeat it in several spellings (SPARQLWrapper: rdf+xml and application/rdf+xml)."""
    return tuple(v for v in values if v)


def _seconds(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"timeout={value!r}: expected a number of seconds") from None


def _response(body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    return Response(body, media_type=media_type + charset, headers=headers)
