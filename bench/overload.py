#!/usr/bin/env python3
"""Overload benchmark: kgpub's SPARQL endpoint under hostile load, next to Oxigraph's, in one run.

Three parts, each on a fresh server (kgpub ``serve --release R``, then ``oxigraph serve-read-only``
over the release's ``dataset.nt``, both with the same time limit), clients on their own loopback
addresses, each role in its own process:

- **flood**: client A (127.0.0.2) keeps 64 heavy queries (``SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c .
  ?d ?e ?f . ?g ?h ?i }``) in flight while client B (127.0.0.3) sends simple queries one after another:
  B's p50/p99/max and failures (and B alone before, as the baseline); A's answers by status, how fast
  its refusals came back and whether they carried ``Retry-After``;
- **storm**: 30 POSTs of a 40 kB ``ASK { BIND(1 AS ?a) FILTER(?a&&?a&&…) }`` whose clients hang up after
  0.3 s: worker restarts (``/healthz``, ``/metrics``) and B's latency meanwhile;
- **crowd**: 32 clients (127.0.1.x) with moderate queries, more than there are workers: time to be
  answered or refused, the most in flight at once.

    .venv/bin/python bench/overload.py                       # everything, about 4 minutes
    .venv/bin/python bench/overload.py --short --results -   # a trial (5 s windows, 6 hang-ups), print only

Writes its section of ``bench/RESULTS.md`` (between the ``overload-bench`` markers) and
``bench/out/overload/`` (raw JSON, the report, server logs). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from clients import (  # noqa: E402
    FLOODER,
    HEAVY,
    KGPUB,
    MODERATE,
    OXIGRAPH,
    PROBE,
    VICTIM,
    Endpoint,
    Hit,
    Roles,
    Watcher,
    addresses,
    client,
    filter_bomb,
    fmt_ms,
    fmt_outcomes,
    latency,
    log_offset,
    outcome,
    prepare,
    refusals,
    server_durations,
    server_view,
    serving,
)
from ld_bench import release_path, run_cli, versions, write_section  # noqa: E402
from sparql_bench import log, tree_memory  # noqa: E402

OUT = BENCH / "out" / "overload"  # git-ignored
RESULTS_START, RESULTS_END = "<!-- overload-bench: start -->", "<!-- overload-bench: end -->"
PARTS = ("flood", "storm", "crowd")
SERVERS = ("kgpub", "oxigraph")


def hits(result: dict[str, Any]) -> list[Hit]:
    return [Hit(*h) for h in result["hits"]]


async def stop_watching(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---------------------------------------------------------------------------------------------
# The three parts (each on a fresh server)
# ---------------------------------------------------------------------------------------------

async def flood_part(ep: Endpoint, args: argparse.Namespace, roles: Roles) -> dict[str, Any]:
    w = Watcher(ep, every=0.25) if ep.name == "kgpub" else None
    t = time.time() + 0.5
    base = await roles.start("simple_loop", ep, local=VICTIM, start_at=t, stop_at=t + args.baseline, tag="base",
                             timeout=args.client_timeout)
    before = await w.once() if w else {}
    t = time.time() + 0.5
    stop = t + args.flood_window
    fa = roles.start("flood", ep, local=FLOODER, start_at=t, stop_at=stop, concurrency=args.flood_clients,
                     pause=args.flood_pause, timeout=args.timeout + 30, grace=args.timeout + 5,
                     raw=args.flood_client == "raw")
    fb = roles.start("simple_loop", ep, local=VICTIM, start_at=t + 0.5, stop_at=stop, tag="flood",
                     timeout=args.client_timeout)  # B comes once A's burst is in
    watch = asyncio.create_task(w.run(stop + 2 * args.timeout + 30)) if w else None
    a, b = await asyncio.gather(fa, fb)
    await stop_watching(watch)
    after = await w.settle(limit=args.timeout + 20) if w else {}
    ah = hits(a)
    return {"window_s": args.flood_window, "baseline": latency(hits(base)), "victim": latency(hits(b)),
            "flood": {"attempts": a["sent"], "outcomes": dict(Counter(outcome(h) for h in ah).most_common()),
                      "refusals": refusals(ah), "max_outstanding": a["max_outstanding"],
                      "unanswered": a["unanswered"], "longest_s": max((h.seconds for h in ah), default=None),
                      "clients": args.flood_clients},
            "client_cpu": {"A": a.get("client_cpu_share"), "B": b.get("client_cpu_share")},
            "server_view": server_view(before, w.samples, after) if w else {}}


async def bomb_alone(ep: Endpoint, query: str, timeout: float) -> dict[str, Any]:
    """One filter query run to its end with nobody else asking: how long it holds a worker."""
    async with client(PROBE, 1) as c:
        t0 = time.perf_counter()
        try:
            r = await c.post(ep.base + ep.query_path, content=query.encode(), timeout=timeout,
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"})
            return {"seconds": time.perf_counter() - t0, "status": r.status_code, "body": r.text[:120]}
        except Exception as e:  # a broken answer is a finding, not a crash of the benchmark
            return {"seconds": time.perf_counter() - t0, "status": 0, "body": f"{type(e).__name__}: {e}"}


async def storm_part(ep: Endpoint, args: argparse.Namespace, roles: Roles) -> dict[str, Any]:
    w = Watcher(ep, every=0.25) if ep.name == "kgpub" else None
    query = filter_bomb(args.storm_terms)
    alone = await bomb_alone(ep, query + "\n# alone", args.timeout + 30) if args.bomb_check else None
    if w:
        await w.settle(limit=args.timeout + 20)
    before = await w.once() if w else {}
    t = time.time() + 0.5
    length = args.storm * args.storm_spacing + args.hang_up
    fs = roles.start("storm", ep, local=FLOODER, start_at=t, count=args.storm, spacing=args.storm_spacing,
                     hang_up_after=args.hang_up, query=query)
    fb = roles.start("simple_loop", ep, local=VICTIM, start_at=t, stop_at=t + length + args.settle, tag="storm",
                     timeout=args.client_timeout)
    watch = asyncio.create_task(w.run(t + length + args.settle + args.client_timeout + 5)) if w else None
    s, b = await asyncio.gather(fs, fb)
    await stop_watching(watch)
    t_settle = time.time()
    after = await w.settle(limit=args.timeout + 30) if w else {}
    return {"bomb_alone": alone, "bytes": s["bytes"], "sent": len(s["queries"]),
            "outcomes": dict(Counter(q["outcome"] for q in s["queries"]).most_common()),
            "victim": latency(hits(b)), "window_s": length + args.settle,
            "settle_s": time.time() - t_settle if w else None,
            "server_view": server_view(before, w.samples, after) if w else {}}


async def moderate_alone(ep: Endpoint, runs: int = 3) -> float:
    async with client(PROBE, 1) as c:
        times = []
        for i in range(runs):
            t0 = time.perf_counter()
            r = await c.get(ep.query_url(MODERATE + f"\n# alone-{i}"), timeout=60,
                            headers={"Accept": "application/sparql-results+json"})
            times.append(time.perf_counter() - t0)
            if r.status_code != 200:
                log(f"{ep.name}: the moderate query alone answered {r.status_code}: {r.text[:200]}")
        return 1e3 * statistics.median(times)


async def crowd_part(ep: Endpoint, args: argparse.Namespace, roles: Roles) -> dict[str, Any]:
    w = Watcher(ep, every=0.25) if ep.name == "kgpub" else None
    alone_ms = await moderate_alone(ep)
    before = await w.once() if w else {}
    t = time.time() + 0.5
    stop = t + args.crowd_window
    fc = roles.start("crowd", ep, locals_=addresses(1, args.crowd), start_at=t, stop_at=stop,
                     timeout=args.timeout + 30)
    watch = asyncio.create_task(w.run(stop + args.timeout + 40)) if w else None
    c = await fc
    await stop_watching(watch)
    after = await w.settle(limit=args.timeout + 20) if w else {}
    ch = hits(c)
    answered = [h for h in ch if h.status == 200 and not h.code]
    per_client = Counter(h.kind for h in answered)
    counts = [per_client.get(f"client-{i}", 0) for i in range(args.crowd)]
    return {"clients": args.crowd, "window_s": args.crowd_window, "moderate_alone_ms": alone_ms,
            "answered": latency(answered), "refusals": refusals(ch),
            "outcomes": dict(Counter(outcome(h) for h in ch).most_common()),
            "answered_per_s": len(answered) / args.crowd_window, "per_client_min": min(counts, default=0),
            "per_client_max": max(counts, default=0), "max_outstanding": c["max_outstanding"],
            "longest_s": max((h.seconds for h in ch), default=None),
            "client_cpu": {"crowd": c.get("client_cpu_share")},
            "server_view": server_view(before, w.samples, after) if w else {}}


PART_FUNCS = {"flood": flood_part, "storm": storm_part, "crowd": crowd_part}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def kgpub_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.startswith("KGPUB_"):
            raise SystemExit(f"--kgpub-env {p!r}: expected KGPUB_NAME=VALUE")
        env[key] = value
    return env


def bench(args: argparse.Namespace, res: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    res["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    res["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    release = Path(args.release).resolve() if args.release else release_path(Path(args.releases))
    servers = [s for s in args.servers.split(",") if s]
    parts = [p for p in args.parts.split(",") if p]
    for name in servers:
        if name not in SERVERS:
            raise SystemExit(f"--servers: unknown {name!r} (known: {', '.join(SERVERS)})")
    for p in parts:
        if p not in PARTS:
            raise SystemExit(f"--parts: unknown {p!r} (known: {', '.join(PARTS)})")
    d = prepare(release, OUT, oxigraph="oxigraph" in servers)
    env = kgpub_env(args.kgpub_env)
    res["data"] = {"release": str(release), "version": d.version, "triples": d.triples}
    res["versions"] = versions()
    res["settings"] = {k: v for k, v in vars(args).items() if k not in ("results", "notes", "report_only")}
    res["settings"]["kgpub_env"] = env
    res["parts"] = []
    with Roles(4) as roles:
        roles.warm()
        for part in parts:
            for kind in servers:
                log(f"{part}: {kind}")
                kw: dict[str, Any] = {"workers": args.workers, "limit": args.timeout, "tag": f"-{part}"}
                if kind == "kgpub":
                    kw["env"] = env
                with serving(kind, d, OUT, **kw) as (srv, ep):
                    time.sleep(0.5)
                    t0, offset = time.time(), log_offset(srv.log_path)
                    r = asyncio.run(PART_FUNCS[part](ep, args, roles))
                    r.update(part=part, server=kind, t0=t0, t1=time.time(), memory=tree_memory(srv.pid),
                             exited=exited(srv))
                    if kind == "kgpub":
                        r["server_log"] = server_durations(srv.log_path, offset)
                res["parts"].append(r)
                log(summary_line(r))
    res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")


def exited(srv: Any) -> str | None:
    """None while the server runs; else its exit status and the last line of its log (a crash says why)."""
    code = srv.proc.poll() if srv.proc is not None else None
    if code is None:
        return None
    last = ""
    with contextlib.suppress(OSError):
        lines = [ln for ln in srv.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        last = lines[-1][:160] if lines else ""
    return f"exit status {code}" + (f": {last}" if last else "")


def summary_line(r: dict[str, Any]) -> str:
    v = r.get("victim") or r.get("answered") or {}
    sv = r.get("server_view", {})
    extra = f", restarts {sv.get('restarts')}" if sv else ""
    died = f"; the server EXITED ({r['exited']})" if r.get("exited") else ""
    return (f"{r['part']} {r['server']}{died}: B/answered p50 {fmt_ms(v.get('p50_ms'))} ms, "
            f"p99 {fmt_ms(v.get('p99_ms'))} ms, failed {v.get('failed')} of {v.get('requests')}{extra}")


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------

def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def quick_refusals(refs: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Refusals that did not first wait out the time limit: every 503/429 but ``query_timeout``."""
    rs = {k: v for k, v in refs.items() if not k.endswith("query_timeout")}
    if not rs:
        return None
    n = sum(v["n"] for v in rs.values())
    return {"n": n, "p99_ms": max(v["p99_ms"] for v in rs.values()), "max_ms": max(v["max_ms"] for v in rs.values()),
            "retry_after": sum(v["retry_after"] for v in rs.values()), "kinds": ", ".join(rs)}


def fmt_refusals(refs: dict[str, dict[str, Any]]) -> str:
    if not refs:
        return "none"
    return "; ".join(f"{k}: {v['n']}, p50 {fmt_ms(v['p50_ms'])} / p99 {fmt_ms(v['p99_ms'])} / max "
                     f"{fmt_ms(v['max_ms'])} ms, Retry-After on {v['retry_after']}"
                     + (f" ({', '.join(v['retry_after_values'])} s)" if v["retry_after_values"] else "")
                     for k, v in refs.items())


def fmt_view(sv: dict[str, Any]) -> str:
    if not sv:
        return "not reported"
    parts = [f"busy ≤ {sv['busy_max']}" if sv.get("busy_max") is not None else "",
             f"queued ≤ {sv['queued_max']:g}" if sv.get("queued_max") is not None else "queued: not reported",
             f"restarts {sv['restarts']:g}" if sv.get("restarts") is not None else "",
             f"rejected {sv['rejected']:g}" if sv.get("rejected") is not None else "",
             f"timeouts {sv['timeouts']:g}" if sv.get("timeouts") is not None else ""]
    if sv.get("metrics"):
        parts.append("/metrics: " + ", ".join(f"`{k}` +{v:g}" for k, v in sv["metrics"].items()))
    if sv.get("queue_depth_max") is not None:
        parts.append(f"`kgpub_query_queue_depth` ≤ {sv['queue_depth_max']:g}")
    if sv.get("settled") is False:
        parts.append("**pool not back to full and idle 20–30 s after the part**")
    return "; ".join(p for p in parts if p)


def cpu_share(part: dict[str, Any], role: str) -> str:
    x = part.get("client_cpu", {}).get(role)
    return "–" if x is None else f"{x:.0%}"


def lat_cells(v: dict[str, Any]) -> str:
    return (f"{v['requests']} | {fmt_ms(v['p50_ms'])} | {fmt_ms(v['p99_ms'])} | {fmt_ms(v['max_ms'])} | "
            f"{v['failed']}")


def report(res: dict[str, Any]) -> str:
    L: list[str] = []
    add = L.append
    v, s, d = res["versions"], res["settings"], res["data"]
    parts = res["parts"]

    def get(part: str, server: str) -> dict[str, Any] | None:
        return next((p for p in parts if p["part"] == part and p["server"] == server), None)

    add("# Overload: a flood, a hang-up storm, more clients than workers (kgpub vs Oxigraph)\n")
    add("Written by `bench/overload.py` (see [README.md](README.md), *Overload and soak*); raw figures in "
        "`bench/out/overload/`.\n")
    add(f"- **Date**: {res['started']} to {res['finished']} (UTC)")
    add(f"- **Machine**: {v['machine']}, Python {v['python']}; load average {' '.join(res['loadavg_start'])} at the "
        f"start, {' '.join(res['loadavg_end'])} at the end (a shared machine)")
    env = " ".join(f"{k}={x}" for k, x in s.get("kgpub_env", {}).items())
    add(f"- **kgpub**: git {v['git']} (+ {v['src_uncommitted_files']} uncommitted files under src/); "
        f"{v['kgpub_stack']}; `kgpub serve --release R --workers {s['workers']} --timeout {s['timeout']:g}`"
        + (f" with `{env}`" if env else ""))
    add(f"- **Oxigraph**: {v['oxigraph']} `serve-read-only --timeout-s {s['timeout']:g}` over the release's "
        "`dataset.nt` (= kgpub's default graph), loaded once into its own store")
    add(f"- **Data**: release {d['version']}, {d['triples']:,} triples in the default graph")
    add("- **Clients**: Python, httpx over asyncio (uvloop), each role in its own process, each client on its own "
        "loopback address (the server tells clients apart by peer address): A = 127.0.0.2, B = 127.0.0.3, the "
        "crowd 127.0.1.1…; every part on a fresh server; SPARQL by GET with `Accept: "
        "application/sparql-results+json`, every text unique (a `# n` comment), so no answer cache helps.\n")

    # ---- targets
    add("## Targets\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    f = get("flood", "kgpub")
    if f:
        b = f["victim"]
        add(f"| flood: B's simple queries keep p99 < 100 ms, none fails | p99 {fmt_ms(b['p99_ms'])} ms (max "
            f"{fmt_ms(b['max_ms'])} ms), {b['failed']} of {b['requests']} failed | "
            f"{verdict(b['p99_ms'] < 100 and b['failed'] == 0 and b['requests'] > 0)} |")
        q = quick_refusals(f["flood"]["refusals"])
        if q:
            ok = q["p99_ms"] < 100 and q["retry_after"] == q["n"]
            add(f"| flood: A's excess answered quickly with 503 and Retry-After | {q['n']} refused ({q['kinds']}), "
                f"p99 {fmt_ms(q['p99_ms'])} ms, Retry-After on {q['retry_after']} | {verdict(ok)} |")
        else:
            add(f"| flood: A's excess answered quickly with 503 and Retry-After | none refused at once: "
                f"{fmt_outcomes(f['flood']['outcomes'])} | **missed** |")
        longest = f["flood"]["longest_s"]
        if longest is not None:
            ok = longest <= s["timeout"] + 2 and f["flood"]["unanswered"] == 0
            add(f"| flood: never queued without bound (every answer within the {s['timeout']:g} s limit + 2 s) | "
                f"longest {longest:.2f} s; {f['flood']['unanswered']} unanswered at the end; "
                f"{fmt_view(f['server_view'])} | {verdict(ok)} |")
    st = get("storm", "kgpub")
    if st:
        b, sv = st["victim"], st["server_view"]
        add(f"| storm: B's simple queries keep p99 < 100 ms, none fails | p99 {fmt_ms(b['p99_ms'])} ms, {b['failed']} "
            f"of {b['requests']} failed | {verdict(b['p99_ms'] < 100 and b['failed'] == 0 and b['requests'] > 0)} |")
        add(f"| storm: worker restarts for {st['sent']} hung-up queries (Finding 1: one each) | "
            f"{sv.get('restarts', '–')} | – |")
    c = get("crowd", "kgpub")
    if c:
        q = quick_refusals(c["refusals"])
        a = c["answered"]
        add(f"| crowd ({c['clients']} clients, {s['workers']} workers): answered within the time limit | "
            f"{a['requests']} answered, p99 {fmt_ms(a['p99_ms'])} ms, max {fmt_ms(a['max_ms'])} ms | "
            f"{verdict(a['requests'] > 0 and a['max_ms'] <= 1e3 * s['timeout'])} |")
        if q:
            add(f"| crowd: the refused are refused quickly, with Retry-After | {q['n']} refused, p99 "
                f"{fmt_ms(q['p99_ms'])} ms, Retry-After on {q['retry_after']} | "
                f"{verdict(q['p99_ms'] < 100 and q['retry_after'] == q['n'])} |")
        else:
            add(f"| crowd: the refused are refused quickly, with Retry-After | nobody refused: "
                f"{fmt_outcomes(c['outcomes'])} | – |")
    add("")

    # ---- flood
    floods = [p for p in parts if p["part"] == "flood"]
    if floods:
        add("## Flood: client A keeps heavy queries in flight, client B asks simple ones\n")
        add(f"A keeps {s['flood_clients']} copies of `{HEAVY}` in flight for {s['flood_window']:g} s (each sent again "
            f"when the previous one is answered, {s['flood_pause']:g} s ± 50 % after a refusal; "
            f"{'each on a new connection' if s.get('flood_client', 'raw') == 'raw' else 'httpx, keep-alive'}; "
            f"unanswered {s['timeout']:g} "
            f"+ 5 s after the window: cancelled). B sends `ASK {{}}` and a small SELECT one after another, from 0.5 s "
            f"after A's burst to the end of the window; *alone*: the same for {s['baseline']:g} s before, with no "
            "flood. Latencies in ms, as the clients measured them; a failure is any answer but 200 (counted with the "
            "time it took). *Clients' CPU*: the share of one core each client process used: a client near 100 % "
            "measures its own queueing as much as the server's answers (see kgpub's own times below).\n")
        add("| server | B alone: requests | p50 | p99 | max | failed | B during the flood: requests | p50 | p99 "
            "| max | failed | A's answers | A's refusals | A in flight (most) | clients' CPU, A / B "
            "| the server says |")
        add("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|---|")
        for p in floods:
            fl = p["flood"]
            unanswered = f"; {fl['unanswered']} unanswered" if fl["unanswered"] else ""
            answers = fmt_outcomes(fl["outcomes"]) if fl["outcomes"] else "none answered"
            add(f"| {p['server']} | {lat_cells(p['baseline'])} | {lat_cells(p['victim'])} | "
                f"{fl['attempts']} sent: {answers}{unanswered} | {fmt_refusals(fl['refusals'])} | "
                f"{fl['max_outstanding']} | {cpu_share(p, 'A')} / {cpu_share(p, 'B')} | {fmt_view(p['server_view'])} |")
        add("")

    # ---- storm
    storms = [p for p in parts if p["part"] == "storm"]
    if storms:
        st0 = storms[0]
        add("## Hang-up storm: filter queries whose clients hang up\n")
        add(f"{st0['sent']} POSTs (`application/sparql-query`) of `ASK {{ BIND(1 AS ?a) FILTER(?a&&?a&&…) }}` with "
            f"{s['storm_terms']:,} terms ({st0['bytes'] / 1e3:.0f} kB), one every {s['storm_spacing']:g} s from "
            f"client A, each on its own connection, closed {s['hang_up']:g} s after sending unless the answer's status "
            f"line came first. B's simple queries from the first POST to {s['settle']:g} s after the last hang-up. "
            "*Alone*: one such query, nobody else asking, waited for. *Restarts*: growth of `/healthz`'s "
            "`backend.replaced` from before the storm to when the pool was back to full size and idle.\n")
        add("| server | one alone | the storm's queries | B: requests | p50 | p99 | max | failed | the server says "
            "| back to full and idle after |")
        add("|---|---|---|--:|--:|--:|--:|--:|---|--:|")
        for p in storms:
            al = p["bomb_alone"]
            alone = f"{al['seconds']:.2f} s, HTTP {al['status']}" if al else "–"
            settle = f"{p['settle_s']:.1f} s" if p.get("settle_s") is not None else "–"
            add(f"| {p['server']} | {alone} | {fmt_outcomes(p['outcomes'])} | {lat_cells(p['victim'])} | "
                f"{fmt_view(p['server_view'])} | {settle} |")
        add("")

    # ---- crowd
    crowds = [p for p in parts if p["part"] == "crowd"]
    if crowds:
        c0 = crowds[0]
        add("## More clients than workers\n")
        add(f"{c0['clients']} clients, each on its own address, each sending `{MODERATE}` (unique texts) one after "
            f"another for {c0['window_s']:g} s; a refused client waits what Retry-After says (at most 5 s). "
            f"*Alone*: the same query with nobody else asking (median of 3).\n")
        add("| server | alone ms | answered | p50 ms | p99 ms | max ms | answered/s | answers per client (min–max) "
            "| refused | other outcomes | in flight (most, client side) | the crowd's CPU | the server says |")
        add("|---|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|---|")
        for p in crowds:
            a = p["answered"]
            other = {k: n for k, n in p["outcomes"].items() if k != "200" and not k.startswith(("503", "429"))}
            add(f"| {p['server']} | {fmt_ms(p['moderate_alone_ms'])} | {a['requests']} | {fmt_ms(a['p50_ms'])} | "
                f"{fmt_ms(a['p99_ms'])} | {fmt_ms(a['max_ms'])} | {p['answered_per_s']:.1f} | "
                f"{p['per_client_min']}–{p['per_client_max']} | {fmt_refusals(p['refusals'])} | "
                f"{fmt_outcomes(other)} | {p['max_outstanding']} | {cpu_share(p, 'crowd')} | "
                f"{fmt_view(p['server_view'])} |")
        add("")

    # ---- the server's own durations
    logged = [p for p in parts if p.get("server_log")]
    if logged:
        add("## kgpub's own time per answer (its access log)\n")
        add("`duration_ms` of kgpub's access log (arrival of the request to its last byte, measured by the server), "
            "over the whole part (B's baseline included), by role (A, B, the crowd, *alone*: the query timed with "
            "nobody else asking, the watcher polling `/healthz` and `/metrics`) and outcome: what the clients "
            "measured, less their own queueing and the network stack. Requests still waiting when the server was "
            "stopped are not logged.\n")
        add("| part | who, status, error | answers | p50 ms | p99 ms | max ms |")
        add("|---|---|--:|--:|--:|--:|")
        for p in logged:
            for k, x in p["server_log"].items():
                add(f"| {p['part']} | {k} | {x['n']} | {fmt_ms(x['p50_ms'])} | {fmt_ms(x['p99_ms'])} | "
                    f"{fmt_ms(x['max_ms'])} |")
        add("")

    # ---- memory
    add("## Memory after each part\n")
    add("VmRSS and PSS summed over the server's process tree (kgpub: the server + its query workers), from `/proc`, "
        "at the end of each part; MB = 10^6 bytes.\n")
    add("| part | server | processes | RSS MB | PSS MB |")
    add("|---|---|--:|--:|--:|")
    for p in parts:
        m = p["memory"]
        if p.get("exited"):
            add(f"| {p['part']} | {p['server']} | exited | – | – |")
        else:
            add(f"| {p['part']} | {p['server']} | {m['processes']} | {m['rss_mb']:.0f} | {m['pss_mb']:.0f} |")
    add("")
    died = [p for p in parts if p.get("exited")]
    if died:
        add("## Servers that exited during a part\n")
        for p in died:
            add(f"- {p['server']}, {p['part']}: {p['exited']}")
        add("")
    if res.get("notes"):
        add("## Notes\n")
        add(res["notes"])
    return "\n".join(L) + "\n"


def write_results(text: str, path: Path) -> None:
    write_section(text, path, start=RESULTS_START, end=RESULTS_END,
                  title="## Overload (issue 11): a flood, a hang-up storm, more clients than workers, against Oxigraph")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--releases", default="/tmp/bench-rel", help="build a release here if it has none")
    ap.add_argument("--release", default=None, help="serve this release folder instead")
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--parts", default=",".join(PARTS))
    ap.add_argument("--workers", type=int, default=2, help="kgpub serve --workers")
    ap.add_argument("--timeout", type=float, default=10, help="time limit per query: kgpub --timeout, Oxigraph "
                    "--timeout-s")
    ap.add_argument("--kgpub-env", action="append", default=[], metavar="KGPUB_NAME=VALUE",
                    help="a setting for kgpub serve (e.g. KGPUB_QUEUE_LIMIT=16); repeatable")
    ap.add_argument("--client-timeout", type=float, default=30, help="B's per-request timeout, seconds")
    ap.add_argument("--baseline", type=float, default=5, help="seconds of B alone before the flood")
    ap.add_argument("--flood-window", type=float, default=20)
    ap.add_argument("--flood-clients", type=int, default=64, help="heavy queries A keeps in flight")
    ap.add_argument("--flood-pause", type=float, default=0.1, help="seconds A waits after a refusal (± 50 %%)")
    ap.add_argument("--flood-client", choices=("raw", "httpx"), default="raw",
                    help="A's requests: each on a new connection, no HTTP library (raw), or httpx with keep-alive")
    ap.add_argument("--storm", type=int, default=30, help="filter queries whose clients hang up")
    ap.add_argument("--storm-terms", type=int, default=10_000)
    ap.add_argument("--storm-spacing", type=float, default=0.3, help="seconds between two of them (0: all at once)")
    ap.add_argument("--hang-up", type=float, default=0.3, help="seconds after sending that a client hangs up")
    ap.add_argument("--settle", type=float, default=10, help="B goes on this long after the last hang-up")
    ap.add_argument("--bomb-check", action=argparse.BooleanOptionalAction, default=True,
                    help="first time one filter query alone")
    ap.add_argument("--crowd", type=int, default=32, help="clients in the crowd")
    ap.add_argument("--crowd-window", type=float, default=20)
    ap.add_argument("--short", action="store_true", help="a trial: 2 s baseline, 5 s windows, 6 hang-ups, 5 s settle")
    ap.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="'-': print only")
    ap.add_argument("--notes", default=None, help="a Markdown file appended to the report as Notes")
    ap.add_argument("--report-only", metavar="JSON", default=None, help="run nothing: report a raw results file")
    args = ap.parse_args()
    if args.short:
        args.baseline, args.flood_window, args.storm, args.settle, args.crowd_window = 2, 5, 6, 5, 5
    args.quick = False  # run_cli's own shortening is for wrk runs
    OUT.mkdir(parents=True, exist_ok=True)
    run_cli(args, tools=(KGPUB, OXIGRAPH), section="Overload and soak", bench=bench, report=report,
            write=write_results, out=OUT, report_name="overload-results.md")


if __name__ == "__main__":
    main()
