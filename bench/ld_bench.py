#!/usr/bin/env python3
"""Linked Data benchmark: kgpub's entity documents, fragments and dumps next to their usual peers.

One command starts every server, checks that they answer the same data, warms up, runs wrk
against each in turn (peers interleaved, round after round: A B, B A, A B, ...), measures the
servers' CPU from /proc and the memory of each server's whole process tree, and writes a
Markdown report (``bench/out/ld/ld-results.md``, and its section of ``bench/RESULTS.md``):

    .venv/bin/python bench/ld_bench.py                     # everything, about 12 minutes
    .venv/bin/python bench/ld_bench.py --quick --results - # a short trial (3 s runs, 1 round), print only

- entity documents (Turtle, JSON-LD), every entity IRI in turn: kgpub ``GET /id/...`` against
  Oxigraph's own ``DESCRIBE <iri>`` (GET /query) and Trifid 5 in front of a second Oxigraph;
- Triple Pattern Fragments (Turtle), a mix of patterns: kgpub ``GET /fragments?...`` against
  ``@ldf/server`` over the release's ``dataset.nt``;
- dump downloads (``/dump.nt``, ``/dump.nt.gz``): kgpub against nginx serving the same files.

Same data for all: kgpub serves a release (its default graph = data + ontology); the peers get
that release's ``dataset.nt`` (exactly the default graph). Everything binds 127.0.0.1 on a free
port, in its own process group, and is killed at the end (also on errors). Every loop is
bounded. See ``bench/README.md`` (Linked Data benchmark).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.client
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from sparql_bench import free_port, log, tree_cpu, tree_memory  # noqa: E402  (the same /proc readings)

OUT = BENCH / "out" / "ld"  # git-ignored (bench/out/): stores, configs, logs, raw JSON
PY = ROOT / ".venv" / "bin" / "python"
OXIGRAPH = ROOT / ".venv" / "bin" / "oxigraph"
NODE_DIR = BENCH / "node"
TRIFID = NODE_DIR / "node_modules" / "trifid" / "server.js"
LDF = NODE_DIR / "node_modules" / "@ldf" / "server" / "bin" / "ldf-server"
NODE = shutil.which("node") or "/usr/bin/node"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
LUA = BENCH / "ld_entities.lua"
BASE = "https://w3id.org/kjtrade/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
KR = BASE + "id/country/KR"
HYDRA = "http://www.w3.org/ns/hydra/core#"
PAGE_SIZE = 100  # both kgpub and @ldf/server
TURTLE, JSONLD = "text/turtle", "application/ld+json"
RESULTS_START, RESULTS_END = "<!-- ld-bench: start -->", "<!-- ld-bench: end -->"


def run(argv: list[Any], *, timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=True, text=True, capture_output=True, timeout=timeout, **kw)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

@dataclass
class Data:
    release: Path
    version: str = ""
    triples: int = 0  # default graph
    entities: list[str] = field(default_factory=list)
    types: int = 0  # rdf:type triples in the default graph
    stores: dict[str, Path] = field(default_factory=dict)  # Oxigraph stores: "describe", "trifid"
    big: Path | None = None  # a larger release, for the dump downloads only


def release_path(releases: Path, project: Path = ROOT) -> Path:
    cur = releases / "current"
    if not (cur / "manifest.json").exists():
        log(f"building a release of {project} into {releases} (kgpub build)")
        run([PY, "-m", "kgpub", "build", "--project", project, "--releases", releases], cwd=ROOT, timeout=1800)
    return cur.resolve()


def prepare(release: Path, big: bool) -> Data:
    from pyoxigraph import Store

    d = Data(release)
    manifest = json.loads((release / "manifest.json").read_text())
    d.version, d.triples = manifest["version"], manifest["default_graph_triples"]
    store = Store.read_only(str(release / "store"))
    # every IRI under the base's /id/ that is a subject in the default graph (= the knowledge graph)
    q = (f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{BASE}id/")) }} '
         "ORDER BY ?s")
    d.entities = [row["s"].value for row in store.query(q)]
    d.types = int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{RDF_TYPE}> ?o }}")))["n"].value)
    del store
    nt = release / "dataset.nt"
    for name in ("describe", "trifid"):  # one store per Oxigraph process, so neither shares pages
        path = OUT / "oxigraph" / f"{d.version}-{name}"
        if not (path / ".loaded").exists():
            shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            run([OXIGRAPH, "load", "--location", path, "--file", nt], timeout=600)
            (path / ".loaded").write_text("ok\n")
        d.stores[name] = path
    if big:
        project = OUT / "p100k"
        if not (project / "data").is_dir():
            log("generating a 100k-triple synthetic project for the dump downloads (bench/generate.py)")
            run([PY, BENCH / "generate.py", "--triples", "100k", "--out", project], timeout=600)
        d.big = release_path(project / "release", project)
    return d


def fragment_paths(d: Data) -> list[str]:
    """The fragments mix: ?s ?p ?o pages 1..N, subject = each entity, predicate = rdf:type (every page),
    object = country KR. Each listed once; wrk cycles the list."""
    enc = lambda iri: quote(iri, safe="")  # noqa: E731
    out = []
    for page in range(1, math.ceil(d.triples / PAGE_SIZE) + 1):
        out.append("/fragments?subject=&predicate=&object=" + (f"&page={page}" if page > 1 else ""))
    out += [f"/fragments?subject={enc(e)}&predicate=&object=" for e in d.entities]
    for page in range(1, math.ceil(d.types / PAGE_SIZE) + 1):
        out.append(f"/fragments?subject=&predicate={enc(RDF_TYPE)}&object=" + (f"&page={page}" if page > 1 else ""))
    out.append(f"/fragments?subject=&predicate=&object={enc(KR)}")
    return out


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------

class Server:
    """One server process (and its children) on 127.0.0.1, in its own process group."""

    def __init__(self, key: str, argv: list[str], probe: str, *, cwd: Path = OUT,
                 env: dict[str, str] | None = None) -> None:
        self.key, self.argv, self.probe, self.cwd = key, argv, probe, cwd
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = OUT / "logs" / f"{key}.log"
        self.startup_s = math.nan

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = self.log_path.open("ab")
        logf.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(self.argv)}\n".encode())
        logf.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_")} | (self.env or {})
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.cwd, env=env, start_new_session=True)
        logf.close()

    def poll_ready(self) -> bool:
        """One probe: True (and the start-up time noted) once the server answers 200."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.key} exited with {self.proc.returncode}; see {self.log_path}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _, _ = get(self.port, self.probe, timeout=2)
            if status == 200:
                self.startup_s = time.perf_counter() - self.t0
                return True
        return False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the launched process's id
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(8)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.proc = None


def make_servers(d: Data, keys: set[str], workers: int) -> dict[str, Server]:
    s: dict[str, Server] = {}
    ports = {k: free_port() for k in ("kgpub", "kgpub-100k", "oxigraph", "oxigraph-trifid", "trifid", "ldf-server",
                                      "nginx")}

    def add(key: str, argv: list[Any], probe: str, **kw: Any) -> None:
        srv = Server(key, [str(a) for a in argv], probe, **kw)
        srv.port = ports[key]
        s[key] = srv

    if "kgpub" in keys:
        add("kgpub", [PY, "-m", "kgpub", "serve", "--release", d.release, "--host", "127.0.0.1",
                      "--port", ports["kgpub"], "--workers", workers], "/id/country/KR.ttl", cwd=ROOT)
    if "kgpub" in keys and d.big is not None:
        add("kgpub-100k", [PY, "-m", "kgpub", "serve", "--release", d.big, "--host", "127.0.0.1",
                           "--port", ports["kgpub-100k"], "--workers", workers], "/dump.nt.gz", cwd=ROOT)
    describe_probe = "/query?query=" + quote(f"ASK {{ <{KR}> ?p ?o }}", safe="")
    if "oxigraph" in keys:
        add("oxigraph", [OXIGRAPH, "serve-read-only", "--location", d.stores["describe"],
                         "--bind", f"127.0.0.1:{ports['oxigraph']}"], describe_probe)
    if "trifid" in keys:
        add("oxigraph-trifid", [OXIGRAPH, "serve-read-only", "--location", d.stores["trifid"],
                                "--bind", f"127.0.0.1:{ports['oxigraph-trifid']}"], describe_probe)
        conf = OUT / "trifid.yaml"
        conf.write_text(trifid_config(port=ports["trifid"], endpoint=ports["oxigraph-trifid"], by="bench/ld_bench.py"))
        add("trifid", [NODE, TRIFID, "-c", conf], "/id/country/KR", cwd=NODE_DIR,
            env={"NODE_ENV": "production"})
    if "ldf-server" in keys:
        conf = OUT / "ldf-server.json"
        conf.write_text(json.dumps({
            "@context": "https://linkedsoftwaredependencies.org/bundles/npm/@ldf/server/^3.0.0/components/context.jsonld",
            "@id": "urn:ldf-server:my",  # the id the command line instantiates
            "import": "preset-qpf:config-defaults.json",
            "title": "kgpub benchmark",
            "baseURL": f"http://127.0.0.1:{ports['ldf-server']}/",
            "datasources": [{"@id": "urn:ldf-server:dump", "@type": "NTriplesDatasource",
                             "datasourceTitle": "dump", "description": "the release's dataset.nt",
                             "datasourcePath": "fragments", "file": str(d.release / "dataset.nt")}],
        }, indent=2))
        add("ldf-server", [NODE, LDF, conf, ports["ldf-server"], 1], "/fragments?subject=&predicate=&object=",
            cwd=NODE_DIR, env={"NODE_ENV": "production"})
    if "nginx" in keys:
        prefix = OUT / "nginx"
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        locations = "".join(
            f"    location = {url} {{ alias {path}; default_type {mt}; }}\n"
            for url, path, mt in [("/dump.nt", d.release / "dataset.nt", "application/n-triples"),
                                  ("/dump.nt.gz", d.release / "dataset.nt.gz", "application/gzip")]
            + ([("/100k/dump.nt", d.big / "dataset.nt", "application/n-triples"),
                ("/100k/dump.nt.gz", d.big / "dataset.nt.gz", "application/gzip")] if d.big else []))
        (prefix / "nginx.conf").write_text(f"""\
# nginx serving the release's dump files: written by bench/ld_bench.py
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  server {{
    listen 127.0.0.1:{ports['nginx']};
{locations}  }}
}}
""")
        add("nginx", [NGINX, "-p", prefix, "-c", prefix / "nginx.conf"], "/dump.nt.gz")
    return s


@contextlib.contextmanager
def running(servers: dict[str, Server]) -> Iterator[dict[str, Server]]:
    try:
        for key in sorted(servers, key=lambda k: k != "oxigraph-trifid"):  # Trifid's endpoint first
            servers[key].start()
        waiting, deadline = set(servers), time.perf_counter() + 180
        while waiting:  # all polled in turn, so each start-up time is its own
            waiting = {k for k in waiting if not servers[k].poll_ready()}
            if waiting and time.perf_counter() > deadline:
                raise RuntimeError(f"not answering after 180 s: {', '.join(sorted(waiting))}; see {OUT / 'logs'}")
            time.sleep(0.02)
        yield servers
    finally:
        for srv in servers.values():
            srv.stop()


# ---------------------------------------------------------------------------------------------
# HTTP client (127.0.0.1 only) and checks that the servers answer the same data
# ---------------------------------------------------------------------------------------------

def get(port: int, path: str, accept: str | None = None, *, timeout: float = 30,
        conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes, dict[str, str]]:
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Accept": accept} if accept else {})
        r = c.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        if conn is None:
            c.close()


def entity_path(srv: Server, iri: str) -> str:
    if srv.key == "oxigraph":
        return "/query?query=" + quote(f"DESCRIBE <{iri}>", safe="")
    return "/" + iri.removeprefix(BASE)


def parse(body: bytes, media_type: str, origin: str | None = None) -> set[tuple[str, str, str]]:
    """The triples of a document as comparable strings (blank nodes and skolem IRIs as ``_``);
    ``origin``: a local origin that a server wrote in place of the base (Trifid's rewriting)."""
    from pyoxigraph import BlankNode, NamedNode, RdfFormat
    from pyoxigraph import parse as rdf_parse

    text = body.decode()
    if origin:
        text = text.replace(origin, BASE)
    fmt = RdfFormat.JSON_LD if "json" in media_type else RdfFormat.TURTLE
    out = set()
    for q in rdf_parse(text.encode(), fmt, base_iri=BASE):
        def term(t: Any) -> str:
            if isinstance(t, BlankNode) or (isinstance(t, NamedNode) and "/.well-known/genid/" in t.value):
                return "_"
            return str(t)
        out.add((term(q.subject), term(q.predicate), term(q.object)))
    return out


def sequential_entities(servers: dict[str, Server], peers: list[str], d: Data, accept: str,
                        res: dict[str, Any]) -> None:
    """On fresh servers, one client: every entity once (first pass: nothing cached anywhere), then again.
    Compares what each server said about every entity."""
    bodies: dict[str, dict[str, bytes]] = {}
    for key in peers:
        srv = servers[key]
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        passes, bodies[key] = [], {}
        try:
            for _ in range(2):
                lat = []
                for iri in d.entities:
                    t0 = time.perf_counter()
                    status, body, _ = get(srv.port, entity_path(srv, iri), accept, conn=conn)
                    lat.append(time.perf_counter() - t0)
                    if status != 200:
                        raise RuntimeError(f"{key}: HTTP {status} for {iri} ({accept}): {body[:300]!r}")
                    bodies[key][iri] = body
                passes.append(1e3 * statistics.fmean(lat))
        finally:
            conn.close()
        res["sequential"].append({"server": key, "accept": accept, "pass1_ms": passes[0], "pass2_ms": passes[1],
                                  "bytes_mean": statistics.fmean(len(b) for b in bodies[key].values())})
    # the same data? Oxigraph's DESCRIBE (the triples with the IRI as subject) against the others
    check: dict[str, Any] = {"accept": accept, "entities": len(d.entities)}
    if "oxigraph" in bodies:
        ref = {iri: parse(b, accept) for iri, b in bodies["oxigraph"].items()}
        check["oxigraph_triples_mean"] = statistics.fmean(len(v) for v in ref.values())
        if "kgpub" in bodies:
            k = {iri: parse(b, accept) for iri, b in bodies["kgpub"].items()}
            check["kgpub_triples_mean"] = statistics.fmean(len(v) for v in k.values())
            check["kgpub_contains_describe"] = sum(ref[i] <= k[i] for i in d.entities)
        if "trifid" in bodies:
            origin = f"http://127.0.0.1:{servers['trifid'].port}/"
            t = {iri: parse(b, accept, origin) for iri, b in bodies["trifid"].items()}
            check["trifid_triples_mean"] = statistics.fmean(len(v) for v in t.values())
            check["trifid_equals_describe"] = sum(ref[i] == t[i] for i in d.entities)
    res["checks"].append(check)


def check_fragments(servers: dict[str, Server], peers: list[str], paths: list[str], res: dict[str, Any]) -> None:
    """Same counts (hydra:totalItems) for every fragment of the mix; the same data for the subject fragments."""
    total = HYDRA + "totalItems"
    same_count = same_data = subject_fragments = 0
    bytes_mean: dict[str, float] = {}
    for key in peers:
        bytes_mean[key] = 0.0
    for path in paths:
        got = {}
        for key in peers:
            status, body, _ = get(servers[key].port, path, TURTLE)
            if status != 200:
                raise RuntimeError(f"{key}: HTTP {status} for {path}: {body[:300]!r}")
            bytes_mean[key] += len(body) / len(paths)
            got[key] = parse(body, TURTLE)
        counts = {k: {o for s, p, o in v if p == f"<{total}>"} for k, v in got.items()}
        if len({frozenset(c) for c in counts.values()}) == 1:
            same_count += 1
        m = re.match(r"/fragments\?subject=([^&]+)&", path)
        if m:
            subject_fragments += 1
            from urllib.parse import unquote
            subj = f"<{unquote(m.group(1))}>"
            data = {k: {t for t in v if t[0] == subj} for k, v in got.items()}
            if len({frozenset(x) for x in data.values()}) == 1:
                same_data += 1
    res["checks"].append({"fragments": len(paths), "same_count": same_count, "subject_fragments": subject_fragments,
                          "same_subject_data": same_data, "bytes_mean": bytes_mean})


def check_dumps(servers: dict[str, Server], d: Data, res: dict[str, Any]) -> None:
    files = [("kgpub", "/dump.nt", d.release / "dataset.nt"), ("kgpub", "/dump.nt.gz", d.release / "dataset.nt.gz")]
    if d.big:
        files += [("kgpub-100k", "/dump.nt", d.big / "dataset.nt"),
                  ("kgpub-100k", "/dump.nt.gz", d.big / "dataset.nt.gz")]
    out = []
    for key, path, f in files:
        want = hashlib.sha256(f.read_bytes()).hexdigest()
        nginx_path = ("/100k" if key == "kgpub-100k" else "") + path
        a = get(servers[key].port, path)
        b = get(servers["nginx"].port, nginx_path)
        if path.endswith(".gz"):
            gzip.decompress(a[1])  # a whole gzip file
        out.append({"file": f.name, "release": key, "bytes": f.stat().st_size,
                    "kgpub_same": hashlib.sha256(a[1]).hexdigest() == want,
                    "nginx_same": hashlib.sha256(b[1]).hexdigest() == want,
                    "kgpub_type": a[2].get("content-type", ""), "nginx_type": b[2].get("content-type", "")})
    res["checks"].append({"dumps": out})


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

@dataclass
class Peer:
    key: str  # the server wrk talks to
    cpu_keys: tuple[str, ...]  # the servers whose CPU counts (Trifid: Trifid + its Oxigraph)
    mode: str  # ld_entities.lua: path, describe, raw
    arg: str
    file: Path
    path_prefix: str = ""


@dataclass
class Workload:
    name: str
    accept: str
    peers: list[Peer]
    threads: int
    connections: int
    kind: str  # entity | fragments | dump


def busy_jiffies() -> float:
    """Seconds of CPU the whole machine spent busy (all cores), from /proc/stat."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    v = [int(x) for x in f]
    idle = v[3] + v[4]  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wrk(servers: dict[str, Server], w: Workload, p: Peer, seconds: float, tag: str, latency: bool) -> dict[str, Any]:
    srv = servers[p.key]
    argv = [WRK, f"-t{w.threads}", f"-c{w.connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    argv += ["--latency"] if latency else []
    argv += ["-s", LUA, f"http://127.0.0.1:{srv.port}", "--", p.file, p.mode, p.arg, w.accept or "-"]
    r = measured(argv, servers, p.cpu_keys, seconds)
    r.update({"workload": w.name, "server": p.key, "tag": tag})
    return r


def measured(argv: list[Any], servers: dict[str, Server], cpu_keys: tuple[str, ...], seconds: float) -> dict[str, Any]:
    """Run one wrk command (its Lua script prints a JSON line) and add what the servers' processes cost:
    req/s, bytes, server CPU per request (by server), wrk's and everything else's CPU, the load average."""
    cpu0 = {k: tree_cpu(servers[k].pid) for k in cpu_keys}
    busy0, ru0 = busy_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = run(argv, timeout=seconds + 60)
    ru1, busy1 = resource.getrusage(resource.RUSAGE_CHILDREN), busy_jiffies()
    cpu1 = {k: tree_cpu(servers[k].pid) for k in cpu_keys}
    m = re.search(r"^JSON (\{.*\})$", proc.stdout, re.M)
    if not m:
        raise RuntimeError(f"no JSON line from wrk:\n{proc.stdout}\n{proc.stderr}")
    r: dict[str, Any] = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    n = max(1, r["requests"])
    by_server = {k: sum(v - cpu0[k].get(pid, 0.0) for pid, v in cpu1[k].items()) for k in cpu_keys}
    server_cpu = sum(by_server.values())
    wrk_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    r.update({"rps": r["requests"] / secs if secs else 0.0,
              "mb_s": r["bytes"] / secs / 1e6 if secs else 0.0, "bytes_per_response": r["bytes"] / n,
              "cpu_ms": 1e3 * server_cpu / n, "cpu_cores": server_cpu / secs if secs else 0.0,
              "wrk_cpu_cores": wrk_cpu / secs if secs else 0.0,
              "other_cpu_cores": max(0.0, (busy1 - busy0 - server_cpu - wrk_cpu) / secs) if secs else 0.0,
              "errors": r["connect"] + r["read"] + r["write"] + r["timeout"], "non2xx": r["status"],
              "loadavg": Path("/proc/loadavg").read_text().split()[:3],
              "cpu_ms_by_server": {k: 1e3 * v / n for k, v in by_server.items()}})
    return r


def workloads(d: Data, servers: dict[str, Server], files: dict[str, Path]) -> list[Workload]:
    ws = []
    ent = [Peer("kgpub", ("kgpub",), "path", BASE, files["entities"]),
           Peer("oxigraph", ("oxigraph",), "describe", "/query", files["entities"]),
           Peer("trifid", ("trifid", "oxigraph-trifid"), "path", BASE, files["entities"])]
    ent = [p for p in ent if p.key in servers]
    if len(ent) > 1:
        ws.append(Workload("entities-turtle", TURTLE, ent, 2, 8, "entity"))
        ws.append(Workload("entities-jsonld", JSONLD, ent, 2, 8, "entity"))
    frag = [p for p in (Peer("kgpub", ("kgpub",), "raw", "-", files["fragments"]),
                        Peer("ldf-server", ("ldf-server",), "raw", "-", files["fragments"])) if p.key in servers]
    if len(frag) > 1:
        ws.append(Workload("fragments-turtle", TURTLE, frag, 2, 8, "fragments"))
    if "nginx" in servers and "kgpub" in servers:
        for name, fname in (("dump.nt", "dump-nt"), ("dump.nt.gz", "dump-nt-gz")):
            ws.append(Workload(f"{name} ({d.version})", "", [
                Peer("kgpub", ("kgpub",), "raw", "-", files[fname]),
                Peer("nginx", ("nginx",), "raw", "-", files[fname])], 1, 2, "dump"))
        if d.big is not None and "kgpub-100k" in servers:
            for name, fname in (("dump.nt", "dump-nt"), ("dump.nt.gz", "dump-nt-gz")):
                ws.append(Workload(f"{name} (100k)", "", [
                    Peer("kgpub-100k", ("kgpub-100k",), "raw", "-", files[fname]),
                    Peer("nginx", ("nginx",), "raw", "-", files["100k-" + fname])], 1, 2, "dump"))
    return ws


def bench(args: argparse.Namespace, res: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    res["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    res["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    d = prepare(release_path(Path(args.releases)) if not args.release else Path(args.release).resolve(),
                args.big_dump)
    res["data"] = {"release": str(d.release), "version": d.version, "triples": d.triples,
                   "entities": len(d.entities), "types": d.types, "big": str(d.big) if d.big else None}
    if d.big:
        res["data"]["big_version"] = json.loads((d.big / "manifest.json").read_text())["version"]
        res["data"]["big_nt_bytes"] = (d.big / "dataset.nt").stat().st_size
        res["data"]["big_gz_bytes"] = (d.big / "dataset.nt.gz").stat().st_size
    files = {"entities": OUT / "entities.txt", "fragments": OUT / "fragments.txt",
             "dump-nt": OUT / "dump-nt.txt", "dump-nt-gz": OUT / "dump-nt-gz.txt",
             "100k-dump-nt": OUT / "100k-dump-nt.txt", "100k-dump-nt-gz": OUT / "100k-dump-nt-gz.txt"}
    files["entities"].write_text("".join(e + "\n" for e in d.entities))
    frag_paths = fragment_paths(d)
    files["fragments"].write_text("".join(p + "\n" for p in frag_paths))
    files["dump-nt"].write_text("/dump.nt\n")
    files["dump-nt-gz"].write_text("/dump.nt.gz\n")
    files["100k-dump-nt"].write_text("/100k/dump.nt\n")
    files["100k-dump-nt-gz"].write_text("/100k/dump.nt.gz\n")
    res["data"]["fragment_paths"] = len(frag_paths)
    res["versions"] = versions()
    keys = set(args.servers.split(","))
    if "trifid" in keys:
        keys.add("oxigraph-trifid")
    servers = make_servers(d, keys, args.workers)
    res.update({"throughput": [], "sequential": [], "checks": [], "memory": [], "startup": {}})
    with running(servers):
        time.sleep(1)
        for key, srv in servers.items():
            res["startup"][key] = srv.startup_s
            res["memory"].append({"server": key, "after": "start-up", **tree_memory(srv.pid)})
        if "fragments" in {w.kind for w in workloads(d, servers, files)}:
            # is /fragments there? (it may not be in every kgpub version)
            status, _, _ = get(servers["kgpub"].port, frag_paths[0], TURTLE)
            res["kgpub_fragments"] = status
        ws = [w for w in workloads(d, servers, files) if w.kind != "fragments" or res.get("kgpub_fragments") == 200]
        if "fragments" in {w.kind for w in workloads(d, servers, files)} and res.get("kgpub_fragments") != 200:
            log(f"kgpub answers /fragments with HTTP {res.get('kgpub_fragments')}: the fragments workload is skipped")
        ent_peers = [k for k in ("kgpub", "oxigraph", "trifid") if k in servers]
        log("one client, every entity twice (fresh servers), and the same-data checks")
        for accept in (TURTLE, JSONLD):
            sequential_entities(servers, ent_peers, d, accept, res)
        if any(w.kind == "fragments" for w in ws):
            check_fragments(servers, ["kgpub", "ldf-server"], frag_paths, res)
        if "nginx" in servers and "kgpub" in servers:
            check_dumps(servers, d, res)
        for rnd in range(args.rounds):
            for w in ws:
                order = w.peers[rnd % len(w.peers):] + w.peers[:rnd % len(w.peers)]
                for p in order:
                    log(f"round {rnd + 1}/{args.rounds} {w.name}: {p.key}")
                    wrk(servers, w, p, args.warmup, "warm", latency=False)
                    r = wrk(servers, w, p, args.duration, "run", latency=True)
                    r["round"] = rnd + 1
                    res["throughput"].append(r)
        time.sleep(1)
        for key, srv in servers.items():
            res["memory"].append({"server": key, "after": "load", **tree_memory(srv.pid)})
    if args.memory_variants and "kgpub" in keys:
        memory_variants(d, files, args, res)
    res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")


def memory_variants(d: Data, files: dict[str, Path], args: argparse.Namespace, res: dict[str, Any]) -> None:
    """kgpub with one query worker (the fewest it runs): tree memory after the same entity load."""
    servers = make_servers(d, {"kgpub"}, 1)
    servers.pop("kgpub-100k", None)
    with running(servers):
        time.sleep(1)
        res["memory"].append({"server": "kgpub --workers 1", "after": "start-up", **tree_memory(servers["kgpub"].pid)})
        for accept in (TURTLE, JSONLD):
            wl = Workload("variant", accept, [], 2, 8, "entity")
            wrk(servers, wl, Peer("kgpub", ("kgpub",), "path", BASE, files["entities"]), args.warmup, "warm", False)
        frag = Workload("variant", TURTLE, [], 2, 8, "fragments")
        wrk(servers, frag, Peer("kgpub", ("kgpub",), "raw", "-", files["fragments"]), args.warmup, "warm", False)
        time.sleep(1)
        res["memory"].append({"server": "kgpub --workers 1", "after": "load", **tree_memory(servers["kgpub"].pid)})


# ---------------------------------------------------------------------------------------------
# Versions and the machine
# ---------------------------------------------------------------------------------------------

def _out(argv: list[Any]) -> str:
    with contextlib.suppress(Exception):
        p = subprocess.run([str(a) for a in argv], text=True, capture_output=True, timeout=30, cwd=ROOT)
        return (p.stdout + p.stderr).strip()
    return "n/a"


def _npm_version(name: str) -> str:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())["version"])
    return "n/a"


def versions() -> dict[str, str]:
    py = _out([PY, "-c", "import importlib.metadata as m; print(' '.join(f'{p} {m.version(p)}' for p in "
                         "('kgpub','fastapi','starlette','uvicorn','uvloop','httptools','pyoxigraph')))"])
    cpu = "n/a"
    with contextlib.suppress(OSError):
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "n/a")
    mem = "n/a"
    with contextlib.suppress(OSError):
        mem = f"{int(Path('/proc/meminfo').read_text().split()[1]) * 1024 / 1e9:.1f} GB"
    dirty = _out(["git", "status", "--porcelain", "--", "src"]).count("\n") + 1 if _out(
        ["git", "status", "--porcelain", "--", "src"]) else 0
    return {
        "machine": f"{os.cpu_count()} CPUs ({cpu}), {mem} memory, Linux {platform.release()}",
        "python": platform.python_version(), "kgpub_stack": py,
        "git": _out(["git", "log", "-1", "--format=%h %cI %s"]), "src_uncommitted_files": str(dirty),
        "oxigraph": _out([OXIGRAPH, "--version"]), "node": _out([NODE, "--version"]),
        "trifid": _npm_version("trifid"), "trifid-core": _npm_version("trifid-core"),
        "@zazuko/trifid-entity-renderer": _npm_version("@zazuko/trifid-entity-renderer"),
        "@ldf/server": _npm_version("@ldf/server"), "@ldf/core": _npm_version("@ldf/core"),
        "@ldf/datasource-n3": _npm_version("@ldf/datasource-n3"), "n3": _npm_version("n3"),
        "nginx": _out([NGINX, "-v"]).removeprefix("nginx version: "),
        "wrk": _out([WRK, "-v"]).splitlines()[0] if _out([WRK, "-v"]) else "n/a",
    }


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def fmt_n(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if digits == 0 and abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{max(digits, 1 if abs(x) < 100 else 0)}f}"


def label(key: str, workload: str = "entities") -> str:
    if key.startswith("kgpub"):
        return "kgpub `/id/…`" if workload.startswith("entities") else "kgpub"
    names = {"oxigraph": "Oxigraph `DESCRIBE` (GET /query)", "trifid": "Trifid → Oxigraph",
             "ldf-server": "@ldf/server (1 worker)", "nginx": "nginx (1 worker)"}
    return names.get(key, key)


def report(res: dict[str, Any]) -> str:
    L: list[str] = []
    add = L.append
    v, dd = res["versions"], res["data"]
    tp = res["throughput"]
    rounds = max((r["round"] for r in tp), default=0)
    add("# Linked Data benchmark: entity documents, fragments and dumps (kgpub vs Oxigraph, Trifid, "
        "@ldf/server, nginx)\n")
    add("Written by `bench/ld_bench.py` (see [README.md](README.md), *Linked Data benchmark*); raw figures in "
        "`bench/out/ld/`.\n")
    add(f"- **Date**: {res['started']} to {res['finished']} (UTC)")
    add(f"- **Machine**: {v['machine']}, Python {v['python']}; load average {' '.join(res['loadavg_start'])} at the "
        f"start, {' '.join(res['loadavg_end'])} at the end (a shared machine: other sessions ran tests meanwhile; "
        "*other CPU* below is what the rest of the machine used during each run)")
    add(f"- **kgpub**: git {v['git']} (+ {v['src_uncommitted_files']} uncommitted files under src/ in the working "
        f"tree); {v['kgpub_stack']}; `kgpub serve` defaults (uvicorn, one process, plus its query workers)")
    add(f"- **Peers**: Oxigraph {v['oxigraph'].removeprefix('oxigraph ')} (`serve-read-only`); Trifid {v['trifid']} "
        f"(trifid-core {v['trifid-core']}, @zazuko/trifid-entity-renderer {v['@zazuko/trifid-entity-renderer']}) on "
        f"Node.js {v['node']}, in front of its own Oxigraph; @ldf/server {v['@ldf/server']} "
        f"(@ldf/core {v['@ldf/core']}, @ldf/datasource-n3 {v['@ldf/datasource-n3']}, N3.js {v['n3']}); "
        f"nginx {v['nginx']} (Debian); {v['wrk']}")
    add(f"- **Data**: release {dd['version']}: {dd['triples']:,} triples in the default graph, {dd['entities']} "
        f"entity IRIs (every IRI under `{BASE}id/` that is a subject there), {dd['fragment_paths']} fragment "
        "requests in the mix. The peers get the release's `dataset.nt` (= kgpub's default graph)."
        + (f" Dumps also from a 100k-triple synthetic release ({dd['big_version']}: dataset.nt "
           f"{dd['big_nt_bytes'] / 1e6:.1f} MB, .gz {dd['big_gz_bytes'] / 1e6:.2f} MB)." if dd.get("big") else ""))
    add(f"- **Load**: every server runs at once (idle but for the one under load); {rounds} rounds; in each, for every "
        "workload, each peer in turn (the order rotates every round: A B, B A, …): a warm-up run, then the measured "
        f"wrk run (`--latency --timeout 30s`, [`ld_entities.lua`](ld_entities.lua)). Entity documents and fragments: "
        "`-t2 -c8`; dumps: `-t1 -c2`. Figures are medians over the rounds; ratios are kgpub's / the peer's, taken "
        "round by round (the two measured back to back), median (min–max).\n")

    def runs(workload: str, server: str) -> list[dict[str, Any]]:
        return [r for r in tp if r["workload"] == workload and r["server"] == server and r["tag"] == "run"]

    def paired(workload: str, a: str, b: str, what: str = "rps") -> list[float]:
        out = []
        for rnd in range(1, rounds + 1):
            x = [r[what] for r in runs(workload, a) if r["round"] == rnd]
            y = [r[what] for r in runs(workload, b) if r["round"] == rnd]
            if x and y and y[0]:
                out.append(x[0] / y[0])
        return out

    def ratio_txt(xs: list[float]) -> str:
        if not xs:
            return "–"
        return f"{med(xs):.2f}× ({min(xs):.2f}–{max(xs):.2f})"

    mem = {(m["server"], m["after"]): m for m in res["memory"]}
    workloads_seen = list(dict.fromkeys(r["workload"] for r in tp))

    # ---- targets
    add("## Targets\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    for wl in ("entities-turtle", "entities-jsonld"):
        xs = paired(wl, "kgpub", "oxigraph")
        if xs:
            k, o = med([r["rps"] for r in runs(wl, "kgpub")]), med([r["rps"] for r in runs(wl, "oxigraph")])
            add(f"| {wl}: kgpub ≥ 0.5× Oxigraph `DESCRIBE` throughput | {k:,.0f} vs {o:,.0f} req/s; paired ratio "
                f"{ratio_txt(xs)} | {verdict(med(xs) >= 0.5)} |")
    km, tm, om = mem.get(("kgpub", "load")), mem.get(("trifid", "load")), mem.get(("oxigraph-trifid", "load"))
    if km and tm and om:
        peer_rss, peer_pss = tm["rss_mb"] + om["rss_mb"], tm["pss_mb"] + om["pss_mb"]
        add(f"| kgpub process tree after load < ½ of Trifid + Oxigraph (RSS) | {km['rss_mb']:.0f} MB vs ½ × "
            f"{peer_rss:.0f} MB = {peer_rss / 2:.0f} MB ({km['rss_mb'] / peer_rss:.2f}×) | "
            f"{verdict(km['rss_mb'] < peer_rss / 2)} |")
        add(f"| the same, PSS | {km['pss_mb']:.0f} MB vs ½ × {peer_pss:.0f} MB = {peer_pss / 2:.0f} MB "
            f"({km['pss_mb'] / peer_pss:.2f}×) | {verdict(km['pss_mb'] < peer_pss / 2)} |")
        add(f"| the same, against the 347 MB the issue measured for Trifid + Oxigraph | {km['rss_mb']:.0f} MB vs "
            f"173.5 MB | {verdict(km['rss_mb'] < 173.5)} |")
    xs = paired("fragments-turtle", "kgpub", "ldf-server")
    if xs:
        k, o = med([r["rps"] for r in runs("fragments-turtle", "kgpub")]), med(
            [r["rps"] for r in runs("fragments-turtle", "ldf-server")])
        add(f"| fragments: kgpub faster than @ldf/server | {k:,.0f} vs {o:,.0f} req/s; paired ratio {ratio_txt(xs)} | "
            f"{verdict(med(xs) > 1)} |")
    elif res.get("kgpub_fragments") not in (None, 200):
        add(f"| fragments: kgpub faster than @ldf/server | kgpub answered `/fragments` with HTTP "
            f"{res['kgpub_fragments']}: not measured | – |")
    for wl in workloads_seen:
        if not wl.startswith("dump"):
            continue
        a = "kgpub-100k" if "(100k)" in wl else "kgpub"
        xs = paired(wl, a, "nginx", "mb_s")
        if xs:
            k, o = med([r["mb_s"] for r in runs(wl, a)]), med([r["mb_s"] for r in runs(wl, "nginx")])
            add(f"| `{wl}`: kgpub within 2× of nginx (MB/s) | {k:,.0f} vs {o:,.0f} MB/s; paired ratio {ratio_txt(xs)}"
                f" | {verdict(med(xs) >= 0.5)} |")
    add("")

    # ---- throughput table
    add("## Throughput, latency and server CPU under load (wrk)\n")
    add("| workload | server | req/s, median (min–max) | MB/s | KB/answer | p50 ms | p99 ms | server CPU ms/request "
        "| server cores busy | other CPU (cores) | non-2xx / errors | kgpub / this peer (req/s, paired) |")
    add("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for wl in workloads_seen:
        keys = list(dict.fromkeys(r["server"] for r in tp if r["workload"] == wl))
        kg = next((k for k in keys if k.startswith("kgpub")), None)
        for key in keys:
            rr = runs(wl, key)
            rps = [r["rps"] for r in rr]
            cpu_detail = ""
            if len(rr[0]["cpu_ms_by_server"]) > 1:
                parts = {k: med([r["cpu_ms_by_server"][k] for r in rr]) for k in rr[0]["cpu_ms_by_server"]}
                cpu_detail = " (" + " + ".join(f"{k} {x:.2f}" for k, x in parts.items()) + ")"
            what = "mb_s" if wl.startswith("dump") else "rps"
            ratio = ratio_txt(paired(wl, kg, key, what)) if kg and key != kg else ""
            add(f"| {wl} | {label(key, wl)} | {med(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) | "
                f"{med([r['mb_s'] for r in rr]):,.1f} | {med([r['bytes_per_response'] for r in rr]) / 1e3:,.1f} | "
                f"{med([r['p50_us'] for r in rr]) / 1e3:.2f} | {med([r['p99_us'] for r in rr]) / 1e3:.2f} | "
                f"{med([r['cpu_ms'] for r in rr]):.3f}{cpu_detail} | {med([r['cpu_cores'] for r in rr]):.2f} | "
                f"{med([r['other_cpu_cores'] for r in rr]):.2f} | "
                f"{sum(r['non2xx'] for r in rr)} / {sum(r['errors'] for r in rr)} | {ratio} |")
    add("\nKB/answer: bytes wrk read per answer, headers included (kgpub's entity documents say more than a "
        "`DESCRIBE`: see *Same data?*). Server CPU: user + system time of the server's whole process tree during "
        "the measured run, from `/proc`, per answered request (Trifid: Trifid + its Oxigraph); *server cores busy* "
        "is the same per second. *Other CPU*: what the rest of the machine (other sessions, not the servers nor wrk) "
        "used during the run, in cores, from `/proc/stat`. For dumps the ratio is of MB/s. wrk itself runs on the "
        "same 2 cores.\n")

    # ---- per round
    add("Per round (req/s, in run order):\n")
    add("| workload | server | " + " | ".join(f"round {i}" for i in range(1, rounds + 1)) + " |")
    add("|---|---|" + "--:|" * rounds)
    for wl in workloads_seen:
        for key in dict.fromkeys(r["server"] for r in tp if r["workload"] == wl):
            by = {r["round"]: r["rps"] for r in runs(wl, key)}
            add(f"| {wl} | {label(key, wl)} | " + " | ".join(fmt_n(by.get(i, math.nan)) for i in range(1, rounds + 1))
                + " |")
    add("")

    # ---- one client
    if res["sequential"]:
        add("## One client, every entity in turn, on fresh servers\n")
        add("Mean latency per document over all entities: the first pass finds nothing cached anywhere "
            "(kgpub renders every document; it keeps rendered documents per release), the second repeats it. "
            "Python's http.client, one keep-alive connection.\n")
        add("| format | server | first pass ms | second pass ms | bytes per document |")
        add("|---|---|--:|--:|--:|")
        for s in res["sequential"]:
            add(f"| {s['accept']} | {label(s['server'])} | {s['pass1_ms']:.2f} | {s['pass2_ms']:.2f} | "
                f"{s['bytes_mean']:,.0f} |")
        add("")

    # ---- memory
    add("## Memory: each server's whole process tree\n")
    add("VmRSS and PSS summed over the server process and all its children, from `/proc`; MB = 10^6 bytes. "
        "*load*: after all the rounds above. kgpub: uvicorn + its query workers; Trifid: the Node.js process; "
        "@ldf/server: the cluster master + 1 worker; nginx: master + 1 worker.\n")
    add("| server | after | processes | RSS MB | PSS MB |")
    add("|---|---|--:|--:|--:|")
    for m in res["memory"]:
        add(f"| {m['server']} | {m['after']} | {m['processes']} | {m['rss_mb']:.0f} | {m['pss_mb']:.0f} |")
    if tm and om:
        add(f"| Trifid + its Oxigraph | load | {tm['processes'] + om['processes']} | "
            f"{tm['rss_mb'] + om['rss_mb']:.0f} | {tm['pss_mb'] + om['pss_mb']:.0f} |")
    add("")
    add("Start-up to the first answer (s): " + ", ".join(f"{k} {t:.2f}" for k, t in res["startup"].items()) + ".\n")

    # ---- same data
    add("## Same data?\n")
    for c in res["checks"]:
        if "accept" in c:
            parts = [f"{c['accept']}: {c['entities']} entities"]
            if "kgpub_contains_describe" in c:
                parts.append(f"kgpub's document contains Oxigraph's DESCRIBE for {c['kgpub_contains_describe']} of "
                             f"them ({c['kgpub_triples_mean']:.1f} triples per document on average against "
                             f"{c['oxigraph_triples_mean']:.1f}: kgpub adds the incoming triples, the labels of "
                             "everything mentioned and 4 triples about the document)")
            if "trifid_equals_describe" in c:
                parts.append(f"Trifid's equals Oxigraph's DESCRIBE for {c['trifid_equals_describe']} (with its "
                             "local origin read back as the base)")
            add("- " + "; ".join(parts) + ".")
        elif "fragments" in c:
            add(f"- Fragments (Turtle): the same `hydra:totalItems` from kgpub and @ldf/server for "
                f"{c['same_count']} of {c['fragments']} requests; the same data triples for "
                f"{c['same_subject_data']} of the "
                f"{c['subject_fragments']} subject fragments (blank nodes and skolem IRIs compared as one); answers "
                "of " + ", ".join(f"{k} {b / 1e3:.1f} KB" for k, b in c["bytes_mean"].items()) + " on average.")
        elif "dumps" in c:
            for x in c["dumps"]:
                add(f"- `{x['file']}` ({x['release']}, {x['bytes']:,} bytes): kgpub "
                    f"{'byte-identical' if x['kgpub_same'] else 'DIFFERENT'} ({x['kgpub_type']}), nginx "
                    f"{'byte-identical' if x['nginx_same'] else 'DIFFERENT'} ({x['nginx_type']}).")
    add("")
    if res.get("notes"):
        add("## Notes\n")
        add(res["notes"])
    return "\n".join(L) + "\n"


def trifid_config(*, port: int | str, endpoint: int | str, by: str, plugins: str = "") -> str:
    """Trifid 5's configuration: trifid-core and the entity renderer in front of the Oxigraph at ``endpoint``
    (``plugins``: more YAML plugin entries, indented by two spaces)."""
    return f"""\
# Trifid 5 (trifid-core + @zazuko/trifid-entity-renderer) in front of Oxigraph: written by {by}
server:
  logLevel: warn
  listener:
    host: 127.0.0.1
    port: {port}
globals:
  datasetBaseUrl: {BASE}
  endpoints:
    default:
      url: http://127.0.0.1:{endpoint}/query
plugins:
{plugins}  entity-renderer:
    module: "@zazuko/trifid-entity-renderer"
    config: {{}}
"""


def write_results(text: str, path: Path) -> None:
    """Replace this benchmark's part of RESULTS.md (between the markers), or append it as a new section."""
    write_section(text, path, start=RESULTS_START, end=RESULTS_END,
                  title="## Linked Data: entity documents, fragments, dumps, against Oxigraph, Trifid, @ldf/server "
                        "and nginx")


def write_section(text: str, path: Path, *, start: str, end: str, title: str) -> None:
    """Put a report between its ``start``/``end`` markers in RESULTS.md, or append it under ``title``.

    In RESULTS.md the report sits under a hand-written ``##`` section: its title line is dropped and
    its ``##`` headings become ``###``. What is outside the markers (the introduction above, notes
    below) is kept."""
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
        while lines and not lines[0].strip():
            lines = lines[1:]
    body = "\n".join(("#" + ln) if ln.startswith("## ") else ln for ln in lines).rstrip("\n")
    section = f"{start}\n{body}\n{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in old and end in old:
        head, rest = old.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + section + (("\n" + tail) if tail else "")
    else:
        new = old.rstrip("\n") + f"\n\n---\n\n{title}\n\n" + section
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--releases", default="/tmp/bench-rel", help="build a release here if it has none")
    ap.add_argument("--release", default=None, help="serve this release folder instead")
    ap.add_argument("--servers", default="kgpub,oxigraph,trifid,ldf-server,nginx")
    ap.add_argument("--workers", type=int, default=2, help="kgpub serve --workers (query workers)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=12, help="seconds per measured wrk run")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of warm-up before each measured run")
    ap.add_argument("--big-dump", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the dump downloads of a 100k-triple synthetic release")
    ap.add_argument("--memory-variants", action=argparse.BooleanOptionalAction, default=True,
                    help="afterwards, kgpub --workers 1: memory after the same entity and fragment load")
    ap.add_argument("--quick", action="store_true", help="a trial: 1 round, 3 s runs, 1 s warm-up")
    ap.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="'-': print only")
    ap.add_argument("--notes", default=None, help="a Markdown file appended to the report as Notes")
    ap.add_argument("--report-only", metavar="JSON", default=None, help="run nothing: report a raw results file")
    run_cli(ap.parse_args(), tools=(PY, OXIGRAPH, WRK, NODE, TRIFID, LDF, NGINX),
            section="Linked Data benchmark, set-up", bench=bench, report=report, write=write_results, out=OUT,
            report_name="ld-results.md")


def run_cli(args: argparse.Namespace, *, tools: tuple[Path | str, ...], section: str, bench: Any, report: Any,
            write: Any, out: Path, report_name: str) -> None:
    """What every benchmark command does with its parsed arguments: check the tools, run (keeping what a
    failed run measured), write the raw JSON, the report and its section of RESULTS.md."""
    if args.report_only:
        res = json.loads(Path(args.report_only).read_text())
        stamp = None
    else:
        if args.quick:
            args.rounds, args.duration, args.warmup = 1, 3, 1
        for exe in tools:
            if not Path(exe).exists():
                raise SystemExit(f"missing {exe}: see bench/README.md ({section})")
        res = {}
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        try:
            bench(args, res)
        except BaseException:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"partial-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
            log(f"the run failed; what it measured is in {out / f'partial-{stamp}.json'}")
            raise
        (out / f"results-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
    if args.notes:
        res["notes"] = Path(args.notes).read_text(encoding="utf-8")
    text = report(res)
    print(text)
    (out / report_name).write_text(text, encoding="utf-8")
    if args.results != "-":
        write(text, Path(args.results))
        log(f"wrote {args.results}" + (f" and {out / f'results-{stamp}.json'}" if stamp else ""))


if __name__ == "__main__":
    main()
