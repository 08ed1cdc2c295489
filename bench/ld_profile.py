#!/usr/bin/env python3
"""Where kgpub's time goes on the Linked Data routes: in-process ASGI timings, cProfile, bare baselines.

    .venv/bin/python bench/ld_profile.py inproc [--release DIR] [--n 2000]
    .venv/bin/python bench/ld_profile.py bare [--release DIR] [--seconds 10]

``inproc`` calls kgpub's ASGI application directly (no socket, no HTTP parser: a fake ``receive``
and a ``send`` that collects), the same application ``kgpub serve`` runs, for one request of
each kind (an entity document in Turtle and JSON-LD, by ``Accept`` and by suffix, a fragment
page, ``/dump.nt``, ``/dump.nt.gz``), after one warm-up request (so kgpub's document and
fragment caches hold the answer, as they do under wrk's cycling). For each it prints the mean
CPU microseconds per request through the whole application, and the same request through the
same route functions with the middleware taken away layer by layer; then it runs the loop
under cProfile and prints the cumulative time of the functions that matter (middleware
layers, negotiation, the conditional-GET helper, the document cache, Starlette's
``FileResponse``), per request.

``bare`` runs minimal ASGI applications under the same uvicorn (one process, httptools, uvloop)
and drives each with wrk exactly as ``ld_bench.py`` does (``-t1 -c2`` for files, ``-t2 -c8`` for
small answers): Starlette's ``FileResponse`` of ``dataset.nt`` alone, the same bytes held in
memory in one ``Response``, a raw ASGI app that sends them, and a raw ASGI app that sends a
3.5 KB document. That is the ceiling of the stack kgpub is built on, on this machine.
Results go to stdout; nothing is written in the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import os
import pstats
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ld_bench import LUA, OUT, WRK, free_port, log  # noqa: E402

KR = "https://w3id.org/kjtrade/id/country/KR"
REQUESTS = [  # (name, path, query string, Accept)
    ("entity Turtle (Accept)", "/id/country/KR", "", "text/turtle"),
    ("entity JSON-LD (Accept)", "/id/country/KR", "", "application/ld+json"),
    ("entity Turtle (.ttl)", "/id/country/KR.ttl", "", None),
    ("fragment (subject=KR)", "/fragments", f"subject={quote(KR, safe='')}&predicate=&object=", "text/turtle"),
    ("fragment (?s ?p ?o page 3)", "/fragments", "subject=&predicate=&object=&page=3", "text/turtle"),
    ("/dump.nt", "/dump.nt", "", None),
    ("/dump.nt.gz", "/dump.nt.gz", "", None),
]


def scope_for(path: str, qs: str, accept: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")]
    if accept:
        headers.append((b"accept", accept.encode()))
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": qs.encode(), "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000), "state": {}, "extensions": {}}


async def call(app: Any, scope: dict[str, Any]) -> tuple[int, int, int]:
    """One request through an ASGI app: (status, body bytes, messages sent)."""
    status, size, messages = 0, 0, 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size, messages
        messages += 1
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(dict(scope), receive, send)
    return status, size, messages


def layers(app: Any) -> list[tuple[str, Any]]:
    """The built middleware stack, outermost first: (class name, ASGI app from that layer inwards)."""
    out, node = [], app.build_middleware_stack()
    while node is not None:
        out.append((type(node).__name__, node))
        node = getattr(node, "app", None)
        if type(node).__name__ in ("Router", "APIRouter"):  # needs the exit stack the layer above makes
            break
    return out


def cpu_us(fn: Any, n: int, repeat: int = 3) -> float:
    """CPU microseconds per call of the coroutine function ``fn`` (the best of ``repeat`` batches of ``n``,
    each batch awaited in one task, so no per-call task or loop overhead is counted)."""
    loop = asyncio.get_event_loop()

    async def batch() -> None:
        for _ in range(n):
            await fn()

    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()  # CPU of this process, threads included: robust to a busy machine
        loop.run_until_complete(batch())
        best = min(best, (time.process_time() - t0) / n)
    return 1e6 * best


def sync_us(fn: Any, n: int, repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - t0) / n)
    return 1e6 * best


async def _noop_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _drop(message: dict[str, Any]) -> None:
    return None


def find_endpoint(routes: list[Any], sc: dict[str, Any], full: Any) -> Any:
    """The route function the router picks for ``sc`` (FastAPI keeps included routers as branches)."""
    for route in routes:
        if hasattr(route, "original_router"):
            found = find_endpoint(route.original_router.routes, sc, full)
            if found is not None:
                return found
        elif hasattr(route, "endpoint") and route.matches(sc)[0] == full:
            return route.endpoint
    return None


def decompose(app: Any, inner: Any, endpoint: Any, site: Any, sc: dict[str, Any], n: int) -> dict[str, float]:
    """CPU µs of one request: through the whole app, from the innermost middleware layer, the route
    function alone (it returns the response object), and the route function plus sending that object."""
    import inspect

    from starlette.requests import Request

    extra = {"site": site} if "site" in inspect.signature(endpoint).parameters else {}  # FastAPI's SiteDep

    scope = {**sc, "app": app}  # plain Starlette routes read the site from request.app

    async def handler_only() -> Any:
        return await endpoint(request=Request(dict(scope), _noop_receive), **extra)

    async def handler_and_send() -> None:
        response = await endpoint(request=Request(dict(scope), _noop_receive), **extra)
        await response(dict(sc), _noop_receive, _drop)

    return {"app": cpu_us(partial(call, app, sc), n), "inner": cpu_us(partial(call, inner, sc), n),
            "handler": cpu_us(handler_only, n), "both": cpu_us(handler_and_send, n)}


def entity_parts(app: Any, site: Any, n: int) -> list[tuple[str, float]]:
    """What ``resources.document`` does for ``GET /id/country/KR`` (Accept: text/turtle), each part timed alone."""
    from email.utils import format_datetime

    from starlette.requests import Request
    from starlette.responses import Response

    from kgpub.resources.iris import split_suffix
    from kgpub.web import conditional
    from kgpub.web.routes import resources as r

    sc = scope_for("/id/country/KR", "", "text/turtle") | {"app": app}
    request = Request(dict(sc), _noop_receive)
    served = site._current  # what site.serving() yields
    path, suffix = split_suffix("/id/country/KR")
    resource = served.documents.resolve(path)
    fmt, media_type = r._format(request, suffix)
    etag = r._etag(served, resource, fmt)
    headers = {"ETag": etag, "Last-Modified": format_datetime(served.release.built, usegmt=True),
               "Cache-Control": r.CURRENT_CACHE, "Content-Location": served.documents.ns.document(path, fmt),
               "Link": r._links(path, fmt), "Vary": "Accept"}
    body = served.documents.render(resource, fmt)
    return [
        ("`Request(scope)` + `split_suffix`", sync_us(lambda: (Request(dict(sc), _noop_receive),
                                                             split_suffix("/id/country/KR")), n)),
        ("`documents.resolve(path)` (3 store lookups: is the IRI mentioned?)",
         sync_us(partial(served.documents.resolve, path), n)),
        ("`_format` (negotiation by Accept)", sync_us(partial(r._format, request, suffix), n)),
        ("`_etag` (SHA-256 of version, path, format)", sync_us(partial(r._etag, served, resource, fmt), n)),
        ("`format_datetime(built)`", sync_us(partial(format_datetime, served.release.built, usegmt=True), n)),
        ("`_links(path, fmt)`", sync_us(partial(r._links, path, fmt), n)),
        ("`conditional.not_modified` (no validator sent)",
         sync_us(partial(conditional.not_modified, request, etag, headers, modified=served.release.built), n)),
        ("`documents.render` (cached)", sync_us(partial(served.documents.render, resource, fmt), n)),
        ("`Response(body, headers)`", sync_us(partial(Response, body, media_type=media_type, headers=headers), n)),
    ]


def inproc(release: Path, n: int, profile: bool) -> None:
    from starlette.routing import Match

    from kgpub.rdf.formats import Kind
    from kgpub.rdf.negotiate import pick
    from kgpub.release.reader import open_release
    from kgpub.resources.iris import DOCUMENT_FORMATS
    from kgpub.settings import Settings
    from kgpub.site import Site
    from kgpub.web.app import create_app

    settings = Settings.load(port=8000)
    app = create_app(Site(settings, open_release(release)))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    life = app.router.lifespan_context(app)
    loop.run_until_complete(life.__aenter__())
    try:
        stack = layers(app)
        site = app.state.site
        print(f"Middleware stack, outermost first: {' > '.join(name for name, _ in stack)} > router\n")
        print(f"CPU µs per request (time.process_time of this process and its threads, best of 3 batches of {n}; "
              "no socket, no HTTP parsing: the caches hold every answer, as under wrk's cycling)\n")
        print("| request | bytes | whole app | middleware (all layers) | routing + FastAPI endpoint machinery | "
              "route function | sending the response object | of the route function: negotiation |")
        print("|---|--:|--:|--:|--:|--:|--:|--:|")
        inner = stack[-1][1]  # AsyncExitStackMiddleware: below it only the router
        for name, path, qs, accept in REQUESTS:
            sc = scope_for(path, qs, accept) | {"app": app}  # Starlette.__call__ sets "app"; inner layers need it
            status, size, _ = loop.run_until_complete(call(app, sc))
            assert status == 200, (name, status)
            t = decompose(app, inner, find_endpoint(app.router.routes, sc, Match.FULL), site, sc, n)
            neg = ""
            if path.startswith("/id/") and accept:
                neg = f"{sync_us(partial(pick, Kind.RDF, accept, [], offered=DOCUMENT_FORMATS, what='x'), n * 5):.1f}"
            print(f"| {name} | {size:,} | {t['app']:.0f} | {t['app'] - t['inner']:.0f} | "
                  f"{t['inner'] - t['both']:.0f} | {t['handler']:.0f} | {t['both'] - t['handler']:.0f} | {neg} |")
        print("\nmiddleware = whole app − from the innermost layer; routing + FastAPI = from the innermost layer − "
              "(route function + sending); sending = (route function + sending) − route function.\n")
        print("The entity route function's parts (`kgpub.web.routes.resources.document`, Turtle by Accept), "
              "CPU µs per call:\n")
        print("| part | µs |")
        print("|---|--:|")
        for part, us in entity_parts(app, site, n * 5):
            print(f"| {part} | {us:.1f} |")
        print()
        print("Each middleware layer's own cost (from that layer minus from the next one inwards), µs:\n")
        print("| request | " + " | ".join(nm for nm, _ in stack[:-1]) + " |")
        print("|---|" + "--:|" * (len(stack) - 1))
        for name, path, qs, accept in REQUESTS:
            sc = scope_for(path, qs, accept) | {"app": app}
            ts = [cpu_us(partial(call, entry, sc), n) for _, entry in stack]
            print(f"| {name} | " + " | ".join(f"{ts[i] - ts[i + 1]:.0f}" for i in range(len(stack) - 1)) + " |")
        print()
        if not profile:
            return
        for name, path, qs, accept in REQUESTS:
            sc = scope_for(path, qs, accept) | {"app": app}
            prof = cProfile.Profile(time.process_time)
            prof.enable()
            for _ in range(n):
                loop.run_until_complete(call(app, sc))
            prof.disable()
            st = pstats.Stats(prof)
            rows = [(tt, ct, f"{Path(file).parent.name}/{Path(file).name}:{func}")
                    for (file, _line, func), (_cc, _nc, tt, ct, _callers) in st.stats.items()]  # type: ignore[attr-defined]
            total = sum(r[0] for r in rows)
            print(f"### {name}: own time by function under cProfile, share of the request\n")
            print("| function | own share | cumulative share |")
            print("|---|--:|--:|")
            for tt, ct, short in sorted(rows, reverse=True)[:15]:
                print(f"| `{short}` | {tt / total:.1%} | {ct / total:.0%} |")
            print()
    finally:
        loop.run_until_complete(life.__aexit__(None, None, None))
        loop.close()


# ---- bare baselines under uvicorn ------------------------------------------------------------

def bare_app(kind: str, file: Path) -> Any:
    """A minimal application for one baseline (``kind``), serving ``/f``."""
    import mmap

    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, Response
    from starlette.routing import Route

    data = file.read_bytes()
    doc = data[:3231]  # the size of kgpub's Turtle document of country:KR
    if kind == "fileresponse":
        async def file_route(request: Any) -> Any:
            return FileResponse(file, media_type="application/n-triples")
        return Starlette(routes=[Route("/f", file_route)])
    if kind in ("starlette-bytes", "starlette-doc"):
        body = data if kind == "starlette-bytes" else doc

        async def bytes_route(request: Any) -> Any:
            return Response(body, media_type="text/turtle")
        return Starlette(routes=[Route("/f", bytes_route)])
    if kind == "fastapi-doc":
        api = FastAPI()

        @api.get("/f")
        async def doc_route() -> Response:
            return Response(doc, media_type="text/turtle")
        return api
    if kind == "raw-mmap":
        view = memoryview(mmap.mmap(os.open(file, os.O_RDONLY), 0, prot=mmap.PROT_READ))

        async def raw_mmap(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/n-triples"),
                                    (b"content-length", str(len(view)).encode())]})
            step = 1 << 20
            for i in range(0, len(view), step):
                await send({"type": "http.response.body", "body": view[i:i + step],
                            "more_body": i + step < len(view)})
        return raw_mmap
    raw_body = data if kind == "raw-file" else doc

    async def raw(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/turtle"), (b"content-length", str(len(raw_body)).encode())]})
        await send({"type": "http.response.body", "body": raw_body})
    return raw


def proc_cpu(root: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process tree so far."""
    from sparql_bench import tree_pids

    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            user += int(fields[11]) / tick
            system += int(fields[12]) / tick
    return user, system


def bare(release: Path, seconds: float, big: Path | None) -> None:
    """Baselines on the same uvicorn as kgpub's, driven like ld_bench.py drives kgpub."""
    import http.client

    from ld_bench import PY, ROOT

    OUT.mkdir(parents=True, exist_ok=True)
    small = release / "dataset.nt"
    variants: list[tuple[str, str, Path, str, str, str]] = [  # (name, kind, file, path, accept, wrk)
        ("uvicorn + raw ASGI app, 3.2 KB from memory", "raw-doc", small, "/f", "-", "-t2 -c8"),
        ("uvicorn + Starlette route → Response(3.2 KB)", "starlette-doc", small, "/f", "-", "-t2 -c8"),
        ("uvicorn + FastAPI route → Response(3.2 KB)", "fastapi-doc", small, "/f", "-", "-t2 -c8"),
        ("kgpub serve: GET /id/country/KR (Turtle, 3.2 KB)", "kgpub", release, "/id/country/KR", "text/turtle",
         "-t2 -c8"),
    ]
    for label_, f in (("dataset.nt", small), ("100k dataset.nt", big / "dataset.nt" if big else None)):
        if f is None or not f.exists():
            continue
        size = f"{f.stat().st_size / 1e6:.2f} MB"
        variants += [
            (f"uvicorn + raw ASGI app, {label_} ({size}) from memory, one message", "raw-file", f, "/f", "-",
             "-t1 -c2"),
            (f"uvicorn + raw ASGI app, {label_} mmap'd, 1 MB messages", "raw-mmap", f, "/f", "-", "-t1 -c2"),
            (f"uvicorn + Starlette Response({label_} bytes)", "starlette-bytes", f, "/f", "-", "-t1 -c2"),
            (f"uvicorn + Starlette FileResponse({label_})", "fileresponse", f, "/f", "-", "-t1 -c2"),
            (f"kgpub serve: GET /dump.nt ({label_})", "kgpub", f.parent, "/dump.nt", "-", "-t1 -c2"),
        ]
    print("| app | wrk | req/s | MB/s | p50 ms | p99 ms | server CPU ms/request (user + system) |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for name, kind, f, path, accept, conns in variants:
        port = free_port()
        if kind == "kgpub":
            argv = [str(PY), "-m", "kgpub", "serve", "--release", str(f), "--host", "127.0.0.1", "--port", str(port)]
        else:
            argv = [sys.executable, __file__, "--serve-bare", kind, str(f), str(port)]
        proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=ROOT)
        paths = OUT / f"bare-{port}.txt"
        paths.write_text(path + "\n")
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    c.request("GET", path)
                    if c.getresponse().status == 200:
                        break
                time.sleep(0.05)
            t, c_ = conns.split()
            base = [WRK, t, c_, "--timeout", "30s", "-s", str(LUA), f"http://127.0.0.1:{port}", "--",
                    str(paths), "raw", "-", accept]
            subprocess.run([*base[:3], "-d2s", *base[3:]], capture_output=True, check=True, timeout=60)
            u0, s0 = proc_cpu(proc.pid)
            out = subprocess.run([*base[:3], f"-d{seconds:g}s", "--latency", *base[3:]], capture_output=True,
                                 text=True, check=True, timeout=seconds + 60).stdout
            u1, s1 = proc_cpu(proc.pid)
            m = re.search(r"^JSON (\{.*\})$", out, re.M)
            assert m, out
            r = json.loads(m.group(1))
            secs, n = r["duration_us"] / 1e6, max(1, r["requests"])
            print(f"| {name} | `{conns}` | {n / secs:,.0f} | {r['bytes'] / secs / 1e6:,.1f} | "
                  f"{r['p50_us'] / 1e3:.2f} | {r['p99_us'] / 1e3:.2f} | {1e3 * (u1 - u0 + s1 - s0) / n:.3f} "
                  f"({1e3 * (u1 - u0) / n:.3f} + {1e3 * (s1 - s0) / n:.3f}) |", flush=True)
        finally:
            paths.unlink(missing_ok=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(8)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", choices=["inproc", "bare"], default="inproc")
    ap.add_argument("--release", default="/tmp/bench-rel/current")
    ap.add_argument("--n", type=int, default=2000, help="requests per timing (inproc)")
    ap.add_argument("--seconds", type=float, default=10, help="seconds per wrk run (bare)")
    ap.add_argument("--big", default=str(OUT / "p100k" / "release" / "current"),
                    help="bare: a larger release whose dataset.nt is timed too")
    ap.add_argument("--profile", action="store_true", help="inproc: also cProfile each request kind")
    ap.add_argument("--serve-bare", nargs=3, metavar=("KIND", "FILE", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_bare:
        import uvicorn

        kind, file, port = args.serve_bare
        uvicorn.run(bare_app(kind, Path(file)), host="127.0.0.1", port=int(port), log_level="warning")
        return
    release = Path(args.release).resolve()
    if args.mode == "inproc":
        log(f"in-process timings on {release}")
        inproc(release, args.n, args.profile)
    else:
        bare(release, args.seconds, Path(args.big).resolve() if args.big else None)


if __name__ == "__main__":
    main()
