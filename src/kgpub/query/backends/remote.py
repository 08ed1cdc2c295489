"""A remote SPARQL store as the query backend (``kgpub serve --store URL``): Oxigraph server, Virtuoso, any
SPARQL 1.1 Protocol endpoint holding the release's graphs (one named graph each, as ``kgpub publish`` puts them).

A query takes the path of the local one, with the store in place of the worker:

1. **Admission** (:mod:`kgpub.query.admission`): ``size`` queries (``--workers``) run on the store at once, fairly
   shared between clients, the waiting bounded; refusals and waits past the limit are the local ones.
2. **Our checks first**: :func:`kgpub.query.execute.run` on an empty in-memory store, the same function the workers
   call, so a query is refused (size, depth, SERVICE, update) or malformed (400 with line and column) exactly as on
   the embedded store, and its kind (results or RDF) is known before the store is asked.
3. **The store is asked** (SPARQL 1.1 Protocol, POST form) for a format pyoxigraph reads (SPARQL JSON for SELECT
   and ASK, N-Triples for CONSTRUCT and DESCRIBE), always with an explicit dataset: ``default-graph-uri`` the
   release's default graphs and ``named-graph-uri`` its graphs (Virtuoso's default graph is every graph it holds,
   system graphs included, and ``GRAPH ?g`` would see those too); a dataset the client gave (protocol or FROM) is
   kept to the release's graphs.
4. **The answer is read as a stream** and written again by :mod:`kgpub.rdf.serialize` in the negotiated format with
   our row cap: the bytes have the embedded store's form, ``X-Result-Count`` and the truncation headers hold, and
   reading stops at the cap (the connection is closed: a 10M-row answer costs the cap, not the answer).
5. **Store quirks** are fixed on the way (:class:`VirtuosoJson`, when the answer's ``Server`` is Virtuoso):
   blank nodes written ``nodeID://b10000`` (not a blank node label: pyoxigraph refuses them) and ``xsd:boolean``
   values written ``1``/``0`` instead of the stored ``true``/``false``. Its ``"type": "typed-literal"`` needs no
   fix: pyoxigraph's parser reads it.

Failures are gateway answers (:mod:`kgpub.errors`): unreachable :class:`StoreUnavailable` (502, ``Retry-After``);
slower than the time limit :class:`StoreTimeout` (504; the answer is sent at the limit even if the store keeps the
connection); a 5xx, a refused login or an unreadable answer :class:`StoreFailed` (502, the store's status and the
start of its message); a 400 for a query our checks passed :class:`QueryRejected` (the store's dialect cannot run
it). Credentials are never in a message: the URL may not hold any (settings), and the password is only in the
``Authorization`` header httpx computes. Health is the last probe (``ASK {}`` every :data:`PROBE_INTERVAL` s, and
every query's outcome), and whether the store holds the release: the triples of each of its graphs are counted
(COUNT, never a GET) until they are the manifest's, every :data:`RECOUNT` s, so a release picked up before
``kgpub publish`` finished is not ready until the store has it.

HTTP runs on threads (a synchronous httpx client), because pyoxigraph's parsers read from a blocking reader: that
is what lets an answer stream through the row cap. The event loop only waits, with the time limit. An error
leaves its thread without its traceback (:func:`detached`): pyoxigraph's results may only be dropped on the
thread that made them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, TypeVar, cast
from urllib.parse import urlencode, urljoin

import httpx
from pyoxigraph import (
    BlankNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
)

from kgpub.errors import InputError, KgpubError, QueryRejected, StoreFailed, StoreTimeout, StoreUnavailable
from kgpub.query import execute
from kgpub.query.admission import Admission, Lease
from kgpub.query.backends.base import BackendHealth
from kgpub.query.checks import QueryLimits, tokens
from kgpub.query.protocol import Answer, QueryJob
from kgpub.rdf.formats import Kind
from kgpub.rdf.serialize import serialize
from kgpub.store_login import Login, read_password

if TYPE_CHECKING:
    from kgpub.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
PROBE_INTERVAL = 2.0  # seconds between health probes
PROBE_TIMEOUT = 2.0  # seconds a probe may take
RECOUNT = 5.0  # seconds between counts of the store's graphs while they are not the release's
COUNT_TIMEOUT = 60.0  # seconds the count of the graphs may take at least (10M triples: seconds)
GRACE = 0.5  # seconds past a query's limit before the loop stops waiting for its thread
MAX_ANSWER_BYTES = 256 << 20  # read from the store for one answer; the row cap normally stops far earlier
MAX_LOOKUP_BYTES = 64 << 20  # read for one of kgpub's own SELECTs (pattern lookups, metadata)
MESSAGE_CHARS = 300  # of a store's error message, in ours
LOOKUP_THREADS = 8  # threads for pattern lookups of documents and pages (and the probe)
EMPTY_GRAPH = execute.EMPTY_GRAPH.value


@dataclass(frozen=True)
class StoreConfig:
    """Where the store is and how to log in (the password read from a file or a variable, never a flag)."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] | None = None) -> StoreConfig:
        if settings.store is None:
            raise InputError("no store is configured (--store)")
        return cls(settings.store, settings.store_user, _password(settings, os.environ if env is None else env))

    def auth(self) -> httpx.Auth | None:
        return None if self.user is None or self.password is None else Login(self.user, self.password)


def _password(settings: Settings, env: Mapping[str, str]) -> str | None:
    return read_password(file=settings.store_password_file, variable=settings.store_password_env, env=env,
                         flags=("--store-password-file", "--store-password-env"))


# ---- store quirks ----------------------------------------------------------------------------------------------

_WS = rb"[ \t\r\n]{0,16}"
_VIRTUOSO_JSON = re.compile(
    rb'("type"' + _WS + rb":" + _WS + rb'"bnode"' + _WS + rb"," + _WS + rb'"value"' + _WS + rb":" + _WS + rb'")nodeID://'
    rb'|("datatype"' + _WS + rb":" + _WS + rb'"http://www\.w3\.org/2001/XMLSchema#boolean"' + _WS + rb"," + _WS
    + rb'"value"' + _WS + rb":" + _WS + rb'")([01])"')
_KEEP = 512  # bytes held back between chunks: longer than any match, so none is cut in two


class VirtuosoJson:
    """Virtuoso's SPARQL JSON made readable and faithful, chunk by chunk: ``"value": "nodeID://b10000"`` of a blank
    node becomes ``"b10000"`` (the label its N-Triples answers use too), and an ``xsd:boolean`` it writes ``"1"`` or
    ``"0"`` becomes ``"true"``/``"false"`` (what the release stores, and what its N-Triples answers say)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._tail + chunk
        cut = max(0, len(data) - _KEEP)
        for m in _VIRTUOSO_JSON.finditer(data, max(0, cut - _KEEP)):
            if m.start() < cut < m.end():
                cut = m.start()
                break
        self._tail = data[cut:]
        return _VIRTUOSO_JSON.sub(_fixed, data[:cut])

    def flush(self) -> bytes:
        data, self._tail = self._tail, b""
        return _VIRTUOSO_JSON.sub(_fixed, data)


def _fixed(m: re.Match[bytes]) -> bytes:
    if m.group(1) is not None:
        return m.group(1)
    return m.group(2) + (b'true"' if m.group(3) == b"1" else b'false"')


def is_virtuoso(server: str) -> bool:
    return server.startswith("Virtuoso")


def normalized(body: bytes, *, server: str) -> bytes:
    """A whole SPARQL JSON answer with the store's quirks fixed (what the streaming reader does, for tests)."""
    if not is_virtuoso(server):
        return body
    fix = VirtuosoJson()
    return fix.feed(body) + fix.flush()


# ---- the dataset -----------------------------------------------------------------------------------------------


def declared_dataset(query: str, base: str | None = None) -> tuple[list[str], list[str]] | None:
    """The IRIs of a query's FROM and FROM NAMED clauses (None when it has none), read with the checks' lexer.

    Prefixed names are expanded with the query's PREFIX declarations and relative IRIs resolved against its BASE
    (or ``base``); the query has already parsed, so every prefix is declared."""
    prefixes: dict[str, str] = {}
    default: list[str] = []
    named: list[str] = []
    found = False
    state = ""  # what the previous tokens announce: base, prefix, prefix:<name>, from, named
    for kind, text, _ in tokens(query):
        if kind == "comment":
            continue
        word = text.upper() if kind == "word" else ""
        if state == "base":
            if kind == "iri":
                base = _resolved(text[1:-1], base)
            state = ""
        elif state == "prefix":
            state = "prefix:" + text[:-1] if kind == "word" and text.endswith(":") else ""
        elif state.startswith("prefix:"):
            if kind == "iri":
                prefixes[state[7:]] = _resolved(text[1:-1], base)
            state = ""
        elif state == "from" and word == "NAMED":
            state = "named"
        elif state in ("from", "named"):
            if kind in ("iri", "word"):
                (named if state == "named" else default).append(_iri(kind, text, prefixes, base))
            state = ""
        elif word in ("BASE", "PREFIX", "FROM"):
            state, found = word.lower(), found or word == "FROM"
    return (default, named) if found else None


def _iri(kind: str, text: str, prefixes: dict[str, str], base: str | None) -> str:
    if kind == "iri":
        return _resolved(text[1:-1], base)
    name, _, local = text.rstrip(".").partition(":")
    return prefixes.get(name, "") + local


def _resolved(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base else iri


@dataclass(frozen=True)
class Dataset:
    """The release's graphs on the store: its default graphs (their union is the default graph) and all of them;
    ``sizes``, the triples of each (the manifest's), is what the store is checked to hold, for ``version``."""

    default_graphs: tuple[str, ...]
    graphs: frozenset[str]
    sizes: dict[str, int] = field(default_factory=dict, compare=False)
    version: str = ""

    def kept(self, graphs: Sequence[str]) -> list[str]:
        """``graphs`` that are the release's (the store's other graphs are not served); the empty graph if none."""
        return [g for g in graphs if g in self.graphs] or [EMPTY_GRAPH]

    def of(self, job: QueryJob) -> tuple[list[str], list[str]]:
        """``default-graph-uri`` and ``named-graph-uri`` to send for ``job``: always explicit (see the module)."""
        if job.default_graphs is not None or job.named_graphs is not None:
            return self.kept(job.default_graphs or ()), self.kept(job.named_graphs or ())
        declared = declared_dataset(job.query, job.base_iri)
        if declared is not None:
            return self.kept(declared[0]), self.kept(declared[1])
        return list(self.default_graphs) or [EMPTY_GRAPH], sorted(self.graphs) or [EMPTY_GRAPH]


# ---- the endpoint ----------------------------------------------------------------------------------------------


class _Body:
    """A store's answer as the blocking reader pyoxigraph's parsers want: quirks fixed on the way, the deadline
    and a byte limit kept on every read."""

    def __init__(self, chunks: Iterator[bytes], *, deadline: float, timeout: float, limit: int,
                 fix: VirtuosoJson | None) -> None:
        self._chunks, self._deadline, self._timeout, self._limit, self._fix = chunks, deadline, timeout, limit, fix
        self._buffer = bytearray()
        self._done = False
        self.received = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all of them when negative), as soon as some are there (a short read, not a wait
        for ``size``); b"" at the end."""
        while not self._done and (size < 0 or not self._buffer):
            self._pull()
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
        else:
            out = bytes(self._buffer[:size])
            del self._buffer[:size]
        return out

    def _pull(self) -> None:
        if time.monotonic() > self._deadline:
            raise StoreTimeout(f"the store did not finish its answer within the {self._timeout:g} s time limit",
                               retry_after=1, timeout=self._timeout)
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._done = True
            if self._fix is not None:
                self._buffer += self._fix.flush()
            return
        except httpx.TimeoutException:
            raise StoreTimeout(f"the store did not finish its answer within the {self._timeout:g} s time limit",
                               retry_after=1, timeout=self._timeout) from None
        except httpx.HTTPError as e:
            raise StoreFailed(f"the store's answer broke off: {_trim(str(e)) or type(e).__name__}") from None
        self.received += len(chunk)
        if self.received > self._limit:
            raise StoreFailed(f"the store's answer is larger than {self._limit >> 20} MiB; kgpub stopped reading it")
        self._buffer += self._fix.feed(chunk) if self._fix is not None else chunk


@dataclass(frozen=True)
class Received:
    """An answer being received: its media type (without parameters), the store's ``Server``, and its body."""

    media_type: str
    server: str
    body: _Body


class Endpoint:
    """One store's SPARQL endpoint, spoken to over HTTP with the release's dataset; thread-safe."""

    def __init__(self, config: StoreConfig, *, dataset: Dataset, timeout: float, connections: int = 16) -> None:
        self.config, self.dataset, self.timeout = config, dataset, timeout
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        # trust_env=False: no proxy or .netrc from the environment; the store is what --store names, nothing else
        self._client = httpx.Client(auth=config.auth(), limits=limits, trust_env=False, follow_redirects=False)
        self.server = ""  # the store's Server header, as last seen
        self.lookups = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="kgpub-store")

    @property
    def url(self) -> str:
        return self.config.url

    @property
    def virtuoso(self) -> bool:
        return is_virtuoso(self.server)

    def close(self) -> None:
        self._client.close()
        self.lookups.shutdown(wait=False, cancel_futures=True)

    def blank_node(self, node: BlankNode) -> str | None:
        """How a query names a blank node of this store, if it can: Virtuoso's ``<nodeID://…>``; else None."""
        return f"<nodeID://{node.value}>" if self.virtuoso else None

    def form(self, query: str, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None) -> bytes:
        pairs = [("query", query), *(("default-graph-uri", g) for g in default_graphs or ()),
                 *(("named-graph-uri", g) for g in named_graphs or ())]
        return urlencode(pairs).encode("ascii")

    @contextlib.contextmanager
    def exchange(self, form: bytes, accept: str, *, time_limit: float, limit: int, user_query: bool,
                 deadline: float | None = None) -> Iterator[Received]:
        """POST one query; yields the answer being received (a 200) by ``deadline`` (monotonic; default
        ``time_limit`` s from now, the limit errors name), else raises the error it comes to. ``limit``: bytes to
        read at most. ``user_query``: a client's query (a 400 is then the store refusing it,
        :class:`QueryRejected`), not one of kgpub's own (a 400 is then the store's failure)."""
        deadline = time.monotonic() + time_limit if deadline is None else deadline
        response = self._send(form, accept, deadline, time_limit)
        try:
            self.server = response.headers.get("server", self.server)
            if response.status_code != 200:
                raise self._refusal(response, deadline, user_query=user_query)
            fix = VirtuosoJson() if is_virtuoso(self.server) and "json" in _media_type(response) else None
            body = _Body(response.iter_raw(), deadline=deadline, timeout=time_limit, limit=limit, fix=fix)
            yield Received(_media_type(response), self.server, body)
        finally:
            response.close()  # a body not read to its end closes the connection: the store stops sending

    def _send(self, form: bytes, accept: str, deadline: float, limit: float) -> httpx.Response:
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in range(2):  # one retry: a kept-alive connection the store closed meanwhile (it restarted)
            remaining = max(0.001, deadline - time.monotonic())
            request = self._client.build_request("POST", self.url, content=form, headers=headers,
                                                 timeout=httpx.Timeout(remaining))
            try:
                return self._client.send(request, stream=True)
            except httpx.TimeoutException:
                raise StoreTimeout(f"the store at {self.url} did not answer within the {limit:g} s time limit",
                                   retry_after=1, timeout=limit) from None
            except httpx.ConnectError as e:
                raise StoreUnavailable(f"the store at {self.url} cannot be reached: {_trim(str(e))}",
                                       retry_after=1) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
                if attempt == 0 and deadline - time.monotonic() > 0.05:
                    continue
                raise StoreUnavailable(f"the store at {self.url} closed the connection without answering: "
                                       f"{_trim(str(e)) or type(e).__name__}", retry_after=1) from None
            except httpx.HTTPError as e:
                raise StoreFailed(f"the store at {self.url} could not be asked: {_trim(str(e))}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _refusal(self, response: httpx.Response, deadline: float, *, user_query: bool) -> KgpubError:
        status = response.status_code
        try:
            text = _Body(response.iter_raw(), deadline=deadline, timeout=self.timeout, limit=1 << 20,
                         fix=None).read(4096).decode("utf-8", "replace")
        except KgpubError:
            text = ""
        said = _trim(text, secret=self.config.password)
        said = f": {said}" if said else ""
        who = f"the store at {self.url}"
        if status == 400 and user_query:
            return QueryRejected(f"{who} cannot run this query (it answered 400){said}")
        if status in (401, 403):
            login = ("refused kgpub's login (check --store-user and its password)" if self.config.user
                     else "asks for a login (give --store-user and --store-password-file or --store-password-env)")
            return StoreFailed(f"{who} {login}: {status} {response.reason_phrase}")
        if 300 <= status < 400:
            return StoreFailed(f"{who} answered {status}, a redirect to {response.headers.get('location', '?')}; "
                               "give the endpoint's own URL with --store")
        return StoreFailed(f"{who} answered {status} {response.reason_phrase}{said}")

    def select(self, query: str, *, default_graphs: Sequence[str] | None = None,
               named_graphs: Sequence[str] | None = None,
               time_limit: float | None = None) -> QuerySolutions | QueryBoolean:
        """One of kgpub's own SELECT (or ASK) queries, read whole (a bounded answer) within the time limit."""
        form = self.form(query, default_graphs, named_graphs)
        with self.exchange(form, RESULTS_JSON, time_limit=time_limit or self.timeout, limit=MAX_LOOKUP_BYTES,
                           user_query=False) as got:
            data = got.body.read()
            media_type = got.media_type
        fmt = QueryResultsFormat.from_media_type(media_type)
        if fmt is None:
            raise StoreFailed(f"the store at {self.url} answered {media_type!r}, not SPARQL query results")
        try:
            return parse_query_results(data, format=fmt)
        except (SyntaxError, ValueError) as e:
            raise StoreFailed(f"the store's answer is not valid {fmt.name}: {_trim(str(e))}") from None

    def differences(self) -> str | None:
        """How the store's graphs differ from the release's (by COUNT, never by GET), or None when they do not."""
        found = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                            default_graphs=[EMPTY_GRAPH], named_graphs=sorted(self.dataset.graphs),
                            time_limit=max(self.timeout, COUNT_TIMEOUT))
        counted = {str(getattr(row["g"], "value", "")): int(getattr(row["n"], "value", "0"))
                   for row in found} if isinstance(found, QuerySolutions) else {}
        wrong = [f"<{g}> has {counted.get(g, 0)} triples there, {n} in the release"
                 for g, n in sorted(self.dataset.sizes.items()) if counted.get(g, 0) != n]
        if not wrong:
            return None
        more = f" (and {len(wrong) - 3} more graphs)" if len(wrong) > 3 else ""
        return "; ".join(wrong[:3]) + more

    def probe(self) -> str:
        """``ASK {}`` within :data:`PROBE_TIMEOUT` s: "" when the store answers it, else what went wrong."""
        try:
            with self.exchange(self.form("ASK {}", None, None), RESULTS_JSON,
                               time_limit=min(PROBE_TIMEOUT, self.timeout), limit=1 << 16, user_query=False) as got:
                got.body.read()
        except KgpubError as e:
            return e.message
        return ""


def _media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _trim(text: str, *, secret: str | None = None) -> str:
    """A message of the store's on one line, at most :data:`MESSAGE_CHARS` characters, never holding ``secret``."""
    one = " ".join(text.split())
    if secret:
        one = one.replace(secret, "***")
    return one if len(one) <= MESSAGE_CHARS else one[:MESSAGE_CHARS - 1] + "…"


# ---- the backend -----------------------------------------------------------------------------------------------


class RemoteBackend:
    """The :class:`~kgpub.query.backends.base.QueryBackend` over a remote store: ``size`` queries at a time."""

    def __init__(self, endpoint: Endpoint, *, size: int, limits: QueryLimits, max_rows: int,
                 prefixes: dict[str, str], queue_limit: int = 64, client_queue: int = 8,
                 probe_interval: float = PROBE_INTERVAL) -> None:
        self.endpoint, self.size, self.limits, self.max_rows, self.prefixes = endpoint, size, limits, max_rows, prefixes
        self.admission: Admission[int] = Admission(queue_limit=queue_limit, client_queue=client_queue)
        self.probe_interval = probe_interval
        self._queries = ThreadPoolExecutor(size + 2, thread_name_prefix="kgpub-remote")  # +2: threads past a limit
        self._empty = Store()  # where our checks parse a query: the same run path as the workers', with no data
        self._default = execute.DefaultDataset.union_of(endpoint.dataset.default_graphs)
        self._probe: asyncio.Task[None] | None = None
        self._started = self._closed = False
        self.problem: str | None = "the store has not been asked yet"  # None: it answered last time
        self.differs: str | None = "its graphs have not been counted yet"  # None: it holds the release's graphs
        self._counted_at = float("-inf")
        self.checked_at: float | None = None
        self.timeouts = 0  # queries the store did not answer in time
        self.store_errors = 0  # queries the store failed or could not be reached for
        self.unreachable = 0  # probes and queries that found it unreachable

    async def start(self) -> None:
        for slot in range(self.size):
            self.admission.add(slot)
        await self.check()
        if self.problem:
            log.warning("the store at %s does not answer (serving anyway; /readyz says not ready): %s",
                        self.endpoint.url, self.problem)
        self._probe = asyncio.get_running_loop().create_task(self._watch())
        self._started = True

    async def close(self) -> None:
        self._closed = True
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        self._queries.shutdown(wait=False, cancel_futures=True)
        self.endpoint.close()

    async def check(self) -> None:
        """Probe the store now (on a lookup thread) and keep the outcome for :meth:`health`; until the store is
        seen to hold the release's graphs (their triples counted, every :data:`RECOUNT` s), count them too: a
        release published after the server picked it up is served as soon as the store has it."""
        loop = asyncio.get_running_loop()
        try:
            problem = await loop.run_in_executor(self.endpoint.lookups, self.endpoint.probe)
        except RuntimeError as e:  # the executor is shut down: closing
            problem = str(e)
        self._outcome(problem or None)
        if self.problem or self.differs is None or time.monotonic() - self._counted_at < RECOUNT:
            return
        self._counted_at = time.monotonic()
        if not self.endpoint.dataset.sizes:
            self.differs = None
            return
        try:
            differs = await loop.run_in_executor(self.endpoint.lookups, detached, self.endpoint.differences)
        except KgpubError as e:
            differs = f"its graphs could not be counted ({e.message})"
        except RuntimeError:  # closing
            return
        if differs and differs != self.differs:
            log.error("the store at %s does not hold release %s: %s", self.endpoint.url,
                      self.endpoint.dataset.version, differs)
        elif not differs:
            log.warning("the store at %s holds release %s", self.endpoint.url, self.endpoint.dataset.version)
        self.differs = differs

    async def _watch(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.probe_interval)
            await self.check()

    def _outcome(self, problem: str | None) -> None:
        if problem and not self.problem:
            log.error("the store at %s stopped answering: %s", self.endpoint.url, problem)
        elif self.problem and not problem and self.checked_at is not None:
            log.warning("the store at %s answers again", self.endpoint.url)
        if problem:
            self.unreachable += 1
        self.problem, self.checked_at = problem, time.monotonic()

    def health(self) -> BackendHealth:
        a = self.admission
        detail: dict[str, object] = {
            "kind": "remote store", "store": self.endpoint.url, "server": self.endpoint.server, "size": self.size,
            "idle": a.idle, "busy": a.running, "queued": a.queued, "queue_limit": a.queue_limit,
            "client_queue": a.client_queue, "clients": a.clients, "rejected": a.rejected, "timeouts": self.timeouts,
            "store_errors": self.store_errors, "unreachable": self.unreachable,
            "checked_s_ago": None if self.checked_at is None else round(time.monotonic() - self.checked_at, 1)}
        if self._closed:
            return BackendHealth(False, detail, "the remote store backend is closed")
        if not self._started:
            return BackendHealth(False, detail, "the remote store backend has not started")
        if self.problem:
            return BackendHealth(False, detail, f"store unreachable: {self.problem}")
        if self.differs:
            return BackendHealth(False, detail, f"the store does not hold release {self.endpoint.dataset.version}: "
                                                f"{self.differs}")
        if a.queued >= a.queue_limit:
            return BackendHealth(False, detail, f"overloaded: {a.queued} queries wait for the store, the limit")
        return BackendHealth(True, detail)

    async def run(self, job: QueryJob, *, timeout: float, client: str = "") -> Answer:
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        lease = await self.admission.acquire(client, timeout, retry_after=1)
        try:
            work = loop.run_in_executor(self._queries, execute.on_big_stack, detached, self._answer, job, deadline,
                                        timeout)
        except RuntimeError:  # the executor is shut down: the backend is closing
            self.admission.release(lease, seconds=0.0, slot_back=False)
            raise StoreUnavailable("the remote store backend is closing; try again", retry_after=1) from None
        work.add_done_callback(lambda done: self._settled(lease, done))
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic()) + GRACE):
                return await asyncio.shield(work)  # a client that hangs up leaves the exchange to end on its own
        except TimeoutError:
            raise StoreTimeout(f"the store did not answer within the {timeout:g} s time limit", retry_after=1,
                               timeout=timeout) from None

    def _settled(self, lease: Lease[int], done: asyncio.Future[Answer]) -> None:
        """An exchange is over (answered, failed, or past its limit): its slot is free; the store's health noted."""
        self.admission.release(lease, seconds=time.monotonic() - lease.started)
        if done.cancelled():
            return
        error = done.exception()
        if error is None:
            if self.problem:
                self._outcome(None)
        elif isinstance(error, StoreTimeout):
            self.timeouts += 1
        elif isinstance(error, StoreUnavailable):
            self.store_errors += 1
            self._outcome(error.message)
        elif isinstance(error, StoreFailed):
            self.store_errors += 1

    def _answer(self, job: QueryJob, deadline: float, timeout: float) -> Answer:
        """On a thread with a big stack: our checks, the exchange, the answer read and written again."""
        checked = execute.run(self._empty, job.query, limits=self.limits, default=self._default,
                              default_graphs=job.default_graphs, named_graphs=job.named_graphs,
                              base_iri=job.base_iri)
        kind = execute.result_kind(checked)
        del checked  # pyoxigraph's results may only be dropped on the thread that made them
        fmt, media_type = job.formats.pick(kind)
        default_graphs, named_graphs = self.endpoint.dataset.of(job)
        text = f"BASE <{job.base_iri}>\n{job.query}" if job.base_iri else job.query
        form = self.endpoint.form(text, default_graphs, named_graphs)
        accept = N_TRIPLES if kind is Kind.RDF else RESULTS_JSON
        with self.endpoint.exchange(form, accept, time_limit=timeout, deadline=deadline, limit=MAX_ANSWER_BYTES,
                                    user_query=True) as got:
            content = _parsed(got, kind)
            try:
                out = serialize(content, fmt, max_rows=self.max_rows, prefixes=self.prefixes)
            except (SyntaxError, ValueError) as e:  # the store's bytes, not ours
                raise StoreFailed(f"the store's answer is not valid {got.media_type}: {_trim(str(e))}") from None
        return Answer(media_type=media_type, count=out.count, truncated=out.truncated, body=out.body)


def detached(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` on this thread, its expected errors raised again without their traceback.

    pyoxigraph's query results and parsers may only be dropped on the thread that made them, and a traceback
    keeps the frames that hold them alive: the error that reaches the event loop must not carry any."""
    failure: KgpubError | None = None
    try:
        return work(*args)
    except KgpubError as e:
        failure = type(e).__new__(type(e))  # the class, message and headers' data; no traceback, no context
        KgpubError.__init__(failure, e.message)
        failure.__dict__.update(e.__dict__)
    raise failure


def _parsed(got: Received, kind: Kind) -> QuerySolutions | QueryBoolean | Iterator[Triple]:
    if kind is Kind.RESULTS:
        results = QueryResultsFormat.from_media_type(got.media_type)
        if results is None:
            raise StoreFailed(f"the store answered {got.media_type!r} to a SELECT or ASK, not SPARQL query results")
        try:
            return parse_query_results(cast("IO[bytes]", got.body), format=results)
        except (SyntaxError, ValueError) as e:
            raise StoreFailed(f"the store's answer is not valid {results.name}: {_trim(str(e))}") from None
    rdf = RdfFormat.from_media_type(got.media_type)
    if rdf is None:
        raise StoreFailed(f"the store answered {got.media_type!r} to a CONSTRUCT or DESCRIBE, not RDF")
    return (quad.triple for quad in parse(cast("IO[bytes]", got.body), format=rdf))


def remote_backend(config: StoreConfig, *, dataset: Dataset, size: int, timeout: float, limits: QueryLimits,
                   max_rows: int, prefixes: dict[str, str], queue_limit: int, client_queue: int) -> RemoteBackend:
    """The backend over ``config``'s store for one release (its dataset and prefixes)."""
    endpoint = Endpoint(config, dataset=dataset, timeout=timeout, connections=size + 2 + LOOKUP_THREADS)
    return RemoteBackend(endpoint, size=size, limits=limits, max_rows=max_rows, prefixes=prefixes,
                         queue_limit=queue_limit, client_queue=client_queue)


