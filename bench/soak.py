#!/usr/bin/env python3
"""Soak benchmark: kgpub under mixed load for minutes, with a runaway query every few seconds.

Several clients (default 6, each on its own loopback address, one request after another) mix small
SPARQL queries (half repeated texts, half unique through a ``# n`` comment), entity pages (``/id/…`` as
HTML and as Turtle) and the dumps (``/dump.nt``, ``/dump.nt.gz``); every 5 s one runaway query
(``SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }``, no ``timeout=``: it runs to the
server's limit) comes from a client of its own. Every 5 s the memory of the server's whole process tree
(RSS and PSS from ``/proc``) and ``/healthz`` (and ``/metrics``) are sampled. Per minute: requests,
throughput, p50/p99 of the small queries, errors by status (well-formed requests must have none; the
runaways' 503 ``query_timeout`` are counted apart), worker restarts, memory; at the end, whether memory
plateaued.

    .venv/bin/python bench/soak.py                          # 10 minutes
    .venv/bin/python bench/soak.py --minutes 1 --results -  # a trial, print only
    .venv/bin/python bench/soak.py --with-overload          # with overload.py's flood in parallel

Writes its section of ``bench/RESULTS.md`` (between the ``soak-bench`` markers) and ``bench/out/soak/``
(raw JSON, the report, the server's log). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
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
    MIX,
    RUNAWAY_CLIENT,
    Endpoint,
    Hit,
    Roles,
    Watcher,
    addresses,
    client,
    fmt_ms,
    fmt_outcomes,
    latency,
    log_offset,
    outcome,
    prepare,
    refusals,
    send,
    server_durations,
    server_view,
    serving,
    small_queries,
    wait_until,
)
from ld_bench import release_path, run_cli, versions, write_section  # noqa: E402
from overload import kgpub_env, quick_refusals  # noqa: E402
from sparql_bench import log  # noqa: E402

OUT = BENCH / "out" / "soak"  # git-ignored
RESULTS_START, RESULTS_END = "<!-- soak-bench: start -->", "<!-- soak-bench: end -->"
EXPECTED_RUNAWAY = "503 query_timeout"


async def runaway_loop(ep: Endpoint, *, start_at: float, stop_at: float, every: float,
                       timeout: float) -> list[Hit]:
    """One runaway query every ``every`` s (the first ``every`` s after the start), each left to run to the
    server's limit (the next is sent whether the previous one has been answered or not)."""
    if every <= 0:
        return []
    tasks: list[asyncio.Task[Hit]] = []
    async with client(RUNAWAY_CLIENT, 64) as c:
        n = 1
        while start_at + n * every < stop_at and n <= 100_000:
            await wait_until(start_at + n * every)
            tasks.append(asyncio.create_task(send(c, ep.query_url(HEAVY + f"\n# runaway-{n}"), kind="runaway",
                                                  timeout=timeout)))
            n += 1
        return list(await asyncio.gather(*tasks))


async def soak(ep: Endpoint, pid: int, entities: list[str], args: argparse.Namespace, roles: Roles,
               res: dict[str, Any]) -> None:
    w = Watcher(ep, every=args.sample_every, pid=pid)
    res["before"] = await w.once()
    t0 = time.time() + 1.0
    t_end = t0 + args.minutes * 60
    res["t0"], res["t_end"] = t0, t_end
    fm = roles.start("mixed", ep, locals_=addresses(2, args.clients), start_at=t0, stop_at=t_end,
                     entities=entities, queries=small_queries(entities), seed=args.seed, think=args.think,
                     timeout=args.timeout + 30)
    ff = (roles.start("flood", ep, local=FLOODER, start_at=t0, stop_at=t_end, concurrency=args.flood_clients,
                      pause=args.flood_pause, timeout=args.timeout + 30, grace=args.timeout + 5,
                      raw=args.flood_client == "raw")
          if args.with_overload else None)
    watch = asyncio.create_task(w.run(t_end))
    runaways = await runaway_loop(ep, start_at=t0, stop_at=t_end, every=args.runaway_every, timeout=args.timeout + 30)
    mixed = await fm
    flood = await ff if ff is not None else None
    await watch
    t_done = time.time()
    after = await w.settle(limit=args.timeout + 30)
    after["settle_s"] = time.time() - t_done
    res["after"] = after
    hits = [Hit(*h) for h in mixed["hits"]]
    res["client_cpu"] = {"clients": mixed.get("client_cpu_share"),
                         "flood": flood.get("client_cpu_share") if flood is not None else None}
    res.update(summarise(hits, runaways, w.samples, t0=t0, t_end=t_end, minutes=args.minutes, after=after))
    res["server_view"] = server_view(res["before"], w.samples, after)
    if flood is not None:
        fh = [Hit(*h) for h in flood["hits"]]
        res["flood"] = {"attempts": flood["sent"], "outcomes": dict(Counter(outcome(h) for h in fh).most_common()),
                        "refusals": refusals(fh), "max_outstanding": flood["max_outstanding"],
                        "unanswered": flood["unanswered"], "clients": args.flood_clients}


def summarise(hits: list[Hit], runaways: list[Hit], samples: list[dict[str, Any]], *, t0: float, t_end: float,
              minutes: float, after: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per minute (by the time each answer was complete: the last minute takes what was answered after the end),
    per kind of request, the memory series and its plateau. Restarts of the last minute are counted up to
    ``after`` (the pool settled), as the answers that caused them are."""
    total = t_end - t0
    n = max(1, math.ceil(minutes - 1e-9))

    def bucket(t: float) -> int:
        return min(n - 1, max(0, int((t - t0) // 60)))

    by_min: list[list[Hit]] = [[] for _ in range(n)]
    run_min: list[list[Hit]] = [[] for _ in range(n)]
    for h in hits:
        by_min[bucket(h.sent + h.seconds)].append(h)
    for h in runaways:
        run_min[bucket(h.sent + h.seconds)].append(h)
    during = [s for s in samples if "memory" in s]
    rows = []
    prev = samples[0] if samples else {}
    for i in range(n):
        hs = by_min[i]
        length = min(60.0, total - 60 * i) if i < n - 1 else total - 60 * i
        small = [h.seconds for h in hs if h.kind.startswith("query-")]
        unique = [h.seconds for h in hs if h.kind == "query-unique"]
        pages = [h.seconds for h in hs if h.kind.startswith("entity-")]
        mem = [s for s in during if bucket(s["t"]) == i and s["t"] <= t_end + 1]
        last = mem[-1] if mem else prev
        if i == n - 1 and after:
            last = after
        restarts = None
        r0, r1 = prev.get("backend", {}).get("replaced"), last.get("backend", {}).get("replaced")
        if isinstance(r0, int) and isinstance(r1, int):
            restarts = r1 - r0
        prev = last
        rows.append({
            "minute": i + 1, "seconds": length, "requests": len(hs), "rps": len(hs) / length if length > 0 else 0.0,
            "small_p50_ms": 1e3 * _pct(small, 50), "small_p99_ms": 1e3 * _pct(small, 99),
            "unique_p99_ms": 1e3 * _pct(unique, 99), "pages_p99_ms": 1e3 * _pct(pages, 99),
            "errors": dict(Counter(outcome(h) for h in hs if h.status != 200 or h.code).most_common()),
            "runaways": dict(Counter(outcome(h) for h in run_min[i]).most_common()),
            "restarts": restarts,
            "rss_max_mb": max((s["memory"]["rss_mb"] for s in mem), default=math.nan),
            "pss_max_mb": max((s["memory"]["pss_mb"] for s in mem), default=math.nan),
            "main_rss_max_mb": max((s["memory"].get("main", {}).get("rss_mb", math.nan) for s in mem),
                                   default=math.nan),
            "processes": mem[-1]["memory"]["processes"] if mem else None})
    kinds = {}
    for kind, _ in MIX:
        ks = [h for h in hits if h.kind == kind]
        kinds[kind] = {**latency(ks), "bytes_mean": statistics.fmean(h.size for h in ks) if ks else 0.0}
    series = [(round(s["t"] - t0, 1), s["memory"]["rss_mb"], s["memory"]["pss_mb"], s["memory"]["processes"],
               s["memory"].get("main", {}).get("rss_mb", math.nan))
              for s in during if t0 - 1 <= s["t"] <= t_end + 1]
    return {"minutes_rows": rows, "kinds": kinds, "memory_series": series,
            "plateau": {"rss": plateau([(t, r) for t, r, _, _, _ in series], total),
                        "pss": plateau([(t, p) for t, _, p, _, _ in series], total),
                        "main": plateau([(t, m) for t, _, _, _, m in series if not math.isnan(m)], total)},
            "runaway_summary": {**latency(runaways), "sent": len(runaways)},
            "errors": dict(Counter(outcome(h) for h in hits if h.status != 200 or h.code).most_common()),
            "requests": len(hits), "duration_s": total}


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return math.nan
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def plateau(series: list[tuple[float, float]], total: float) -> dict[str, Any]:
    """Growth over the last ``min(5 min, half the run)``: the median of the samples in its last slice (≤ 60 s)
    against the median of those in its first slice. Plateaued: grew less than 5 %."""
    span = min(300.0, total / 2)
    slice_s = min(60.0, span / 2)
    a = [v for t, v in series if total - span <= t < total - span + slice_s]
    b = [v for t, v in series if t >= total - slice_s]
    if not a or not b:
        return {"span_s": span, "growth": None, "plateaued": None}
    ma, mb = statistics.median(a), statistics.median(b)
    growth = (mb - ma) / ma if ma else None
    return {"span_s": span, "slice_s": slice_s, "from_mb": ma, "to_mb": mb, "growth": growth,
            "plateaued": growth is not None and growth < 0.05}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def bench(args: argparse.Namespace, res: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    res["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    res["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    release = Path(args.release).resolve() if args.release else release_path(Path(args.releases))
    d = prepare(release, OUT, oxigraph=False, entities=True)
    if not d.entities:
        raise SystemExit(f"no entity IRIs under the base in {release}")
    env = kgpub_env(args.kgpub_env)
    res["data"] = {"release": str(release), "version": d.version, "triples": d.triples, "entities": len(d.entities),
                   "nt_bytes": (release / "dataset.nt").stat().st_size,
                   "gz_bytes": (release / "dataset.nt.gz").stat().st_size}
    res["versions"] = versions()
    res["settings"] = {k: v for k, v in vars(args).items() if k not in ("results", "notes", "report_only")}
    res["settings"]["kgpub_env"] = env
    with Roles(2) as roles:
        roles.warm()
        with serving("kgpub", d, OUT, workers=args.workers, limit=args.timeout, env=env, tag="-soak") as (srv, ep):
            time.sleep(0.5)
            offset = log_offset(srv.log_path)
            log(f"soak: {args.minutes:g} min, {args.clients} clients, a runaway every {args.runaway_every:g} s"
                + (f", the flood ({args.flood_clients} heavy queries in flight) in parallel" if args.with_overload
                   else ""))
            asyncio.run(soak(ep, srv.pid, d.entities, args, roles, res))
            code = srv.proc.poll() if srv.proc is not None else None
            res["exited"] = None if code is None else f"exit status {code}"
            res["server_log"] = server_durations(srv.log_path, offset, by_route=True)
    for r in res["minutes_rows"]:
        log(f"minute {r['minute']}: {r['requests']} requests ({r['rps']:.0f}/s), small p50 "
            f"{fmt_ms(r['small_p50_ms'])} / p99 {fmt_ms(r['small_p99_ms'])} ms, errors {fmt_outcomes(r['errors'])}, "
            f"runaways {fmt_outcomes(r['runaways'])}, restarts {r['restarts']}, RSS ≤ {r['rss_max_mb']:.0f} MB")
    res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------

def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def mb(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0f}"


def report(res: dict[str, Any]) -> str:
    L: list[str] = []
    add = L.append
    v, s, d = res["versions"], res["settings"], res["data"]
    rows = res["minutes_rows"]
    plural = "" if s["minutes"] == 1 else "s"
    add(f"# Soak: {s['minutes']:g} minute{plural} of mixed load with a runaway query every {s['runaway_every']:g} s\n")
    add("Written by `bench/soak.py` (see [README.md](README.md), *Overload and soak*); raw figures in "
        "`bench/out/soak/`.\n")
    add(f"- **Date**: {res['started']} to {res['finished']} (UTC)")
    add(f"- **Machine**: {v['machine']}, Python {v['python']}; load average {' '.join(res['loadavg_start'])} at the "
        f"start, {' '.join(res['loadavg_end'])} at the end (a shared machine)")
    env = " ".join(f"{k}={x}" for k, x in s.get("kgpub_env", {}).items())
    add(f"- **kgpub**: git {v['git']} (+ {v['src_uncommitted_files']} uncommitted files under src/); "
        f"{v['kgpub_stack']}; `kgpub serve --release R --workers {s['workers']} --timeout {s['timeout']:g}`"
        + (f" with `{env}`" if env else ""))
    add(f"- **Data**: release {d['version']}, {d['triples']:,} triples in the default graph, {d['entities']} entity "
        f"IRIs; `dataset.nt` {d['nt_bytes'] / 1e3:,.0f} kB, `.gz` {d['gz_bytes'] / 1e3:,.0f} kB")
    mix = ", ".join(f"{k} {w:.0%}" for k, w in MIX)
    add(f"- **Load**: {s['clients']} clients (Python, httpx over asyncio in one process of their own, each on its own "
        f"loopback address 127.0.2.x), each one request after another"
        + (f" ({s['think']:g} s between)" if s["think"] else "") +
        f", drawn at random (seeded) from: {mix}. Small queries: 8 texts (4 entities' properties, `ASK {{}}`, labels, "
        "a count, types by count); *unique*: a `# n` comment makes every text new, so the answer cache cannot help. "
        "Entity pages: `Accept: text/html` + `Accept-Language: en`, or `text/turtle`. "
        f"Every {s['runaway_every']:g} s a runaway `{HEAVY}` (no `timeout=`) from 127.0.0.5, left to run to the "
        f"{s['timeout']:g} s limit."
        + (f" **With the flood** of `overload.py` in parallel: {s['flood_clients']} such heavy queries kept in flight "
           "from 127.0.0.2 for the whole run." if s.get("with_overload") else ""))
    cpu = res.get("client_cpu", {})
    if cpu.get("clients") is not None:
        add(f"- **Client CPU**: the clients' process used {cpu['clients']:.0%} of one core"
            + (f", the flood's {cpu['flood']:.0%}" if cpu.get("flood") is not None else "")
            + " (near 100 %: the latencies include the clients' own queueing; kgpub's own times are below)")
    add(f"- **Sampling**: every {s['sample_every']:g} s, RSS (VmRSS) and PSS (`smaps_rollup`) summed over the "
        "server's process tree (the server and its query workers, replacements included), and `/healthz` "
        "(`backend`) and `/metrics`; the server process's own RSS apart (its workers are renewed by every restart, "
        "so a leak in the server process would show there first). MB = 10^6 bytes.\n")

    # ---- targets
    add("## Targets\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    errors = res["errors"]
    n_err = sum(errors.values())
    add(f"| zero errors for well-formed requests | {n_err} of {res['requests']:,}"
        + (f" ({fmt_outcomes(errors)})" if errors else "") + f" | {verdict(n_err == 0)} |")
    rs = res["runaway_summary"]
    rw = rs["outcomes"]
    stopped = rw.get(EXPECTED_RUNAWAY, 0)
    add(f"| every runaway stopped at the limit: 503 `query_timeout` | {stopped} of {rs['sent']} ({fmt_outcomes(rw)}) | "
        f"{verdict(rs['sent'] > 0 and stopped == rs['sent']) if rs['sent'] else '–'} |")
    sv = res["server_view"]
    restarts = sv.get("restarts")
    flood_timeouts = res.get("flood", {}).get("outcomes", {}).get(EXPECTED_RUNAWAY, 0)
    if restarts is not None:
        explained = stopped + flood_timeouts
        add(f"| worker restarts only for stopped queries | {restarts:g} restarts; {stopped} runaways"
            + (f" + {flood_timeouts} flood queries" if flood_timeouts else "") + f" stopped at the limit | "
            f"{verdict(restarts <= explained)} |")
    first, last = (rows[0], rows[-1]) if rows else ({}, {})
    if rows:
        add(f"| process tree ≤ 125 MB after load (the first minute's highest RSS) | {mb(first['rss_max_mb'])} MB "
            f"(PSS {mb(first['pss_max_mb'])} MB) | {verdict(first['rss_max_mb'] <= 125)} |")
        add(f"| (first minute → last minute, highest RSS / PSS) | {mb(first['rss_max_mb'])} / "
            f"{mb(first['pss_max_mb'])} → {mb(last['rss_max_mb'])} / {mb(last['pss_max_mb'])} MB | – |")
    mem_after = res["after"].get("memory", {})
    if mem_after:
        add(f"| process tree ≤ 150 MB after the soak | {mem_after['rss_mb']:.0f} MB RSS (PSS {mem_after['pss_mb']:.0f} "
            f"MB, {mem_after['processes']} processes), once the pool was idle | "
            f"{verdict(mem_after['rss_mb'] <= 150) if s['minutes'] >= 10 else '– (a run under 10 min)'} |")
    for key, what in (("rss", "the tree's RSS"), ("pss", "the tree's PSS"), ("main", "the server process's RSS")):
        p = res["plateau"].get(key, {})
        if p.get("growth") is not None:
            add(f"| memory plateaus: the last {p['span_s'] / 60:g} min grow < 5 % ({what}) | "
                f"{p['from_mb']:.1f} → {p['to_mb']:.1f} MB ({p['growth']:+.1%}; medians of the samples in the "
                f"first and the last {p['slice_s']:g} s) | "
                f"{verdict(p['plateaued']) if s['minutes'] >= 10 else '– (a run under 10 min)'} |")
    if res.get("exited"):
        add(f"| the server keeps running | **{res['exited']}** | **missed** |")
    add("")

    # ---- per minute
    add("## Per minute\n")
    add("By the time each answer was complete. *Small queries*: the repeated and unique SPARQL queries together "
        "(p99 of the unique ones alone in the next column); *pages*: entity pages, HTML and Turtle. *Errors*: every "
        "answer but 200 to a well-formed request (the runaways apart). *Restarts*: growth of `/healthz`'s "
        "`backend.replaced`. Memory: the highest sample of the minute (the tree; the server process alone).\n")
    add("| minute | requests | req/s | small queries p50 / p99 ms | unique p99 ms | pages p99 ms | errors "
        "| runaways answered | worker restarts | RSS MB | PSS MB | server process RSS MB |")
    add("|--:|--:|--:|--:|--:|--:|---|---|--:|--:|--:|--:|")
    for r in rows:
        partial = "" if r["seconds"] >= 59.5 else f" ({r['seconds']:.0f} s)"
        errs = fmt_outcomes(r["errors"]) if r["errors"] else "0"
        add(f"| {r['minute']}{partial} | {r['requests']:,} | "
            f"{r['rps']:.0f} | {fmt_ms(r['small_p50_ms'])} / {fmt_ms(r['small_p99_ms'])} | "
            f"{fmt_ms(r['unique_p99_ms'])} | {fmt_ms(r['pages_p99_ms'])} | {errs} | "
            f"{fmt_outcomes(r['runaways'])} | {'–' if r['restarts'] is None else r['restarts']} | "
            f"{mb(r['rss_max_mb'])} | {mb(r['pss_max_mb'])} | {mb(r.get('main_rss_max_mb'))} |")
    add("")

    # ---- per kind
    add("## By kind of request (the whole run)\n")
    add("| kind | requests | p50 ms | p99 ms | max ms | errors | mean bytes |")
    add("|---|--:|--:|--:|--:|--:|--:|")
    for kind, k in res["kinds"].items():
        add(f"| {kind} | {k['requests']:,} | {fmt_ms(k['p50_ms'])} | {fmt_ms(k['p99_ms'])} | {fmt_ms(k['max_ms'])} | "
            f"{k['failed']} | {k['bytes_mean']:,.0f} |")
    add(f"| runaway | {rs['sent']} | {fmt_ms(rs['p50_ms'])} | {fmt_ms(rs['p99_ms'])} | {fmt_ms(rs['max_ms'])} | "
        f"{rs['sent'] - stopped} not 503 `query_timeout` | |")
    add("")

    # ---- memory and the server's own view
    add("## Memory over time\n")
    series = res["memory_series"]
    step = max(1, len(series) // 24)
    add("RSS / PSS MB of the process tree, every " + (f"{step * s['sample_every']:g}" if step > 1 else
                                                     f"{s['sample_every']:g}") + " s (seconds from the start):\n")
    add(", ".join(f"{x[0]:.0f} s: {x[1]:.0f}/{x[2]:.0f}" for x in series[::step]) + "\n")
    before = res["before"].get("memory", {})
    if before and mem_after:
        add(f"Before the load: {before['rss_mb']:.0f} MB RSS / {before['pss_mb']:.0f} MB PSS "
            f"({before['processes']} processes); after it, once the pool was idle again "
            f"({res['after'].get('settle_s', 0):.1f} s later): {mem_after['rss_mb']:.0f} / "
            f"{mem_after['pss_mb']:.0f} MB ({mem_after['processes']} processes).\n")
    view = []
    for key in ("restarts", "rejected", "timeouts", "busy_max", "queued_max"):
        if sv.get(key) is not None:
            view.append(f"{key.replace('_', ' ')} {sv[key]:g}")
    if sv.get("metrics"):
        view += [f"`{k}` +{x:g}" for k, x in sv["metrics"].items()]
    add("The server's own counters over the run (`/healthz`, `/metrics`): " + ("; ".join(view) or "none reported")
        + ".\n")

    if res.get("server_log"):
        add("## kgpub's own time per answer (its access log)\n")
        add("`duration_ms` of kgpub's access log (arrival of the request to its last byte, measured by the server), "
            "by role, route and outcome: what the clients measured, less their own queueing.\n")
        add("| who, route, status, error | answers | p50 ms | p99 ms | max ms |")
        add("|---|--:|--:|--:|--:|")
        for k, x in res["server_log"].items():
            add(f"| {k} | {x['n']:,} | {fmt_ms(x['p50_ms'])} | {fmt_ms(x['p99_ms'])} | {fmt_ms(x['max_ms'])} |")
        add("")
    fl = res.get("flood")
    if fl:
        add("## The flood in parallel\n")
        q = quick_refusals(fl["refusals"])
        add(f"{fl['attempts']} heavy queries sent by client A ({fl['clients']} in flight, at most "
            f"{fl['max_outstanding']}): {fmt_outcomes(fl['outcomes'])}"
            + (f"; {fl['unanswered']} unanswered at the end" if fl["unanswered"] else "")
            + (f". Refused at once: {q['n']}, p99 {fmt_ms(q['p99_ms'])} ms, Retry-After on {q['retry_after']}" if q
               else ". None refused at once") + ".\n")
    if res.get("notes"):
        add("## Notes\n")
        add(res["notes"])
    return "\n".join(L) + "\n"


def write_results(text: str, path: Path) -> None:
    write_section(text, path, start=RESULTS_START, end=RESULTS_END,
                  title="## Soak (issue 11): mixed load for minutes, runaway queries, memory over time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--releases", default="/tmp/bench-rel", help="build a release here if it has none")
    ap.add_argument("--release", default=None, help="serve this release folder instead")
    ap.add_argument("--workers", type=int, default=2, help="kgpub serve --workers")
    ap.add_argument("--timeout", type=float, default=10, help="kgpub serve --timeout (the runaways' limit)")
    ap.add_argument("--kgpub-env", action="append", default=[], metavar="KGPUB_NAME=VALUE",
                    help="a setting for kgpub serve; repeatable")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--think", type=float, default=0.0, help="seconds a client waits between two requests")
    ap.add_argument("--runaway-every", type=float, default=5, help="seconds between two runaway queries (0: none)")
    ap.add_argument("--sample-every", type=float, default=5, help="seconds between two memory and /healthz samples")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--with-overload", action="store_true", help="overload.py's flood from client A in parallel")
    ap.add_argument("--flood-clients", type=int, default=64)
    ap.add_argument("--flood-pause", type=float, default=0.1)
    ap.add_argument("--flood-client", choices=("raw", "httpx"), default="raw")
    ap.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="'-': print only")
    ap.add_argument("--notes", default=None, help="a Markdown file appended to the report as Notes")
    ap.add_argument("--report-only", metavar="JSON", default=None, help="run nothing: report a raw results file")
    args = ap.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        raise SystemExit("--minutes: more than 0, at most a day")
    args.quick = False  # run_cli's own shortening is for wrk runs
    OUT.mkdir(parents=True, exist_ok=True)
    run_cli(args, tools=(KGPUB,), section="Overload and soak", bench=bench, report=report, write=write_results,
            out=OUT, report_name="soak-results.md")


if __name__ == "__main__":
    main()
