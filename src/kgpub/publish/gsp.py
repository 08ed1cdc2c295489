"""Push a release into an existing store through the SPARQL 1.1 Graph Store HTTP Protocol.

Each named graph of the release goes up the same way, for reasons found by trying the stores:

1. Its triples are written as N-Triples to a temporary file, streaming (:func:`kgpub.publish.write_graph`).
   N-Triples, one graph per request: Virtuoso refuses N-Quads and TriG bodies.
2. The login is settled first, by a request without a body (:class:`Login`): a client that sends the body
   before answering a digest challenge (Python's urllib does) gets its connection reset by Virtuoso, and a
   body sent twice costs twice. Digest or basic, whichever the store asks for; Oxigraph server asks for none.
3. ``PUT <gsp>?graph=<temporary graph>`` with a ``Content-Length`` (:class:`FileBody`), never chunked: Virtuoso
   answers 201 to a chunked body and stores nothing. Always an absolute graph IRI: Oxigraph turns a relative
   one into an IRI of its own host. PUT, never POST: PUT replaces, POST appends (and duplicates blank nodes).
4. ``COUNT`` of the temporary graph over the SPARQL endpoint (never a GET of the graph: Virtuoso truncates a
   GET at its result-row limit and fails it at 10M triples), against the manifest's count.
5. ``MOVE GRAPH <temporary> TO GRAPH <graph>`` (SPARQL Update), then ``COUNT`` of the graph. The temporary
   graph is why: a Virtuoso PUT that fails at line N has already replaced its graph with the first N-1 lines,
   so a failed upload must never touch the published graph.

On a failure the temporary graph is dropped and the error says what state the published graph is in (untouched
unless the swap itself failed). Re-running is safe: every step replaces. Credentials never appear in an error,
a warning, a URL or a process list (they come from a file or an environment variable, never a flag's value).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from pyoxigraph import Store

from kgpub.errors import (
    InputError,
    KgpubError,
    PublishCountMismatch,
    PublishLoginRefused,
    PublishRejected,
    PublishUnreachable,
    from_code,
)
from kgpub.publish import GSP_ADVICE, check_iri, write_graph
from kgpub.release.reader import Release
from kgpub.store_login import Login, read_password, schemes

DEADLOCK = "SR172"  # Virtuoso: "Transaction deadlocked"; the transaction is to be run again
DEADLOCK_ATTEMPTS = 3
DEFAULT_TIMEOUT = 600.0  # seconds to wait for one answer: a large PUT is one long transaction in Virtuoso
CONNECT_TIMEOUT = 10.0
MESSAGE_CHARS = 300  # how much of a store's error message an error quotes
CHUNK = 1 << 16
NTRIPLES = "application/n-triples"
RESULTS_JSON = "application/sparql-results+json"
TEMPORARY_PARAM = "kgpub-publish"

LAYOUTS = {"/store": ("oxigraph", "/query", "/update"),
           "/sparql-graph-crud-auth": ("virtuoso", "/sparql-auth", "/sparql-auth"),
           "/sparql-graph-crud": ("virtuoso", "/sparql", "/sparql")}
"""Graph Store Protocol path → (store, its query endpoint, its update endpoint), beside it on the same server."""

BodyHook = Callable[[str, Path], None]
"""Called with each graph and its body file just before the upload (the tests use it to break an upload)."""


@dataclass(frozen=True)
class Credentials:
    """A store login. The password is never shown (not in ``repr``, errors or logs)."""

    user: str
    password: str = field(repr=False)

    @classmethod
    def read(cls, user: str | None, *, password_file: Path | None = None, password_env: str | None = None,
             env: Mapping[str, str] | None = None) -> Credentials | None:
        """The login of ``--user`` with ``--password-file`` (its first line) or ``--password-env``; None without
        a user. Exactly one password source goes with a user."""
        sources = [s for s in (password_file, password_env) if s is not None]
        if len(sources) > 1:
            raise InputError("--password-file and --password-env both given: name one password source")
        if user is None:
            if sources:
                raise InputError("a password is given but no --user")
            return None
        if not sources:
            raise InputError(f"--user {user!r} needs --password-file or --password-env (never a password on the "
                             "command line: process lists show it)")
        password = read_password(file=password_file, variable=password_env, env=os.environ if env is None else env,
                                 flags=("--password-file", "--password-env"))
        assert password is not None
        return cls(user, password)


@dataclass(frozen=True)
class Target:
    """Where a release goes: the store's Graph Store Protocol, query and update endpoints, and which store it is.

    ``--to`` is the Graph Store Protocol endpoint; the other two follow from it for the stores kgpub knows:
    Oxigraph server ``…/store`` (``…/query``, ``…/update``), Virtuoso ``…/sparql-graph-crud-auth``
    (``…/sparql-auth`` for both, with the same login) or ``…/sparql-graph-crud`` (``…/sparql``). Any other
    store names them with ``--sparql`` and ``--update``.
    """

    gsp_url: str
    query_url: str
    update_url: str
    kind: str  # "oxigraph" | "virtuoso" | "store" (another store: no size advice)

    @classmethod
    def of(cls, to: str, *, sparql: str | None = None, update: str | None = None) -> Target:
        gsp = _endpoint(to, "--to")
        path = urlsplit(gsp).path.rstrip("/")
        for suffix, (kind, query_path, update_path) in LAYOUTS.items():
            if path.endswith(suffix):
                base = gsp.rstrip("/")[: -len(suffix)]
                return cls(gsp, _endpoint(sparql, "--sparql") if sparql else base + query_path,
                           _endpoint(update, "--update") if update else base + update_path, kind)
        if sparql is None or update is None:
            raise InputError(f"--to {gsp}: not an endpoint layout kgpub knows (Oxigraph server …/store, Virtuoso "
                             "…/sparql-graph-crud-auth); give the store's query and update endpoints with --sparql "
                             "and --update")
        return cls(gsp, _endpoint(sparql, "--sparql"), _endpoint(update, "--update"), "store")


def _endpoint(url: str | None, flag: str) -> str:
    """An http(s) URL without credentials, query or fragment in it (a login goes with --user, never in a URL)."""
    assert url is not None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{flag} {_shown(url)}: not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise InputError(f"{flag}: the URL holds credentials; give the user with --user and the password with "
                         "--password-file or --password-env instead")
    if parts.query or parts.fragment:
        raise InputError(f"{flag} {url}: give the endpoint's URL without a query string (kgpub adds ?graph=)")
    return url


def _shown(url: str) -> str:
    """A URL as it may be printed: any user and password in it removed."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, host + (f":{parts.port}" if parts.port else ""), parts.path, parts.query, ""))


@dataclass(frozen=True)
class GraphResult:
    """What happened to one graph: its triples in the release and, counted afterwards, in the store."""

    graph: str
    expected: int
    found: int | None  # None in a dry run (nothing was sent)
    bytes: int  # the N-Triples body
    seconds: float
    status: str  # "published" | "dry run"


@dataclass(frozen=True)
class PublishReport:
    version: str
    target: Target
    graphs: list[GraphResult]
    warnings: list[str]
    dry_run: bool
    login: str  # "digest" | "basic" | "none" | "not tried" (dry run)

    @property
    def triples(self) -> int:
        return sum(g.expected for g in self.graphs)


class FileBody(httpx.SyncByteStream):
    """A request body read from a file in chunks, of known length: sent with ``Content-Length``, never chunked,
    and readable again from the start (a digest login that must answer a new challenge sends it again)."""

    def __init__(self, path: Path) -> None:
        self.path, self.size = path, path.stat().st_size

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk


def upload_request(client: httpx.Client, url: str, graph: str, body: Path) -> httpx.Request:
    """The Graph Store Protocol PUT of one graph: absolute graph IRI, N-Triples, ``Content-Length`` (the client's
    headers too: ``Host``, ``User-Agent``), the body streamed from the file."""
    request = client.build_request("PUT", url, params={"graph": check_iri(graph)}, content=b"",
                                   headers={"Content-Type": NTRIPLES})
    request.stream = FileBody(body)
    request.headers["Content-Length"] = str(request.stream.size)
    return request


def temporary_graph(graph: str, version: str, token: str | None = None) -> str:
    """The absolute IRI a graph is uploaded to before the swap: the graph's own, with a query part naming the
    release and this run (two publishes at once never share one)."""
    token = token or secrets.token_hex(4)
    return check_iri(f"{graph}{'&' if '?' in graph else '?'}{TEMPORARY_PARAM}={version}-{token}")


class Session:
    """One publish's conversation with a store: the login, uploads, counts and updates, each failure turned into
    the error that names it (never with a credential in it)."""

    def __init__(self, client: httpx.Client, target: Target, credentials: Credentials | None) -> None:
        self.client, self.target, self.credentials = client, target, credentials
        self.auth = Login(credentials.user, credentials.password) if credentials is not None else None
        self.challenged = False

    @property
    def scheme(self) -> str:
        return (self.auth.scheme if self.auth is not None else None) or "none"

    def send(self, request: httpx.Request, what: str) -> httpx.Response:
        try:
            response = self.client.send(request, auth=self.auth)
        except httpx.TimeoutException as e:
            raise PublishUnreachable(f"{what}: {_origin(request.url)} did not answer in time "
                                     f"({type(e).__name__}); the store may still be working on it") from None
        except httpx.TransportError as e:
            raise PublishUnreachable(f"{what}: {_origin(request.url)} cannot be reached "
                                     f"({type(e).__name__}: {self.redact(str(e)) or 'no detail'})") from None
        if response.status_code == 401 or 401 in (r.status_code for r in response.history):
            self.challenged = True
        if response.status_code in (401, 403):
            raise self.refused(response, what)
        if 300 <= response.status_code < 400:
            raise PublishRejected(f"{what}: the store answered {response.status_code} (a redirect to "
                                  f"{_shown(response.headers.get('location', '?'))}); give the endpoint's own URL")
        return response

    def refused(self, response: httpx.Response, what: str) -> PublishLoginRefused:
        offered_schemes = schemes(response)
        offered = ", ".join(offered_schemes) or "no scheme named"
        if self.credentials is None:
            return PublishLoginRefused(f"{what}: the store asks for a login ({offered}); give --user with "
                                       "--password-file or --password-env")
        if response.status_code == 401 and offered_schemes and not {"digest", "basic"} & set(offered_schemes):
            return PublishLoginRefused(f"{what}: the store asks for a login kgpub does not speak ({offered}); "
                                       "digest and basic are supported")
        if response.status_code == 403:
            return PublishLoginRefused(f"{what}: the store refused user {self.credentials.user!r} this request "
                                       f"(403): {self.message(response)}")
        return PublishLoginRefused(f"{what}: the store refused the login of user {self.credentials.user!r} "
                                   f"(401, {offered})")

    def login(self, probe_graph: str) -> None:
        """Settle the login with a GET of a graph that does not exist (no body): a refusal stops here."""
        self.send(self.client.build_request("GET", self.target.gsp_url, params={"graph": probe_graph},
                                            headers={"Accept": NTRIPLES}),
                  f"login at {_origin(httpx.URL(self.target.gsp_url))}")

    def put(self, graph: str, body: Path) -> None:
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            response = self.send(upload_request(self.client, self.target.gsp_url, graph, body),
                                 f"upload of <{graph}>")
            if not (response.status_code == 500 and DEADLOCK in response.text) or attempt == DEADLOCK_ATTEMPTS:
                break
            # Virtuoso's loader threads can deadlock on one large PUT (seen at 1M triples): its docs say to run the
            # transaction again. The upload goes to the temporary graph, which a PUT replaces: nothing doubles.
            time.sleep(attempt)
        if response.status_code not in (200, 201, 204):
            raise PublishRejected(f"the store refused the upload of <{graph}> ({response.status_code}): "
                                  f"{self.message(response)}")

    def count(self, graph: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{check_iri(graph)}> {{ ?s ?p ?o }} }}"
        request = self.client.build_request("POST", self.target.query_url, data={"query": query},
                                            headers={"Accept": RESULTS_JSON})
        response = self.send(request, f"count of <{graph}>")
        if response.status_code != 200:
            raise PublishRejected(f"the store refused the count of <{graph}> ({response.status_code}): "
                                  f"{self.message(response)}")
        try:
            return int(json.loads(response.content)["results"]["bindings"][0]["n"]["value"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise PublishRejected(f"the store's answer to the count of <{graph}> is not a SPARQL JSON count: "
                                  f"{self.message(response)}") from None

    def update(self, update: str, what: str) -> None:
        request = self.client.build_request("POST", self.target.update_url, data={"update": update})
        response = self.send(request, what)
        if response.status_code not in (200, 204):
            raise PublishRejected(f"the store refused the {what} ({response.status_code}): {self.message(response)}")

    def drop(self, graph: str) -> bool:
        """Drop a graph, if the store lets us; whether it did (a cleanup after a failure: never the error)."""
        try:
            self.update(f"DROP SILENT GRAPH <{check_iri(graph)}>", f"drop of <{graph}>")
        except KgpubError:
            return False
        return True

    def message(self, response: httpx.Response) -> str:
        """The start of the store's own message: Virtuoso's HTML error page reduced to its text."""
        text = response.text
        found = re.search(r"<xmp>(.*?)</xmp>", text, re.S | re.I)  # Virtuoso's message, IRIs in <…> as they are
        if found:
            text = found.group(1)
        elif re.match(r"\s*<(!doctype|html|\?xml)", text, re.I):  # another page: its text
            text = html.unescape(re.sub(r"<[^>]*>", " ", text))
        text = " ".join(text.split())
        text = self.redact(text) or "(no message)"
        return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"

    def redact(self, text: str) -> str:
        if self.credentials is not None and self.credentials.password:
            text = text.replace(self.credentials.password, "***")
        return text


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


def size_warnings(target: Target, triples: int) -> list[str]:
    """The advice when a release is too large for the Graph Store Protocol of its store."""
    limit = GSP_ADVICE.get(target.kind)
    if limit is None or triples <= limit:
        return []
    why = {"oxigraph": "the Oxigraph server's memory grows ~4 GB per million triples received this way",
           "virtuoso": "each PUT is one long transaction"}[target.kind]
    return [f"the release has {triples:,} triples: above ~{limit:,} the Graph Store Protocol is not sensible for "
            f"{target.kind} ({why}); `kgpub publish --bulk DIR` writes the files and commands for its bulk loader"]


def publish(release: Release, target: Target, *, credentials: Credentials | None = None, dry_run: bool = False,
            timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None,
            body_hook: BodyHook | None = None) -> PublishReport:
    """Upload every named graph of ``release`` into the store at ``target`` and verify each by its count.

    ``dry_run``: say what would be uploaded (graphs, triples, bytes), send nothing. ``client``: the HTTP client
    to use (the tests pass one that records what it sends); by default one with ``timeout`` per answer. A
    failure raises the error that names it (unreachable, login refused, rejected, count mismatch), saying which
    graphs were published before it and that the graph being published was left as it was.
    """
    manifest = release.manifest
    graphs = sorted(manifest.graphs)
    for graph in graphs:
        check_iri(graph)
    warnings = size_warnings(target, sum(manifest.graphs.values()))
    store = release.open_store()
    if dry_run:
        results = []
        for graph in graphs:
            start = time.monotonic()
            _, size = write_graph(store, graph, None)
            results.append(GraphResult(graph, manifest.graphs[graph], None, size, time.monotonic() - start,
                                       "dry run"))
        return PublishReport(release.version, target, results, warnings, True, "not tried")
    own = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT), follow_redirects=False)
    token = secrets.token_hex(4)
    done: list[GraphResult] = []
    session = Session(http, target, credentials)
    try:
        session.login(temporary_graph(graphs[0] if graphs else "urn:kgpub:none", release.version, token))
        with tempfile.TemporaryDirectory(prefix="kgpub-publish-") as tmp:
            for i, graph in enumerate(graphs):
                try:
                    done.append(_publish_graph(session, store, graph, manifest.graphs[graph],
                                               temporary_graph(graph, release.version, token), Path(tmp) / f"{i}.nt",
                                               body_hook))
                except KgpubError as e:
                    raise from_code(e.code, f"{e.message}. Published before this: "
                                    f"{', '.join(f'<{r.graph}>' for r in done) or 'none'}; not published: "
                                    f"{', '.join(f'<{g}>' for g in graphs[i:])}") from None
    finally:
        if own:
            http.close()
    if credentials is not None and not session.challenged:
        warnings.append(f"the store at {_origin(httpx.URL(target.gsp_url))} never asked for a login, so the "
                        "credentials were not used (Oxigraph server has no authentication: anyone who reaches it "
                        "can change it; put it behind a proxy that checks a login)")
    return PublishReport(release.version, target, done, warnings, False, session.scheme)


def _publish_graph(session: Session, store: Store, graph: str, expected: int, temporary: str, body: Path,
                   body_hook: BodyHook | None) -> GraphResult:
    """One graph: body → PUT temporary → count → MOVE → count (see the module's docstring for why)."""
    start = time.monotonic()
    with body.open("wb") as out:
        written, size = write_graph(store, graph, out)
    if written != expected:
        raise PublishCountMismatch(f"<{graph}>: the release's store holds {written} triples, its manifest "
                                   f"{expected}; the release is damaged (rebuild it), nothing was sent for it")
    if body_hook is not None:
        body_hook(graph, body)
        size = body.stat().st_size
    untouched = f"<{graph}> was left as it was"
    if expected == 0:  # nothing to upload: the graph is empty in the release, so it is emptied in the store
        session.update(f"DROP SILENT GRAPH <{graph}>", f"drop of the empty graph <{graph}>")
    else:
        try:
            session.put(temporary, body)
            found = session.count(temporary)
        except KgpubError as e:  # after a time-out or a lost connection a drop would only wait again
            cleaned = not isinstance(e, PublishUnreachable) and session.drop(temporary)
            raise from_code(e.code, f"{e.message}; {untouched}{_cleanup(cleaned, temporary)}") from None
        if found != expected:
            cleaned = session.drop(temporary)
            raise PublishCountMismatch(f"<{graph}>: the store counts {found} triples in the uploaded copy "
                                       f"<{temporary}>, the release has {expected}; {untouched}"
                                       f"{_cleanup(cleaned, temporary)}")
        try:
            session.update(f"MOVE GRAPH <{temporary}> TO GRAPH <{graph}>", f"swap of <{temporary}> onto <{graph}>")
        except KgpubError as e:
            reachable = not isinstance(e, PublishUnreachable)
            cleaned = reachable and session.drop(temporary)
            state = _state(session, graph) if reachable else f"the state of <{graph}> is unknown"
            raise from_code(e.code, f"{e.message}; {state}{_cleanup(cleaned, temporary)}") from None
    body.unlink()
    found = session.count(graph)
    if found != expected:
        raise PublishCountMismatch(f"<{graph}>: after the swap the store counts {found} triples, the release has "
                                   f"{expected}; the graph was replaced, publish again")
    return GraphResult(graph, expected, found, size, time.monotonic() - start, "published")


def _cleanup(cleaned: bool, temporary: str) -> str:
    return "" if cleaned else f" (the uploaded copy <{temporary}> may remain: DROP SILENT GRAPH <{temporary}>)"


def _state(session: Session, graph: str) -> str:
    try:
        return f"<{graph}> now holds {session.count(graph)} triples"
    except KgpubError:
        return f"the state of <{graph}> could not be counted"
