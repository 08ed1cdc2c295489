"""Build, publish and query at scale: kgpub beside Oxigraph and Virtuoso, on the same synthetic graphs.

    .venv/bin/python bench/scale_bench.py --sizes 100k,1m --json bench/out/scale.json
    .venv/bin/python bench/scale_bench.py --sizes 10k --repeat 3 --json /tmp/scale-10k.json   # a check, minutes

For each size (a project made by ``bench/generate.py`` with about that many triples, in ``--gen-dir`` as
``p<N>``, generated when missing) it measures, every run a fresh subprocess under ``/usr/bin/time -v``:

1. **Build**: the new ``kgpub build``, the old one (``--old-src``, the code before issue 12, unless
   ``--skip-old``) and ``oxigraph load`` of the same ``ontology/`` and ``data/`` files (one command, every file:
   Oxigraph loads them in parallel), each into a fresh folder, interleaved ``--build-repeat`` times.
2. **Publish** (unless ``--skip-stores``): an Oxigraph server and a Virtuoso, one each per size, started by
   ``tests/helpers/stores.py``; ``kgpub publish --to`` (Graph Store Protocol; the command verifies each graph by a
   COUNT) into each; then the bulk path: ``kgpub publish --bulk`` once, ``sh load.sh`` into a fresh Oxigraph
   folder (the server stopped) and ``isql-vt … load.sql`` into the Virtuoso (its graphs cleared first, timed on
   their own line, so the load is into empty graphs), each checked by a COUNT per graph against the manifest.
3. **Queries**: a point lookup, a GROUP BY over observations and an ORDER BY with LIMIT, against ``kgpub serve``
   on the new release and against both stores after the GSP publish (the release's default graphs sent as
   ``default-graph-uri``), one at a time over HTTP (POST, the whole round trip timed), one warm-up each, then
   medians of ``--repeat`` runs, interleaved (the backend order rotates every round). Every run's text is unique
   (a ``# run N`` comment): kgpub's answer cache keys on the query text, so every run is computed. The three
   answers are compared (row counts, and the values with numbers compared as numbers).

Memory: ``/usr/bin/time`` reports the largest single process of the tree it waited for (the maximum, not the
sum: the old build's forked pySHACL workers are in it only as the largest one), so the tree's summed PSS and RSS
are also sampled every 0.1 s from ``/proc`` (short peaks between samples can be missed). For the store servers,
their peak RSS during each step is ``VmHWM`` of the store process, reset before the step (``clear_refs``).

Prints a markdown table per part and writes everything to ``--json``. Temporary folders are
``/tmp/scale-bench-*`` (removed at the end unless ``--keep``); every subprocess has a time limit and every store
and server is stopped on the way out, whatever failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
import generate  # noqa: E402

HOST = "127.0.0.1"
TIME = "/usr/bin/time"
PYTHON = sys.executable
OXIGRAPH = str(Path(PYTHON).with_name("oxigraph"))
ISQL = "isql-vt"
SOURCE_SUFFIXES = (".ttl", ".nt")
PASSWORD_ENV = "SCALE_BENCH_STORE_PASSWORD"  # not KGPUB_*: kgpub's settings check those
SAMPLE_INTERVAL = 0.1
QUERY_NAMES = ("point lookup", "GROUP BY", "ORDER BY LIMIT")
BACKENDS = ("embedded", "oxigraph", "virtuoso")
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "int", "long", "short", "byte", "double", "float",
                             "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                             "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
PREFIXES = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""
GROUP_BY = PREFIXES + """SELECT ?indicator (COUNT(?obs) AS ?n) (SUM(?v) AS ?total) WHERE {
  ?obs a qb:Observation ; kjt:indicator ?indicator ; sdmx-measure:obsValue ?v .
} GROUP BY ?indicator ORDER BY ?indicator"""
TOP_TEN = PREFIXES + """SELECT ?obs ?v WHERE {
  ?obs a qb:Observation ; sdmx-measure:obsValue ?v .
} ORDER BY DESC(?v) ?obs LIMIT 10"""


# ----------------------------------------------------------------------------- measured subprocesses

@dataclass
class Measured:
    """One subprocess under ``/usr/bin/time -v``."""

    what: str
    command: str  # as run, any password replaced by ***
    seconds: float | None  # /usr/bin/time's "Elapsed (wall clock)"
    outer_seconds: float  # around the subprocess, from here
    max_rss_mb: float | None  # /usr/bin/time's "Maximum resident set size": the largest single process of the tree
    tree_pss_mb: float  # sampled peak of the summed PSS of the process tree (0: no sample caught it)
    tree_rss_mb: float  # sampled peak of the summed RSS of the process tree
    cpu_seconds: float | None  # user + system, the process and the children it waited for
    returncode: int | None
    timed_out: bool
    log: str
    tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class TreeSampler(threading.Thread):
    """Peak of the summed PSS and RSS of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss_kb = self.peak_rss_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            pids = process_tree(self.pid)
            self.peak_pss_kb = max(self.peak_pss_kb, sum(_smaps_kb(p, "Pss:") for p in pids))
            self.peak_rss_kb = max(self.peak_rss_kb, sum(_status_kb(p, "VmRSS:") for p in pids))
            if self._done.wait(self.interval):
                return

    def stop(self) -> None:
        self._done.set()
        self.join()


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo and len(pids) < 10_000:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return pids


def _smaps_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def reset_peak(pid: int) -> bool:
    """Reset a process's VmHWM to its current RSS (Linux >= 4.0, ``clear_refs`` 5); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_") and k != "PYTHONPATH"}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_timed(what: str, cmd: list[str], log: Path, timeout: float, *, env: dict[str, str] | None = None,
              cwd: Path | None = None, secret: str | None = None) -> Measured:
    """Run ``cmd`` under ``/usr/bin/time -v`` (output to ``log``), killed with its process group after
    ``timeout`` seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    timing = log.with_suffix(".time")
    shown = " ".join("***" if secret and part == secret else part for part in cmd)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([TIME, "-v", "-o", str(timing), *cmd], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env if env is not None else clean_env(),
                                cwd=cwd or log.parent, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _killpg(proc)
        finally:
            sampler.stop()
            if proc.poll() is None:
                _killpg(proc)
        outer = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    if secret:
        text = text.replace(secret, "***")
    times = timing.read_text(encoding="utf-8", errors="replace") if timing.is_file() else ""
    user, system = _time_field(times, "User time (seconds)"), _time_field(times, "System time (seconds)")
    rss = _time_field(times, "Maximum resident set size (kbytes)")
    return Measured(what=what, command=shown, seconds=_elapsed(times), outer_seconds=round(outer, 3),
                    max_rss_mb=round(rss / 1024, 1) if rss is not None else None,
                    tree_pss_mb=round(sampler.peak_pss_kb / 1024, 1), tree_rss_mb=round(sampler.peak_rss_kb / 1024, 1),
                    cpu_seconds=round(user + system, 2) if user is not None and system is not None else None,
                    returncode=proc.returncode, timed_out=timed_out, log=str(log),
                    tail="\n".join(text.splitlines()[-15:]))


def _killpg(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(30)


def _time_field(text: str, name: str) -> float | None:
    m = re.search(rf"^\s*{re.escape(name)}:\s*([0-9.]+)\s*$", text, re.MULTILINE)
    return float(m.group(1)) if m else None


def _elapsed(text: str) -> float | None:
    """``Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.35`` in seconds."""
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([0-9:.]+)", text)
    if not m:
        return None
    seconds = 0.0
    for part in m.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return round(seconds, 3)


def sh(cmd: list[str], timeout: float = 30) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        return (done.stdout or done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


# ----------------------------------------------------------------------------- the stores (tests/helpers/stores.py)

def stores_module(args: argparse.Namespace) -> Any:
    """``tests/helpers/stores.py``, with Virtuoso's memory and query time limit raised for graphs of this size
    (the tests' ``virtuoso.ini`` has 10,000 buffers, 80 MB, and a 60 s query limit)."""
    from helpers import stores

    patched = stores.VIRTUOSO_INI
    for key, value in (("NumberOfBuffers", args.virtuoso_buffers), ("MaxDirtyBuffers", args.virtuoso_buffers * 3 // 4),
                       ("MaxQueryExecutionTime", int(args.query_timeout)), ("MaxQueryMem", "2G")):
        patched, found = re.subn(rf"^{key}(\s*)=.*$", rf"{key}\g<1>= {value}", patched, flags=re.MULTILINE)
        if found != 1:
            raise SystemExit(f"tests/helpers/stores.py's virtuoso.ini changed: no single {key} line")
    stores.VIRTUOSO_INI = patched
    return stores


def helper_failures() -> tuple[type[BaseException], ...]:
    """What the store helpers raise (pytest's fail and skip outcomes, BaseExceptions) and ordinary errors."""
    import pytest

    return (Exception, pytest.fail.Exception, pytest.skip.Exception)


def store_peak_mb(pid: int) -> dict[str, float]:
    return {"peak_mb": round(_status_kb(pid, "VmHWM:") / 1024, 1), "rss_mb": round(_status_kb(pid, "VmRSS:") / 1024, 1)}


# ----------------------------------------------------------------------------- kgpub serve

@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    sparql_url: str
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def kgpub_serve(release: Path, work: Path, query_timeout: float, deadline: float) -> Iterator[Served]:
    """``kgpub serve --release`` on a free port until the block ends (its process group stopped afterwards)."""
    port = _free_port()
    log = work / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([PYTHON, "-m", "kgpub", "serve", "--release", str(release), "--port", str(port),
                                 "--timeout", str(query_timeout)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=clean_env(), cwd=work, start_new_session=True)
    try:
        end = time.monotonic() + deadline
        with httpx.Client(timeout=5) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"kgpub serve exited with {proc.returncode}:\n{_tail(log)}")
                try:
                    if client.get(f"http://{HOST}:{port}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > end:
                    raise RuntimeError(f"kgpub serve not ready within {deadline:.0f} s:\n{_tail(log)}")
                time.sleep(0.2)
        yield Served(proc, f"http://{HOST}:{port}/sparql", log)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                _killpg(proc)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------- part 1: build

def source_files(project: Path) -> list[Path]:
    return sorted(p for folder in ("ontology", "data") for p in (project / folder).rglob("*")
                  if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def manifest_of(releases: Path) -> dict[str, Any]:
    path = releases / "current" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def oxigraph_count(location: Path, timeout: float) -> int | None:
    out = sh([OXIGRAPH, "query", "--location", str(location), "--results-format", "csv", "--query",
              "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"], timeout=timeout)
    lines = out.splitlines()
    return int(lines[-1]) if len(lines) >= 2 and lines[-1].strip().isdigit() else None


def build_part(label: str, project: Path, work: Path, args: argparse.Namespace) -> tuple[dict[str, Any], Path | None]:
    """Every build method ``--build-repeat`` times, interleaved; the first good new release is kept."""
    methods = ["new", *([] if args.skip_old else ["old"]), "oxigraph"]
    runs: dict[str, list[Measured]] = {m: [] for m in methods}
    kept: Path | None = None
    manifests: dict[str, dict[str, Any]] = {}
    loaded: list[int | None] = []
    files = source_files(project)
    for rep in range(1, args.build_repeat + 1):
        for method in methods:
            target = work / f"build-{method}-{rep}"
            shutil.rmtree(target, ignore_errors=True)
            log = work / "logs" / f"{label}-build-{method}-{rep}.log"
            if method == "oxigraph":
                cmd = [OXIGRAPH, "load", "--location", str(target), "--file", *map(str, files)]
                env = clean_env()
            else:
                cmd = [PYTHON, "-m", "kgpub", "build", "--project", str(project), "--releases", str(target)]
                env = clean_env({"PYTHONPATH": str(args.old_src)} if method == "old" else None)
            say(f"{label:>5} build {method:<8} run {rep} ...")
            m = run_timed(f"build {method}", cmd, log, args.timeout, env=env)
            runs[method].append(m)
            say(f"      {_secs(m.seconds)} s, peak {m.max_rss_mb} MB, tree PSS {m.tree_pss_mb} MB, "
                f"{'ok' if m.ok else 'TIMEOUT' if m.timed_out else f'exit {m.returncode}'}")
            if not m.ok:
                print(m.tail, flush=True)
            if method == "oxigraph":
                if m.ok:
                    loaded.append(oxigraph_count(target, args.timeout))
                shutil.rmtree(target, ignore_errors=True)
                continue
            if m.ok:
                manifests.setdefault(method, manifest_of(target))
            if method == "new" and m.ok and kept is None:
                kept = target
            else:
                shutil.rmtree(target, ignore_errors=True)
    result: dict[str, Any] = {"runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
                              "source_files": [str(f.relative_to(project)) for f in files]}
    new_m = manifests.get("new", {})
    graphs = new_m.get("graphs", {})
    result["release_graphs"] = graphs
    result["release_triples"] = sum(n for g, n in graphs.items() if not g.endswith("/validation"))
    expected = sum(graphs.get(g, 0) for g in new_m.get("default_graphs", []))
    result["oxigraph_loaded_triples"] = loaded
    notes = result.setdefault("notes", [])
    if loaded and expected and any(n != expected for n in loaded):
        notes.append(f"oxigraph load stored {loaded} triples in its default graph; the release's data + ontology "
                     f"graphs hold {expected} (a triple stated in both folders is one triple there)")
    if "old" in manifests and new_m and manifests["old"].get("graphs") != graphs:
        notes.append(f"old and new builds disagree on the graphs' triples: old {manifests['old'].get('graphs')}, "
                     f"new {graphs}")
    if "old" in manifests and new_m and manifests["old"].get("version") != new_m.get("version"):
        notes.append(f"old and new builds wrote different release versions: {manifests['old'].get('version')} "
                     f"vs {new_m.get('version')} (expected if the release format changed)")
    result["summary"] = {m: summarize(v) for m, v in runs.items()}
    return result, kept


def summarize(runs: list[Measured]) -> dict[str, Any]:
    good = [r for r in runs if r.ok and r.seconds is not None]
    if not good:
        return {"ok": False, "timed_out": any(r.timed_out for r in runs), "n": 0}
    return {"ok": True, "n": len(good), "seconds": round(statistics.median(r.seconds or 0.0 for r in good), 3),
            "max_rss_mb": max(r.max_rss_mb or 0.0 for r in good), "tree_pss_mb": max(r.tree_pss_mb for r in good),
            "tree_rss_mb": max(r.tree_rss_mb for r in good),
            "cpu_seconds": round(statistics.median(r.cpu_seconds or 0.0 for r in good), 2)}


# ----------------------------------------------------------------------------- part 2: publish

def publish_gsp(store: Any, release: Path, label: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "kgpub", "publish", "--to", store.gsp_url, "--release", str(release),
           "--timeout", str(args.timeout)]
    env = clean_env()
    if store.user is not None:
        cmd += ["--user", store.user, "--password-env", PASSWORD_ENV]
        env[PASSWORD_ENV] = store.password
    reset = reset_peak(store.proc.pid)
    say(f"{label:>5} publish {store.kind} GSP ...")
    m = run_timed(f"publish {store.kind} gsp", cmd, work / "logs" / f"{label}-gsp-{store.kind}.log", args.timeout,
                  env=env)
    m.extra["store"] = {**store_peak_mb(store.proc.pid), "peak_reset_before": reset}
    m.extra["verified"] = m.ok  # kgpub publish counts every graph and exits 6 on a mismatch
    say(f"      {_secs(m.seconds)} s, client peak {m.max_rss_mb} MB, store peak {m.extra['store']['peak_mb']} MB, "
        f"{'ok (verified)' if m.ok else f'exit {m.returncode}'}")
    if not m.ok:
        print(m.tail, flush=True)
    return asdict(m)


def counts_match(store: Any, graphs: dict[str, int]) -> tuple[bool, dict[str, int | str]]:
    found: dict[str, int | str] = {}
    failures = helper_failures()
    for graph in graphs:
        try:
            found[graph] = store.count(graph)
        except failures as e:
            found[graph] = f"error: {e}"[:300]
    return all(found.get(g) == n for g, n in graphs.items()), found


def bulk_export(release: Path, folder: Path, label: str, work: Path, args: argparse.Namespace) -> Measured:
    cmd = [PYTHON, "-m", "kgpub", "publish", "--bulk", str(folder), "--release", str(release)]
    say(f"{label:>5} publish --bulk (export) ...")
    m = run_timed("publish --bulk (export)", cmd, work / "logs" / f"{label}-bulk-export.log", args.timeout)
    say(f"      {_secs(m.seconds)} s, peak {m.max_rss_mb} MB, {'ok' if m.ok else f'exit {m.returncode}'}")
    if not m.ok:
        print(m.tail, flush=True)
    return m


def oxigraph_bulk(bulk: Path, graphs: dict[str, int], label: str, work: Path,
                  args: argparse.Namespace) -> dict[str, Any]:
    """``sh load.sh FOLDER`` into a fresh folder, then a COUNT per graph with ``oxigraph query`` (no server)."""
    location = work / "oxigraph-bulk"
    shutil.rmtree(location, ignore_errors=True)
    say(f"{label:>5} oxigraph bulk (sh load.sh) ...")
    m = run_timed("oxigraph bulk load.sh", ["sh", str(bulk / "load.sh"), str(location)],
                  work / "logs" / f"{label}-bulk-oxigraph.log", args.timeout, env=clean_env({"OXIGRAPH": OXIGRAPH}),
                  cwd=work)
    if m.ok:
        found = oxigraph_graph_counts(location, args.timeout)
        m.extra.update(verified=all(found.get(g) == k for g, k in graphs.items()), counts=found)
    else:
        m.extra["verified"] = False
    say(f"      {_secs(m.seconds)} s, peak {m.max_rss_mb} MB (the largest oxigraph command), "
        f"{'verified' if m.extra.get('verified') else 'NOT verified'}")
    if not m.ok:
        print(m.tail, flush=True)
    shutil.rmtree(location, ignore_errors=True)
    return asdict(m)


def oxigraph_graph_counts(location: Path, timeout: float) -> dict[str, int]:
    out = sh([OXIGRAPH, "query", "--location", str(location), "--results-format", "csv", "--query",
              "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"], timeout=timeout)
    found = {}
    for line in out.splitlines()[1:]:
        graph, _, count = line.strip().rpartition(",")
        if count.isdigit():
            found[graph] = int(count)
    return found


def virtuoso_bulk(store: Any, bulk: Path, graphs: dict[str, int], label: str, work: Path,
                  args: argparse.Namespace) -> list[dict[str, Any]]:
    """Clear the graphs (timed on its own), then ``isql-vt HOST:PORT dba PASSWORD load.sql``, then COUNT each."""
    isql = shutil.which(ISQL) or ISQL
    login = [isql, f"{HOST}:{store.isql_port}", "dba", store.dba_password]
    clear = work / f"{label}-virtuoso-clear.sql"
    clear.write_text("log_enable(3,1);\n" + "".join(f"SPARQL CLEAR GRAPH <{g}>;\n" for g in graphs) + "checkpoint;\n",
                     encoding="utf-8")
    out = []
    steps = (("virtuoso clear graphs (before bulk)", clear, "clear"), ("virtuoso bulk load.sql", bulk / "load.sql",
                                                                      "bulk"))
    for what, script, step in steps:
        reset = reset_peak(store.proc.pid)
        say(f"{label:>5} {what} ...")
        m = run_timed(what, [*login, str(script)], work / "logs" / f"{label}-virtuoso-{step}.log", args.timeout,
                      secret=store.dba_password, cwd=work)
        text = Path(m.log).read_text(encoding="utf-8", errors="replace")
        if "*** Error" in text:
            m.extra["isql_errors"] = [line for line in text.splitlines() if "*** Error" in line][:10]
        m.extra["store"] = {**store_peak_mb(store.proc.pid), "peak_reset_before": reset}
        out.append(m)
    load = out[-1]
    if load.ok and "isql_errors" not in load.extra:
        ok, found = counts_match(store, graphs)
        where = str(bulk / "graphs").replace("'", "''")
        try:
            bad = store.isql(f"SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_file LIKE '{where}/%' "
                             "AND (ll_state <> 2 OR ll_error IS NOT NULL);").split()
        except helper_failures() as e:
            bad = [f"error: {e}"[:300]]
        load.extra.update(verified=ok and bad == ["0"], counts=found, loader_failed_files=bad)
    else:
        load.extra["verified"] = False
    for m in out:
        say(f"      {m.what}: {_secs(m.seconds)} s, store peak {m.extra['store']['peak_mb']} MB"
            + (f", {'verified' if m.extra.get('verified') else 'NOT verified'}" if m is load else "")
            + (f", errors {m.extra['isql_errors']}" if "isql_errors" in m.extra else ""))
    return [asdict(m) for m in out]


# ----------------------------------------------------------------------------- part 3: queries

@dataclass
class Endpoint:
    name: str
    url: str
    params: dict[str, list[str]]  # protocol parameters sent with every query (default-graph-uri)
    pids: list[int]  # the processes whose memory the queries use


def post_query(client: httpx.Client, ep: Endpoint, query: str, timeout: float) -> tuple[float, dict[str, Any]]:
    """Seconds for the whole round trip and the parsed SPARQL JSON results (an error raises)."""
    data: dict[str, Any] = {"query": query, **ep.params}
    started = time.perf_counter()
    r = client.post(ep.url, data=data, headers={"Accept": "application/sparql-results+json"}, timeout=timeout)
    _ = r.content
    seconds = time.perf_counter() - started
    if r.status_code != 200:
        raise RuntimeError(f"{ep.name}: {r.status_code} {r.text[:300]}")
    body: dict[str, Any] = r.json()
    state = r.headers.get("x-sql-state")  # Virtuoso's "anytime" answer: partial results at its time limit
    if state:
        body["_warning"] = f"X-SQL-State {state}: {r.headers.get('x-sql-message', '')}"
    return seconds, body


def normalized(body: dict[str, Any]) -> list[tuple[tuple[str, str], ...]]:
    """Rows as sorted (variable, value) pairs, numbers as numbers, blank nodes as one label: what any two stores
    that hold the same graph must agree on."""
    rows = []
    for row in body.get("results", {}).get("bindings", []):
        cells = []
        for var, term in sorted(row.items()):
            value = term.get("value", "")
            if term.get("type") == "bnode":
                value = "_:b"
            elif term.get("datatype") in NUMERIC:
                with suppress(ValueError):
                    value = f"{float(value):.9g}"
            cells.append((var, value))
        rows.append(tuple(cells))
    return rows


def pick_observation(client: httpx.Client, ep: Endpoint, timeout: float) -> str:
    """An observation IRI from the data: the middle one in IRI order."""
    _, body = post_query(client, ep, PREFIXES + "SELECT (COUNT(?o) AS ?n) WHERE { ?o a qb:Observation }", timeout)
    n = int(body["results"]["bindings"][0]["n"]["value"])
    _, body = post_query(client, ep, PREFIXES + f"SELECT ?o WHERE {{ ?o a qb:Observation }} ORDER BY ?o "
                                                f"OFFSET {n // 2} LIMIT 1", timeout)
    return str(body["results"]["bindings"][0]["o"]["value"])


def query_part(endpoints: list[Endpoint], label: str, args: argparse.Namespace) -> dict[str, Any]:
    clients = {ep.name: httpx.Client() for ep in endpoints}
    try:
        obs = pick_observation(clients[endpoints[0].name], endpoints[0], args.query_timeout)
        texts = {QUERY_NAMES[0]: f"SELECT ?p ?o WHERE {{ <{obs}> ?p ?o }}",
                 QUERY_NAMES[1]: GROUP_BY, QUERY_NAMES[2]: TOP_TEN}
        seconds: dict[str, dict[str, list[float]]] = {q: {ep.name: [] for ep in endpoints} for q in texts}
        answers: dict[str, dict[str, Any]] = {q: {} for q in texts}
        errors: dict[str, dict[str, str]] = {q: {} for q in texts}
        for ep in endpoints:
            for pid in ep.pids:
                reset_peak(pid)
        run = 0
        for rep in range(args.repeat + 1):  # round 0: the warm-up
            for qi, (name, text) in enumerate(texts.items()):
                order = endpoints[(rep + qi) % len(endpoints):] + endpoints[:(rep + qi) % len(endpoints)]
                for ep in order:
                    if ep.name in errors[name]:
                        continue
                    run += 1
                    try:
                        took, body = post_query(clients[ep.name], ep, f"{text}\n# run {run}", args.query_timeout)
                    except (httpx.HTTPError, RuntimeError, ValueError) as e:
                        errors[name][ep.name] = str(e)[:500]
                        say(f"{label:>5} {name} on {ep.name}: FAILED {e}")
                        continue
                    if rep == 0:
                        answers[name][ep.name] = body
                    else:
                        seconds[name][ep.name].append(took)
        memory = {ep.name: {"peak_mb": round(sum(_status_kb(p, "VmHWM:") for p in ep.pids) / 1024, 1),
                            "processes": len(ep.pids)} for ep in endpoints}
    finally:
        for client in clients.values():
            client.close()
    out: dict[str, Any] = {"observation": obs, "queries": texts, "memory_during_queries": memory, "results": {}}
    for name in texts:
        reference = endpoints[0].name
        ref = normalized(answers[name][reference]) if reference in answers[name] else None
        per: dict[str, Any] = {}
        for ep in endpoints:
            runs = seconds[name][ep.name]
            body = answers[name].get(ep.name)
            rows = normalized(body) if body is not None else None
            same = None if rows is None or ref is None else sorted(rows) == sorted(ref)
            per[ep.name] = {"median_ms": round(1000 * statistics.median(runs), 2) if runs else None,
                            "min_ms": round(1000 * min(runs), 2) if runs else None,
                            "max_ms": round(1000 * max(runs), 2) if runs else None,
                            "runs_ms": [round(1000 * s, 2) for s in runs],
                            "rows": len(rows) if rows is not None else None, "same_as_embedded": same,
                            "same_order": None if rows is None or ref is None or "ORDER BY" not in texts[name]
                            else rows == ref,
                            "error": errors[name].get(ep.name),
                            "warning": body.get("_warning") if body is not None else None}
            if same is False:
                per[ep.name]["answer"] = rows[:20] if rows is not None else None
                per[ep.name]["embedded_answer"] = ref[:20] if ref is not None else None
        out["results"][name] = per
    return out


# ----------------------------------------------------------------------------- one size

def ensure_project(label: str, n: int, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    project = args.gen_dir / f"p{n}"
    marker = project / generate.MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if info.get("requested_triples") == n and info.get("seed") == args.seed:
            return project, info
    say(f"{label:>5} generating {project} ...")
    info = generate.generate(ROOT, project, n, args.seed)
    return project, info


def bench_size(label: str, n: int, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    project, info = ensure_project(label, n, args)
    result: dict[str, Any] = {"label": label, "requested_triples": n, "project": str(project),
                              "generated_triples": info.get("total_triples"), "notes": [], "publish": [],
                              "queries": {}}
    build, release_root = build_part(label, project, work, args)
    result["build"] = build
    result["notes"] += build.pop("notes", [])
    if release_root is None:
        result["notes"].append("the new build failed: no publish, no queries at this size")
        return result
    try:
        publish_and_query(result, (release_root / "current").resolve(), manifest_of(release_root), work, args)
    finally:
        shutil.rmtree(release_root, ignore_errors=True)
    return result


def publish_and_query(result: dict[str, Any], release: Path, manifest: dict[str, Any], work: Path,
                      args: argparse.Namespace) -> None:
    """Parts 2 and 3 on one release: Virtuoso lives through both; kgpub serve and the Oxigraph server (which
    locks its folder) stop after the queries, before the bulk path."""
    label = result["label"]
    graphs: dict[str, int] = manifest["graphs"]
    dataset = {"default-graph-uri": list(manifest["default_graphs"])}
    failures = helper_failures()
    stores = None if args.skip_stores else stores_module(args)
    with ExitStack() as stack:
        try:
            virt = None
            if stores is not None:
                try:
                    virt = stack.enter_context(stores.virtuoso_server(work / "virtuoso"))
                except failures as e:
                    result["notes"].append(f"Virtuoso did not start: {str(e)[:1000]}")
            with ExitStack() as front:
                served = front.enter_context(kgpub_serve(release, work, args.query_timeout, args.timeout))
                endpoints = [Endpoint("embedded", served.sparql_url, {}, process_tree(served.proc.pid))]
                oxi = None
                if stores is not None:
                    try:
                        oxi = front.enter_context(stores.oxigraph_server(work / "oxigraph-gsp"))
                    except failures as e:
                        result["notes"].append(f"Oxigraph server did not start: {str(e)[:1000]}")
                for store in (s for s in (oxi, virt) if s is not None):
                    gsp = publish_gsp(store, release, label, work, args)
                    result["publish"].append({"store": store.kind, "path": "GSP", **gsp})
                    if gsp["returncode"] == 0 and not gsp["timed_out"]:
                        endpoints.append(Endpoint(store.kind, store.sparql_url, dataset, [store.proc.pid]))
                    else:
                        result["notes"].append(f"GSP publish into {store.kind} failed: no queries against it")
                say(f"{label:>5} queries: {', '.join(ep.name for ep in endpoints)}; {args.repeat} runs each ...")
                result["queries"] = query_part(endpoints, label, args)
                print_query_progress(result["queries"])
            if stores is None:
                return
            bulk = (virt.load_dir if virt is not None else work) / "bulk"  # Virtuoso reads only its DirsAllowed
            export = bulk_export(release, bulk, label, work, args)
            result["publish"].append({"store": "-", "path": "bulk export", **asdict(export)})
            if not export.ok:
                result["notes"].append("kgpub publish --bulk failed: no bulk loads")
                return
            result["publish"].append({"store": "oxigraph", "path": "bulk",
                                      **oxigraph_bulk(bulk, graphs, label, work, args)})
            if virt is not None:
                for step in virtuoso_bulk(virt, bulk, graphs, label, work, args):
                    path = "bulk" if step["what"].endswith("load.sql") else "clear"
                    result["publish"].append({"store": "virtuoso", "path": path, **step})
        except failures as e:
            result["notes"].append(f"stopped early: {type(e).__name__}: {str(e)[:2000]}")
            say(f"{label:>5} FAILED: {type(e).__name__}: {e}")


def print_query_progress(queries: dict[str, Any]) -> None:
    for name, per in queries.get("results", {}).items():
        cells = ", ".join(f"{b} {v['median_ms']} ms ({v['rows']} rows)" for b, v in per.items())
        say(f"      {name}: {cells}")


# ----------------------------------------------------------------------------- machine, tables

def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").is_file() else ""
    mem = re.search(r"MemTotal:\s*(\d+)", meminfo)
    dirty = sh(["git", "-C", str(ROOT), "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "cpu_model": model.group(1).strip() if model else platform.processor(),
        "ram_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "git_commit": sh(["git", "-C", str(ROOT), "rev-parse", "HEAD"]),
        "git_dirty": bool(dirty and dirty != "?"),
        "oxigraph": sh([OXIGRAPH, "--version"]),
        "virtuoso": " ".join(sh(["virtuoso-t", "+version"]).splitlines()[1:2]),
        "pyoxigraph": sh([PYTHON, "-c", "import pyoxigraph; print(pyoxigraph.__version__)"]),
    }


def _secs(s: float | None) -> str:
    return "n/a" if s is None else f"{s:.2f}" if s < 100 else f"{s:.0f}"


def _mb(x: float | None) -> str:
    return "n/a" if not x else f"{x:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def build_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Build", "",
             "| size | triples | new: s | new: peak MB | new: tree PSS MB | old: s | old: peak MB | old: tree PSS MB "
             "| oxigraph load: s | oxigraph: peak MB | old/new time | old/new peak | new/oxigraph time "
             "| new/oxigraph peak |",
             "|---|---:|" + "---:|" * 12]
    for r in results:
        s = r.get("build", {}).get("summary", {})

        def cell(method: str, key: str, s: dict[str, Any] = s) -> float | None:
            v = s.get(method, {})
            return v.get(key) if v.get("ok") else None

        def timecell(method: str, s: dict[str, Any] = s) -> str:
            v = s.get(method)
            if v is None:
                return "skipped"
            return _secs(v["seconds"]) if v.get("ok") else "timeout" if v.get("timed_out") else "failed"

        new_t, old_t, oxi_t = cell("new", "seconds"), cell("old", "seconds"), cell("oxigraph", "seconds")
        new_m, old_m, oxi_m = cell("new", "max_rss_mb"), cell("old", "max_rss_mb"), cell("oxigraph", "max_rss_mb")
        triples = r.get("build", {}).get("release_triples") or r.get("generated_triples") or 0
        lines.append(f"| {r['label']} | {triples:,} | {timecell('new')} "
                     f"| {_mb(new_m)} | {_mb(cell('new', 'tree_pss_mb'))} | {timecell('old')} | {_mb(old_m)} "
                     f"| {_mb(cell('old', 'tree_pss_mb'))} | {timecell('oxigraph')} | {_mb(oxi_m)} "
                     f"| {_ratio(old_t, new_t)} | {_ratio(old_m, new_m)} | {_ratio(new_t, oxi_t)} "
                     f"| {_ratio(new_m, oxi_m)} |")
    lines += ["", "Seconds: /usr/bin/time's wall clock (median over --build-repeat). Peak MB: /usr/bin/time's maximum "
              "resident set size, the largest single process of the tree. Tree PSS: sampled peak of the summed PSS "
              "of every process of the tree (what forked workers really cost). Triples: the release's, without the "
              "validation report.", ""]
    return lines


def publish_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Publish", "", "| size | store | path | s | client peak MB | store peak MB | verified |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in results:
        for p in r.get("publish", []):
            store = p.get("extra", {}).get("store", {})
            verified = p.get("extra", {}).get("verified")
            ok = p["returncode"] == 0 and not p["timed_out"]
            state = ("yes" if verified else "NO") if verified is not None else ("-" if ok else "")
            if not ok:
                state = "timeout" if p["timed_out"] else f"failed (exit {p['returncode']})"
            lines.append(f"| {r['label']} | {p['store']} | {p['path']} | {_secs(p['seconds'])} "
                         f"| {_mb(p['max_rss_mb'])} | {_mb(store.get('peak_mb'))} | {state} |")
    lines += ["", "GSP: `kgpub publish --to` (PUT to a temporary graph, COUNT, MOVE, COUNT). Bulk export: `kgpub "
              "publish --bulk` (gzip N-Triples + load.sql + load.sh). Oxigraph bulk: `sh load.sh FOLDER` into a "
              "fresh folder (client peak = the largest `oxigraph` command; the server is not running). Virtuoso "
              "clear: the graphs the GSP publish wrote, cleared before the bulk load (so it loads into empty "
              "graphs). Virtuoso bulk: `isql-vt … load.sql` (store peak = virtuoso-t's VmHWM during the step). "
              "Verified: a COUNT per graph equals the manifest's.", ""]
    return lines


def query_table(results: list[dict[str, Any]], repeat: int) -> list[str]:
    lines = ["## Queries", "",
             "| size | query | embedded ms | oxigraph ms | virtuoso ms | rows e / o / v | same answers |",
             "|---|---|---:|---:|---:|---|---|"]
    for r in results:
        for name, per in r.get("queries", {}).get("results", {}).items():
            def ms(b: str, per: dict[str, Any] = per) -> str:
                v = per.get(b)
                if v is None:
                    return "-"
                return "error" if v.get("error") else f"{v['median_ms']:.1f}" if v.get("median_ms") else "n/a"

            rows = " / ".join(str(per[b]["rows"]) if b in per else "-" for b in BACKENDS)
            same = [b for b in BACKENDS[1:] if b in per and per[b].get("same_as_embedded") is False]
            order = [b for b in BACKENDS[1:] if b in per and per[b].get("same_as_embedded")
                     and per[b].get("same_order") is False]
            warn = [b for b in BACKENDS if b in per and per[b].get("warning")]
            verdict = ("MISMATCH: " + ", ".join(same)) if same else "yes" if len(per) > 1 else "-"
            if order:
                verdict += " (rows in another order: " + ", ".join(order) + ")"
            if warn:
                verdict += " (partial answer: " + ", ".join(warn) + ")"
            lines.append(f"| {r['label']} | {name} | {ms('embedded')} | {ms('oxigraph')} | {ms('virtuoso')} "
                         f"| {rows} | {verdict} |")
    lines += ["", f"Median of {repeat} runs after one warm-up, the whole HTTP round trip (POST, SPARQL JSON), "
              "one query at a time, backends interleaved. Embedded: `kgpub serve` on the new release "
              "(its default graph); Oxigraph server and Virtuoso after the GSP publish, with the release's data "
              "and ontology graphs as `default-graph-uri`.", ""]
    for r in results:
        mem = r.get("queries", {}).get("memory_during_queries")
        if mem:
            cells = (f"{b} {v['peak_mb']:,.0f} MB ({v['processes']} process{'es' if v['processes'] > 1 else ''})"
                     for b, v in mem.items())
            lines.append(f"- {r['label']}: peak RSS during the queries: " + ", ".join(cells))
    return [*lines, ""]


def render(info: dict[str, Any], results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"# Scale benchmark ({', '.join(r['label'] for r in results)})", "",
             f"- Date: {info['machine']['date']}; git {info['machine']['git_commit'][:12]}"
             + (" (with uncommitted changes)" if info["machine"]["git_dirty"] else "")
             + (f"; old build: git {info['old_commit'][:12]}" if not args.skip_old else ""),
             f"- Machine: {info['machine']['cpus']} CPUs ({info['machine']['cpu_model']}), "
             f"{info['machine']['ram_gib']} GiB RAM, {info['machine']['os']}; load average {info['load_before']} "
             f"before, {info['load_after']} after",
             f"- {info['machine']['oxigraph']}"
             + ("" if args.skip_stores else f"; Virtuoso {info['machine']['virtuoso']}, NumberOfBuffers "
                f"{args.virtuoso_buffers}"), "",
             *build_table(results)]
    if not args.skip_stores:
        lines += publish_table(results)
    lines += query_table(results, args.repeat)
    notes = [(r["label"], n) for r in results for n in r.get("notes", [])]
    if notes:
        lines += ["## Notes", "", *(f"- {label}: {n}" for label, n in notes), ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100k,1m", help="comma-separated sizes, e.g. 10k,100k,1m (default 100k,1m)")
    ap.add_argument("--skip-old", action="store_true", help="do not run the old build")
    ap.add_argument("--skip-stores", action="store_true", help="no Oxigraph server or Virtuoso: build and the "
                                                                "embedded store's queries only")
    ap.add_argument("--repeat", type=int, default=9, help="timed runs per query and backend (default 9)")
    ap.add_argument("--build-repeat", type=int, default=1, help="runs per build method (default 1)")
    ap.add_argument("--json", type=Path, required=True, help="write every figure here")
    ap.add_argument("--timeout", type=float, default=1800.0, help="limit per build, publish or load (s)")
    ap.add_argument("--query-timeout", type=float, default=300.0, help="limit per query (s)")
    ap.add_argument("--gen-dir", type=Path, default=Path("/tmp/gen"), help="generated projects, as p<N> (default "
                                                                           "/tmp/gen)")
    ap.add_argument("--old-src", type=Path, default=Path("/tmp/oldtree/src"), help="the old kgpub's src folder")
    ap.add_argument("--virtuoso-buffers", type=int, default=340_000,
                    help="Virtuoso NumberOfBuffers (8 KiB each; default 340000, ~2.7 GB)")
    ap.add_argument("--seed", type=int, default=20250619, help="generator seed (as bench/generate.py's default)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, store folders)")
    args = ap.parse_args(argv)
    if not Path(TIME).is_file():
        raise SystemExit(f"{TIME} is needed (Debian: apt-get install time)")
    if not args.skip_old and not (args.old_src / "kgpub").is_dir():
        raise SystemExit(f"--old-src {args.old_src}: no kgpub package there (or pass --skip-old)")
    sizes = [(p.strip().lower(), generate.parse_size(p)) for p in args.sizes.split(",") if p.strip()]
    work = Path(tempfile.mkdtemp(prefix="scale-bench-", dir="/tmp"))
    info: dict[str, Any] = {"machine": machine(), "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
                            "old_commit": "" if args.skip_old else sh(["git", "-C", str(args.old_src.parent),
                                                                       "rev-parse", "HEAD"]),
                            "args": {k: str(v) for k, v in vars(args).items()}, "work": str(work)}
    say(f"scale bench: sizes {args.sizes}, work folder {work}")
    results: list[dict[str, Any]] = []
    try:
        for label, n in sizes:
            (work / label).mkdir()
            results.append(bench_size(label, n, work / label, args))
            info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({**info, "sizes": results}, indent=2), encoding="utf-8")
    finally:
        info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**info, "sizes": results}, indent=2), encoding="utf-8")
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(render(info, results, args))
    print(f"\nAll figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
