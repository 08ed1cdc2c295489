"""Answers remembered whole and replayed: a repeated GET skips the whole application.

Every GET answer of kgpub is a function of the release and the request (the release is immutable while it is
served), so a complete answer, as the application wrote it — status, headers (ETag, CORS, Link, Vary,
Content-Encoding …) and body — can be kept and sent again for the same request without running any route,
middleware or query: an in-process reverse-proxy cache of our own output. Nothing here decides what an answer
is, so no rule is written twice.

- **The key** is the release version, the scheme, the path, the raw query string and every request header but
  those that never change an answer (:data:`IGNORED`: the client's software, its addresses, tracing). So
  ``Vary`` is honoured whatever it names, and a conditional request (``If-None-Match``) has its own key.
- **Kept**: 200 answers to GET of one body message, with no ``Set-Cookie`` and no ``Cache-Control: no-store``
  (errors, health, metrics say ``no-store``), up to :data:`ENTRY_LIMIT` bytes, in a byte-bounded LRU. Release
  files (dumps, ``/releases/``, tables) are never kept: they are streamed from disk with ``Range``.
- The access log still gets its line (this runs inside the observing middleware), with the query hash the
  route had set when the answer was made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kgpub.query.cache import BoundedCache

IGNORED = frozenset({b"user-agent", b"connection", b"keep-alive", b"x-forwarded-for", b"x-real-ip", b"referer",
                     b"traceparent", b"tracestate", b"x-request-id", b"dnt", b"priority", b"te"})
ENTRY_LIMIT = 256 * 1024
TOTAL_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    start: dict[str, Any]
    body: dict[str, Any]
    size: int
    query_hash: str | None


class Replay:
    """ASGI middleware: replay remembered answers of GET requests outside the ``skip`` path prefixes."""

    def __init__(self, app: Any, *, version: Callable[[], str], skip: tuple[str, ...] = (),
                 limit_bytes: int = TOTAL_LIMIT) -> None:
        self.app, self.version, self.skip = app, version, skip
        self._entries: BoundedCache[tuple[Any, ...], _Entry] = BoundedCache(
            limit_bytes, lambda entry: entry.size, entry_limit=min(ENTRY_LIMIT, limit_bytes // 16))
        self._version = ""

    @property
    def hits(self) -> int:
        return self._entries.hits

    @property
    def misses(self) -> int:
        return self._entries.misses

    @property
    def bytes(self) -> int:
        return self._entries.bytes

    def __len__(self) -> int:
        return len(self._entries)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version != self._version:  # a new release: what was kept answers for the old one
            self._entries.clear()
            self._version = version
        key = (version, scope["scheme"], scope.get("root_path", ""), scope["path"], scope["query_string"],
               tuple(sorted((k, v) for k, v in scope["headers"] if k not in IGNORED)))
        entry = self._entries.get(key)
        if entry is not None:
            if entry.query_hash is not None:
                scope.setdefault("state", {})["query_hash"] = entry.query_hash
            await send(entry.start)
            await send(entry.body)
            return
        sent: list[dict[str, Any]] = []

        async def recording(message: dict[str, Any]) -> None:
            if len(sent) < 3:
                sent.append(message)
            await send(message)

        await self.app(scope, receive, recording)
        self._keep(key, sent, scope)

    def _keep(self, key: tuple[Any, ...], sent: list[dict[str, Any]], scope: Any) -> None:
        if len(sent) != 2 or sent[0].get("type") != "http.response.start" or sent[0].get("status") != 200:
            return
        start, body = sent
        if body.get("type") != "http.response.body" or body.get("more_body", False):
            return
        for name, value in start.get("headers", []):
            name = name.lower()
            if name == b"set-cookie" or (name == b"cache-control" and b"no-store" in value):
                return
        size = len(body.get("body", b"")) + sum(len(k) + len(v) for k, v in start.get("headers", []))
        query_hash = (scope.get("state") or {}).get("query_hash")
        self._entries.put(key, _Entry({"type": "http.response.start", "status": 200,
                                       "headers": list(start.get("headers", []))},
                                      {"type": "http.response.body", "body": body.get("body", b"")}, size, query_hash))
