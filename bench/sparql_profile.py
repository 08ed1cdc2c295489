#!/usr/bin/env python3
"""Where kgpub's serving process spends its time: cProfile around uvicorn while wrk sends load.

    .venv/bin/python bench/sparql_profile.py [--graph article|100k] [--mode unique|repeated] [--seconds 10]

Starts `kgpub serve`'s application (same settings: 2 workers, 10 s limit) in a child process
under cProfile, drives it with wrk and `bench/sparql_mix.lua` (the same mixes as
`sparql_bench.py`), stops it with SIGINT and prints the functions with the most own time
and the most cumulative time in the main (uvicorn/FastAPI) process. The query workers are
separate processes and are not profiled here (`sparql_bench.py` reports their CPU time).
Run `sparql_bench.py` once first: it builds the releases and writes the query files.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "sparql-out"


def serve(release: str, port: int, stats: str) -> None:
    import uvicorn

    from kgpub.release.reader import open_release
    from kgpub.settings import Settings
    from kgpub.site import Site
    from kgpub.web.app import create_app

    settings = Settings.load(port=port, workers=2, query_timeout=10.0)
    app = create_app(Site(settings, open_release(Path(release))))
    prof = cProfile.Profile()
    prof.enable()
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    finally:
        prof.disable()
        prof.dump_stats(stats)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", default="article", choices=["article", "100k"])
    ap.add_argument("--mix", default=None, help="mix file in bench/sparql-out/mixes (default: the graph's first)")
    ap.add_argument("--mode", default="unique", choices=["unique", "repeated"])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--serve", nargs=3, metavar=("RELEASE", "PORT", "STATS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return

    sys.path.insert(0, str(BENCH))
    import sparql_bench as sb

    release = (sb.ROOT / "release" / "current") if args.graph == "article" else (OUT / "p100k" / "release" / "current")
    mixes = sorted((OUT / "mixes").glob(f"{args.graph}-*.txt"))
    mix = OUT / "mixes" / args.mix if args.mix else (mixes[0] if mixes else None)
    if mix is None or not mix.exists():
        raise SystemExit("no query file: run bench/sparql_bench.py first")
    port = sb.free_port()
    stats = OUT / f"profile-{args.graph}-{args.mode}.pstats"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(release.resolve()), str(port), str(stats)],
                            start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if sb.http_get(port, "/sparql", sb.PROBE, timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        salt = f"prof{os.getpid()}"
        sb.run([sb.WRK, "-t2", "-c8", f"-d{args.seconds:g}s", "--latency", "-s", sb.LUA,
                f"http://127.0.0.1:{port}", "--", mix, "/sparql", args.mode, salt], timeout=args.seconds + 60)
        out = sb.run([sb.WRK, "-t2", "-c8", "-d2s", "-s", sb.LUA, f"http://127.0.0.1:{port}", "--", mix,
                      "/sparql", args.mode, salt + "b"], timeout=60).stdout
        print("\n".join(line for line in out.splitlines() if line.startswith("JSON")))
    finally:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, if any
    buf = io.StringIO()
    st = pstats.Stats(str(stats), stream=buf)
    st.strip_dirs().sort_stats("tottime").print_stats(args.top)
    st.sort_stats("cumulative").print_stats(args.top)
    print(buf.getvalue())


if __name__ == "__main__":
    main()
