#!/usr/bin/env python3
"""Page benchmark: kgpub's HTML entity pages next to Trifid's and Oxigraph's own DESCRIBE, and page weight.

One command builds a fresh release of this working tree, starts every server, checks that they
answer every entity, warms up, runs wrk against each in turn (peers interleaved, round after round:
A B C, B C A, ...), measures the servers' CPU from /proc and the memory of each server's whole
process tree, loads the home page and an entity page in headless Chromium to weigh them, and writes
a Markdown report (``bench/out/pages/pages-results.md``, and its section of ``bench/RESULTS.md``):

    .venv/bin/python bench/pages_bench.py                      # everything, about 5 minutes
    .venv/bin/python bench/pages_bench.py --quick --results -  # a short trial (3 s runs, 1 round), print only

- throughput: every entity IRI in turn with a browser's ``Accept`` and ``Accept-Language: en``:
  kgpub ``GET /id/...`` (its HTML page), Trifid 5 (``@zazuko/trifid-entity-renderer``'s HTML) in
  front of an Oxigraph server, and that Oxigraph's own ``DESCRIBE <iri>`` (Turtle) as the reference;
- page weight: what Chromium fetches to show ``/`` and ``/id/country/KR`` from kgpub and from
  Trifid (every subresource, bytes as sent and uncompressed, scripts);
- memory: RSS and PSS of each server's process tree after start-up and after the load.

Reuses ld_bench.py's servers, HTTP client, data preparation and /proc readings (the same
machinery, its output folder switched to ``bench/out/pages``). Everything binds 127.0.0.1 on a
free port, in its own process group, and is killed at the end (also on errors). Chromium may
fetch nothing but 127.0.0.1: any other request is aborted and counted. See ``bench/README.md``
(Page benchmark).
"""

from __future__ import annotations

import argparse
import html
import math
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
import ld_bench as ld  # noqa: E402  (servers, client, data, versions)
from sparql_bench import free_port, log, tree_memory  # noqa: E402  (the same /proc readings)

OUT = BENCH / "out" / "pages"  # git-ignored (bench/out/): stores, configs, logs, raw JSON
ld.OUT = OUT  # ld_bench's stores and logs go here too
PY, OXIGRAPH, NODE, TRIFID, NODE_DIR, WRK = ld.PY, ld.OXIGRAPH, ld.NODE, ld.TRIFID, ld.NODE_DIR, ld.WRK
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LUA = BENCH / "ld_entities.lua"
BASE = ld.BASE
KR = BASE + "id/country/KR"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LANGUAGE = "en"
TURTLE = "text/turtle"
BROWSER_ENCODING = "gzip, deflate, br, zstd"  # what Chromium sends
WELCOME = NODE_DIR / "node_modules" / "trifid" / "instances" / "docker-sparql" / "welcome.hbs"
LABELS = ["http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
          "http://schema.org/name"]
RESULTS_START, RESULTS_END = "<!-- pages-bench: start -->", "<!-- pages-bench: end -->"
TARGET_DESCRIBE, TARGET_TRIFID, TARGET_WEIGHT = 0.25, 100.0, 50_000


def run(argv: list[Any], *, timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=True, text=True, capture_output=True, timeout=timeout, **kw)


# ---------------------------------------------------------------------------------------------
# Data: a fresh release, its entities and their labels
# ---------------------------------------------------------------------------------------------

def fresh_release(releases: Path) -> Path:
    """Build a release of this working tree into an empty ``releases`` (the code changes: never reuse one)."""
    shutil.rmtree(releases, ignore_errors=True)
    log(f"building a release of {ROOT} into {releases} (kgpub build)")
    run([PY, "-m", "kgpub", "build", "--project", ROOT, "--releases", releases], cwd=ROOT, timeout=1800)
    return (releases / "current").resolve()


def entity_labels(release: Path, entities: list[str]) -> dict[str, str]:
    """One label per entity that a page about it must show: English or untagged, rdfs:label first."""
    from pyoxigraph import Literal, NamedNode, Store

    store = Store.read_only(str(release / "store"))
    out = {}
    for iri in entities:
        found: list[tuple[int, int, str]] = []
        for rank, p in enumerate(LABELS):
            for q in store.quads_for_pattern(NamedNode(iri), NamedNode(p), None, None):
                if isinstance(q.object, Literal) and q.object.language in (None, "en"):
                    found.append((q.object.language is None, rank, q.object.value))
        if found:
            out[iri] = min(found)[2]
    del store
    return out


# ---------------------------------------------------------------------------------------------
# Servers: kgpub; Oxigraph for DESCRIBE; Trifid (welcome page + entity renderer) and its Oxigraph
# ---------------------------------------------------------------------------------------------

def make_servers(d: ld.Data, workers: int) -> dict[str, ld.Server]:
    ports = {k: free_port() for k in ("kgpub", "oxigraph", "oxigraph-trifid", "trifid")}
    s: dict[str, ld.Server] = {}

    def add(key: str, argv: list[Any], probe: str, **kw: Any) -> None:
        srv = ld.Server(key, [str(a) for a in argv], probe, **kw)
        srv.port = ports[key]
        s[key] = srv

    add("kgpub", [PY, "-m", "kgpub", "serve", "--release", d.release, "--host", "127.0.0.1",
                  "--port", ports["kgpub"], "--workers", workers], "/id/country/KR.ttl", cwd=ROOT)
    probe = "/query?query=" + quote(f"ASK {{ <{KR}> ?p ?o }}", safe="")
    for key, store in (("oxigraph", "describe"), ("oxigraph-trifid", "trifid")):
        add(key, [OXIGRAPH, "serve-read-only", "--location", d.stores[store], "--bind", f"127.0.0.1:{ports[key]}"],
            probe, cwd=OUT)
    conf = OUT / "trifid.yaml"
    welcome = f"""  welcome:
    module: trifid-core/plugins/view.js
    paths: /
    methods: GET
    config:
      path: file:{WELCOME}
"""  # the welcome page of trifid's docker-sparql instance at /
    conf.write_text(ld.trifid_config(port=ports["trifid"], endpoint=ports["oxigraph-trifid"], by="bench/pages_bench.py",
                                     plugins=welcome))
    add("trifid", [NODE, TRIFID, "-c", conf], "/id/country/KR", cwd=NODE_DIR, env={"NODE_ENV": "production"})
    return s


def headers_for(key: str, *, compressed: bool = False) -> dict[str, str]:
    h = {"Accept": TURTLE if key == "oxigraph" else BROWSER_ACCEPT, "Accept-Language": LANGUAGE}
    return h | ({"Accept-Encoding": BROWSER_ENCODING} if compressed else {})


def fetch(port: int, path: str, headers: dict[str, str], conn: Any = None) -> tuple[int, bytes, dict[str, str]]:
    import http.client

    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        if conn is None:
            c.close()


def page_text(body: bytes) -> str:
    """The text of an HTML page, tags dropped and entities decoded, spaces collapsed."""
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", body.decode("utf-8", "replace"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def sequential(servers: dict[str, ld.Server], d: ld.Data, labels: dict[str, str], res: dict[str, Any]) -> None:
    """On fresh servers, one client: every entity once (first pass: nothing rendered yet), then again.
    Checks the answers: status, media type, and that each HTML page shows the entity's label."""
    import http.client

    for key in ("kgpub", "trifid", "oxigraph"):
        srv = servers[key]
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        passes, sizes, bad, types, shows = [], [], [], set(), 0
        try:
            for n in range(2):
                lat = []
                for iri in d.entities:
                    t0 = time.perf_counter()
                    status, body, h = fetch(srv.port, ld.entity_path(srv, iri), headers_for(key), conn)
                    lat.append(time.perf_counter() - t0)
                    if n:
                        continue
                    sizes.append(len(body))
                    types.add(h.get("content-type", "").split(";")[0])
                    if status != 200:
                        bad.append(f"{iri} HTTP {status}")
                    elif key != "oxigraph" and iri in labels and " ".join(labels[iri].split()) in page_text(body):
                        shows += 1
                passes.append(1e3 * statistics.fmean(lat))
        finally:
            conn.close()
        res["sequential"].append({"server": key, "pass1_ms": passes[0], "pass2_ms": passes[1],
                                  "bytes_mean": statistics.fmean(sizes), "types": sorted(types),
                                  "not_200": bad, "shows_label": shows, "with_label": len(labels)})
        if bad:
            log(f"{key}: {len(bad)} entities not answered 200, e.g. {bad[0]}")


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

@dataclass
class Peer:
    name: str  # in the results: the server, "-gz" if it asks for compressed answers
    key: str  # the server wrk talks to
    cpu_keys: tuple[str, ...]  # the servers whose CPU counts (Trifid: Trifid + its Oxigraph)
    mode: str  # ld_entities.lua: path or describe
    arg: str
    compressed: bool = False  # send a browser's Accept-Encoding too


PEERS = [Peer("kgpub", "kgpub", ("kgpub",), "path", BASE),
         Peer("oxigraph", "oxigraph", ("oxigraph",), "describe", "/query"),
         Peer("trifid", "trifid", ("trifid", "oxigraph-trifid"), "path", BASE),
         Peer("kgpub-gz", "kgpub", ("kgpub",), "path", BASE, compressed=True),
         Peer("trifid-gz", "trifid", ("trifid", "oxigraph-trifid"), "path", BASE, compressed=True)]


def wrk(servers: dict[str, ld.Server], p: Peer, entities: Path, seconds: float, args: argparse.Namespace,
        latency: bool) -> dict[str, Any]:
    srv = servers[p.key]
    argv = [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    argv += ["--latency"] if latency else []
    argv += ["-s", LUA, f"http://127.0.0.1:{srv.port}", "--", entities, p.mode, p.arg]
    headers = headers_for(p.key, compressed=p.compressed)
    argv += [headers.pop("Accept", "-"), *(f"{k}: {v}" for k, v in headers.items())]
    r = ld.measured(argv, servers, p.cpu_keys, seconds)
    r["server"] = p.name
    return r


def load(servers: dict[str, ld.Server], entities: Path, args: argparse.Namespace, res: dict[str, Any]) -> None:
    for rnd in range(args.rounds):
        order = PEERS[rnd % len(PEERS):] + PEERS[:rnd % len(PEERS)]
        for p in order:
            log(f"round {rnd + 1}/{args.rounds}: {p.name}")
            wrk(servers, p, entities, args.warmup, args, latency=False)
            r = wrk(servers, p, entities, args.duration, args, latency=True)
            r["round"] = rnd + 1
            res["throughput"].append(r)


# ---------------------------------------------------------------------------------------------
# Page weight: headless Chromium
# ---------------------------------------------------------------------------------------------

def weigh(servers: dict[str, ld.Server], res: dict[str, Any]) -> None:
    """Every request Chromium makes to show each page (fresh profile each, so nothing is cached)."""
    from playwright.sync_api import sync_playwright

    pages = [("kgpub", "/"), ("kgpub", "/id/country/KR"), ("trifid", "/"), ("trifid", "/id/country/KR")]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        res["versions"]["chromium"] = f"Chromium {browser.version}"
        try:
            for key, path in pages:
                res["weight"].append(weigh_one(browser, servers[key].port, key, path))
        finally:
            browser.close()


def weigh_one(browser: Any, port: int, key: str, path: str) -> dict[str, Any]:
    origin = f"http://127.0.0.1:{port}"
    ctx = browser.new_context(extra_http_headers={"Accept-Language": LANGUAGE}, locale="en-US")
    blocked: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc == f"127.0.0.1:{port}" or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    def measure(req: Any) -> dict[str, Any] | None:
        resp = req.response()
        if resp is None:
            return None
        sizes = req.sizes()
        try:
            body = len(resp.body())
        except Exception:  # a body Chromium no longer holds: count what was sent
            body = sizes["responseBodySize"]
        return {"url": req.url.removeprefix(origin), "type": req.resource_type, "status": resp.status,
                "encoding": resp.headers.get("content-encoding", ""),
                "sent": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                "sent_body": sizes["responseBodySize"], "body": body}

    try:
        ctx.route("**/*", route)
        page = ctx.new_page()
        done: list[Any] = []
        page.on("requestfinished", lambda req: done.append(req))
        failed: list[str] = []
        page.on("requestfailed", lambda req: failed.append(req.url))
        t0 = time.perf_counter()
        resp = page.goto(origin + path, wait_until="load", timeout=60_000)
        page.wait_for_load_state("networkidle", timeout=30_000)
        elapsed = time.perf_counter() - t0
        scripts = page.evaluate("""() => [...document.querySelectorAll('script')].filter(s => {
            const t = (s.type || '').trim().toLowerCase();
            return t === '' || t === 'module' || t.includes('javascript') || t.includes('ecmascript');
        }).length""")
        doc_type = resp.headers.get("content-type", "") if resp else ""
        rows = [r for r in map(measure, done) if r is not None]
        page.close()
    finally:
        ctx.close()
    return {"server": key, "path": path, "content_type": doc_type, "load_s": elapsed, "requests": len(rows),
            "sent": sum(r["sent"] for r in rows), "sent_body": sum(r["sent_body"] for r in rows),
            "body": sum(r["body"] for r in rows), "scripts_in_page": scripts,
            "script_requests": sum(r["type"] == "script" for r in rows),
            "script_bytes": sum(r["body"] for r in rows if r["type"] == "script"),
            "blocked": blocked, "failed": [u for u in failed if u not in blocked], "resources": rows}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def bench(args: argparse.Namespace, res: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    res["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    res["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    release = Path(args.release).resolve() if args.release else fresh_release(Path(args.releases))
    d = ld.prepare(release, big=False)
    labels = entity_labels(release, d.entities)
    entities = OUT / "entities.txt"
    entities.write_text("".join(e + "\n" for e in d.entities))
    res["data"] = {"release": str(d.release), "version": d.version, "triples": d.triples,
                   "entities": len(d.entities), "labelled": len(labels)}
    res["versions"] = ld.versions() | {"playwright": _py_version("playwright"), "chromium": "Chromium"}
    res["settings"] = {"threads": args.threads, "connections": args.connections, "duration": args.duration,
                       "warmup": args.warmup, "rounds": args.rounds, "workers": args.workers}
    res.update({"throughput": [], "sequential": [], "memory": [], "startup": {}, "weight": []})
    servers = make_servers(d, args.workers)
    with ld.running(servers):
        time.sleep(1)
        for key, srv in servers.items():
            res["startup"][key] = srv.startup_s
            res["memory"].append({"server": key, "after": "start-up", **tree_memory(srv.pid)})
        status, _, h = fetch(servers["kgpub"].port, "/id/country/KR", headers_for("kgpub"))
        res["kgpub_page"] = f"{status} {h.get('content-type', '')}"
        if status != 200 or not h.get("content-type", "").startswith("text/html"):
            raise RuntimeError(f"kgpub answers /id/country/KR for a browser with {res['kgpub_page']}, not an HTML page")
        log("one client, every entity twice (fresh servers), and the checks")
        sequential(servers, d, labels, res)
        load(servers, entities, args, res)
        time.sleep(1)
        for key, srv in servers.items():
            res["memory"].append({"server": key, "after": "load", **tree_memory(srv.pid)})
        log("page weight (headless Chromium)")
        weigh(servers, res)
    res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")


def _py_version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "n/a"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


LABEL = {"kgpub": "kgpub `/id/…` (HTML page)", "oxigraph": "Oxigraph `DESCRIBE` (Turtle, GET /query)",
         "trifid": "Trifid → Oxigraph (HTML page)", "oxigraph-trifid": "Oxigraph behind Trifid",
         "kgpub-gz": "kgpub `/id/…` (HTML page), compressed", "trifid-gz": "Trifid → Oxigraph (HTML page), compressed"}
ORDER = ["kgpub", "oxigraph", "trifid", "kgpub-gz", "trifid-gz"]
BASELINE = {"oxigraph": "kgpub", "trifid": "kgpub", "trifid-gz": "kgpub-gz"}  # the ratio column: kgpub's row


def report(res: dict[str, Any]) -> str:
    L: list[str] = []
    add = L.append
    v, dd, st = res["versions"], res["data"], res["settings"]
    tp = res["throughput"]
    rounds = max((r["round"] for r in tp), default=0)

    def runs(server: str) -> list[dict[str, Any]]:
        return [r for r in tp if r["server"] == server]

    def paired(a: str, b: str) -> list[float]:
        out = []
        for rnd in range(1, rounds + 1):
            x = [r["rps"] for r in runs(a) if r["round"] == rnd]
            y = [r["rps"] for r in runs(b) if r["round"] == rnd]
            if x and y and y[0]:
                out.append(x[0] / y[0])
        return out

    def ratio_txt(xs: list[float]) -> str:
        return f"{med(xs):,.2f}× ({min(xs):,.2f}–{max(xs):,.2f})" if xs else "–"

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    add("# Page benchmark: kgpub's HTML entity pages vs Trifid's, Oxigraph's DESCRIBE, and page weight\n")
    add("Written by `bench/pages_bench.py` (see [README.md](README.md), *Page benchmark*); raw figures in "
        "`bench/out/pages/`.\n")
    add(f"- **Date**: {res['started']} to {res['finished']} (UTC)")
    add(f"- **Machine**: {v['machine']}, Python {v['python']}; load average {' '.join(res['loadavg_start'])} at the "
        f"start, {' '.join(res['loadavg_end'])} at the end (shared: *other CPU* below is what the rest of the machine "
        "used during each run)")
    add(f"- **kgpub**: git {v['git']} (+ {v['src_uncommitted_files']} uncommitted files under src/ in the working "
        f"tree: the release was built from the working tree); {v['kgpub_stack']}; `kgpub serve --workers "
        f"{st['workers']}` (uvicorn, one HTTP process, plus its query workers)")
    add(f"- **Peers**: Oxigraph {v['oxigraph'].removeprefix('oxigraph ')} (`serve-read-only`); Trifid {v['trifid']} "
        f"(trifid-core {v['trifid-core']}, @zazuko/trifid-entity-renderer {v['@zazuko/trifid-entity-renderer']}, "
        f"default renderer settings) on Node.js {v['node']}, in front of its own Oxigraph; {v['wrk']}; "
        f"{v['chromium']} (headless) through Playwright {v['playwright']}")
    add(f"- **Data**: release {dd['version']}: {dd['triples']:,} triples in the default graph, {dd['entities']} "
        f"entity IRIs (every IRI under `{BASE}id/` that is a subject there). The Oxigraph servers hold the release's "
        "`dataset.nt` (= kgpub's default graph).")
    plural = "s" if rounds != 1 else ""
    add(f"- **Load**: all servers run at once (idle but for the one under load); {rounds} round{plural}, each peer "
        f"in turn (the order rotates every round), a {st['warmup']:g} s warm-up then a measured {st['duration']:g} s "
        f"`wrk -t{st['threads']} -c{st['connections']} --latency --timeout 30s` run with "
        "[`ld_entities.lua`](ld_entities.lua) cycling through every entity; headers "
        f"`Accept: {BROWSER_ACCEPT}` and `Accept-Language: {LANGUAGE}` (Oxigraph: `Accept: text/turtle`), no "
        "`Accept-Encoding` (answers uncompressed); the *compressed* rows add Chromium's "
        f"`Accept-Encoding: {BROWSER_ENCODING}`. Figures are medians over the rounds; ratios are kgpub's over "
        "the peer's, round by round (measured back to back), median (min–max).\n")

    # ---- targets
    k_rps, o_rps, t_rps = (med([r["rps"] for r in runs(k)]) for k in ("kgpub", "oxigraph", "trifid"))
    ko, kt = paired("kgpub", "oxigraph"), paired("kgpub", "trifid")
    add("## Targets\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    if ko:
        add(f"| kgpub pages ≥ ¼ of Oxigraph's `DESCRIBE` throughput | {k_rps:,.0f} vs {o_rps:,.0f} req/s; paired "
            f"ratio {ratio_txt(ko)} | {verdict(med(ko) >= TARGET_DESCRIBE)} |")
    if kt:
        add(f"| kgpub pages ≥ 100× Trifid's HTML pages | {k_rps:,.0f} vs {t_rps:,.1f} pages/s; paired ratio "
            f"{ratio_txt(kt)} | {verdict(med(kt) >= TARGET_TRIFID)} |")
    ktz = paired("kgpub-gz", "trifid-gz")
    if ktz:
        kz, tz = (med([r["rps"] for r in runs(k)]) for k in ("kgpub-gz", "trifid-gz"))
        add(f"| the same, compressed (both asked with a browser's `Accept-Encoding`) | {kz:,.0f} vs {tz:,.1f} pages/s; "
            f"paired ratio {ratio_txt(ktz)} | {verdict(med(ktz) >= TARGET_TRIFID)} |")
    for w in res["weight"]:
        if w["server"] == "kgpub" and w["path"].startswith("/id/"):
            add(f"| entity page (`{w['path']}`) under 50 kB in total | {w['sent'] / 1e3:.1f} kB as sent "
                f"(headers included), {w['body'] / 1e3:.1f} kB uncompressed, {w['requests']} requests | "
                f"{verdict(w['sent'] < TARGET_WEIGHT)} (as sent); {verdict(w['body'] < TARGET_WEIGHT)} "
                "(uncompressed) |")
            js = w["scripts_in_page"] + w["script_requests"]
            add(f"| … with no JavaScript | {w['script_requests']} script requests, {w['scripts_in_page']} executable "
                f"`<script>` elements (JSON data blocks not counted) | {verdict(js == 0)} |")
    add("")

    # ---- throughput
    add("## Throughput, latency and server CPU under load (wrk)\n")
    add("| server | req/s, median (min–max) | KB/answer | p50 ms | p99 ms | server CPU ms/request | server cores busy "
        "| other CPU (cores) | non-2xx / errors | kgpub / this peer (paired) |")
    add("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for key in ORDER:
        rr = runs(key)
        if not rr:
            continue
        rps = [r["rps"] for r in rr]
        parts = {k: med([r["cpu_ms_by_server"][k] for r in rr]) for k in rr[0]["cpu_ms_by_server"]}
        detail = (" (" + " + ".join(f"{k} {x:.2f}" for k, x in parts.items()) + ")") if len(parts) > 1 else ""
        ratio = ratio_txt(paired(BASELINE[key], key)) if key in BASELINE else ""
        add(f"| {LABEL[key]} | {med(rps):,.1f} ({min(rps):,.1f}–{max(rps):,.1f}) | "
            f"{med([r['bytes_per_response'] for r in rr]) / 1e3:,.1f} | {med([r['p50_us'] for r in rr]) / 1e3:,.2f} | "
            f"{med([r['p99_us'] for r in rr]) / 1e3:,.2f} | {med([r['cpu_ms'] for r in rr]):.3f}{detail} | "
            f"{med([r['cpu_cores'] for r in rr]):.2f} | {med([r['other_cpu_cores'] for r in rr]):.2f} | "
            f"{sum(r['non2xx'] for r in rr)} / {sum(r['errors'] for r in rr)} | {ratio} |")
    add("\nKB/answer: bytes wrk read per answer, headers included. Server CPU: user + system time of the server's "
        "whole process tree during the measured run, from `/proc`, per answer (Trifid: Trifid + its Oxigraph); "
        "*other CPU*: what the rest of the machine (not the servers, not wrk) used meanwhile, in cores. wrk runs on "
        "the same 2 cores.\n")
    add("Per round (req/s; the order of the peers rotates every round):\n")
    add("| server | " + " | ".join(f"round {i}" for i in range(1, rounds + 1)) + " |")
    add("|---|" + "--:|" * rounds)
    for key in ORDER:
        by = {r["round"]: r["rps"] for r in runs(key)}
        add(f"| {LABEL[key]} | " + " | ".join(f"{by[i]:,.1f}" if i in by else "–" for i in range(1, rounds + 1)) + " |")
    add("")

    # ---- one client
    add("## One client, every entity in turn, on fresh servers\n")
    add("Mean latency per answer over all entities, Python's http.client on one keep-alive connection, the same "
        "headers as under load. The first pass finds nothing rendered (kgpub renders each page once per release, "
        "path and language, then serves it from memory); the second repeats it. *Shows the label*: the page's text "
        "contains the entity's English (or untagged) `rdfs:label` / `skos:prefLabel` / `schema:name`.\n")
    add("| server | first pass ms | second pass ms | bytes per answer | media type | not 200 | shows the label |")
    add("|---|--:|--:|--:|---|--:|--:|")
    for s in res["sequential"]:
        shows = f"{s['shows_label']} of {s['with_label']}" if s["server"] != "oxigraph" else "–"
        add(f"| {LABEL[s['server']]} | {s['pass1_ms']:.2f} | {s['pass2_ms']:.2f} | {s['bytes_mean']:,.0f} | "
            f"{', '.join(s['types'])} | {len(s['not_200'])} | {shows} |")
    add("")

    # ---- weight
    add("## Page weight: what a browser fetches to show the page\n")
    add("Headless Chromium, a fresh profile per page (nothing cached), `Accept-Language: en`; the page loaded to "
        "`load` and then to network idle. Every finished request counted: the document and each subresource (CSS, "
        "JavaScript, fonts, images, the favicon if it asks for one). *As sent*: response headers + body as they "
        "came over the wire (compressed if the server compressed); *uncompressed*: the bodies decoded. Requests to "
        "anything but the server itself are aborted and listed. Trifid's `/` is the welcome page of "
        "Trifid's own `docker-sparql` instance (trifid-core's view plugin), its entity page the entity renderer's.\n")
    add("| server | page | requests | as sent kB (headers + body) | body as sent kB | uncompressed kB | script "
        "requests (kB) | executable `<script>` elements | blocked external requests |")
    add("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for w in res["weight"]:
        add(f"| {w['server']} | `{w['path']}` | {w['requests']} | {w['sent'] / 1e3:.1f} | {w['sent_body'] / 1e3:.1f} "
            f"| {w['body'] / 1e3:.1f} | {w['script_requests']} ({w['script_bytes'] / 1e3:.1f}) | "
            f"{w['scripts_in_page']} | {len(w['blocked'])} |")
    add("")
    for w in res["weight"]:
        add(f"<details><summary>{w['server']} <code>{w['path']}</code>: every request</summary>\n")
        add("| resource | type | status | encoding | as sent bytes | uncompressed bytes |")
        add("|---|---|--:|---|--:|--:|")
        for r in w["resources"]:
            url = r["url"] if len(r["url"]) <= 70 else r["url"][:67] + "…"
            add(f"| `{url}` | {r['type']} | {r['status']} | {r['encoding'] or '–'} | {r['sent']:,} | {r['body']:,} |")
        for u in w["blocked"]:
            add(f"| `{u}` | blocked (external) | – | – | – | – |")
        add("\n</details>\n")

    # ---- memory
    add("## Memory: each server's whole process tree\n")
    add("VmRSS and PSS summed over the server process and all its children, from `/proc`; MB = 10^6 bytes. "
        "*load*: after all the rounds above (kgpub then holds every entity page rendered). kgpub: uvicorn + its "
        "query workers; Trifid: the Node.js process (its Oxigraph listed apart).\n")
    add("| server | after | processes | RSS MB | PSS MB |")
    add("|---|---|--:|--:|--:|")
    mem = {(m["server"], m["after"]): m for m in res["memory"]}
    for m in res["memory"]:
        add(f"| {m['server']} | {m['after']} | {m['processes']} | {m['rss_mb']:.0f} | {m['pss_mb']:.0f} |")
    tm, om = mem.get(("trifid", "load")), mem.get(("oxigraph-trifid", "load"))
    if tm and om:
        add(f"| Trifid + its Oxigraph | load | {tm['processes'] + om['processes']} | {tm['rss_mb'] + om['rss_mb']:.0f} "
            f"| {tm['pss_mb'] + om['pss_mb']:.0f} |")
    add("")
    add("Start-up to the first answer (s): " + ", ".join(f"{k} {t:.2f}" for k, t in res["startup"].items()) + ".\n")
    if res.get("notes"):
        add("## Notes\n")
        add(res["notes"])
    return "\n".join(L) + "\n"


def write_results(text: str, path: Path) -> None:
    """Replace this benchmark's part of RESULTS.md (between its markers), or append it at the end."""
    ld.write_section(text, path, start=RESULTS_START, end=RESULTS_END,
                     title="## Entity pages (HTML) against Trifid and Oxigraph's DESCRIBE, and page weight")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--releases", default="/tmp/bench-pages-rel",
                    help="build a fresh release of the working tree here (emptied first)")
    ap.add_argument("--release", default=None, help="serve this release folder instead (no build)")
    ap.add_argument("--workers", type=int, default=2, help="kgpub serve --workers (query workers)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t")
    ap.add_argument("--connections", type=int, default=16, help="wrk -c")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=12, help="seconds per measured wrk run")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of warm-up before each measured run")
    ap.add_argument("--quick", action="store_true", help="a trial: 1 round, 3 s runs, 1 s warm-up")
    ap.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="'-': print only")
    ap.add_argument("--notes", default=None, help="a Markdown file appended to the report as Notes")
    ap.add_argument("--report-only", metavar="JSON", default=None, help="run nothing: report a raw results file")
    ld.run_cli(ap.parse_args(), tools=(PY, OXIGRAPH, WRK, NODE, TRIFID, CHROMIUM, WELCOME), section="Page benchmark",
               bench=bench, report=report, write=write_results, out=OUT, report_name="pages-results.md")


if __name__ == "__main__":
    main()
