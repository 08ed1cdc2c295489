"""ETags for every GET answer that does not set its own (pure ASGI, no buffering otherwise).

The query routes derive their ETag from the release and the request before running a
query, so a 304 costs nothing. Everything else (``/healthz``, ``/docs``, ``/openapi.json``)
gets a weak ETag from the release version and the body, and a 304 when it matches
``If-None-Match``.
"""

from __future__ import annotations

import hashlib
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


class ETagMiddleware:
    def __init__(self, app: Any, *, version: str) -> None:
        self.app, self.version = app, version

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        wanted = {t.strip() for k, v in scope["headers"] if k == b"if-none-match" for t in v.decode().split(",")}
        held: list[Message] = []

        async def buffered(message: Message) -> None:
            if message["type"] == "http.response.start":
                has_etag = any(k.lower() == b"etag" for k, _ in message.get("headers", []))
                if message["status"] != 200 or has_etag:
                    await send(message)
                    return
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if not message.get("more_body", False):
                await self._finish(held, wanted, send)

        await self.app(scope, receive, buffered)

    async def _finish(self, held: list[Message], wanted: set[str], send: Any) -> None:
        start, bodies = held[0], held[1:]
        body = b"".join(m.get("body", b"") for m in bodies)
        etag = 'W/"' + hashlib.sha256(self.version.encode() + b"\0" + body).hexdigest()[:32] + '"'
        headers = [*start.get("headers", []), (b"etag", etag.encode())]
        if etag in wanted:
            keep = {b"etag", b"vary", b"cache-control", b"access-control-allow-origin"}
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(k, v) for k, v in headers if k.lower() in keep]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
