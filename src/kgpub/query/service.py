"""The SPARQL query service behind ``/sparql``, free of any web framework.

A :class:`QueryRequest` (what the protocol adapter parsed) is first *prepared*: every
parameter is checked and the answer's format negotiated for both result kinds, before any
cache or validator decision, so a bad parameter is a 400 whatever the cache holds. The
prepared job's ``key`` determines the answer (the release never changes under a running
service): it is what the validator (ETag) and the answer cache are derived from. Then the
job goes to the backend, and its answer is kept in a small byte-bounded cache.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from pyoxigraph import NamedNode

from kgpub.errors import InputError, UnsupportedFormat
from kgpub.query.backends.base import QueryBackend
from kgpub.query.cache import AnswerCache
from kgpub.query.protocol import Answer, Chosen, FormatChoice, QueryJob
from kgpub.rdf.formats import Kind
from kgpub.rdf.negotiate import pick
from kgpub.settings import Settings


@dataclass(frozen=True, kw_only=True)
class QueryRequest:
    query: str
    default_graphs: tuple[str, ...] | None = None  # default-graph-uri (None: not given)
    named_graphs: tuple[str, ...] | None = None  # named-graph-uri (None: not given)
    accept: str | None = None
    format: tuple[str, ...] = ()  # format= values (short names or media types); the first that fits wins
    timeout: float | None = None  # may only lower the service's limit
    base_iri: str | None = None  # relative IRIs in the query resolve against it (the endpoint's URL)


@dataclass(frozen=True)
class PreparedQuery:
    job: QueryJob
    timeout: float
    key: str  # SHA-256 of what determines the answer on one release: the cache's key and the validator's input


@functools.lru_cache(maxsize=256)  # pure: clients send few distinct Accept headers; cached answers skip the work
def negotiate(accept: str | None, names: tuple[str, ...]) -> FormatChoice:
    """The answer format for each result kind, decided before dispatch.

    A kind with no acceptable format carries its 406 message; the query is still sent, so a
    malformed query is reported as such (400) before any format question.
    """
    chosen: dict[Kind, Chosen | str] = {}
    for kind in (Kind.RESULTS, Kind.RDF):
        try:
            fmt, media_type = pick(kind, accept, names)
            chosen[kind] = Chosen(fmt.name, media_type)
        except UnsupportedFormat as e:
            chosen[kind] = e.message
    return FormatChoice(results=chosen[Kind.RESULTS], rdf=chosen[Kind.RDF])


MIN_TIMEOUT = 0.001  # seconds: a time limit no query can meet is the client's mistake (400), not a 503 to retry


def _check_iri(parameter: str, value: str) -> None:
    """A graph parameter names a graph by its absolute IRI (RFC 3987); anything else is the client's mistake."""
    try:
        NamedNode(value)
    except ValueError as e:
        raise InputError(f"{parameter}={value[:200]!r}: not an absolute IRI ({e})") from None


class QueryService:
    """Queries over one release, through one backend."""

    def __init__(self, *, settings: Settings, backend: QueryBackend, cache: AnswerCache | None = None) -> None:
        self.settings, self.backend = settings, backend
        self.cache = cache if cache is not None else AnswerCache()

    def prepare(self, request: QueryRequest) -> PreparedQuery:
        """Check every parameter and negotiate the formats; raises the 4xx error a bad one deserves."""
        timeout = self._timeout(request.timeout)
        for name, iris in (("default-graph-uri", request.default_graphs), ("named-graph-uri", request.named_graphs)):
            for iri in iris or ():
                _check_iri(name, iri)
        job = QueryJob(query=request.query, default_graphs=request.default_graphs,
                       named_graphs=request.named_graphs, base_iri=request.base_iri,
                       formats=negotiate(request.accept, request.format))
        determined_by = repr((job, self.settings.max_rows))  # frozen dataclasses of str/tuple/None: deterministic
        key = hashlib.sha256(determined_by.encode("utf-8", "surrogatepass")).hexdigest()
        return PreparedQuery(job=job, timeout=timeout, key=key)

    def _timeout(self, requested: float | None) -> float:
        limit = self.settings.query_timeout
        if requested is None:
            return limit
        if not requested >= MIN_TIMEOUT:
            raise InputError(f"timeout={requested:g}: must be at least {MIN_TIMEOUT:g} s (a number of seconds)")
        return min(requested, limit)

    def cached(self, prepared: PreparedQuery) -> Answer | None:
        """The answer if the cache holds it (no waiting, no backend)."""
        return self.cache.get(prepared.key)

    async def answer(self, prepared: PreparedQuery, *, client: str = "") -> Answer:
        """The answer, from the cache or the backend (``client``: whose share of the backend it uses)."""
        cached = self.cache.get(prepared.key)
        if cached is not None:
            return cached
        return await self.run(prepared, client=client)

    async def run(self, prepared: PreparedQuery, *, client: str = "") -> Answer:
        """The backend's answer (kept in the cache), whatever the cache holds."""
        found = await self.backend.run(prepared.job, timeout=prepared.timeout, client=client)
        self.cache.put(prepared.key, found)
        return found

    def headers(self, prepared: PreparedQuery, answer: Answer) -> dict[str, str]:
        """What the answer says about itself: count, time limit used, and a cut, never silent."""
        headers = {"X-Query-Timeout": f"{prepared.timeout:g}", "X-Result-Count": str(answer.count)}
        if answer.truncated:
            limit = self.settings.max_rows
            headers |= {"X-Result-Truncated": "true", "X-Result-Limit": str(limit),
                        "Warning": f'199 kgpub "result cut to the first {limit} rows (row limit)"'}
        return headers

