"""Real triple stores on free ports of 127.0.0.1, started by the tests and stopped afterwards.

Two engines people run: Oxigraph server (PyPI ``oxigraph``, no authentication) and OpenLink
Virtuoso 7.2 (Debian ``virtuoso-opensource-7``, digest authentication on its ``-auth``
endpoints). Each runs in a temporary folder of its own (its own ``virtuoso.ini``), so a test
never touches a store anybody else uses. A missing engine is a skip with the reason, and a
failure under ``CI=true`` (:mod:`helpers.requirements`).

:func:`oxigraph_server` and :func:`virtuoso_server` are context managers yielding a
:class:`RunningStore`: its endpoints, the publishing user's credentials (Virtuoso), a bulk
load of a file, a query's rows, and ``isql`` for Virtuoso. Every wait is bounded; a store
that does not come up fails the test with the tail of its log.
"""

from __future__ import annotations

import gzip
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpers.requirements import missing

__all__ = ["ISQL", "VIRTUOSO", "RunningStore", "oxigraph_binary", "oxigraph_server", "require_oxigraph",
           "require_virtuoso", "virtuoso_server"]

HOST = "127.0.0.1"
INSTALL = "sh scripts/setup-test-tools.sh"
VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"  # Debian's name for Virtuoso's isql (``isql`` is unixODBC's)
STARTUP_DEADLINE = 60.0  # seconds: a fresh Virtuoso database is created on first start (~6 s here)
STOP_DEADLINE = 10.0
ISQL_TIMEOUT = 120.0
PUBLISHER = "kgpub"  # the Virtuoso user a test publishes as
_files = itertools.count()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` command of this virtual environment (PyPI ``oxigraph``), else one on the PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def require_oxigraph() -> str:
    path = oxigraph_binary()
    if path is None:
        missing("the oxigraph command (PyPI oxigraph, in the test extra) is not installed")
    return path


def require_virtuoso() -> tuple[str, str]:
    server, isql = shutil.which(VIRTUOSO), shutil.which(ISQL)
    if server is None or isql is None:
        missing(f"OpenLink Virtuoso ({VIRTUOSO}, {ISQL}; Debian virtuoso-opensource-7) is not installed; run {INSTALL}")
    return server, isql


@dataclass
class RunningStore:
    """A store serving on 127.0.0.1: its endpoints, the publishing user (Virtuoso), and how to fill and ask it."""

    kind: str  # "oxigraph" | "virtuoso"
    sparql_url: str  # SPARQL query endpoint (no authentication)
    update_url: str  # SPARQL Update endpoint (Virtuoso: the authenticated /sparql-auth)
    gsp_url: str  # Graph Store Protocol endpoint (Virtuoso: the authenticated /sparql-graph-crud-auth)
    user: str | None  # the publishing user; None for Oxigraph (no authentication)
    password: str | None
    root: Path = field(repr=False)  # the store's temporary folder
    log: Path = field(repr=False)
    proc: subprocess.Popen[bytes] = field(repr=False)
    isql_port: int | None = field(default=None, repr=False)
    dba_password: str | None = field(default=None, repr=False)
    load_dir: Path | None = field(default=None, repr=False)  # Virtuoso: in DirsAllowed

    @property
    def base(self) -> str:
        return self.sparql_url.rsplit("/", 1)[0]

    @property
    def auth(self) -> httpx.DigestAuth | None:
        """The publishing user's digest credentials for the authenticated endpoints (None for Oxigraph)."""
        return None if self.user is None or self.password is None else httpx.DigestAuth(self.user, self.password)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def bulk_load(self, path: Path, graph: str | None = None) -> None:
        """Load an RDF file: into ``graph`` (a graph file: N-Triples, Turtle), or as its own quads (N-Quads, TriG).

        Oxigraph serving holds its store's lock, so the file goes through the Graph Store Protocol (POST: added to
        what is there); Virtuoso loads it with its bulk loader (``ld_dir`` + ``rdf_loader_run()`` + ``checkpoint``)
        from a copy in its load folder, and a file the loader refused fails the test with the loader's error.
        """
        if self.kind == "oxigraph":
            self._gsp_load(path, graph)
        else:
            self._virtuoso_load(path, graph)

    def _gsp_load(self, path: Path, graph: str | None) -> None:
        name = path.name.removesuffix(".gz")
        body = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        media = {".nt": "application/n-triples", ".nq": "application/n-quads", ".ttl": "text/turtle",
                 ".trig": "application/trig"}[Path(name).suffix]
        params = {"graph": graph} if graph is not None else {"default": ""} if media in (
            "application/n-triples", "text/turtle") else {}
        r = httpx.post(self.gsp_url, params=params, content=body, headers={"Content-Type": media}, timeout=120)
        if r.status_code not in (200, 201, 204):
            pytest.fail(f"oxigraph refused {path}: {r.status_code} {r.text[:500]}", pytrace=False)

    def _virtuoso_load(self, path: Path, graph: str | None) -> None:
        assert self.load_dir is not None
        folder = self.load_dir / f"load-{next(_files)}"  # a file name the loader has not seen (load_list keeps them)
        folder.mkdir(parents=True)
        shutil.copy2(path, folder / path.name)
        target = graph if graph is not None else "http://localhost/default"
        self.isql(f"ld_dir('{folder}', '{_sql(path.name)}', '{_sql(target)}');\nrdf_loader_run();\ncheckpoint;")
        where = f"FROM DB.DBA.load_list WHERE ll_file LIKE '{folder}/%'"
        bad = self.isql(f"SELECT COUNT(*) {where} AND (ll_state <> 2 OR ll_error IS NOT NULL);").split()
        if bad != ["0"]:
            state = self.isql(f"SELECT ll_file, ll_state, ll_error {where};")
            pytest.fail(f"Virtuoso's loader refused {path}:\n{state}", pytrace=False)

    def isql(self, sql: str) -> str:
        """Run SQL (statements ending in ``;``) as dba over isql; an error fails the test with the output."""
        assert self.kind == "virtuoso" and self.isql_port is not None and self.dba_password is not None
        return _isql(self.isql_port, "dba", self.dba_password, sql, self.log)

    def select(self, query: str) -> list[dict[str, str]]:
        """A SELECT's rows (values as strings) from the query endpoint, POSTed (Virtuoso's GET has a size limit)."""
        r = httpx.post(self.sparql_url, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                       timeout=60)
        assert r.status_code == 200, f"{self.kind} refused the query: {r.status_code} {r.text[:500]}"
        return [{k: v["value"] for k, v in row.items()} for row in r.json()["results"]["bindings"]]

    def count(self, graph: str) -> int:
        """Triples in a named graph, by COUNT (never by GET: Virtuoso truncates a GET at its row limit)."""
        return int(self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])

    def graphs(self, prefix: str = "") -> dict[str, int]:
        """The named graphs whose IRI starts with ``prefix`` and their triples (Virtuoso's system graphs left out
        by the prefix)."""
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                           f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }} GROUP BY ?g')
        return {row["g"]: int(row["n"]) for row in rows}

    def update(self, update: str) -> None:
        """Run a SPARQL Update as the publishing user."""
        r = httpx.post(self.update_url, data={"update": update}, auth=self.auth,
                       timeout=120)
        assert r.status_code in (200, 204), f"{self.kind} refused the update: {r.status_code} {r.text[:500]}"


def _sql(text: str) -> str:
    return text.replace("'", "''")


def _isql(port: int, user: str, password: str, sql: str, log: Path) -> str:
    isql = shutil.which(ISQL) or ISQL
    done = subprocess.run([isql, f"{HOST}:{port}", user, password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
                          input=sql + "\n", capture_output=True, text=True, timeout=ISQL_TIMEOUT, check=False)
    out = done.stdout + done.stderr
    if done.returncode != 0 or "*** Error" in out:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.is_file() else ""
        pytest.fail(f"isql failed ({done.returncode}) on:\n{sql}\n{out}\nVirtuoso log:\n{tail}", pytrace=False)
    return out


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the store's process group: SIGTERM, then SIGKILL after a bounded wait."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(STOP_DEADLINE)


def _wait_http(proc: subprocess.Popen[bytes], url: str, log: Path, what: str) -> None:
    end = time.monotonic() + STARTUP_DEADLINE
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < end:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with {proc.returncode} before answering:\n{_tail(log)}", pytrace=False)
            try:
                client.get(url)
                return
            except httpx.TransportError:
                time.sleep(0.1)
    _stop(proc)
    pytest.fail(f"{what} did not answer {url} within {STARTUP_DEADLINE} s:\n{_tail(log)}", pytrace=False)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


@contextmanager
def oxigraph_server(tmp: Path, *, location: Path | None = None) -> Iterator[RunningStore]:
    """``oxigraph serve`` on a free port over ``tmp/oxi`` (or an existing ``location``, e.g. one filled by
    ``oxigraph load``) until the block ends."""
    binary = require_oxigraph()
    tmp.mkdir(parents=True, exist_ok=True)
    where = location if location is not None else tmp / "oxi"
    log = tmp / f"oxigraph-{time.monotonic_ns()}.log"
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "serve", "--location", str(where), "--bind", f"{HOST}:{port}"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
                                start_new_session=True)
    base = f"http://{HOST}:{port}"
    try:
        _wait_http(proc, f"{base}/query?query=ASK%7B%7D", log, "oxigraph serve")
        yield RunningStore(kind="oxigraph", sparql_url=f"{base}/query", update_url=f"{base}/update",
                           gsp_url=f"{base}/store", user=None, password=None, root=tmp, log=log, proc=proc)
    finally:
        _stop(proc)


VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = {host}:{isql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = ., {load}
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000
MaxQueryMem              = 256M
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4

[HTTPServer]
ServerPort                  = {host}:{http_port}
ServerRoot                  = {vsp}
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
Charset                     = UTF-8

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


def _wait_isql(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    isql = shutil.which(ISQL) or ISQL
    end = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"virtuoso-t exited with {proc.returncode} before answering isql:\n{_tail(log)}",
                        pytrace=False)
        try:
            done = subprocess.run([isql, f"{HOST}:{port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
                                  input="SELECT 1;\n", capture_output=True, text=True, timeout=10, check=False)
        except subprocess.TimeoutExpired:
            continue
        if done.returncode == 0 and "*** Error" not in done.stdout + done.stderr:
            return
        time.sleep(0.2)
    _stop(proc)
    pytest.fail(f"Virtuoso did not answer isql within {STARTUP_DEADLINE} s:\n{_tail(log)}", pytrace=False)


@contextmanager
def virtuoso_server(tmp: Path) -> Iterator[RunningStore]:
    """A fresh Virtuoso database in ``tmp`` with a ``virtuoso.ini`` of its own, isql and HTTP on free ports, the
    dba password changed and a publishing user (``kgpub``, random password) allowed SPARQL Update and the
    authenticated Graph Store Protocol; stopped (its process group) when the block ends."""
    server, _ = require_virtuoso()
    tmp.mkdir(parents=True, exist_ok=True)
    db, load, vsp = tmp / "db", tmp / "load", tmp / "vsp"
    for folder in (db, load, vsp):
        folder.mkdir(exist_ok=True)
    isql_port, http_port = _free_port(), _free_port()
    while http_port == isql_port:
        http_port = _free_port()
    ini = tmp / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, load=load, vsp=vsp, host=HOST, isql_port=isql_port,
                                       http_port=http_port), encoding="utf-8")
    log = tmp / "virtuoso-t.out"
    with log.open("wb") as out:
        proc = subprocess.Popen([server, "+foreground", "+configfile", str(ini)], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True)
    server_log = db / "virtuoso.log"
    try:
        _wait_isql(proc, isql_port, server_log)
        dba, password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        _isql(isql_port, "dba", "dba", f"USER_SET_PASSWORD('dba', '{dba}');", server_log)
        _isql(isql_port, "dba", dba, f"DB.DBA.USER_CREATE('{PUBLISHER}', '{password}');\n"
              f'GRANT SPARQL_UPDATE TO "{PUBLISHER}";\n'
              f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{PUBLISHER}', 3);", server_log)
        base = f"http://{HOST}:{http_port}"
        _wait_http(proc, f"{base}/sparql?query=ASK%7B%7D", server_log, "Virtuoso's HTTP server")
        yield RunningStore(kind="virtuoso", sparql_url=f"{base}/sparql", update_url=f"{base}/sparql-auth",
                           gsp_url=f"{base}/sparql-graph-crud-auth", user=PUBLISHER, password=password, root=tmp,
                           log=server_log, proc=proc, isql_port=isql_port, dba_password=dba, load_dir=load)
    finally:
        _stop(proc)
