#!/usr/bin/env python3
"""SPARQL endpoint benchmark: `kgpub serve` next to `oxigraph serve-read-only` and `rdflib-endpoint`.

One command runs everything and writes ``bench/sparql-results.md`` (and prints it):

    .venv/bin/python bench/sparql_bench.py                 # the full run (about 15 minutes)
    .venv/bin/python bench/sparql_bench.py --quick         # a short trial (short runs, 1 start-up run)

Same data for all three: kgpub serves its release (default graph = data + ontology); each
peer gets the release's ``dataset.nt`` (exactly that default graph): Oxigraph loaded into
its own store once (``oxigraph load``), rdflib-endpoint parsing the file at every start.
Same queries, same load generator (wrk + ``bench/sparql_mix.lua`` for throughput, a
bounded Python client for the rest), everything on 127.0.0.1, one server at a time, each
killed at the end (process group), also on errors. See ``bench/sparql_README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "sparql-out"  # git-ignored: generated project, stores, logs, raw JSON
KGPUB_PY = ROOT / ".venv" / "bin" / "python"
KGPUB = ROOT / ".venv" / "bin" / "kgpub"
PEERS = BENCH / ".venv-peers" / "bin"
OXIGRAPH = PEERS / "oxigraph"
RDFLIB_ENDPOINT = PEERS / "rdflib-endpoint"
LUA = BENCH / "sparql_mix.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
JSON_RESULTS = "application/sparql-results+json"
OTHER_BENCH = ("build_bench.py", "rdflib_way.py", "kgpub_phases.py")
SERVERS = ("kgpub", "oxigraph", "rdflib-endpoint")
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PROBE = "ASK { ?s ?p ?o }"  # the start-up probe

PREFIXES = """\
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <http://schema.org/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
PREFIX indicator: <https://w3id.org/kjtrade/id/concept/indicator/>
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Data: the two releases, the peers' copies, the query sets
# ---------------------------------------------------------------------------------------------

@dataclass
class Graph:
    name: str  # "article" or "100k"
    release: Path  # the release folder kgpub serves
    project: Path
    nt: Path  # dataset.nt = the default graph, for the peers
    oxigraph_store: Path = field(default=Path())
    triples: int = 0
    oxigraph_load_s: float = 0.0
    mixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # mix name -> [(id, query)]


def run(argv: list[Any], *, timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=True, text=True, capture_output=True, timeout=timeout, **kw)


def prepare_graphs(names: list[str]) -> list[Graph]:
    graphs = []
    for name in names:
        if name == "article":
            log("building the article release (kgpub build; reuses an identical one)")
            out = run([KGPUB, "build", "--project", ROOT], timeout=600).stdout
            project = ROOT
        elif name == "100k":
            project = OUT / "p100k"
            if not (project / "data").is_dir():
                log("generating the 100k-triple synthetic project (bench/generate.py)")
                run([KGPUB_PY, BENCH / "generate.py", "--triples", "100000", "--out", project], timeout=600)
            log("building the 100k release (kgpub build; reuses an identical one)")
            out = run([KGPUB, "build", "--project", project, "--releases", project / "release"], timeout=1800).stdout
        else:
            raise SystemExit(f"unknown graph {name!r}: article or 100k")
        m = re.search(r"^Release \S+ .*: (\S+)$", out, re.M)
        if not m:
            raise SystemExit(f"cannot find the release path in the build output:\n{out}")
        release = Path(m.group(1))
        g = Graph(name, release, project, release / "dataset.nt")
        g.triples = sum(1 for line in g.nt.open("rb") if line.strip())
        version = json.loads((release / "manifest.json").read_text())["version"]
        g.oxigraph_store = OUT / "oxigraph" / f"{name}-{version}"
        if not (g.oxigraph_store / ".loaded").exists():
            shutil.rmtree(g.oxigraph_store, ignore_errors=True)
            g.oxigraph_store.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            run([OXIGRAPH, "load", "--location", g.oxigraph_store, "--file", g.nt], timeout=1200)
            g.oxigraph_load_s = time.perf_counter() - t0
            (g.oxigraph_store / ".loaded").write_text(f"{g.oxigraph_load_s:.3f}\n")
        else:
            g.oxigraph_load_s = float((g.oxigraph_store / ".loaded").read_text())
        g.mixes = query_sets(g)
        graphs.append(g)
    return graphs


def query_sets(g: Graph) -> dict[str, list[tuple[str, str]]]:
    if g.name == "article":
        files = sorted((ROOT / "data" / "queries").glob("*.rq"))
        return {"competency (24)": [(f.stem, f.read_text(encoding="utf-8")) for f in files]}
    picks = pick_iris(g)
    obs, country, ind, area, partner = (picks[k] for k in ("obs", "country", "indicator", "area", "partner"))
    small = [
        ("obs-properties", f"SELECT ?p ?o WHERE {{ <{obs}> ?p ?o }}"),
        ("obs-figures", f"""SELECT ?indicator ?area ?partner ?year ?value WHERE {{
  <{obs}> kjt:indicator ?indicator ; kjt:refArea ?area ; kjt:counterpartArea ?partner ;
      kjt:refYear ?year ; sdmx-measure:obsValue ?value }}"""),
        ("country-labels", f"SELECT ?label WHERE {{ <{country}> rdfs:label ?label }}"),
        ("country-name-code", f"""SELECT ?name ?code ?wikidata WHERE {{
  <{country}> skos:prefLabel ?name ; skos:notation ?code ; owl:sameAs ?wikidata .
  FILTER (lang(?name) = "en") }}"""),
        ("ask-observation", f"ASK {{ <{obs}> a qb:Observation ; sdmx-measure:obsValue ?v }}"),
        ("ask-country-traded", f"ASK {{ ?o kjt:counterpartArea <{country}> }}"),
        ("pair-series", f"""SELECT ?year ?value WHERE {{
  ?o kjt:indicator <{ind}> ; kjt:refArea <{area}> ; kjt:counterpartArea <{partner}> ;
     kjt:refYear ?year ; sdmx-measure:obsValue ?value }} ORDER BY STR(?year)"""),
        ("indicator-label", f"""SELECT ?label WHERE {{
  <{ind}> skos:prefLabel ?label . FILTER (lang(?label) = "en") }}"""),
    ]
    heavy = [
        ("by-indicator", """SELECT ?indicator (COUNT(?o) AS ?n) (SUM(?v) AS ?total) (AVG(?v) AS ?mean) WHERE {
  ?o a qb:Observation ; kjt:indicator ?indicator ; sdmx-measure:obsValue ?v }
GROUP BY ?indicator ORDER BY ?indicator"""),
        ("by-year", """SELECT (STR(?year) AS ?y) (COUNT(?o) AS ?n) (SUM(?v) AS ?total) WHERE {
  ?o kjt:indicator indicator:trade-value ; kjt:refYear ?year ; sdmx-measure:obsValue ?v }
GROUP BY ?year ORDER BY DESC(?total) ?y LIMIT 20"""),
        ("by-area", """SELECT ?area (COUNT(?o) AS ?n) (MIN(?v) AS ?min) (MAX(?v) AS ?max) (AVG(?v) AS ?mean) WHERE {
  ?o kjt:indicator indicator:trade-value ; kjt:refArea ?area ; sdmx-measure:obsValue ?v }
GROUP BY ?area ORDER BY DESC(?n) ?area LIMIT 10"""),
        ("count-distinct", """SELECT (COUNT(DISTINCT ?partner) AS ?partners) (COUNT(DISTINCT ?year) AS ?years)
       (COUNT(?o) AS ?observations) WHERE {
  ?o a qb:Observation ; kjt:counterpartArea ?partner ; kjt:refYear ?year }"""),
        ("join-datasets-top10", """SELECT ?o ?title ?value WHERE {
  ?o qb:dataSet ?ds ; kjt:indicator indicator:trade-value ; sdmx-measure:obsValue ?value .
  ?ds dcterms:title ?title }
ORDER BY DESC(?value) ?o LIMIT 10"""),
        ("filter-values", """SELECT ?indicator (COUNT(?o) AS ?n) WHERE {
  ?o kjt:indicator ?indicator ; sdmx-measure:obsValue ?v .
  FILTER (?v > 50000000000 || (?v > 0.5 && ?v < 1)) }
GROUP BY ?indicator ORDER BY ?indicator"""),
        ("partners-top10", """SELECT ?partnerName (COUNT(?o) AS ?n) (AVG(?v) AS ?mean) WHERE {
  ?o kjt:indicator indicator:trade-value ; kjt:counterpartArea ?p ; sdmx-measure:obsValue ?v .
  ?p skos:prefLabel ?partnerName . FILTER (lang(?partnerName) = "en") }
GROUP BY ?partnerName ORDER BY DESC(?n) ?partnerName LIMIT 10"""),
        ("predicates-top10", """SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o }
GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 10"""),
        ("count-subjects", """SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"""),
    ]
    return {"small (8)": [(i, PREFIXES + q) for i, q in small],
            "heavy (9)": [(i, PREFIXES + q) for i, q in heavy]}


def pick_iris(g: Graph) -> dict[str, str]:
    """Concrete IRIs for the small queries, picked deterministically from the release itself."""
    from pyoxigraph import Store

    store = Store.read_only(str(g.release / "store"))
    graphs = "".join(f"FROM <{u}> " for u in json.loads((g.release / "manifest.json").read_text())["default_graphs"])
    q = PREFIXES + f"""SELECT ?o ?ind ?area ?partner {graphs} WHERE {{
      ?o a qb:Observation ; kjt:indicator ?ind ; kjt:refArea ?area ; kjt:counterpartArea ?partner .
      FILTER (CONTAINS(STR(?partner), "/X")) }} ORDER BY ?o OFFSET 500 LIMIT 1"""
    row = next(iter(store.query(q)))
    c = PREFIXES + f"""SELECT ?c {graphs} WHERE {{ ?c a schema:Country . ?o kjt:counterpartArea ?c .
      FILTER (CONTAINS(STR(?c), "/X")) }} ORDER BY ?c OFFSET 100 LIMIT 1"""
    crow = next(iter(store.query(c)))
    picks = {"obs": row["o"].value, "indicator": row["ind"].value, "area": row["area"].value,
             "partner": row["partner"].value, "country": crow["c"].value}
    del store
    return picks


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One server process (and its children) on 127.0.0.1, in its own process group."""

    def __init__(self, kind: str, graph: Graph, *, timeout: float | None = None, tag: str = "") -> None:
        self.kind, self.graph, self.port = kind, graph, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.log_path = OUT / "logs" / f"{graph.name}-{kind}{tag}.log"
        bind = f"127.0.0.1:{self.port}"
        if kind == "kgpub":
            self.path = "/sparql"
            self.argv = [str(KGPUB), "serve", "--project", str(graph.project), "--release", str(graph.release),
                         "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2",
                         "--timeout", f"{timeout or 10:g}"]
        elif kind == "oxigraph":
            self.path = "/query"
            self.argv = [str(OXIGRAPH), "serve-read-only", "--location", str(graph.oxigraph_store), "--bind", bind]
            if timeout:
                self.argv += ["--timeout-s", f"{timeout:g}"]
        elif kind == "rdflib-endpoint":
            self.path = "/"  # the CLI mounts the endpoint at the root
            self.argv = [str(RDFLIB_ENDPOINT), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                         str(graph.nt)]
        else:
            raise ValueError(kind)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = self.log_path.open("ab")
        logf.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(self.argv)}\n".encode())
        logf.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_")}
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=OUT, env=env, start_new_session=True)
        logf.close()

    def wait_ready(self, limit: float = 120.0) -> float:
        """Seconds from the launch to the first successful answer (polls every 5 ms)."""
        assert self.proc is not None
        deadline = self.started_at + limit
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _ = http_get(self.port, self.path, PROBE, timeout=max(0.2, deadline - time.perf_counter()))
                if status == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.kind} did not answer within {limit:g} s; see {self.log_path}")

    def memory(self) -> dict[str, float]:
        assert self.proc is not None
        return tree_memory(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the launched process's id
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # children left behind (workers) go too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.proc = None


@contextlib.contextmanager
def serving(kind: str, graph: Graph, **kw: Any) -> Iterator[Server]:
    server = Server(kind, graph, **kw)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def tree_pids(root: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process of the tree."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in tree_pids(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def tree_memory(root: int) -> dict[str, float]:
    """RSS and PSS (MB = 10^6 bytes) summed over the process and all its descendants, from /proc."""
    pids = tree_pids(root)
    rss = pss = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return {"rss_mb": rss * 1024 / 1e6, "pss_mb": pss * 1024 / 1e6, "processes": len(pids)}


# ---------------------------------------------------------------------------------------------
# A small HTTP client (127.0.0.1 only)
# ---------------------------------------------------------------------------------------------

def http_get(port: int, path: str, query: str, *, timeout: float,
             conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if not own:
            c.timeout = timeout
            if c.sock is not None:
                c.sock.settimeout(timeout)
        c.request("GET", f"{path}?query={quote(query, safe='')}", headers={"Accept": JSON_RESULTS})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        if own:
            c.close()


class Client:
    """A keep-alive connection that reconnects after an error."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.conn: http.client.HTTPConnection | None = None

    def get(self, query: str, timeout: float) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
        try:
            return http_get(self.server.port, self.server.path, query, timeout=timeout, conn=self.conn)
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------------------------------------
# Answers: parse and compare
# ---------------------------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "long", "int", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                             "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def _term(t: dict[str, Any], loose: bool) -> tuple[Any, ...]:
    kind = t.get("type")
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", t["value"])
    lang = t.get("xml:lang") or t.get("lang")
    if lang:
        return ("lit", t["value"], "@" + lang.lower())
    dt = t.get("datatype") or XSD + "string"
    if loose and dt in NUMERIC:
        try:
            return ("num", float(f"{float(Decimal(t['value'])):.12g}"))
        except (InvalidOperation, ValueError):
            pass
    if loose and dt == XSD + "boolean":
        return ("bool", t["value"] in ("true", "1"))
    return ("lit", t["value"], dt)


def canonical(body: bytes, loose: bool) -> Any:
    data = json.loads(body)
    if "boolean" in data:
        return ("ASK", bool(data["boolean"]))
    variables = data["head"].get("vars", [])
    rows = [tuple(_term(b[v], loose) if v in b else ("unbound",) for v in variables)
            for b in data["results"]["bindings"]]
    return ("SELECT", tuple(variables), sorted(rows, key=repr))


def summarize(body: bytes) -> str:
    c = canonical(body, True)
    return f"ASK {c[1]}" if c[0] == "ASK" else f"{len(c[2])} rows"


def verify(graph: Graph, answers: dict[str, dict[str, bytes | str]]) -> list[dict[str, Any]]:
    """Compare every query's answer across the servers (parsed, as multisets of rows)."""
    out = []
    for _, queries in graph.mixes.items():
        for qid, _ in queries:
            row: dict[str, Any] = {"graph": graph.name, "query": qid}
            got = {s: answers[s].get(qid) for s in answers}
            ok = {s: v for s, v in got.items() if isinstance(v, bytes)}
            row["answers"] = {s: (summarize(v) if isinstance(v, bytes) else f"ERROR {v}") for s, v in got.items()}
            ref = ok.get("kgpub")
            verdict = {}
            for s, v in ok.items():
                if s == "kgpub" or ref is None:
                    continue
                if canonical(v, False) == canonical(ref, False):
                    verdict[s] = "same"
                elif canonical(v, True) == canonical(ref, True):
                    verdict[s] = "same values (lexical forms of numbers or datatypes differ)"
                else:
                    verdict[s] = "DIFFERENT"
            for s, v in got.items():
                if not isinstance(v, bytes):
                    verdict[s] = f"error: {v}"
            row["verdict"] = verdict
            out.append(row)
    return out


def collect_answers(server: Server, graph: Graph) -> dict[str, bytes | str]:
    answers: dict[str, bytes | str] = {}
    for _, queries in graph.mixes.items():
        for qid, q in queries:
            try:
                status, body = http_get(server.port, server.path, q, timeout=120)
                answers[qid] = body if status == 200 else f"HTTP {status}: {body[:200].decode(errors='replace')}"
                if status == 200:
                    canonical(body, True)  # parseable?
            except Exception as e:  # a broken answer is a finding, not a crash of the benchmark
                answers[qid] = f"{type(e).__name__}: {e}"
    return answers


# ---------------------------------------------------------------------------------------------
# Load: wrk with the Lua mix; sequential single-client latency; the runaway test
# ---------------------------------------------------------------------------------------------

def write_mix(graph: Graph, mix: str) -> Path:
    path = OUT / "mixes" / f"{graph.name}-{re.sub(r'[^a-z0-9]+', '-', mix).strip('-')}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(quote(q, safe="") + "\n" for _, q in graph.mixes[mix]))
    return path


def wrk(server: Server, mix_file: Path, mode: str, salt: str, *, duration: float, threads: int,
        connections: int) -> dict[str, Any]:
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "30s",
            "-s", LUA, f"http://127.0.0.1:{server.port}", "--", mix_file, server.path, mode, salt]
    assert server.proc is not None
    root = server.proc.pid
    cpu0 = tree_cpu(root)
    p = run(argv, timeout=duration + 90)
    cpu1 = tree_cpu(root)
    drain(server)
    m = re.search(r"^JSON (\{.*\})$", p.stdout, re.M)
    if not m:
        raise RuntimeError(f"no JSON line from wrk:\n{p.stdout}\n{p.stderr}")
    r: dict[str, Any] = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / secs if secs else 0.0
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r["non2xx"] = r["status"]
    # CPU the server used during the run, per answered request: the launched process, and its
    # children (kgpub's query workers; a worker that was replaced during the run is not counted)
    main_cpu = cpu1.get(root, 0.0) - cpu0.get(root, 0.0)
    child_cpu = sum(v - cpu0.get(pid, 0.0) for pid, v in cpu1.items() if pid != root)
    n = max(1, r["requests"])
    r["cpu_ms_main"], r["cpu_ms_children"] = 1e3 * main_cpu / n, 1e3 * child_cpu / n
    return r


def drain(server: Server, limit: float = 120.0) -> None:
    """Wait until the server has worked off what wrk left in flight (one probe answer; bounded)."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        http_get(server.port, server.path, PROBE, timeout=limit)
    time.sleep(0.3)


def sequential(server: Server, queries: list[tuple[str, str]], *, min_s: float = 2.0,
               max_s: float = 30.0) -> dict[str, Any]:
    """One client, one request at a time, uncached texts: mean latency per query, at least one pass."""
    client, lat, errors, n = Client(server), [], 0, 0
    t_end_min, t_end_max = time.perf_counter() + min_s, time.perf_counter() + max_s
    passes = 0
    try:
        while time.perf_counter() < t_end_max and (passes == 0 or time.perf_counter() < t_end_min):
            for _, q in queries:
                n += 1
                t0 = time.perf_counter()
                try:
                    status, _ = client.get(q + f"\n# seq-{n}", timeout=max(1.0, t_end_max - t0))
                    if status != 200:
                        errors += 1
                except (OSError, http.client.HTTPException):
                    errors += 1
                lat.append(time.perf_counter() - t0)
                if time.perf_counter() > t_end_max:
                    break
            passes += 1
    finally:
        client.close()
    return {"requests": len(lat), "errors": errors, "mean_ms": 1e3 * statistics.fmean(lat),
            "p50_ms": 1e3 * pct(lat, 50), "passes": passes}


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def latency_loop(server: Server, queries: list[tuple[str, str]], seconds: float, tag: str,
                 max_requests: int = 50_000) -> dict[str, Any]:
    """Simple queries one after another (unique texts) for `seconds`: latency p50/p99/max, errors."""
    client, lat, errors, n = Client(server), [], 0, 0
    t_end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < t_end and n < max_requests:
            q = queries[n % len(queries)][1] + f"\n# {tag}-{n}"
            n += 1
            t0 = time.perf_counter()
            try:
                status, _ = client.get(q, timeout=max(0.5, t_end - t0))
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            dt = time.perf_counter() - t0
            if ok:
                lat.append(dt)
            else:
                errors += 1
                lat.append(dt)  # a failed or timed-out request counts with the time it took
    finally:
        client.close()
    return {"requests": n, "errors": errors, "p50_ms": 1e3 * pct(lat, 50), "p99_ms": 1e3 * pct(lat, 99),
            "max_ms": 1e3 * max(lat) if lat else math.nan}


def runaway_test(kind: str, graph: Graph, small: list[tuple[str, str]], *, window: float,
                 limit: float) -> dict[str, Any]:
    res: dict[str, Any] = {"server": kind}
    with serving(kind, graph, timeout=limit, tag="-runaway") as server:
        server.wait_ready()
        latency_loop(server, small, 1.0, "warm")
        res["baseline"] = latency_loop(server, small, 3.0, "base")
        outcome: dict[str, Any] = {}

        def fire() -> None:
            t0 = time.perf_counter()
            try:
                status, body = http_get(server.port, server.path, RUNAWAY, timeout=window + 30)
                outcome.update(status=status, seconds=time.perf_counter() - t0,
                               body=body[:300].decode(errors="replace"))
            except Exception as e:
                outcome.update(status=None, seconds=time.perf_counter() - t0, error=f"{type(e).__name__}: {e}")

        thread = threading.Thread(target=fire, daemon=True)
        t_fire = time.perf_counter()
        thread.start()
        time.sleep(0.05)  # let the runaway reach the server first
        res["during"] = latency_loop(server, small, window, "run")
        res["window_s"] = window
        if limit and kind != "rdflib-endpoint":  # a server with a time limit gets up to 3x it to stop the runaway
            thread.join(max(0.0, 3 * limit - (time.perf_counter() - t_fire)))
        after = time.perf_counter() - t_fire
        try:
            status, _ = http_get(server.port, server.path, small[0][1] + "\n# after", timeout=5)
            res["answers_after"] = status == 200
        except OSError:
            res["answers_after"] = False
        if outcome:
            res["runaway"] = outcome
            res["stopped"] = (f"stopped after {outcome['seconds']:.2f} s (HTTP {outcome.get('status')})"
                              if outcome.get("status") and outcome["status"] != 200
                              else f"finished after {outcome['seconds']:.2f} s (HTTP {outcome.get('status')})")
        else:
            res["runaway"] = {"status": None, "seconds": None}
            res["stopped"] = f"not stopped: still running after {after:.0f} s (server killed)"
        res["memory_after"] = server.memory()
    thread.join(10)
    return res


# ---------------------------------------------------------------------------------------------
# --with-flood: the overload benchmark's flood in parallel with each wrk measurement
# ---------------------------------------------------------------------------------------------

FLOOD_LEAD = 1.0  # seconds between the flood's first burst and wrk's warm-up: the 64 queries are in first
FLOOD_MARGIN = 10.0  # + the time limit: how long the flood goes on past the measured run's expected end (wrk's
# start, and the drain after the warm-up, which may wait up to one time limit behind the flood's queries)


def flood_roles() -> Any:
    """The client process of ``bench/clients.py`` that runs the flood (spawned and warmed now, so the flood
    begins on time later). Imported here, not at the top: ``clients`` imports this module."""
    from clients import Roles

    roles = Roles(1)
    roles.warm()
    return roles


def flooded(server: Server, roles: Any, measure: Callable[[], dict[str, Any]], *, span: float, clients_n: int,
            limit: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``measure()`` (wrk's warm-up and measured run, ``span`` seconds together) while client A of
    ``bench/clients.py`` (127.0.0.2; wrk's requests come from 127.0.0.1, another client to the server) keeps
    ``clients_n`` heavy queries in flight against the same server, exactly as the overload benchmark's flood
    part does (each on a new connection; sent again when answered, after 0.1 s ± 50 % when refused). The flood
    starts ``FLOOD_LEAD`` s before ``measure`` and stops ``FLOOD_MARGIN`` + ``limit`` s after its expected end;
    what is still out then gets ``limit`` + 5 s. Returns what ``measure`` returned and the flood's summary."""
    from clients import FLOODER, Endpoint, wait_until

    ep = Endpoint(server.kind, server.port, server.path)
    start = time.time() + 0.5
    margin = FLOOD_MARGIN + limit
    stop = start + FLOOD_LEAD + span + margin

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        fa = roles.start("flood", ep, local=FLOODER, start_at=start, stop_at=stop, concurrency=clients_n,
                         timeout=limit + 30, grace=limit + 5, raw=True)
        await wait_until(start + FLOOD_LEAD)
        r = await asyncio.to_thread(measure)
        return r, await fa

    r, a = asyncio.run(both())
    return r, {**flood_summary(a, r["t0"], r["t1"], start=start, stop=stop, clients_n=clients_n),
               "lead_s": FLOOD_LEAD, "margin_s": margin}


def flood_summary(a: dict[str, Any], t0: float, t1: float, *, start: float, stop: float,
                  clients_n: int) -> dict[str, Any]:
    """A's requests by outcome: over the whole flood (warm-up included), and those whose answer (or failure)
    came back during the measured run [t0, t1]; how fast the refusals came back; whether the flood covered the
    whole measured run."""
    from clients import Hit, outcome, refusals

    hits = [Hit(*h) for h in a["hits"]]
    during = [h for h in hits if t0 <= h.sent + h.seconds <= t1]
    return {"clients": clients_n, "start": start, "stop": stop, "covered": start <= t0 and t1 <= stop,
            "sent": a["sent"], "max_outstanding": a["max_outstanding"], "unanswered": a["unanswered"],
            "outcomes": dict(Counter(outcome(h) for h in hits).most_common()),
            "outcomes_run": dict(Counter(outcome(h) for h in during).most_common()),
            "refusals_run": refusals(during), "client_cpu_share": a.get("client_cpu_share")}


# ---------------------------------------------------------------------------------------------
# kgpub in-process: the worker's own time per query (pyoxigraph query + serialization)
# ---------------------------------------------------------------------------------------------

def engine_times(graph: Graph, queries: list[tuple[str, str]], repeat: int = 5) -> dict[str, Any]:
    """Time kgpub.query.execute.answer() in this process (what a worker does for one job): median of `repeat`."""
    from kgpub.query.checks import QueryLimits
    from kgpub.query.execute import QueryContext, answer
    from kgpub.query.protocol import Chosen, FormatChoice, QueryJob
    from kgpub.release.reader import Release

    ctx = QueryContext.open(Release(Path(graph.release)), limits=QueryLimits(), max_rows=10_000)
    formats = FormatChoice(results=Chosen("json", JSON_RESULTS), rdf=Chosen("turtle", "text/turtle"))

    def one(q: str) -> object:
        return answer(ctx, QueryJob(query=q, formats=formats))

    per_query = {}
    for qid, q in queries:
        times = []
        for i in range(repeat):
            t0 = time.perf_counter()
            one(q + f"\n# eng-{i}")
            times.append(time.perf_counter() - t0)
        per_query[qid] = statistics.median(times)
    return {"mean_ms": 1e3 * statistics.fmean(per_query.values()),
            "per_query_ms": {k: 1e3 * v for k, v in per_query.items()}}


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------

def other_bench_running() -> list[str]:
    """Processes of the other (build) benchmark, by command line (like `pgrep -af`)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(p in cmd for p in OTHER_BENCH):
            found.append(f"{d.name} {cmd}")
    return found


class Monitor:
    """Samples every `every` seconds whether the other benchmark runs, so each figure can say if it was alone."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.samples: list[tuple[float, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), bool(other_bench_running())))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def busy(samples: list[Any], t0: float, t1: float, every: float = 2.0) -> bool:
    """Did the other benchmark run at any sample taken during [t0, t1] (or just around it)?"""
    return any(b for t, b in samples if t0 - every <= t <= t1 + every)


def wait_for_idle(minutes: float) -> dict[str, Any]:
    t0 = time.time()
    polls = 0
    while (busy := other_bench_running()) and time.time() - t0 < minutes * 60:
        if polls % 10 == 0:
            log(f"waiting for the other benchmark to finish ({len(busy)} process(es)): {busy[0][:100]}")
        polls += 1
        time.sleep(30)
    return {"waited_s": round(time.time() - t0), "still_busy": busy}


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))

    def version(argv: list[Any]) -> str:
        try:
            return run(argv, timeout=30).stdout.strip().splitlines()[0]
        except Exception as e:
            return f"? ({e})"

    peers_py = PEERS / "python"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb * 1024 / 1e9, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "kgpub": version([KGPUB, "--version"]),
        "kgpub_commit": version(["git", "-C", ROOT, "log", "-1", "--format=%h %cI %s"]),
        "kgpub_src_dirty": bool(run(["git", "-C", ROOT, "status", "--porcelain", "src"], timeout=30).stdout.strip()),
        "pyoxigraph": version([KGPUB_PY, "-c", "import pyoxigraph; print(pyoxigraph.__version__)"]),
        "oxigraph": version([OXIGRAPH, "--version"]),
        "rdflib-endpoint": version([peers_py, "-c", "import importlib.metadata as m; print('rdflib-endpoint', "
                                    "m.version('rdflib-endpoint'), 'rdflib', m.version('rdflib'))"]),
        "wrk": _wrk_version(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def _wrk_version() -> str:
    p = subprocess.run([WRK, "-v"], capture_output=True, text=True, timeout=10)
    return (p.stdout + p.stderr).strip().splitlines()[0] if (p.stdout + p.stderr).strip() else "wrk"


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def bench(args: argparse.Namespace, results: dict[str, Any]) -> dict[str, Any]:
    """Run everything, filling `results` as it goes (so a failed run still leaves what it measured)."""
    OUT.mkdir(parents=True, exist_ok=True)
    results["settings"] = dict(vars(args))
    if args.wait_idle > 0:
        results["idle_wait"] = wait_for_idle(args.wait_idle)
    results["others_at_start"] = other_bench_running()
    results["machine"] = machine()
    graphs = prepare_graphs(args.graphs.split(","))
    servers = [s for s in SERVERS if s in args.servers.split(",")]
    results["graphs"] = {g.name: {"triples": g.triples, "release": str(g.release), "oxigraph_load_s": g.oxigraph_load_s,
                                  "mixes": {m: [qid for qid, _ in qs] for m, qs in g.mixes.items()}} for g in graphs}
    results["throughput"], results["memory"], results["startup"] = [], [], []
    results["sequential"], results["verify"], results["runaway"], results["engine"] = [], [], [], []
    w = dict(duration=args.duration, threads=args.threads, connections=args.connections)
    with_flood = getattr(args, "with_flood", False)
    with contextlib.ExitStack() as stack:
        roles = stack.enter_context(flood_roles()) if with_flood else None
        measure_graphs(args, results, graphs, servers, w, roles)
    results["others_at_end"] = other_bench_running()
    results["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    return results


def measure_graphs(args: argparse.Namespace, results: dict[str, Any], graphs: list[Graph], servers: list[str],
                   w: dict[str, Any], roles: Any) -> None:
    """Start-up, answers, throughput, memory, engine times and the runaway test; with ``roles`` (--with-flood)
    every wrk warm-up and measured run has the flood of ``bench/clients.py`` in parallel, and the servers the
    time limit ``--runaway-limit`` (Oxigraph's flood queries would otherwise never end)."""
    limit = {"timeout": args.runaway_limit} if roles is not None else {}
    for g in graphs:
        answers: dict[str, dict[str, bytes | str]] = {}
        # start-up: launch -> first answer, on the existing release / store / file
        for kind in servers:
            times, t0 = [], time.time()
            for i in range(args.startup_runs):
                with serving(kind, g, tag="-startup") as server:
                    times.append(server.wait_ready())
                    if i == 0:
                        time.sleep(0.5)
                        mem = server.memory()
            results["startup"].append({"graph": g.name, "server": kind, "runs_s": times, "t0": t0, "t1": time.time(),
                                       "median_s": statistics.median(times), "memory_after_start": mem})
            log(f"{g.name} {kind}: start-up median {statistics.median(times):.3f} s {[round(t, 3) for t in times]}")
        # answers, then throughput under wrk, memory after load
        for kind in servers:
            with serving(kind, g, **limit) as server:
                server.wait_ready()
                time.sleep(0.5)
                mem_start = server.memory()
                answers[kind] = collect_answers(server, g)
                for mix, queries in g.mixes.items():
                    t0 = time.time()
                    results["sequential"].append({"graph": g.name, "mix": mix, "server": kind,
                                                  **sequential(server, queries), "t0": t0, "t1": time.time()})
                for regime in ("repeated", "unique"):
                    for mix in g.mixes:
                        f = write_mix(g, mix)

                        def measure(f: Path = f, regime: str = regime) -> dict[str, Any]:
                            wrk(server, f, regime, f"warm{regime[0]}", **{**w, "duration": args.warmup})
                            t0 = time.time()
                            r = wrk(server, f, regime, f"run{regime[0]}", **w)
                            r.update(t0=t0, t1=time.time())
                            return r

                        if roles is None:
                            r = measure()
                        else:
                            r, flood = flooded(server, roles, measure, span=args.warmup + args.duration,
                                               clients_n=args.flood_clients, limit=args.runaway_limit)
                            r["flood"] = flood
                        r.update(graph=g.name, mix=mix, regime=regime, server=kind)
                        results["throughput"].append(r)
                        fl = r.get("flood")
                        log(f"{g.name} {mix} {regime} {kind}: {r['rps']:.1f} req/s, p50 {r['p50_us'] / 1e3:.1f} ms, "
                            f"p99 {r['p99_us'] / 1e3:.1f} ms, non-2xx {r['non2xx']}, "
                            f"socket errors {r['socket_errors']}"
                            + (f"; flood during the run: {fl['outcomes_run']}" if fl else ""))
                    results["memory"].append({"graph": g.name, "server": kind, "after": f"{regime} load",
                                              **server.memory()})
                results["memory"].append({"graph": g.name, "server": kind, "after": "start-up", **mem_start})
        results["verify"] += verify(g, answers)
        if "kgpub" in servers:
            for mix, queries in g.mixes.items():
                t0 = time.time()
                try:
                    eng = engine_times(g, queries)
                except Exception as e:  # kgpub's internals changed: report it, keep the rest of the run
                    eng = {"mean_ms": math.nan, "error": f"{type(e).__name__}: {e}"}
                    log(f"engine timing failed: {eng['error']}")
                results["engine"].append({"graph": g.name, "mix": mix, **eng, "t0": t0, "t1": time.time()})

    big = next((g for g in graphs if g.name == "100k"), None)
    if big is not None and args.runaway_window > 0:
        small = big.mixes["small (8)"]
        for kind in servers:
            t0 = time.time()
            r = runaway_test(kind, big, small, window=args.runaway_window, limit=args.runaway_limit)
            r.update(t0=t0, t1=time.time())
            results["runaway"].append(r)
            log(f"runaway {kind}: {r['stopped']}; simple queries during: p50 {r['during']['p50_ms']:.1f} ms, "
                f"p99 {r['during']['p99_ms']:.1f} ms, max {r['during']['max_ms']:.1f} ms, "
                f"{r['during']['requests']} requests, {r['during']['errors']} errors")


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------

def ratio(a: float | None, b: float | None) -> str:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return "–"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def ms(us_or_ms: float, *, us: bool = False) -> str:
    v = us_or_ms / 1e3 if us else us_or_ms
    if math.isnan(v):
        return "–"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def flood_query() -> str:
    from clients import HEAVY

    return HEAVY


def flood_cell(fl: dict[str, Any] | None) -> str:
    """The flood's outcomes during one measured run, for a table cell."""
    if not fl:
        return "–"
    from clients import fmt_outcomes

    gap = "" if fl["covered"] else " (**the flood did not cover the whole run**)"
    return f"{fmt_outcomes(fl['outcomes_run']) if fl['outcomes_run'] else 'none came back'}{gap}"


def report(res: dict[str, Any]) -> str:
    m = res["machine"]

    def mark(x: dict[str, Any]) -> str:
        return " †" if "t0" in x and busy(res.get("monitor", []), x["t0"], x["t1"]) else ""

    L: list[str] = []
    add = L.append
    add("# SPARQL endpoint benchmark: kgpub vs Oxigraph vs rdflib-endpoint\n")
    add("Written by `bench/sparql_bench.py` (see [sparql_README.md](sparql_README.md)); raw figures in "
        "`bench/sparql-out/`. Run it again to reproduce.\n")
    add(f"- **Date**: {m['date']}")
    add(f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB memory, Linux {m['kernel']}, "
        f"Python {m['python']}")
    if "kgpub_commit" in m:
        dirty = " (with uncommitted changes in src/)" if m.get("kgpub_src_dirty") else ""
        add(f"- **kgpub code**: commit {m['kgpub_commit']}{dirty}")
    add(f"- **Software**: {m['kgpub']} (pyoxigraph {m['pyoxigraph']}, 2 query workers); {m['oxigraph']} "
        f"(`serve-read-only`); {m['rdflib-endpoint']} (in-memory rdflib store); {m['wrk']}")
    idle = res.get("idle_wait", {})
    samples = res.get("monitor", [])
    phases = [x for key in ("startup", "sequential", "throughput", "engine", "runaway") for x in res[key] if "t0" in x]
    hit = [x for x in phases if busy(samples, x["t0"], x["t1"])]
    if samples and phases and not hit:
        t0, t1 = min(x["t0"] for x in phases), max(x["t1"] for x in phases)
        n = sum(1 for t, _ in samples if t0 <= t <= t1)
        state = ("otherwise idle: no process of the build benchmark (`build_bench.py`, `rdflib_way.py`, "
                 f"`kgpub_phases.py`) at any of the {n} checks (every 2 s) from the first measurement to the last")
    elif samples:
        state = (f"**not idle**: the build benchmark ran during {len(hit)} of {len(phases)} measured parts "
                 "(marked † below; checked every 2 s)")
    else:
        others = res["others_at_start"] + res["others_at_end"]
        state = ("otherwise idle at the start and at the end of the run" if not others else
                 f"**not idle**: other benchmark processes were running ({len(others)} seen at start/end)")
    waited = f"; waited {idle.get('waited_s', 0)} s for the other benchmark to finish" if idle else ""
    add(f"- **Machine state**: {state}{waited}; load average at start {' '.join(m['loadavg_start'])}, "
        f"at end {' '.join(res['loadavg_end'])}")
    s = res["settings"]
    gdesc = ", ".join(f"{n}: {g['triples']:,} triples in the default graph (release {Path(g['release']).name})"
                      for n, g in res["graphs"].items())
    add(f"- **Data**: {gdesc}. kgpub serves its release; the peers get the release's `dataset.nt` "
        "(= kgpub's default graph); Oxigraph loaded once into its own store (not timed in start-up), "
        "rdflib-endpoint parses it at every start.")
    add(f"- **Load**: `wrk -t{s['threads']} -c{s['connections']} -d{s['duration']:g}s --latency --timeout 30s` "
        f"with `bench/sparql_mix.lua` after a {s['warmup']:g} s warm-up of the same kind, GET with "
        "`Accept: application/sparql-results+json`, every query of the mix equally often; all on 127.0.0.1, "
        "one server at a time. *repeated*: the same texts cycled (kgpub's answer cache serves them after the "
        "first time); *unique*: a comment `# n` appended to every request, so no two texts are equal and no "
        "cache can answer." + ("" if s.get("with_flood") else "\n"))
    if s.get("with_flood"):
        add(f"- **Flood in parallel** (`--with-flood`): during every wrk warm-up and measured run, client A of "
            f"`bench/clients.py` (the overload benchmark's flood) keeps {s['flood_clients']} copies of "
            f"`{flood_query()}` in flight against the same server from 127.0.0.2 (wrk: 127.0.0.1, another client "
            f"to the server), each on a new connection, sent again when answered; both servers with a "
            f"{s['runaway_limit']:g} s time limit. Its outcomes are those whose answer came back during the "
            "measured run. Server CPU per request includes the flood's share.\n")

    # ---- targets
    tp = res["throughput"]

    def rps(graph: str, mix: str, regime: str, server: str) -> float | None:
        return next((r["rps"] for r in tp if (r["graph"], r["mix"], r["regime"], r["server"]) ==
                     (graph, mix, regime, server)), None)

    add("## Targets\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")

    def verdict(ok: bool | None, miss: str = "") -> str:
        return "–" if ok is None else ("**met**" if ok else f"**missed**{(' — ' + miss) if miss else ''}")

    art = next((mx for g, gg in res["graphs"].items() if g == "article" for mx in gg["mixes"]), None)
    if art:
        for regime in ("repeated", "unique"):
            k, o, r = (rps("article", art, regime, x) for x in SERVERS)
            if k and o:
                ok = k / o >= 0.5
                add(f"| article graph, {regime}: ≥ 0.5× Oxigraph's throughput | {k:.0f} vs {o:.0f} req/s = "
                    f"{k / o:.2f}× | {verdict(ok, f'at {k / o / 0.5:.0%} of the target' if not ok else '')} |")
            if k and r:
                ok = k / r >= 10
                add(f"| article graph, {regime}: ≥ 10× rdflib-endpoint's throughput | {k:.0f} vs {r:.1f} req/s = "
                    f"{k / r:.1f}× | {verdict(ok, f'at {k / r / 10:.0%} of the target' if not ok else '')} |")
    heavy = next((mx for g, gg in res["graphs"].items() if g == "100k"
                  for mx in gg["mixes"] if mx.startswith("heavy")), None)
    if heavy:
        for regime in ("repeated", "unique"):
            k, o = rps("100k", heavy, regime, "kgpub"), rps("100k", heavy, regime, "oxigraph")
            if k and o:
                ok = k / o >= 0.8
                add(f"| 100k heavy queries, {regime}: ≥ 0.8× Oxigraph's throughput | {k:.1f} vs {o:.1f} req/s = "
                    f"{k / o:.2f}× | {verdict(ok, f'at {k / o / 0.8:.0%} of the target' if not ok else '')} |")
    for r in res["runaway"]:
        if r["server"] == "kgpub":
            p99 = r["during"]["p99_ms"]
            add(f"| simple-query p99 < 50 ms while a runaway query is stopped | p99 {p99:.1f} ms "
                f"(max {r['during']['max_ms']:.1f} ms); runaway {r['stopped']} | "
                f"{verdict(p99 < 50, f'{p99 / 50:.1f}× the limit' if p99 >= 50 else '')} |")
    for st in res["startup"]:
        if st["server"] == "kgpub":
            v = st["median_s"]
            add(f"| start-up to first answer < 1 s ({st['graph']}) | {v:.2f} s (median of {len(st['runs_s'])}) | "
                f"{verdict(v < 1, f'{v:.2f} s, {v - 1:.2f} s over' if v >= 1 else '')} |")
    for g in res["graphs"]:
        mems = [x for x in res["memory"] if x["graph"] == g and x["server"] == "kgpub"]
        if mems:
            peak = max(mems, key=lambda x: x["rss_mb"])
            over = peak["rss_mb"] - 125
            add(f"| process-tree RSS ≤ 125 MB after load ({g}) | {peak['rss_mb']:.0f} MB RSS, highest, after "
                f"{peak['after']} ({peak['processes']} processes; PSS {peak['pss_mb']:.0f} MB) | "
                f"{verdict(over <= 0, f'{over:.0f} MB over' if over > 0 else '')} |")
    add("")

    # ---- throughput
    add("## Throughput and latency under load (wrk)\n")
    flooded_runs = any("flood" in r for r in tp)
    add("| graph | mix | regime | server | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors "
        "| server CPU ms/request (main + children) | kgpub/oxigraph | kgpub/rdflib-endpoint |"
        + (" the flood's outcomes during the run |" if flooded_runs else ""))
    add("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|" + ("---|" if flooded_runs else ""))
    for r in tp:
        k = rps(r["graph"], r["mix"], r["regime"], "kgpub")
        o = rps(r["graph"], r["mix"], r["regime"], "oxigraph")
        rd = rps(r["graph"], r["mix"], r["regime"], "rdflib-endpoint")
        ro = ratio(k, o) if r["server"] == "kgpub" else ""
        rr = ratio(k, rd) if r["server"] == "kgpub" else ""
        cpu = f"{r['cpu_ms_main']:.2f}" + (f" + {r['cpu_ms_children']:.2f}" if r["server"] == "kgpub" else "")
        add(f"| {r['graph']} | {r['mix']} | {r['regime']} | {r['server']}{mark(r)} | {r['requests']} | "
            f"{r['rps']:.1f} | "
            f"{ms(r['p50_us'], us=True)} | {ms(r['p99_us'], us=True)} | {r['non2xx']} | {r['socket_errors']} | {cpu} | "
            f"{ro} | {rr} |" + (f" {flood_cell(r.get('flood'))} |" if flooded_runs else ""))
    add("\nRatios are of throughput (req/s), kgpub's divided by the peer's (above 1: kgpub is faster). "
        "Server CPU: user + system time of the server's processes during the run, from `/proc`, per answered "
        "request; for kgpub the uvicorn/FastAPI process + its query workers. wrk runs on the same 2 cores.\n")

    # ---- sequential + engine
    add("## One client, one query at a time (uncached texts)\n")
    add("Mean latency per query over whole passes through the mix (at least one pass, about 2 s), and, for "
        "kgpub, the time its worker itself spends per query (`kgpub.query.execute.answer` in-process: check, run in "
        "pyoxigraph, serialize; median of 5) — the rest is HTTP, FastAPI, the pipe to the worker and JSON framing.\n")
    add("| graph | mix | kgpub ms | oxigraph ms | rdflib-endpoint ms | kgpub worker ms (in-process) "
        "| kgpub overhead ms |")
    add("|---|---|--:|--:|--:|--:|--:|")
    seq = res["sequential"]
    for g, gg in res["graphs"].items():
        for mix in gg["mixes"]:
            rows = [x for x in seq if x["graph"] == g and x["mix"] == mix]
            rows += [e for e in res["engine"] if e["graph"] == g and e["mix"] == mix]
            vals = {x["server"]: x["mean_ms"] for x in rows if "server" in x}
            flag = " †" if any(mark(x) for x in rows) else ""
            eng = next((e["mean_ms"] for e in res["engine"] if e["graph"] == g and e["mix"] == mix), math.nan)
            k = vals.get("kgpub", math.nan)
            add(f"| {g} | {mix}{flag} | {ms(k)} | {ms(vals.get('oxigraph', math.nan))} | "
                f"{ms(vals.get('rdflib-endpoint', math.nan))} | {ms(eng)} | {ms(k - eng)} |")
    add("")

    # ---- runaway
    if res["runaway"]:
        add("## Simple queries while a runaway query runs (100k graph)\n")
        add(f"Runaway: `{RUNAWAY}` (about 10^15 rows: never finishes), sent once from a background thread; "
            f"meanwhile one client sends the 8 small queries one after another (unique texts) for "
            f"{res['settings']['runaway_window']:g} s. "
            f"kgpub runs with `--timeout {res['settings']['runaway_limit']:g}`, "
            f"Oxigraph with `--timeout-s {res['settings']['runaway_limit']:g}`; rdflib-endpoint has no time limit. "
            "Baseline: the same loop for 3 s before the runaway.\n")
        add("| server | runaway | simple queries during | p50 ms | p99 ms | max ms | failed "
            "| baseline p50 / p99 ms | answers afterwards |")
        add("|---|---|--:|--:|--:|--:|--:|--:|---|")
        for r in res["runaway"]:
            d, b = r["during"], r["baseline"]
            add(f"| {r['server']}{mark(r)} | {r['stopped']} | {d['requests']} | {ms(d['p50_ms'])} | "
                f"{ms(d['p99_ms'])} | "
                f"{ms(d['max_ms'])} | {d['errors']} | {ms(b['p50_ms'])} / {ms(b['p99_ms'])} | "
                f"{'yes' if r['answers_after'] else 'no'} |")
        add("")

    # ---- start-up
    add("## Start-up: launch to first answer\n")
    add("From starting the server process (existing release / Oxigraph store / N-Triples file) to the first "
        f"successful answer to `{PROBE}`, polled every 5 ms; median of the runs. For rdflib-endpoint this "
        "includes parsing the file.\n")
    add("| graph | server | median s | runs s | kgpub/peer |")
    add("|---|---|--:|---|--:|")
    for st in res["startup"]:
        k = next((x["median_s"] for x in res["startup"] if x["graph"] == st["graph"] and x["server"] == "kgpub"), None)
        runs = ", ".join(f"{t:.3f}" for t in st["runs_s"])
        add(f"| {st['graph']} | {st['server']}{mark(st)} | {st['median_s']:.3f} | {runs} | "
            f"{ratio(k, st['median_s']) if st['server'] != 'kgpub' else ''} |")
    add("\nkgpub/peer here is a ratio of times (below 1: kgpub starts faster).\n")

    # ---- memory
    add("## Memory: the server's whole process tree\n")
    add("Resident memory summed over the server process and all its children (kgpub: uvicorn + 2 query "
        "workers), from `/proc` (VmRSS; PSS counts shared pages once). MB = 10^6 bytes.\n")
    add("| graph | server | after | processes | RSS MB | PSS MB | kgpub/peer (RSS) |")
    add("|---|---|---|--:|--:|--:|--:|")
    order = {"start-up": 0, "repeated load": 1, "unique load": 2}
    for x in sorted(res["memory"], key=lambda x: (list(res["graphs"]).index(x["graph"]), order.get(x["after"], 9),
                                                 SERVERS.index(x["server"]))):
        k = next((y["rss_mb"] for y in res["memory"] if (y["graph"], y["after"], y["server"]) ==
                  (x["graph"], x["after"], "kgpub")), None)
        add(f"| {x['graph']} | {x['server']} | {x['after']} | {x['processes']} | {x['rss_mb']:.0f} | "
            f"{x['pss_mb']:.0f} | "
            f"{ratio(k, x['rss_mb']) if x['server'] != 'kgpub' else ''} |")
    add("")

    # ---- verification
    add("## Same answers?\n")
    add("Every query was run once on each server before timing; answers are compared as multisets of rows "
        "(blank nodes ignored), strictly, then with numbers compared by value.\n")
    bad = [v for v in res["verify"] if any(x != "same" for x in v["verdict"].values())]
    n = len(res["verify"])
    add(f"{n - len(bad)} of {n} queries: the same answer on all servers.\n")
    if bad:
        add("| graph | query | kgpub | peer verdicts |")
        add("|---|---|---|---|")
        for v in bad:
            add(f"| {v['graph']} | {v['query']} | {v['answers'].get('kgpub', '–')} | "
                + "; ".join(f"{s}: {x} ({v['answers'].get(s, '')})" for s, x in v["verdict"].items()) + " |")
        add("")
    notes = res.get("notes")
    if notes:
        add("## Notes\n")
        add(notes)
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------------------------
# The issue-11 section of RESULTS.md: a plain run and a --with-flood run, side by side
# ---------------------------------------------------------------------------------------------

SPEED_START, SPEED_END = "<!-- endpoint-speed: start -->", "<!-- endpoint-speed: end -->"
SPEED_TITLE = ("SPARQL endpoint speed and memory after issue 11, against Oxigraph (plain, and with a flood in "
               "parallel)")
SPEED_BEFORE = "<!-- ld-bench: start -->"  # the new section goes just before the section holding this marker
SPEED_TARGETS = {"repeated": 1.0, "unique": 0.5}  # kgpub/Oxigraph throughput, issue 11
MEMORY_TARGET_MB = 125.0  # the whole process tree after load, issue 11


def answered_rps(r: dict[str, Any]) -> float:
    """Requests per second that were answered with a 2xx: a quick refusal must not count as speed."""
    n = r["requests"]
    return r["rps"] * (n - r["non2xx"]) / n if n else 0.0


def command_line(res: dict[str, Any]) -> str:
    argv = res.get("argv") or ["bench/sparql_bench.py"]
    return ".venv/bin/python " + shlex.join([os.path.relpath(argv[0], ROOT) if os.path.isabs(argv[0]) else argv[0],
                                             *argv[1:]])


def speed_section(plain: dict[str, Any], flood: dict[str, Any], *, graph: str = "article", notes: str = "") -> str:
    """The report of issue 11's speed and memory targets from a plain run and a ``--with-flood`` run."""
    from clients import fmt_outcomes
    from overload import fmt_refusals

    runs = {"plain": plain, "with the flood": flood}
    label = {"plain": "plain run", "with the flood": "run with the flood"}
    L: list[str] = []
    add = L.append

    def row(res: dict[str, Any], regime: str, server: str) -> dict[str, Any] | None:
        return next((r for r in res["throughput"] if (r["graph"], r["regime"], r["server"]) ==
                     (graph, regime, server)), None)

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    def mem_after_load(res: dict[str, Any], server: str) -> dict[str, Any] | None:
        xs = [x for x in res["memory"] if x["graph"] == graph and x["server"] == server and x["after"] != "start-up"]
        return max(xs, key=lambda x: x["rss_mb"]) if xs else None

    add(f"# {SPEED_TITLE}\n")
    add("Written by `bench/sparql_bench.py --write-section PLAIN FLOOD` from the raw figures of two runs made one "
        f"after the other in one session: `bench/sparql-out/{plain.get('raw', 'results-….json')}` (plain) and "
        f"`bench/sparql-out/{flood.get('raw', 'results-…-flood.json')}` (with the flood). Targets of issue 11, "
        "measured side by side against `oxigraph serve-read-only` on the article graph: unique queries at least "
        "0.5× Oxigraph's throughput, repeated queries at least 1.0×, the whole process tree at most 125 MB after "
        "load, and all of it while the overload benchmark's flood runs in parallel.\n")
    m = plain["machine"]
    add(f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB memory, Linux {m['kernel']}, Python "
        f"{m['python']}; a shared machine. Load average (1, 5, 15 min): "
        + "; ".join(f"{label[name]} {' '.join(r['machine']['loadavg_start'])} at the start, "
                    f"{' '.join(r['loadavg_end'])} at the end" for name, r in runs.items()))
    add("- **Date (UTC)**: " + "; ".join(f"{label[name]} {r['machine']['date'].removesuffix(' UTC')} to "
                                        f"{r.get('finished', '?')}" for name, r in runs.items()))
    commits = {r["machine"].get("kgpub_commit", "?") for r in runs.values()}
    dirty = any(r["machine"].get("kgpub_src_dirty") for r in runs.values())
    add(f"- **kgpub code**: git {' / '.join(sorted(commits))}"
        + (" (with uncommitted changes in src/ in the working tree)" if dirty else " (src/ as committed)"))
    add(f"- **Software**: {m['kgpub']} (pyoxigraph {m['pyoxigraph']}, 2 query workers); {m['oxigraph']} "
        f"(`serve-read-only`); {m['wrk']}")
    add("- **Commands**: " + "; ".join(f"`{command_line(r)}` ({name})" for name, r in runs.items()))
    g = plain["graphs"][graph]
    s = plain["settings"]
    fs = flood["settings"]
    mixes = ", ".join(g["mixes"])
    floods = [r["flood"] for r in flood["throughput"] if r.get("flood")]
    lead = floods[0].get("lead_s", FLOOD_LEAD) if floods else FLOOD_LEAD
    margin = floods[0].get("margin_s", FLOOD_MARGIN + fs["runaway_limit"]) if floods else FLOOD_MARGIN
    covered = all(f["covered"] for f in floods)
    add(f"- **Data and load**: the {graph} graph, {g['triples']:,} triples in the default graph (release "
        f"{Path(g['release']).name}); kgpub serves its release, Oxigraph the release's `dataset.nt` loaded into its "
        f"own store. `wrk -t{s['threads']} -c{s['connections']} -d{s['duration']:g}s --latency --timeout 30s` with "
        f"`bench/sparql_mix.lua` ({mixes}, GET, `Accept: application/sparql-results+json`) after a "
        f"{s['warmup']:g} s warm-up of the same kind, from 127.0.0.1, one server at a time. *repeated*: the same "
        "texts cycled (kgpub's answer cache serves them); *unique*: a comment appended to every request, so no "
        "cache can answer. req/s counts 2xx answers only.")
    add(f"- **The flood** (second run, `--with-flood`): client A of `bench/clients.py` (the flood part of "
        f"`bench/overload.py`) from 127.0.0.2 keeps {fs.get('flood_clients', 64)} copies of `{flood_query()}` in "
        "flight, each on a new connection (`Connection: close`), sent again when answered, 0.1 s ± 50 % after a "
        f"refusal; it starts {lead:g} s before each wrk warm-up and stops {margin:g} s after the "
        f"measured run's expected end ("
        + ("it covered every measured run" if covered else "**it did not cover every measured run**") + "). "
        f"Both servers have a {fs['runaway_limit']:g} s time limit in that run "
        f"(kgpub `--timeout {fs['runaway_limit']:g}`, as in the plain run; Oxigraph `--timeout-s "
        f"{fs['runaway_limit']:g}`, which the plain run does not give it: without one the flood's queries never "
        "end). wrk, the flood's client process and the server share the 2 cores.\n")

    # ---- targets
    add("## Targets\n")
    add("| condition | target | measured | verdict |")
    add("|---|---|---|---|")
    for name, res in runs.items():
        for regime, target in SPEED_TARGETS.items():
            k, o = row(res, regime, "kgpub"), row(res, regime, "oxigraph")
            if k and o:
                kr, orps = answered_rps(k), answered_rps(o)
                q = kr / orps if orps else math.nan
                add(f"| {name} | {regime} queries ≥ {target:g}× Oxigraph's throughput | {kr:.0f} vs {orps:.0f} req/s "
                    f"= {q:.2f}× | {verdict(q >= target)} |")
        mem = mem_after_load(res, "kgpub")
        if mem:
            add(f"| {name} | kgpub's process tree ≤ {MEMORY_TARGET_MB:g} MB after load | {mem['rss_mb']:.0f} MB RSS "
                f"(PSS {mem['pss_mb']:.0f} MB), highest, after {mem['after']}, {mem['processes']} processes | "
                f"{verdict(mem['rss_mb'] <= MEMORY_TARGET_MB)} |")
    add("")

    # ---- one table per condition
    for name, res in runs.items():
        fl = name != "plain"
        add(f"## Throughput and latency, {name}\n")
        add("| server | mode | requests | req/s (2xx) | p50 ms | p99 ms | non-2xx | socket errors | kgpub/Oxigraph "
            "| target | verdict |" + (" share of the plain run's req/s | the flood's outcomes during the run |"
                                      if fl else ""))
        add("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|" + ("--:|---|" if fl else ""))
        for server in ("kgpub", "oxigraph"):
            for regime, target in SPEED_TARGETS.items():
                r = row(res, regime, server)
                if not r:
                    continue
                o = row(res, regime, "oxigraph")
                cells = ["", "", ""]
                if server == "kgpub" and o:
                    q = answered_rps(r) / answered_rps(o) if answered_rps(o) else math.nan
                    cells = [f"{q:.2f}×", f"≥ {target:g}×", verdict(q >= target)]
                line = (f"| {server} | {regime} | {r['requests']} | {answered_rps(r):.0f} | {ms(r['p50_us'], us=True)} "
                        f"| {ms(r['p99_us'], us=True)} | {r['non2xx']} | {r['socket_errors']} | " + " | ".join(cells)
                        + " |")
                if fl:
                    p0 = row(plain, regime, server)
                    share = f"{answered_rps(r) / answered_rps(p0):.0%}" if p0 and answered_rps(p0) else "–"
                    line += f" {share} | {flood_cell(r.get('flood'))} |"
                add(line)
        add("")

    # ---- memory
    add("## Memory: the server's whole process tree\n")
    add("VmRSS and PSS (shared pages counted once) summed over the server process and its children (kgpub: uvicorn "
        "+ 2 query workers), from `/proc`, after start-up and after each load (with the flood: once the flood of that "
        f"load was over); MB = 10^6 bytes. The target applies to kgpub's RSS after load (≤ {MEMORY_TARGET_MB:g} "
        "MB).\n")
    add("| condition | server | after | processes | RSS MB | PSS MB | verdict |")
    add("|---|---|---|--:|--:|--:|---|")
    order = {"start-up": 0, "repeated load": 1, "unique load": 2}
    for name, res in runs.items():
        for server in ("kgpub", "oxigraph"):
            xs = sorted((x for x in res["memory"] if x["graph"] == graph and x["server"] == server),
                        key=lambda x: order.get(x["after"], 9))
            for x in xs:
                v = (verdict(x["rss_mb"] <= MEMORY_TARGET_MB) if server == "kgpub" and x["after"] != "start-up"
                     else "")
                add(f"| {name} | {server} | {x['after']} | {x['processes']} | {x['rss_mb']:.0f} | {x['pss_mb']:.0f} "
                    f"| {v} |")
    add("")

    # ---- the flood's counts
    add("## The flood's counts\n")
    add("Client A's requests as it saw them: *whole flood*, from its first burst (before wrk's warm-up) until it "
        "stopped and its last answers came back; *during the run*, those whose answer (or failure) came back during "
        "wrk's measured run. `503 overloaded` and `503 query_timeout` are kgpub's error codes (JSON body); "
        "`no answer: …` is a request the client gave up on or that the connection lost.\n")
    add("| server | mode | A sent | most in flight | whole flood | during the run | refusals during the run "
        "| unanswered at the end | A's CPU |")
    add("|---|---|--:|--:|---|---|---|--:|--:|")
    for server in ("kgpub", "oxigraph"):
        for regime in SPEED_TARGETS:
            r = row(flood, regime, server)
            f = r.get("flood") if r else None
            if not f:
                continue
            cpu = f"{f['client_cpu_share']:.0%}" if f.get("client_cpu_share") is not None else "–"
            add(f"| {server} | {regime} | {f['sent']} | {f['max_outstanding']} | {fmt_outcomes(f['outcomes'])} | "
                f"{flood_cell(f)} | {fmt_refusals(f['refusals_run'])} | {f['unanswered']} | {cpu} |")
    add("")
    for name, res in runs.items():
        samples = res.get("monitor", [])
        if any(b for _, b in samples):
            add(f"The build benchmark ran during part of the {label[name]} ({sum(1 for _, b in samples if b)} of "
                f"{len(samples)} checks every 2 s).\n")
    if notes:
        add("## Notes\n")
        add(notes.rstrip("\n") + "\n")
    return "\n".join(L) + "\n"


def write_speed_section(text: str, path: Path) -> None:
    """Put the section between its markers in RESULTS.md (``ld_bench.write_section``); the first time, the markers
    are placed under the section's title just before the Linked Data section (the ``##`` heading above the
    ``ld-bench`` marker), else at the end."""
    from ld_bench import write_section

    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if SPEED_START not in old and SPEED_BEFORE in old:
        head, tail = old.split(SPEED_BEFORE, 1)
        cut = head.rfind("\n## ")
        cut = cut + 1 if cut >= 0 else len(head)
        block = f"## {SPEED_TITLE}\n\n{SPEED_START}\n{SPEED_END}\n\n---\n\n"
        path.write_text(head[:cut] + block + head[cut:] + SPEED_BEFORE + tail, encoding="utf-8")
    write_section(text, path, start=SPEED_START, end=SPEED_END, title=f"## {SPEED_TITLE}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--graphs", default="article,100k")
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--duration", type=float, default=15, help="seconds per wrk run")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of wrk warm-up before each run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("--runaway-window", type=float, default=12)
    ap.add_argument("--runaway-limit", type=float, default=10, help="time limit given to kgpub and Oxigraph")
    ap.add_argument("--wait-idle", type=float, default=0,
                    help="first wait up to this many minutes until the other benchmark no longer runs")
    ap.add_argument("--results", default=str(BENCH / "sparql-results.md"), help="'-': print only")
    ap.add_argument("--notes", default=None, help="a Markdown file appended to the results as Notes")
    ap.add_argument("--quick", action="store_true", help="a short trial: 3 s runs, 1 s warm-up, 1 start-up run")
    ap.add_argument("--report-only", metavar="JSON", default=None,
                    help="run nothing: write the report again from a raw results file (with --notes)")
    ap.add_argument("--with-flood", action="store_true",
                    help="run the overload benchmark's flood (bench/clients.py, client A from 127.0.0.2) against the "
                         "server during every wrk warm-up and measured run; both servers get --runaway-limit")
    ap.add_argument("--flood-clients", type=int, default=64, help="heavy queries the flood keeps in flight")
    ap.add_argument("--write-section", nargs=2, metavar=("PLAIN_JSON", "FLOOD_JSON"), default=None,
                    help="run nothing: write issue 11's section of bench/RESULTS.md from a plain and a --with-flood "
                         "raw results file")
    args = ap.parse_args()
    if args.write_section:
        plain, flood = (json.loads(Path(x).read_text()) for x in args.write_section)
        for res, x in zip((plain, flood), args.write_section, strict=True):
            res.setdefault("raw", Path(x).name)
        text = speed_section(plain, flood, notes=Path(args.notes).read_text(encoding="utf-8") if args.notes else "")
        print(text)
        write_speed_section(text, BENCH / "RESULTS.md")
        log(f"wrote its section of {BENCH / 'RESULTS.md'}")
        return
    if args.report_only:
        res = json.loads(Path(args.report_only).read_text())
        if args.notes:
            res["notes"] = Path(args.notes).read_text(encoding="utf-8")
        text = report(res)
        print(text)
        if args.results != "-":
            Path(args.results).write_text(text, encoding="utf-8")
        return
    if args.quick:
        args.duration, args.warmup, args.startup_runs, args.runaway_window = 3, 1, 1, 12
    for exe in (KGPUB, OXIGRAPH, RDFLIB_ENDPOINT, WRK):
        if not Path(exe).exists():
            raise SystemExit(f"missing {exe}: see bench/sparql_README.md (set-up)")
    res: dict[str, Any] = {"argv": sys.argv}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-flood" if args.with_flood else "")
    monitor = Monitor()
    try:
        with monitor:
            bench(args, res)
    except BaseException:
        res["monitor"] = monitor.samples
        (OUT / f"partial-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
        log(f"the run failed; what it measured is in {OUT / f'partial-{stamp}.json'}")
        raise
    res["monitor"] = monitor.samples
    res["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    res["raw"] = f"results-{stamp}.json"
    if args.notes:
        res["notes"] = Path(args.notes).read_text(encoding="utf-8")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
    text = report(res)
    print(text)
    if args.results != "-":
        Path(args.results).write_text(text, encoding="utf-8")
        log(f"wrote {args.results} and {OUT / f'results-{stamp}.json'}")


if __name__ == "__main__":
    main()
