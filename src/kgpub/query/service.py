"""The SPARQL query service behind ``/sparql``, free of any web framework.

A :class:`QueryRequest` (what the protocol adapter parsed) becomes a :class:`Reply`: the
answer's bytes, media type and headers. The release never changes under a running
service, so an answer is fully determined by the release version and the request: that
is the ETag, and recent answers are kept in a small byte-bounded cache.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field

from kgpub.errors import InputError, QueryFailed
from kgpub.query.backends.pool import WorkerPool
from kgpub.release.reader import Release
from kgpub.settings import Settings


@dataclass(frozen=True, kw_only=True)
class QueryRequest:
    query: str
    default_graphs: tuple[str, ...] | None = None  # default-graph-uri (None: not given)
    named_graphs: tuple[str, ...] | None = None  # named-graph-uri (None: not given)
    accept: str | None = None
    format: tuple[str, ...] = ()  # format= values (short names or media types); the first that fits wins
    timeout: float | None = None  # may only lower the service's limit
    base_iri: str | None = None  # relative IRIs in the query resolve against it (the endpoint's URL)


@dataclass(frozen=True)
class Reply:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Endpoint:
    def __init__(self, *, settings: Settings, release: Release, pool: WorkerPool,
                 cache_bytes: int = 8 * 1024 * 1024) -> None:
        self.settings, self.release, self.pool = settings, release, pool
        self._cache: OrderedDict[str, Reply] = OrderedDict()
        self._cache_bytes, self._cache_limit = 0, cache_bytes

    def etag(self, request: QueryRequest) -> str:
        """A weak validator: same release and request, same answer (any content coding)."""
        key = json.dumps([self.release.version, request.query, request.default_graphs, request.named_graphs,
                          request.accept, request.format, request.base_iri, self.settings.max_rows],
                         ensure_ascii=False)
        return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'

    def timeout(self, request: QueryRequest) -> float:
        limit = self.settings.query_timeout
        if request.timeout is None:
            return limit
        if not request.timeout > 0:
            raise InputError(f"timeout={request.timeout:g}: must be a positive number of seconds")
        return min(request.timeout, limit)

    async def query(self, request: QueryRequest) -> Reply:
        etag = self.etag(request)
        cached = self._cache.get(etag)
        if cached is not None:
            self._cache.move_to_end(etag)
            return cached
        timeout = self.timeout(request)
        answer = await self.pool.run(self._worker_request(request), timeout=timeout)
        header = answer.header
        if not header["ok"]:
            raise QueryFailed(status=header["status"], code=header["code"], message=header["message"])
        headers = {"ETag": etag, "Vary": "Accept", "X-Query-Timeout": f"{timeout:g}",
                   "X-Result-Count": str(header["count"])}
        if header["truncated"]:
            limit = self.settings.max_rows
            headers |= {"X-Result-Truncated": "true", "X-Result-Limit": str(limit),
                        "Warning": f'199 kgpub "result cut to the first {limit} rows (row limit)"'}
        reply = Reply(answer.body, header["media_type"], headers)
        self._remember(etag, reply)
        return reply

    def _worker_request(self, request: QueryRequest) -> dict[str, object]:
        return {"query": request.query, "default_graphs": request.default_graphs,
                "named_graphs": request.named_graphs, "accept": request.accept, "format": request.format,
                "base_iri": request.base_iri}

    def _remember(self, etag: str, reply: Reply) -> None:
        size = len(reply.body)
        if size > self._cache_limit // 16:
            return
        self._cache[etag] = reply
        self._cache_bytes += size
        while self._cache_bytes > self._cache_limit:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old.body)
