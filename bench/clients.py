"""Clients, servers and readings shared by the load benchmarks (``overload.py``, ``soak.py``).

Why a module of its own: both scripts start the same servers the same way, speak to them through
the same bounded asyncio clients and read the same things from them (``/healthz``, ``/metrics``,
the memory of the process tree). Nothing here writes a report.

- **Clients tell themselves apart by source address.** kgpub's admission control keys on the peer
  address, so each simulated client binds its own loopback address (``127.0.0.2``, ``127.0.0.3``,
  … ``127.0.x.y``; Linux routes all of ``127.0.0.0/8`` to the loopback interface).
- **Each client role runs in its own process** (:class:`Roles`): a flood's thousands of quick
  refusals must not delay, in the same event loop, the clock of the simple queries whose latency
  is the figure. Roles start together at an agreed wall-clock time and stop at one.
- **Every loop is bounded** in time (a stop time, a per-request timeout, a grace period after
  which what is still outstanding is cancelled) and in count.
- **What the server says about itself is read with ``.get()``**: ``/healthz``'s ``backend`` keys
  (``replaced``, ``live``, ``idle``, and with admission control ``queued``, ``rejected``,
  ``timeouts``) and ``/metrics`` (``kgpub_query_*`` counters) may or may not be there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import math
import multiprocessing
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
from ld_bench import Server, running  # noqa: E402  (the same server processes as the other benchmarks)
from sparql_bench import free_port, log, pct, tree_memory  # noqa: E402  (the same /proc readings)

KGPUB = ROOT / ".venv" / "bin" / "kgpub"
OXIGRAPH = ROOT / ".venv" / "bin" / "oxigraph"
BASE = "https://w3id.org/kjtrade/"
JSON_RESULTS = "application/sparql-results+json"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

# The queries of issue 11. HEAVY never finishes (the cube of the graph); MODERATE takes ~0.1-0.2 s on the article
# graph (a path of three triples); SIMPLE are what a well-behaved client asks.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MODERATE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?c ?e ?f . ?f ?h ?i }"
SIMPLE = ("ASK {}", f"SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label }} LIMIT 5")


def filter_bomb(terms: int = 10_000) -> str:
    """``ASK { BIND(1 AS ?a) FILTER(?a&&?a&&…) }``: 40 kB for 10,000 terms; holds a worker for seconds."""
    return "ASK { BIND(1 AS ?a) FILTER(" + "&&".join(["?a"] * terms) + ") }"


# Source addresses: one per simulated client.
FLOODER = "127.0.0.2"  # client A: the flood, the hang-up storm
VICTIM = "127.0.0.3"  # client B: simple queries one after another
WATCHER = "127.0.0.4"  # /healthz and /metrics
RUNAWAY_CLIENT = "127.0.0.5"  # the soak's runaway query every few seconds
PROBE = "127.0.0.6"  # one query alone, before a part (how long it takes with nobody else asking)


def addresses(group: int, n: int) -> list[str]:
    """``n`` distinct loopback addresses ``127.0.<group>.1…``: a crowd of clients."""
    if not 1 <= group <= 254 or not 0 <= n <= 254:
        raise ValueError("at most 254 clients per group, groups 1-254")
    return [f"127.0.{group}.{i}" for i in range(1, n + 1)]


# ---------------------------------------------------------------------------------------------
# Data and servers
# ---------------------------------------------------------------------------------------------

@dataclass
class Data:
    release: Path
    version: str = ""
    triples: int = 0  # default graph
    oxigraph_store: Path | None = None
    entities: list[str] = field(default_factory=list)


def prepare(release: Path, out: Path, *, oxigraph: bool, entities: bool = False) -> Data:
    """The release's figures; its ``dataset.nt`` (= kgpub's default graph) loaded once into an Oxigraph store
    (as ``sparql_bench.py`` does); the entity IRIs (every IRI under the base's ``id/`` that is a subject)."""
    manifest = json.loads((release / "manifest.json").read_text())
    d = Data(release, manifest["version"], int(manifest.get("default_graph_triples", 0)))
    if oxigraph:
        store = (out / "oxigraph" / d.version).resolve()  # the server runs in another folder
        if not (store / ".loaded").exists():
            shutil.rmtree(store, ignore_errors=True)
            store.parent.mkdir(parents=True, exist_ok=True)
            log(f"loading {release / 'dataset.nt'} into an Oxigraph store")
            import subprocess

            subprocess.run([str(OXIGRAPH), "load", "--location", str(store), "--file", str(release / "dataset.nt")],
                           check=True, capture_output=True, timeout=600)
            (store / ".loaded").write_text("ok\n")
        d.oxigraph_store = store
    if entities:
        from pyoxigraph import QuerySolutions, Store

        st = Store.read_only(str(release / "store"))
        graphs = "".join(f"FROM <{u}> " for u in manifest.get("default_graphs", []))
        q = (f"SELECT DISTINCT ?s {graphs}WHERE {{ ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), \"{BASE}id/\")) }} "
             "ORDER BY ?s")
        rows = st.query(q)
        assert isinstance(rows, QuerySolutions)
        d.entities = [row["s"].value for row in rows]
        del st
    return d


@dataclass(frozen=True)
class Endpoint:
    """Where a server answers (picklable: handed to the client processes)."""

    name: str  # kgpub | oxigraph
    port: int
    query_path: str  # /sparql | /query

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query_url(self, query: str) -> str:
        return f"{self.base}{self.query_path}?query={quote(query, safe='')}"


def make_server(kind: str, data: Data, out: Path, *, workers: int, limit: float,
                env: dict[str, str] | None = None, tag: str = "") -> tuple[Server, Endpoint]:
    """A kgpub (``kgpub serve --release R --port P``) or Oxigraph (``serve-read-only``, ``--timeout-s``) server on
    a free port of 127.0.0.1, in its own process group (started by ``ld_bench.running``)."""
    port = free_port()
    if kind == "kgpub":
        argv = [str(KGPUB), "serve", "--release", str(data.release), "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--timeout", f"{limit:g}"]
        srv = Server(kind, argv, "/readyz", cwd=ROOT, env=env)
        ep = Endpoint(kind, port, "/sparql")
    elif kind == "oxigraph":
        if data.oxigraph_store is None:
            raise ValueError("no Oxigraph store prepared")
        argv = [str(OXIGRAPH), "serve-read-only", "--location", str(data.oxigraph_store),
                "--bind", f"127.0.0.1:{port}", "--timeout-s", f"{limit:g}"]
        srv = Server(kind, argv, "/query?query=" + quote("ASK {}", safe=""), cwd=out)
        ep = Endpoint(kind, port, "/query")
    else:
        raise ValueError(f"unknown server {kind!r}: kgpub or oxigraph")
    srv.port = port
    srv.log_path = out / "logs" / f"{kind}{tag}.log"
    return srv, ep


@contextlib.contextmanager
def serving(kind: str, data: Data, out: Path, **kw: Any) -> Iterator[tuple[Server, Endpoint]]:
    """One fresh server for one part of a run, stopped (its whole process group) at the end, also on errors."""
    srv, ep = make_server(kind, data, out, **kw)
    with running({kind: srv}):
        yield srv, ep


# ---------------------------------------------------------------------------------------------
# One request
# ---------------------------------------------------------------------------------------------

class Hit(NamedTuple):
    """One request as a client saw it."""

    sent: float  # wall-clock time it was sent (time.time())
    seconds: float  # until the whole answer was read, or the failure
    status: int  # HTTP status; 0: no answer (the exception's name is in ``code``)
    code: str  # the error's code from kgpub's JSON error body, or the exception's class name
    retry_after: str | None  # the Retry-After header, if any
    kind: str  # what was asked (simple, heavy, entity-html, ...)
    size: int  # bytes of the body


def outcome(h: Hit) -> str:
    """``200``, ``503 overloaded``, ``no answer: ReadTimeout``, …"""
    if h.status == 0:
        return f"no answer: {h.code}"
    return f"{h.status} {h.code}".strip()


def check_body(body: bytes, accept: str | None) -> str:
    """'' for a whole SPARQL JSON answer (or anything not asked as one); ``invalid body`` for a 200 whose JSON is
    cut (Oxigraph answers a query it stops at its time limit with a 200 and an error message in the body)."""
    if accept != JSON_RESULTS:
        return ""
    try:
        json.loads(body)
    except ValueError:
        return "invalid body"
    return ""


def error_code(body: bytes) -> str:
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        return str(json.loads(body)["error"]["code"])
    return ""


def client(local: str, connections: int = 4) -> httpx.AsyncClient:
    """An HTTP/1.1 client whose connections leave from ``local`` (no proxies, no retries)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.AsyncHTTPTransport(local_address=local, limits=limits, retries=0, trust_env=False)
    return httpx.AsyncClient(transport=transport, trust_env=False, timeout=30.0)


async def send(c: httpx.AsyncClient, url: str, *, kind: str, timeout: float, accept: str | None = JSON_RESULTS,
               headers: dict[str, str] | None = None) -> Hit:
    sent, t0 = time.time(), time.perf_counter()
    hdrs = ({"Accept": accept} if accept else {}) | (headers or {})
    try:
        r = await c.get(url, headers=hdrs, timeout=timeout)
        body = r.content
    except httpx.HTTPError as e:
        return Hit(sent, time.perf_counter() - t0, 0, type(e).__name__, None, kind, 0)
    code = error_code(body) if r.status_code >= 400 else check_body(body, accept)
    return Hit(sent, time.perf_counter() - t0, r.status_code, code, r.headers.get("retry-after"), kind, len(body))


async def send_raw(ep: Endpoint, target: str, *, local: str, kind: str, timeout: float,
                   accept: str = JSON_RESULTS) -> Hit:
    """One GET on a connection of its own (``Connection: close``, read to the end), without an HTTP library: a
    tenth of httpx's client CPU, so a flood of thousands of requests measures the server rather than itself."""
    sent, t0 = time.time(), time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", ep.port, local_addr=(local, 0))
            writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{ep.port}\r\nAccept: {accept}\r\n"
                         "Connection: close\r\n\r\n".encode())
            await writer.drain()
            data = await reader.read(-1)
    except TimeoutError:
        return Hit(sent, time.perf_counter() - t0, 0, "ReadTimeout", None, kind, 0)
    except OSError as e:
        return Hit(sent, time.perf_counter() - t0, 0, type(e).__name__, None, kind, 0)
    finally:
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - t0
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) < 2 or not parts[1].isdigit():
        return Hit(sent, seconds, 0, "RemoteProtocolError", None, kind, 0)
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    status = int(parts[1])
    code = error_code(body) if status >= 400 else check_body(body, accept)
    return Hit(sent, seconds, status, code, headers.get("retry-after"), kind, len(body))


def dechunk(data: bytes) -> bytes:
    """A chunked body's content (what arrived of it)."""
    out, i = bytearray(), 0
    while i < len(data):
        end = data.find(b"\r\n", i)
        if end < 0:
            break
        try:
            size = int(data[i:end].split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += data[end + 2:end + 2 + size]
        i = end + 2 + size + 2
    return bytes(out)


def retry_seconds(value: str | None, default: float = 1.0) -> float:
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default  # an HTTP-date: not sent by kgpub


async def wait_until(t: float) -> None:
    await asyncio.sleep(max(0.0, t - time.time()))


# ---------------------------------------------------------------------------------------------
# Client roles (each run by Roles in its own process; arguments and results are picklable)
# ---------------------------------------------------------------------------------------------

async def simple_loop(ep: Endpoint, *, local: str, start_at: float, stop_at: float, tag: str,
                      timeout: float = 30.0, queries: tuple[str, ...] = SIMPLE,
                      max_requests: int = 1_000_000) -> dict[str, Any]:
    """Client B: simple queries one after another (unique texts: no answer cache helps) until ``stop_at``."""
    hits: list[Hit] = []
    async with client(local, 2) as c:
        await wait_until(start_at)
        n = 0
        while time.time() < stop_at and n < max_requests:
            q = queries[n % len(queries)] + f"\n# {tag}-{n}"
            n += 1
            hits.append(await send(c, ep.query_url(q), kind="simple", timeout=timeout))
    return {"hits": hits}


async def flood(ep: Endpoint, *, local: str, start_at: float, stop_at: float, concurrency: int = 64,
                query: str = HEAVY, pause: float = 0.1, timeout: float = 60.0, grace: float = 15.0,
                raw: bool = True) -> dict[str, Any]:
    """Client A: ``concurrency`` heavy queries at once (unique texts), each sent again as soon as the previous one is
    answered (after ``pause`` s ± 50 % if it was refused), until ``stop_at``; then up to ``grace`` s for what is
    still out (cancelled after that: the client hangs up). ``raw``: each request on a new connection of its own
    (:func:`send_raw`), else httpx with keep-alive."""
    hits: list[Hit] = []
    out = {"now": 0, "max": 0, "sent": 0}
    async with client(local, concurrency) as c:
        await wait_until(start_at)

        async def one(i: int) -> None:
            n, rng = 0, random.Random(i)
            while time.time() < stop_at and n < 100_000:
                n += 1
                out["now"] += 1
                out["sent"] += 1
                out["max"] = max(out["max"], out["now"])
                try:
                    url = ep.query_url(query + f"\n# flood-{i}-{n}")
                    h = await (send_raw(ep, url.removeprefix(ep.base), local=local, kind="heavy", timeout=timeout)
                               if raw else send(c, url, kind="heavy", timeout=timeout))
                finally:
                    out["now"] -= 1
                hits.append(h)
                if h.status != 200:  # jittered, so the refused do not come back all in one burst
                    await asyncio.sleep(min(pause * rng.uniform(0.5, 1.5), max(0.0, stop_at - time.time())))

        tasks = [asyncio.create_task(one(i)) for i in range(concurrency)]
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, stop_at - time.time()) + grace)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return {"hits": hits, "sent": out["sent"], "max_outstanding": out["max"], "unanswered": len(pending)}


async def storm(ep: Endpoint, *, local: str, start_at: float, count: int = 30, spacing: float = 0.3,
                hang_up_after: float = 0.3, query: str = "") -> dict[str, Any]:
    """``count`` POSTs of ``query`` (``application/sparql-query``; each text unique, a ``# storm-i`` comment added, so
    no answer cache helps), one every ``spacing`` s, each on its own raw connection that is closed ``hang_up_after`` s
    after sending unless an answer's status line came first."""
    text = query or filter_bomb()

    async def one(i: int) -> dict[str, Any]:
        body = f"{text}\n# storm-{i}".encode()
        sent = time.time()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", ep.port, local_addr=(local, 0))
        except OSError as e:
            return {"i": i, "sent": sent, "outcome": f"could not connect: {type(e).__name__}", "status": 0}
        head = (f"POST {ep.query_path} HTTP/1.1\r\nHost: 127.0.0.1:{ep.port}\r\n"
                f"Content-Type: application/sparql-query\r\nAccept: {JSON_RESULTS}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        status, result = 0, "hung up"
        try:
            writer.write(head + body)
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), hang_up_after)
            parts = line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            result = f"answered {status} before the hang-up" if status else "closed by the server"
        except TimeoutError:
            pass
        except OSError as e:
            result = f"connection error: {type(e).__name__}"
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return {"i": i, "sent": sent, "outcome": result, "status": status, "seconds": time.time() - sent}

    await wait_until(start_at)
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(spacing)
    results = await asyncio.gather(*tasks)
    return {"queries": results, "bytes": len(text.encode())}


async def crowd(ep: Endpoint, *, locals_: list[str], start_at: float, stop_at: float, query: str = MODERATE,
                honour_retry_after: bool = True, max_pause: float = 5.0, timeout: float = 60.0) -> dict[str, Any]:
    """One client per address, each sending ``query`` (unique texts) one after another until ``stop_at``; a refused
    client waits what Retry-After says (at most ``max_pause`` s), as a well-behaved client does."""
    hits: list[Hit] = []
    out = {"now": 0, "max": 0}
    clients = [client(a, 2) for a in locals_]
    try:
        await wait_until(start_at)

        async def one(i: int, c: httpx.AsyncClient) -> None:
            n = 0
            while time.time() < stop_at and n < 100_000:
                n += 1
                out["now"] += 1
                out["max"] = max(out["max"], out["now"])
                try:
                    h = await send(c, ep.query_url(query + f"\n# crowd-{i}-{n}"), kind=f"client-{i}", timeout=timeout)
                finally:
                    out["now"] -= 1
                hits.append(h)
                if h.status == 503 and honour_retry_after:
                    wait = min(retry_seconds(h.retry_after), max_pause, max(0.0, stop_at - time.time()))
                    await asyncio.sleep(wait)

        await asyncio.wait_for(asyncio.gather(*(one(i, c) for i, c in enumerate(clients))),
                               max(0.0, stop_at - time.time()) + timeout + 5)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    return {"hits": hits, "max_outstanding": out["max"], "clients": len(locals_)}


# The soak's mix: what a share of the requests asks (kinds and weights).
MIX = (("query-repeated", 0.25), ("query-unique", 0.25), ("entity-html", 0.2), ("entity-turtle", 0.2),
       ("dump.nt", 0.05), ("dump.nt.gz", 0.05))


def small_queries(entities: list[str]) -> list[str]:
    """Eight small queries of the soak: four entities' properties, an ASK, labels, a count, types by count."""
    picks = [entities[i * len(entities) // 4] for i in range(4)] if entities else []
    qs = [f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}" for e in picks]
    qs += ["ASK {}", f"SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label }} LIMIT 5",
           "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }",
           "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 5"]
    return qs


async def mixed(ep: Endpoint, *, locals_: list[str], start_at: float, stop_at: float, entities: list[str],
                queries: list[str], seed: int = 11, think: float = 0.0, timeout: float = 60.0) -> dict[str, Any]:
    """The soak's clients, one per address, each one request after another (``think`` s between) until
    ``stop_at``: the kinds of :data:`MIX` drawn with their weights (seeded: the same run, the same requests)."""
    hits: list[Hit] = []
    kinds, weights = zip(*MIX, strict=True)
    clients = [client(a, 2) for a in locals_]
    try:
        await wait_until(start_at)

        async def one(i: int, c: httpx.AsyncClient) -> None:
            rng, n = random.Random(seed * 1000 + i), 0
            while time.time() < stop_at and n < 10_000_000:
                n += 1
                kind = rng.choices(kinds, weights)[0]
                headers: dict[str, str] = {}
                accept: str | None = JSON_RESULTS
                if kind == "query-repeated":
                    url = ep.query_url(queries[rng.randrange(len(queries))])
                elif kind == "query-unique":
                    url = ep.query_url(queries[rng.randrange(len(queries))] + f"\n# soak-{i}-{n}")
                elif kind.startswith("entity-"):
                    url = ep.base + "/" + entities[rng.randrange(len(entities))].removeprefix(BASE)
                    accept = "text/html" if kind == "entity-html" else "text/turtle"
                    headers = {"Accept-Language": "en"} if kind == "entity-html" else {}
                else:
                    url, accept = f"{ep.base}/{kind}", None
                hits.append(await send(c, url, kind=kind, timeout=timeout, accept=accept, headers=headers))
                if think:
                    await asyncio.sleep(think)

        await asyncio.wait_for(asyncio.gather(*(one(i, c) for i, c in enumerate(clients))),
                               max(0.0, stop_at - time.time()) + timeout + 5)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    return {"hits": hits, "clients": len(locals_)}


ROLES: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "simple_loop": simple_loop, "flood": flood, "storm": storm, "crowd": crowd, "mixed": mixed}


def _run_role(name: str, ep: Endpoint, kwargs: dict[str, Any]) -> dict[str, Any]:
    """In a client process: run one role on its own event loop (uvloop when installed: less client overhead), and
    say how much CPU the client itself used from its start time on (a client near one full core measures its own
    queueing, not the server)."""
    try:
        import uvloop

        runner: Callable[[Any], dict[str, Any]] = uvloop.run
    except ImportError:
        runner = asyncio.run
    start = kwargs.get("start_at", time.time())
    cpu: dict[str, float] = {}

    async def timed() -> dict[str, Any]:
        await wait_until(start)
        cpu["t0"], cpu["wall0"] = time.process_time(), time.time()
        return await ROLES[name](ep, **kwargs)

    result = runner(timed())
    wall = time.time() - cpu.get("wall0", time.time())
    result["client_cpu_s"] = time.process_time() - cpu.get("t0", time.process_time())
    result["client_cpu_share"] = result["client_cpu_s"] / wall if wall > 0 else 0.0
    return result


class Roles:
    """Client processes (spawned, not forked: the parent may hold threads and an event loop)."""

    def __init__(self, processes: int = 4) -> None:
        self.processes = processes
        self.pool = concurrent.futures.ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

    def start(self, name: str, ep: Endpoint, **kwargs: Any) -> asyncio.Future[dict[str, Any]]:
        """Start a role; the result is awaited in the caller's event loop."""
        return asyncio.wrap_future(self.pool.submit(_run_role, name, ep, kwargs))

    def warm(self) -> None:
        """Start every client process now (imports take a moment), so roles begin on time later."""
        list(self.pool.map(_warm, range(self.processes)))

    def __enter__(self) -> Roles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _warm(_: int) -> int:
    time.sleep(0.2)  # so each call lands on its own process
    return 0


# ---------------------------------------------------------------------------------------------
# What the server says about itself, and its memory
# ---------------------------------------------------------------------------------------------

def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text → ``{name: value summed over its label sets}`` for the ``kgpub_`` series."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("kgpub_"):
            continue
        if "}" in line:
            name, rest = line.split("{", 1)[0], line.rsplit("}", 1)[1].split()
        else:
            name, *rest = line.split()
        with contextlib.suppress(ValueError, IndexError):
            out[name] = out.get(name, 0.0) + float(rest[0])
    return out


def process_memory(pid: int) -> dict[str, float]:
    """RSS and PSS (MB) of one process alone: the server's own, apart from its workers (which restarts renew)."""
    out = {"rss_mb": 0.0, "pss_mb": 0.0}
    for name, key, field_ in (("status", "rss_mb", "VmRSS:"), ("smaps_rollup", "pss_mb", "Pss:")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(field_):
                    out[key] = int(line.split()[1]) * 1024 / 1e6
    return out


class Watcher:
    """Polls ``/healthz`` (the backend's detail) and ``/metrics`` (when the server has it), and, with a
    ``pid``, the memory of that process tree: one sample every ``every`` s while :meth:`run` runs."""

    def __init__(self, ep: Endpoint, *, every: float, pid: int | None = None) -> None:
        self.ep, self.every, self.pid = ep, every, pid
        self.samples: list[dict[str, Any]] = []
        self.has_metrics: bool | None = None

    async def sample(self, c: httpx.AsyncClient) -> dict[str, Any]:
        s: dict[str, Any] = {"t": time.time()}
        with contextlib.suppress(httpx.HTTPError, ValueError):
            r = await c.get(self.ep.base + "/healthz", timeout=5)
            if r.status_code == 200:
                s["backend"] = r.json().get("backend", {})
        if self.has_metrics is not False:
            with contextlib.suppress(httpx.HTTPError):
                r = await c.get(self.ep.base + "/metrics", timeout=5)
                self.has_metrics = r.status_code == 200
                if self.has_metrics:
                    s["metrics"] = parse_metrics(r.text)
        if self.pid is not None:
            s["memory"] = await asyncio.to_thread(tree_memory, self.pid)
            s["memory"]["main"] = process_memory(self.pid)
        self.samples.append(s)
        return s

    async def run(self, stop_at: float) -> None:
        async with client(WATCHER, 2) as c:
            while True:
                await self.sample(c)
                if time.time() >= stop_at:
                    return
                await asyncio.sleep(min(self.every, max(0.0, stop_at - time.time())))

    async def once(self) -> dict[str, Any]:
        async with client(WATCHER, 2) as c:
            return await self.sample(c)

    async def settle(self, *, limit: float = 30.0) -> dict[str, Any]:
        """Poll until every worker is up and idle (and nothing waits), at most ``limit`` s: the state after a
        part of the run, once the server has recovered from it."""
        end = time.time() + limit
        async with client(WATCHER, 2) as c:
            while True:
                s = await self.sample(c)
                b = s.get("backend", {})
                size = b.get("size")
                if size is not None and b.get("live") == size and b.get("idle") == size and not b.get("queued"):
                    s["settled"] = True
                    return s
                if time.time() >= end:
                    s["settled"] = False
                    return s
                await asyncio.sleep(0.2)


def backend_max(samples: list[dict[str, Any]], key: str) -> float | None:
    vals = [s["backend"][key] for s in samples if isinstance(s.get("backend", {}).get(key), int | float)]
    return max(vals) if vals else None


def busy_max(samples: list[dict[str, Any]]) -> int | None:
    """Most workers busy at once (live − idle) over the samples."""
    vals = [int(b["live"]) - int(b["idle"]) for s in samples if "live" in (b := s.get("backend", {})) and "idle" in b]
    return max(vals) if vals else None


def delta(a: dict[str, Any], b: dict[str, Any], key: str, where: str = "backend") -> float | None:
    """``key``'s growth from sample ``a`` to sample ``b`` (``where``: backend or metrics); None when either lacks it."""
    x, y = a.get(where, {}).get(key), b.get(where, {}).get(key)
    return y - x if isinstance(x, int | float) and isinstance(y, int | float) else None


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def latency(hits: list[Hit]) -> dict[str, Any]:
    """Requests, failures (anything but a whole 200), p50/p99/max in ms (failures counted with the time they
    took)."""
    secs = [h.seconds for h in hits]
    return {"requests": len(hits), "failed": sum(1 for h in hits if h.status != 200 or h.code),
            "p50_ms": 1e3 * pct(secs, 50), "p99_ms": 1e3 * pct(secs, 99),
            "max_ms": 1e3 * max(secs) if secs else math.nan,
            "outcomes": dict(Counter(outcome(h) for h in hits).most_common())}


def refusals(hits: list[Hit]) -> dict[str, Any]:
    """The 503s (and 429s): how many, how fast each kind came back, whether they carried Retry-After."""
    by: dict[str, list[Hit]] = {}
    for h in hits:
        if h.status in (429, 503):
            by.setdefault(outcome(h), []).append(h)
    return {k: {"n": len(v), "p50_ms": 1e3 * pct([h.seconds for h in v], 50),
                "p99_ms": 1e3 * pct([h.seconds for h in v], 99), "max_ms": 1e3 * max(h.seconds for h in v),
                "retry_after": sum(1 for h in v if h.retry_after is not None),
                "retry_after_values": sorted({h.retry_after for h in v if h.retry_after is not None})}
            for k, v in by.items()}


def fmt_ms(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def fmt_outcomes(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "–"


def server_view(before: dict[str, Any], samples: list[dict[str, Any]], after: dict[str, Any]) -> dict[str, Any]:
    """What kgpub reported about a part of the run: most workers busy and most queries waiting at once (sampled),
    and how its counters grew (``/healthz`` backend, and ``/metrics`` when it has them); None: not reported."""
    every = [before, *samples, after]
    view: dict[str, Any] = {
        "busy_max": busy_max(every), "queued_max": backend_max(every, "queued"),
        "restarts": delta(before, after, "replaced"), "rejected": delta(before, after, "rejected"),
        "timeouts": delta(before, after, "timeouts"), "settled": after.get("settled"),
        "size": after.get("backend", {}).get("size")}
    if "metrics" in after:
        m = {k: delta(before, after, k, "metrics") for k in after["metrics"]
             if k.startswith("kgpub_query_") and k.endswith("_total")}
        view["metrics"] = {k: v for k, v in m.items() if v}
        depth = [s["metrics"].get("kgpub_query_queue_depth") for s in every if "metrics" in s]
        view["queue_depth_max"] = max((d for d in depth if d is not None), default=None)
    return view


WHO = {FLOODER: "A", VICTIM: "B", WATCHER: "watcher", RUNAWAY_CLIENT: "runaway", PROBE: "alone"}


def who(address: str) -> str:
    """The role behind a source address (for the server's access log)."""
    if address in WHO:
        return WHO[address]
    group = address.split(".")[2] if address.count(".") == 3 else ""
    return {"1": "crowd", "2": "soak clients"}.get(group, address)


def log_offset(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def server_durations(path: Path, offset: int = 0, *, by_route: bool = False) -> dict[str, dict[str, Any]]:
    """kgpub's access log (one JSON object per answer) from byte ``offset``: per role and outcome, how many and how
    long the server itself took (``duration_ms``, arrival to the last body byte) — the time a client's own queueing
    cannot add to (``by_route``: per route too). Empty when the log has no such lines."""
    found: dict[str, list[float]] = {}
    with contextlib.suppress(OSError), path.open("rb") as f:
        f.seek(offset)
        for raw in f:
            if not raw.startswith(b"{"):
                continue
            try:
                line = json.loads(raw)
                error = f" {line['error']}" if line.get("error") else ""
                route = f" {line.get('route')}" if by_route else ""
                key = f"{who(str(line['client']))}{route} {line['status']}{error}"
                found.setdefault(key, []).append(float(line["duration_ms"]))
            except (ValueError, KeyError, TypeError):
                continue
    return {k: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99), "max_ms": max(v)}
            for k, v in sorted(found.items())}
