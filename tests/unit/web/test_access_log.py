"""The access log: exactly one JSON line per request on ``kgpub.access``, with every field, capped, switchable."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from helpers.sites import IdleBackend, release
from kgpub.query.protocol import Answer, QueryJob
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web import access_log
from kgpub.web.app import create_app

FIELDS = {"time", "method", "route", "path", "status", "duration_ms", "bytes", "client", "query_hash", "rows",
          "error"}
ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
PLAIN = {"Accept-Encoding": "identity"}  # the bytes logged are the bytes sent: no gzip in between


class Lines(logging.Handler):
    """What ``kgpub.access`` logs, as the JSON objects of its messages."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def take(self) -> list[dict[str, object]]:
        taken, self.messages = [json.loads(m) for m in self.messages], []
        return taken


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(access_log.LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def app_client(tmp_path: Path, backend: object = IdleBackend, *, raise_server_exceptions: bool = False,
               **settings: object) -> TestClient:
    site = Site(Settings.load(env={}, project=tmp_path, workers=1, query_timeout=5.0, **settings),
                release(tmp_path / "releases", "ex"), **({"backend": backend} if backend else {}))
    return TestClient(create_app(site), raise_server_exceptions=raise_server_exceptions)


def test_one_line_per_request_with_every_field(tmp_path: Path, lines: Lines) -> None:
    with app_client(tmp_path) as client:
        lines.take()  # whatever starting up logged
        before = time.time()
        r = client.get("/healthz", headers=PLAIN)
        missing = client.get("/id/nothing-here", headers=PLAIN)
        taken = lines.take()
    assert len(taken) == 2 and all(set(line) == FIELDS for line in taken)
    ok, not_found = taken
    assert ok["method"] == "GET" and ok["route"] == ok["path"] == "/healthz" and ok["status"] == 200
    assert ok["bytes"] == len(r.content) and ok["client"] == "testclient"
    assert ok["query_hash"] is None and ok["rows"] is None and ok["error"] is None
    assert isinstance(ok["duration_ms"], float) and 0 < ok["duration_ms"] < 10_000
    assert isinstance(ok["time"], str) and ISO_UTC_MS.fullmatch(ok["time"])
    logged = time.mktime(time.strptime(ok["time"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert before - 1 <= logged <= time.time()  # UTC, when the request arrived
    assert not_found["route"] == "/id/{rest:path}" and not_found["path"] == "/id/nothing-here"
    assert not_found["status"] == 404 and not_found["bytes"] == len(missing.content)
    assert not_found["error"] == missing.headers.get("x-error-code")  # set by the error renderer, when it does


def test_a_query_logs_its_rows_and_hash_never_its_text(tmp_path: Path, lines: Lines) -> None:
    with app_client(tmp_path, backend=None) as client:  # the real worker pool
        lines.take()
        r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } # private-words"})
        [line] = lines.take()
    assert r.status_code == 200 and line["route"] == "/sparql" and line["path"] == "/sparql"
    assert line["rows"] == int(r.headers["x-result-count"]) == 1
    assert re.fullmatch(r"[0-9a-f]{16}", line["query_hash"]) and "x-query-hash" not in r.headers
    assert "private-words" not in json.dumps(line)


def test_the_answer_headers_name_hash_rows_and_error(lines: Lines) -> None:
    access_log.write({"type": "http", "method": "POST", "path": "/sparql", "client": ("10.0.0.7", 5123)},
                     arrived=0.25, route="/sparql", status=400, seconds=0.0123456, sent=99,
                     headers=[(b"x-query-hash", b"ab12"), (b"x-result-count", b"7"),
                              (b"x-error-code", b"query_syntax")])
    [line] = lines.take()
    assert line == {"time": "1970-01-01T00:00:00.250Z", "method": "POST", "route": "/sparql", "path": "/sparql",
                    "status": 400, "duration_ms": 12.346, "bytes": 99, "client": "10.0.0.7", "query_hash": "ab12",
                    "rows": 7, "error": "query_syntax"}


@given(path=st.text(max_size=300), method=st.text(min_size=1, max_size=40), client=st.none() | st.text(max_size=50),
       seconds=st.floats(min_value=0, max_value=1e6))
def test_every_line_is_one_json_object_whatever_the_request_holds(path: str, method: str, client: str | None,
                                                                  seconds: float) -> None:
    handler = Lines()
    logger = logging.getLogger(access_log.LOGGER)
    logger.addHandler(handler)
    try:
        access_log.write({"type": "http", "method": method, "path": path, "client": (client, 1) if client else None},
                         arrived=time.time(), route="other", status=404, seconds=seconds, sent=0, headers=[])
    finally:
        logger.removeHandler(handler)
    [message] = handler.messages
    assert "\n" not in message and message.isascii()
    [line] = handler.take()
    capped = path if len(path) <= access_log.PATH_LIMIT else path[:access_log.PATH_LIMIT - 1] + "…"
    assert line["path"] == capped and line["method"] == method[:access_log.METHOD_LIMIT]
    assert line["client"] == (client or None) and line["duration_ms"] == round(seconds * 1000, 3)


def test_a_huge_path_is_capped_and_control_characters_stay_on_the_line(tmp_path: Path, lines: Lines) -> None:
    with app_client(tmp_path) as client:
        lines.take()
        client.get("/" + "a" * 5000)
        client.get("/x%0A%7B%22status%22%3A200%7D")  # a newline and a forged JSON object in the path
        assert not [m for m in lines.messages if "\n" in m or not m.isascii()]
        long, forged = lines.take()
    assert isinstance(long["path"], str) and len(long["path"]) == access_log.PATH_LIMIT
    assert long["path"].startswith("/aaa") and long["path"].endswith("…") and long["route"] == "other"
    assert forged["path"] == '/x\n{"status":200}' and forged["status"] == 404


def test_an_escaped_exception_is_logged_as_internal(tmp_path: Path, lines: Lines) -> None:
    class Broken(IdleBackend):
        async def run(self, job: QueryJob, *, timeout: float) -> Answer:
            raise RuntimeError("a bug")

    with app_client(tmp_path, backend=Broken) as client:
        lines.take()
        r = client.get("/sparql", params={"query": "ASK {}"})
        [line] = lines.take()
    assert r.status_code == 500 and line["status"] == 500 and line["error"] == "internal"


def test_disabled_by_the_setting(tmp_path: Path, lines: Lines) -> None:
    with app_client(tmp_path, access_log=False) as client:
        client.get("/healthz")
        client.get("/random/xyz")
    assert lines.take() == []


def test_serve_prints_each_line_once_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The handler is set up once however many apps a process creates, and writes to stderr as it is now."""
    for name in ("a", "b", "c"):
        with app_client(tmp_path / name) as client:
            capsys.readouterr()
            client.get("/healthz")
            err = capsys.readouterr().err
        printed = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert [(p["route"], p["status"]) for p in printed] == [("/healthz", 200)]
    logger = logging.getLogger(access_log.LOGGER)
    assert sum(isinstance(h, access_log.StderrLines) for h in logger.handlers) == 1
    assert logger.level == logging.INFO and not logger.propagate


class Failing(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("the log is broken")


class Unwritable:
    def write(self, _: str) -> int:
        raise OSError("stderr is gone")

    def flush(self) -> None:
        raise OSError("stderr is gone")


def test_a_logging_failure_never_breaks_an_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger(access_log.LOGGER)
    broken = Failing()
    with app_client(tmp_path, raise_server_exceptions=True) as client:  # nothing may escape, even after the answer
        logger.addHandler(broken)
        try:
            assert client.get("/healthz").status_code == 200  # a handler that raises
        finally:
            logger.removeHandler(broken)
        monkeypatch.setattr("sys.stderr", Unwritable())
        assert client.get("/healthz").status_code == 200  # stderr itself failing
        monkeypatch.undo()
        metrics = client.get("/metrics").text
    assert 'kgpub_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in metrics



def test_the_stderr_handler_drops_a_line_it_cannot_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", Unwritable())
    record = logging.LogRecord(access_log.LOGGER, logging.INFO, __file__, 1, "{}", None, None)
    access_log.StderrLines().emit(record)  # no exception, and no "--- Logging error ---" traceback either
