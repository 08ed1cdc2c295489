"""Query strings are read strictly: percent-encoded bytes that are not UTF-8 are a 400, never U+FFFD.

Starlette decodes ``request.query_params`` with replacement characters, so ``query=ASK%7B%7D%23%FF`` would run
as a query the client never sent. This middleware checks the raw query string once, before any route reads it,
and answers the one error body (``bad_input``, as for a body that is not UTF-8) naming the parameter.
A POST form body is checked the same way by ``routes/sparql.parse_form``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from starlette.requests import Request

from kgpub.errors import InputError
from kgpub.web import errors


def problem(query_string: bytes) -> str | None:
    """What is not UTF-8 in a raw query string (None when all of it is)."""
    if b"%" not in query_string and query_string.isascii():
        return None
    for part in query_string.split(b"&"):
        name, _, value = part.partition(b"=")
        for what, raw in (("name", name), ("value", value)):
            try:
                unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError as e:
                label = unquote_to_bytes(name).decode("utf-8", "replace")[:40]
                where = f"parameter {label!r}" if what == "value" else "a parameter name"
                return f"the query string has bytes that are not UTF-8 in {where} (byte {e.start}); " \
                       "percent-encode the text as UTF-8"
    return None


LONG_TARGET = 4096
"""Bytes of path and query string beyond which a request's URL is dropped from urllib's cache once answered:
``urlsplit`` remembers its last 128 results (Python 3.11+), and Starlette splits every request's URL, so 128
targets of 64 kB were kept, in several copies each (about 30 MB)."""


class StrictQueryString:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            found = problem(scope.get("query_string", b""))
            if found is not None:
                response = errors.render(Request(scope), status=InputError.status, code=InputError.code,
                                         message=found)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
        if scope["type"] == "http" and len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > \
                LONG_TARGET:
            urlsplit.cache_clear()  # type: ignore[attr-defined]
