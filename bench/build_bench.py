"""Time ``kgpub build`` against the plain rdflib + pySHACL way, side by side, and write RESULTS.md.

    .venv/bin/python bench/build_bench.py                       # article, 10k, 100k, 1m
    .venv/bin/python bench/build_bench.py --sizes article,10k   # a quick run

For each size (``article`` = the real project; a number = a project made by
``bench/generate.py`` with about that many triples, under ``bench/out/``) it runs, each in a
fresh subprocess and interleaved so that machine noise hits all of them alike:

- ``kgpub``: the CLI, ``kgpub build --project P --releases R`` with a fresh, empty R;
- ``rdflib``: ``bench/rdflib_way.py``, the same steps the plain rdflib + pySHACL way;
- ``phases``: ``bench/kgpub_phases.py``, the library build in one process with a per-step timing.

Wall time is measured around the subprocess; peak RSS is that child's ``ru_maxrss``
(``os.wait4``). Each is repeated ``--repeat`` times (median reported); a method whose first run
takes longer than ``--slow`` seconds is run only once at that size, and a run is killed after
``--timeout`` seconds (reported as a timeout, never as a time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

DEFAULT_SIZES = "article,10k,100k,1m"
METHODS = ("kgpub", "rdflib", "phases")
NOTES_MARKER = "<!-- notes: everything below this line is kept when build_bench.py rewrites the file -->"


@dataclass
class Run:
    seconds: float
    rss_mb: float  # ru_maxrss: the largest single process (the child or a worker it waited for)
    cpu_seconds: float  # user + system, the child and the workers it waited for
    pss_mb: float  # sampled peak of the summed PSS of the child and its descendants (0: not sampled)
    returncode: int | None
    timed_out: bool
    inner: dict[str, Any] = field(default_factory=dict)  # BENCH-JSON of the run, if any
    log_tail: str = ""


@dataclass
class SizeResult:
    label: str
    project: str
    triples: int
    generation: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, list[Run]] = field(default_factory=lambda: {m: [] for m in METHODS})
    release_files_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- running

def run_measured(cmd: list[str], log: Path, timeout: float) -> Run:
    """Run ``cmd``; wall time and the child's own peak RSS; killed after ``timeout`` seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_")}
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        sampler = PssSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    inner: dict[str, Any] = {}
    steps: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("BENCH-JSON "):
            inner = json.loads(line[len("BENCH-JSON "):])
        elif line.startswith("BENCH-STEP "):
            _, name, value = line.split()
            steps[name] = float(value)
    if not inner and steps:
        inner = {"finished_steps": steps}
    return Run(seconds=round(seconds, 3), rss_mb=round(usage.ru_maxrss / 1024, 1),
               cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2), pss_mb=round(sampler.peak_kb / 1024, 1),
               returncode=proc.returncode, timed_out=killed.is_set(), inner=inner,
               log_tail="\n".join(text.splitlines()[-15:]))


class PssSampler(threading.Thread):
    """Samples the summed PSS (proportional set size) of a process tree every ``interval`` seconds.

    ``ru_maxrss`` is the peak of the largest single process; when kgpub forks pySHACL workers
    that share its pages copy-on-write, the memory the machine really needs is the tree's PSS.
    """

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def command(method: str, project: Path, releases: Path) -> list[str]:
    if method == "kgpub":
        exe = Path(sys.executable).with_name("kgpub")
        base = [str(exe)] if exe.exists() else [sys.executable, "-m", "kgpub"]
        return [*base, "build", "--project", str(project), "--releases", str(releases)]
    script = {"rdflib": "rdflib_way.py", "phases": "kgpub_phases.py"}[method]
    return [sys.executable, str(HERE / script), "--project", str(project), "--releases", str(releases)]


def parse_sizes(text: str) -> list[tuple[str, int | None]]:
    sizes: list[tuple[str, int | None]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        sizes.append(("article", None) if part == "article" else (part.lower(), generate.parse_size(part)))
    return sizes


def bench_size(label: str, n: int | None, args: argparse.Namespace) -> SizeResult:
    out: Path = args.out
    if n is None:
        project = args.source
        info: dict[str, Any] = {}
    else:
        project = out / f"p{label}"
        t = time.perf_counter()
        info = generate.generate(args.source, project, n, args.seed)
        info["wall_seconds"] = round(time.perf_counter() - t, 2)
    result = SizeResult(label=label, project=str(project), triples=int(info.get("total_triples", 0)), generation=info)
    once: set[str] = set()
    stopped: set[str] = set()
    for rep in range(args.repeat):
        for method in args.methods:
            if method in stopped or (rep > 0 and method in once):
                continue
            releases = out / "releases" / f"{label}-{method}-{rep + 1}"
            shutil.rmtree(releases, ignore_errors=True)
            log = out / "logs" / f"{label}-{method}-{rep + 1}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            print(f"[{_now()}] {label:>8} {method:<7} run {rep + 1} ...", end=" ", flush=True)
            run = run_measured(command(method, project, releases), log, args.timeout)
            result.runs[method].append(run)
            state = "TIMEOUT" if run.timed_out else ("ok" if run.returncode == 0 else f"exit {run.returncode}")
            print(f"{run.seconds:8.2f} s  cpu {run.cpu_seconds:8.2f} s  rss {run.rss_mb:8.1f} MB  "
                  f"pss {run.pss_mb:8.1f} MB  {state}", flush=True)
            if method == "kgpub" and run.returncode == 0 and not result.release_files_mb:
                _read_release(result, releases)
            shutil.rmtree(releases, ignore_errors=True)
            if run.timed_out or run.returncode != 0:
                stopped.add(method)
                if not run.timed_out:
                    result.notes.append(f"{method} failed (exit {run.returncode}); log {log}:\n{run.log_tail}")
                    print(run.log_tail)
                else:
                    done = run.inner.get("finished_steps", {})
                    result.notes.append(f"{method} killed after {args.timeout:.0f} s; steps finished by then: "
                                        + (", ".join(f"{k} {v:.0f} s" for k, v in done.items()) or "none"))
                if method == "kgpub" and run.timed_out and "phases" in args.methods and not args.phases_after_timeout:
                    stopped.add("phases")
                    result.notes.append("phase breakdown skipped: the CLI build timed out at this size")
            elif run.seconds > args.slow:
                once.add(method)
    for method in args.methods:
        if method in once and args.repeat > 1:
            result.notes.append(f"{method}: run once (first run took more than {args.slow:.0f} s)")
    return result


def _read_release(result: SizeResult, releases: Path) -> None:
    manifest_path = releases / "current" / "manifest.json"
    if not manifest_path.is_file():
        return
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    graphs = {g: n for g, n in manifest.get("graphs", {}).items() if not g.endswith("/validation")}
    if not result.triples:
        result.triples = sum(graphs.values())
    result.release_files_mb = round(sum(f["bytes"] for f in manifest.get("files", {}).values()) / 1e6, 1)


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


# ----------------------------------------------------------------------------- reporting

def ok_runs(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.returncode == 0 and not r.timed_out]


def median_seconds(runs: list[Run]) -> float | None:
    good = ok_runs(runs)
    return statistics.median(r.seconds for r in good) if good else None


def time_cell(runs: list[Run], timeout: float) -> str:
    if not runs:
        return "not run"
    m = median_seconds(runs)
    if m is None:
        return f"> {timeout:.0f} s (timeout)" if any(r.timed_out for r in runs) else "failed"
    return f"{_fmt(m)} s" + (f" (n={len(ok_runs(runs))})" if len(ok_runs(runs)) != 3 else "")


def ratio_cell(r: SizeResult, timeout: float) -> str:
    k, b = median_seconds(r.runs["kgpub"]), median_seconds(r.runs["rdflib"])
    if k is not None and b is not None:
        return f"{b / k:.2f}x"
    if k is not None and any(x.timed_out for x in r.runs["rdflib"]):
        return f"> {timeout / k:.1f}x"
    return "n/a"


def rss_cell(runs: list[Run], attr: str = "rss_mb") -> str:
    good = ok_runs(runs)
    if good:
        return f"{max(getattr(x, attr) for x in good):,.0f} MB"
    return f"> {max(getattr(x, attr) for x in runs):,.0f} MB (at kill)" if runs else "n/a"


def cpu_cell(runs: list[Run]) -> str:
    good = ok_runs(runs)
    return f"{_fmt(statistics.median(x.cpu_seconds for x in good))} s" if good else "n/a"


def phase_medians(runs: list[Run]) -> dict[str, float]:
    good = [r.inner for r in ok_runs(runs) if r.inner]
    keys = {k for d in good for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return {k: statistics.median(d.get(k, 0.0) for d in good) for k in keys}


def _fmt(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "n/a"


def machine() -> dict[str, str]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    cpuinfo = Path("/proc/cpuinfo")
    cpu = re.search(r"model name\s*:\s*(.*)", cpuinfo.read_text()) if cpuinfo.exists() else None
    mem = sh("free -h | awk '/^Mem:/ {print $2}'")
    versions = sh(f"{sys.executable} -c \"import rdflib, pyshacl, pyoxigraph, kgpub; "
                  "print(rdflib.__version__, pyshacl.__version__, pyoxigraph.__version__, kgpub.__version__)\"").split()
    versions += ["?"] * (4 - len(versions))
    return {
        "date": sh("date -u"), "nproc": sh("nproc"), "memory": mem,
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "rdflib": versions[0], "pyshacl": versions[1], "pyoxigraph": versions[2], "kgpub": versions[3],
        "git": sh(f"git -C {ROOT} describe --always --dirty"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def render(results: list[SizeResult], info: dict[str, str], args: argparse.Namespace, load_after: str,
           git_after: str = "") -> str:
    t = args.timeout
    lines = [
        "# Build benchmark: `kgpub build` vs the plain rdflib + pySHACL way",
        "",
        f"Run by `bench/build_bench.py --sizes {args.sizes} --repeat {args.repeat}` (see [README.md](README.md)).",
        "",
        f"- **Date**: {info['date']}",
        f"- **Machine**: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"load average {info['load']} before the run, {load_after} after (shared machine: compare ratios, "
        "not absolute times)",
        f"- **Software**: Python {info['python']}, kgpub {info['kgpub']} (git `{info['git']}`), "
        f"rdflib {info['rdflib']}, pySHACL {info['pyshacl']}, pyoxigraph {info['pyoxigraph']}"
        + (f" (**the code changed during the run**: git `{git_after}` at the end)"
           if git_after and git_after != info["git"] else ""),
        f"- **Method**: every figure is a fresh subprocess (imports included), runs interleaved "
        f"kgpub / rdflib / phases; median of {args.repeat} runs unless marked (n=...); a run is killed "
        f"after {t:.0f} s (CPU and memory columns: see below the table).",
        "",
        "## End to end",
        "",
        "| graph | triples | `kgpub build` | plain rdflib way | rdflib / kgpub | CPU kgpub | CPU rdflib "
        "| peak RSS kgpub | peak RSS rdflib | peak PSS kgpub (all processes) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.label} | {r.triples:,} | {time_cell(r.runs['kgpub'], t)} "
                     f"| {time_cell(r.runs['rdflib'], t)} | {ratio_cell(r, t)} "
                     f"| {cpu_cell(r.runs['kgpub'])} | {cpu_cell(r.runs['rdflib'])} "
                     f"| {rss_cell(r.runs['kgpub'])} | {rss_cell(r.runs['rdflib'])} "
                     f"| {rss_cell(r.runs['kgpub'], 'pss_mb')} |")
    lines += [
        "",
        "Ratio = plain rdflib wall time / kgpub wall time (above 1: kgpub is faster). CPU = user + system "
        "seconds of the process and the workers it forked (kgpub splits pySHACL over the cores on large graphs; "
        "the rdflib way uses one core). Peak RSS = the largest single process (`ru_maxrss`); peak PSS = the "
        "summed proportional set size of the whole process tree, sampled every 0.5 s (forked workers share "
        "pages copy-on-write, so this is what the machine needs; short peaks between samples can be missed).",
        "",
        "## Where kgpub's build time goes",
        "",
        "`bench/kgpub_phases.py`: kgpub's library build in one process with timers around the functions it "
        "calls (medians, seconds). *pySHACL* is the whole pySHACL stage, wall time (with the number of "
        "processes it used: kgpub forks workers for large graphs); *rdflib bridge* is converting pyoxigraph's "
        "quads into rdflib graphs for pySHACL; *SPARQL offload* is the SHACL-SPARQL work kgpub runs on "
        "pyoxigraph instead of pySHACL.",
        "",
        "| graph | import | parse | staging store | validate | of which: pySHACL | rdflib bridge | SPARQL offload "
        "| IC-12 | write | of which: canonical sort | dumps (serialize) | gzip | store + files | build "
        "| pySHACL share |",
        "|---|" + "---:|" * 15,
    ]
    for r in results:
        p = phase_medians(r.runs["phases"])
        if not p:
            lines.append(f"| {r.label} | " + " | ".join(["n/a"] * 15) + " |")
            continue
        offload = p.get("validate.sparql_plan", 0.0) + p.get("validate.sparql_run", 0.0)
        cells = [p.get("import", 0), p.get("parse", 0), p.get("staging", 0), p.get("validate", 0),
                 p.get("validate.pyshacl", 0), p.get("validate.to_rdflib", 0), offload, p.get("validate.ic12", 0),
                 p.get("write", 0), p.get("write.canonical", 0), p.get("write.render.serialize", 0),
                 p.get("write.render.gzip", 0), p.get("write.store_and_files", 0), p.get("build", 0)]
        text = [_fmt(c) for c in cells]
        text[4] += f" ({int(p.get('pyshacl_processes', 1))} proc)"
        lines.append(f"| {r.label} | " + " | ".join(text)
                     + f" | {_pct(p.get('validate.pyshacl', 0), p.get('build', 0))} |")
    lines += [
        "",
        "pySHACL share = pySHACL stage wall time / in-process build time (imports excluded).",
        "",
        "## The plain rdflib way, step by step",
        "",
        "`bench/rdflib_way.py` (medians, seconds).",
        "",
        "| graph | import | parse | validate | of which: pySHACL | write | of which: serialize | gzip |",
        "|---|" + "---:|" * 7,
    ]
    for r in results:
        p = phase_medians(r.runs["rdflib"])
        if not p:
            lines.append(f"| {r.label} | " + " | ".join(["n/a"] * 7) + " |")
            continue
        cells = [p.get("import", 0), p.get("parse", 0), p.get("validate", 0), p.get("validate.pyshacl", 0),
                 p.get("write", 0), p.get("write.serialize", 0), p.get("write.gzip", 0)]
        lines.append(f"| {r.label} | " + " | ".join(_fmt(c) for c in cells) + " |")
    lines += ["", "## Aims", ""]
    lines += aims(results, t)
    gen = [r for r in results if r.generation]
    if gen:
        lines += ["", "## Synthetic graphs", "",
                  "Made by `bench/generate.py` (seed " + str(args.seed) + "): the real ontology, shapes and data plus "
                  "cloned entities of the real kinds, split in the real data's proportions (see the generator's "
                  "docstring).", "",
                  "| graph | triples | observations | countries | concepts | organizations + people | generated in |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in gen:
            s = r.generation["synthetic"]
            lines.append(f"| {r.label} | {r.generation['total_triples']:,} | +{s['observations']:,} "
                         f"| +{s['countries']:,} | +{s['concept_batches'] * s['concepts_per_batch']:,} "
                         f"| +{s['organization_batches'] * s['organization_subjects_per_batch']:,} "
                         f"| {r.generation['wall_seconds']:.1f} s |")
    notes = [n for r in results for n in (f"{r.label}: {x}" for x in r.notes)]
    if notes:
        lines += ["", "## Run notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def aims(results: list[SizeResult], timeout: float) -> list[str]:
    out = []
    art = next((r for r in results if r.label == "article"), None)
    if art is not None:
        m = median_seconds(art.runs["kgpub"])
        verdict = "not measured" if m is None else ("**met**" if m < 2 else "**not met**")
        out.append(f"- Article graph builds end to end in under 2 s: {verdict}"
                   + (f" ({_fmt(m)} s median, CLI, imports included)." if m is not None else "."))
    big = next((r for r in results if r.label in ("1m", "1000k", "1000000")), None)
    if big is not None:
        k, b = median_seconds(big.runs["kgpub"]), median_seconds(big.runs["rdflib"])
        if k is not None and b is not None:
            verdict = "**met**" if b / k >= 5 else "**not met**"
            out.append(f"- 1M-triple build at least 5x faster than the plain rdflib way: {verdict} ({b / k:.2f}x).")
        elif k is not None and any(x.timed_out for x in big.runs["rdflib"]):
            lower = timeout / k
            verdict = ("**met**" if lower >= 5
                       else "**not decided** (the rdflib way timed out; the ratio is only bounded below)")
            out.append(f"- 1M-triple build at least 5x faster than the plain rdflib way: {verdict} "
                       f"(> {lower:.1f}x: kgpub {_fmt(k)} s, rdflib killed at {timeout:.0f} s).")
        else:
            out.append("- 1M-triple build at least 5x faster than the plain rdflib way: **not met** "
                       "(kgpub did not finish within the time limit)." if any(x.timed_out for x in big.runs["kgpub"])
                       else "- 1M-triple build at least 5x faster than the plain rdflib way: not measured.")
    else:
        out.append("- 1M-triple build at least 5x faster than the plain rdflib way: not measured in this run.")
    return out


def write_results(path: Path, text: str) -> None:
    notes = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1]
    path.write_text(text + "\n" + NOTES_MARKER + (notes if notes else "\n"), encoding="utf-8")


def print_table(results: list[SizeResult], timeout: float) -> None:
    print()
    print(f"{'graph':>8} {'triples':>10} {'kgpub':>18} {'rdflib':>18} {'ratio':>8} "
          f"{'RSS kgpub':>12} {'RSS rdflib':>12}")
    for r in results:
        print(f"{r.label:>8} {r.triples:>10,} {time_cell(r.runs['kgpub'], timeout):>18} "
              f"{time_cell(r.runs['rdflib'], timeout):>18} {ratio_cell(r, timeout):>8} "
              f"{rss_cell(r.runs['kgpub']):>12} {rss_cell(r.runs['rdflib']):>12}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Time kgpub build against the plain rdflib + pySHACL way.")
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"comma-separated: article and/or sizes (default {DEFAULT_SIZES})")
    ap.add_argument("--repeat", type=int, default=3, help="runs per method and size (median reported)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds before a single run is killed")
    ap.add_argument("--slow", type=float, default=300.0, help="run a method once at a size if its first run is slower")
    ap.add_argument("--methods", default=",".join(METHODS), help="subset of kgpub,rdflib,phases")
    ap.add_argument("--phases-after-timeout", action="store_true",
                    help="run the phase breakdown even when the CLI build timed out at that size")
    ap.add_argument("--seed", type=int, default=20250619)
    ap.add_argument("--source", type=Path, default=ROOT,
                    help="the real project: the 'article' graph and the generator's templates (default: this repo)")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="generated projects, releases, logs")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Markdown file to write ('-': none)")
    args = ap.parse_args(argv)
    args.methods = [m for m in args.methods.split(",") if m in METHODS]
    args.out, args.source = args.out.resolve(), args.source.resolve()
    info = machine()
    print(f"{info['date']} | {info['nproc']} CPUs, {info['cpu']}, {info['memory']} | load {info['load']}")
    results = []
    for label, n in parse_sizes(args.sizes):
        results.append(bench_size(label, n, args))
        print_table(results, args.timeout)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    git_after = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                               text=True, check=False).stdout.strip()
    raw = args.out / f"results-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    raw.write_text(json.dumps({"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
                               "results": [asdict(r) for r in results]}, indent=2) + "\n", encoding="utf-8")
    print(f"\nraw results: {raw}")
    if str(args.results) != "-":
        write_results(args.results, render(results, info, args, load_after, git_after))
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
