"""The access log: one JSON object per request, one line each, on standard error (logger ``kgpub.access``).

Written by :class:`kgpub.web.metrics.RequestObserver` when an answer ends, with the fields of :func:`write`:
``time`` (arrival, ISO 8601 UTC, milliseconds), ``method``, ``route`` (the route template, as in
``/metrics``), ``path`` (without the query string, which may be huge or private; at most
:data:`PATH_LIMIT` characters), ``status``, ``duration_ms`` (to the last body byte), ``bytes`` (body bytes
sent), ``client`` (the peer address), and, ``null`` when the answer does not say: ``query_hash`` (the
hash of a query's job, from the request's state, set by ``routes/sparql`` before the query runs: so a
timed-out or refused query has it too), ``rows`` (its ``X-Result-Count``) and ``error`` (the code of an
error answer, ``X-Error-Code``). Every line has every key, so a log pipeline needs no schema guessing.

The logger does not propagate: ``kgpub serve`` prints each line once, whatever else configures logging.
A line that cannot be written is dropped; a log failure never breaks an answer.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii

from starlette.types import Scope

from kgpub.settings import Settings

LOGGER = "kgpub.access"
PATH_LIMIT = 200
METHOD_LIMIT = 32
log = logging.getLogger(LOGGER)


class StderrLines(logging.Handler):
    """Each record's message as one line on ``sys.stderr`` as it is at that moment (a test's capture, or the
    terminal); a line that cannot be written is dropped without a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(record.getMessage() + "\n")
            stream.flush()
        except Exception:  # stderr closed or full: nowhere left to say so
            pass


def configure(settings: Settings) -> None:
    """Make ``kgpub.access`` print at INFO on stderr, once per process however many apps are created."""
    if not settings.access_log:
        return
    log.setLevel(logging.INFO)
    log.propagate = False
    if not any(isinstance(h, StderrLines) for h in log.handlers):
        log.addHandler(StderrLines())


_second: list[tuple[int, str]] = [(-1, "")]  # the last second formatted: most lines share it with the one before


def timestamp(seconds: float) -> str:
    """``2025-01-31T12:34:56.789Z``."""
    whole = int(seconds)
    last, text = _second[0]
    if whole != last:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second[0] = (whole, text)
    return f"{text}.{int((seconds - whole) * 1000):03d}Z"


def write(scope: Scope, *, arrived: float, route: str, status: int, seconds: float, sent: int,
          headers: Sequence[tuple[bytes, bytes]], error: str | None = None) -> None:
    """Log the line of one answered request (``headers``: the answer's, as sent)."""
    if not log.isEnabledFor(logging.INFO):
        return
    query_hash: str | None = (scope.get("state") or {}).get("query_hash")  # set by routes/sparql, errors too
    rows: int | None = None
    for name, value in headers:
        if name == b"x-query-hash":
            query_hash = value.decode("latin-1")
        elif name == b"x-result-count":
            rows = int(value) if value.isdigit() else None
        elif name == b"x-error-code" and error is None:
            error = value.decode("latin-1")
    path: str = scope["path"]
    if len(path) > PATH_LIMIT:
        path = path[:PATH_LIMIT - 1] + "…"
    client = scope.get("client")
    # Written out rather than json.dumps of a dict (a third of the cost); every string is escaped as json.dumps
    # does, so the line is ASCII JSON whatever a path holds (control characters, quotes, a forged object).
    line = (f'{{"time":"{timestamp(arrived)}","method":{_text(scope["method"][:METHOD_LIMIT])},'
            f'"route":{_text(route)},"path":{_text(path)},"status":{int(status)},'
            f'"duration_ms":{round(seconds * 1000, 3)!r},"bytes":{int(sent)},'
            f'"client":{_text(client[0] if client else None)},"query_hash":{_text(query_hash)},'
            f'"rows":{"null" if rows is None else rows},"error":{_text(error)}}}')
    log.handle(log.makeRecord(LOGGER, logging.INFO, "", 0, line, (), None))  # no caller or file lookup: not needed


def _text(value: str | None) -> str:
    """A JSON string (ASCII, as ``json.dumps`` makes it, without its call overhead), or null."""
    return "null" if value is None else encode_basestring_ascii(value)
