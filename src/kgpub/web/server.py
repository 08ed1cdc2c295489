"""The HTTP server: uvicorn, with limits on what one request may cost before any route runs.

uvicorn's HTTP/1.1 protocol on httptools (llhttp) buffers whatever a client sends of a request's
head, and waits for it for ever: one connection sending 200 MiB of header fields made the server
hold 200 MiB, and a few hundred connections sending a byte now and then (slowloris) held their
places (and uvicorn's ``limit_concurrency``) indefinitely. :class:`LimitedProtocol`, a subclass of
uvicorn's ``HttpToolsProtocol``, adds what is missing, per request, at the one place bytes come in
(``data_received``), before they reach the parser:

- **header fields** (``KGPUB_MAX_HEADER_BYTES``, 431): every byte of a request's head but its
  target is counted, across as many reads as it takes to arrive (so the method, the version and the
  line ends count too, a dozen bytes). Bytes are handed to the parser only up to the limit, so
  nothing past it is ever held; the first byte beyond it is answered with 431. Each request on a
  keep-alive connection, pipelined or not, has its own count: the head is cut off at its end
  (``CRLF CRLF``, which llhttp requires) and a body of known length at its last byte. The one
  imprecision: after a *chunked* body, the next pipelined request's bytes that arrive in the same
  piece (at most one limit's worth) are not counted, so that head may reach twice the limit.
- **the request line** (``KGPUB_MAX_REQUEST_LINE``, 414): the target (all of the line but its
  method and version), summed over httptools' ``on_url`` calls, which come once per piece of it.
  It is a separate, larger limit: a GET may carry a query as long as a POST body may.
- **time to send the head** (``KGPUB_HEADER_TIMEOUT``, 408): from a request's first byte (on a new
  connection: from the connection itself) until its head is complete, however slowly it trickles
  in. An idle keep-alive connection between requests keeps uvicorn's own keep-alive timeout.
- **time to send the body** (``KGPUB_BODY_TIMEOUT``, 408): from the end of the head until the
  body's last byte. If the application has already started its answer, the connection is just
  closed (a 408 would corrupt the answer); if it is waiting for the body, it is told the client
  disconnected. Neither clock can expire while the server itself has stopped reading (uvicorn's
  flow control, while the application has not read what came, or while an earlier pipelined request
  is answered), nor the body's while the client waits for the ``100 Continue`` it asked for (sent
  when the application first reads): then it is given its time again.
- **connections** (``KGPUB_MAX_CONNECTIONS``, 503): uvicorn's ``limit_concurrency``, set one above
  the setting because uvicorn refuses a request when the open connections, its own included, *reach*
  the limit; with it, that many connections are served and the next is refused.

The 431, 414 and 408 answers are written here, before any application code runs, with the one error
body (``{"error": {"code", "status", "message"}}``, from the error class's status and code),
``Cache-Control: no-store`` and ``Connection: close``; then the connection is closed. A client still
sending when it is refused (a long head) is read for a little longer, its bytes thrown away
(:data:`LINGER_BYTES`, :data:`LINGER_SECONDS`): a socket closed with unread data resets the
connection, and the reset can overtake the answer.

If a response is still owed to an earlier pipelined request, the refusal waits for it (reading
stopped) and is written after it. WebSockets are off (``ws="none"``): the application has none, and
an upgraded connection would leave these limits behind. This relies on uvicorn's protocol internals
(checked against uvicorn 0.54): ``cycle``, ``pipeline``, ``flow``, ``on_response_complete``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from kgpub.errors import HeadersTooLarge, KgpubError, RequestTimeout, UriTooLong
from kgpub.settings import ENV_PREFIX, Settings

log = logging.getLogger(__name__)

HEAD_END = b"\r\n\r\n"
REQUEST_START = re.compile(rb"[^\r\n]")  # llhttp skips empty lines before a request line
LINGER_BYTES = 1 << 20
"""Bytes still read (and thrown away) from a client refused while sending, so that it can read the answer."""
LINGER_SECONDS = 1.0
"""How long at most that reading goes on."""
STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start (the port is taken, ...)
HTTPTOOLS_MAX_URL = 65_535
"""httptools (llhttp's URL parser) keeps offsets in 16 bits: a longer request target cannot be parsed at all, so the
request-line limit is at most this (a longer query goes in a POST body)."""


@dataclass(frozen=True)
class Limits:
    """What one request may cost the server before the application sees it (from :class:`Settings`)."""

    header_bytes: int
    request_line: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(header_bytes=settings.max_header_bytes,
                   request_line=min(settings.max_request_line, HTTPTOOLS_MAX_URL),
                   header_timeout=settings.header_timeout, body_timeout=settings.body_timeout)

    def headers_too_large(self) -> HeadersTooLarge:
        return HeadersTooLarge(f"request header fields of more than {self.header_bytes} bytes "
                               f"({_var('max_header_bytes')})")

    def uri_too_long(self) -> UriTooLong:
        return UriTooLong(f"a request line of more than {self.request_line} bytes ({_var('max_request_line')})")

    def head_too_slow(self) -> RequestTimeout:
        return RequestTimeout(f"the request's header fields did not arrive within {self.header_timeout:g} s "
                              f"({_var('header_timeout')})")

    def body_too_slow(self) -> RequestTimeout:
        return RequestTimeout(f"the request's body did not arrive within {self.body_timeout:g} s of its header "
                              f"fields ({_var('body_timeout')})")


def _var(name: str) -> str:
    return ENV_PREFIX + name.upper()


class ServerConfig(Config):
    """uvicorn's configuration, carrying the :class:`Limits` its protocol enforces."""

    def __init__(self, app: Callable[..., Any], *, limits: Limits, **options: Any) -> None:
        super().__init__(app, **options)
        self.limits = limits


def config(app: Callable[..., Any], settings: Settings) -> Config:
    """The server's configuration: our protocol and limits, no access log of uvicorn's (one is written per request
    elsewhere), warnings only."""
    return ServerConfig(app, limits=Limits.of(settings), host=settings.host, port=settings.port,
                        http=LimitedProtocol, ws="none", access_log=False, log_level="warning",
                        limit_concurrency=settings.max_connections + 1)


def run(app: Callable[..., Any], settings: Settings, *, sockets: list[socket.socket] | None = None,
        started: Callable[[], None] | None = None) -> None:
    """Serve ``app`` until SIGINT or SIGTERM (what ``uvicorn.run`` does, with :func:`config`).

    ``sockets``: bound sockets to serve on instead of ``settings.host``/``port`` (one server process of
    :mod:`kgpub.web.processes`); asyncio listens on them only once the application has started, so no
    connection waits on a process that is still starting. ``started`` is called once the server serves."""
    server = _Server(config(app, settings), started)
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT, after the graceful shutdown
        server.run(sockets=sockets)
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it has started (the application's startup done, its sockets listening)."""

    def __init__(self, config: Config, started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def answer(error: KgpubError, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The whole HTTP answer to ``error``, written before any application code runs (the one error body)."""
    body = json.dumps({"error": {"code": error.code, "status": error.status, "message": error.message}},
                      ensure_ascii=False, separators=(",", ":")).encode()
    headers = [*default_headers, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), (b"connection", b"close"),
               *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers().items())]
    return b"".join([STATUS_LINE[error.status], *(b"%s: %s\r\n" % h for h in headers), b"\r\n", body])


class _Coalescing:
    """The connection's transport, with the writes of one event-loop turn sent as one.

    uvicorn writes an answer's head and its body separately, so a small answer cost two ``send`` calls (the
    largest part of the server's time on a repeated query, measured with py-spy). Writes are gathered and
    sent at the end of the turn (``call_soon``), before anything else reads the socket; ``close`` and
    ``write_eof`` send what is gathered first. Everything else is the transport's own.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending = []
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of the module docstring; everything else is uvicorn's."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, ServerConfig):
            raise TypeError("LimitedProtocol needs the configuration of kgpub.web.server.config()")
        self.limits = config.limits
        self._timer: asyncio.TimerHandle | None = None  # the head's or the body's clock, or the linger's
        self._refusal: KgpubError | None = None  # once set, nothing more is parsed on this connection
        self._linger = False  # read on a little after the refusal's answer (the client may still be sending)
        self._lingering: int | None = None  # bytes still thrown away after the refusal was written
        self._requests = 0
        self._new_request()

    def _new_request(self) -> None:
        self._in_head = True  # no head completed yet for the request to come
        self._begun = False  # the parser has seen its first byte (on_message_begin)
        self._head_bytes = 0  # bytes of its head handed to the parser so far, target included
        self._target_bytes = 0
        self._tail = b""  # the head's last bytes (at most 3): a CRLF CRLF may straddle two reads
        self._body_left: int | None = None  # body bytes to come; None: chunked
        self._tripped: KgpubError | None = None  # a limit the parser's callbacks found passed
        self._requests += 1

    # --------------------------------------------------------------------------- bytes in

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _Coalescing(transport, self.loop)  # type: ignore[assignment]
        self._start(self.limits.header_timeout, self._head_expired)  # a new connection owes a request

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            self._throw_away(len(data))
            return
        offset = 0
        while offset < len(data) and self._refusal is None and not self.transport.is_closing():
            size = self._piece(data, offset)
            if size == 0:  # the head is at its limit and goes on
                self._refuse(self.limits.headers_too_large(), linger=True)
                return
            in_head, request = self._in_head, self._requests
            self._feed(data if size == len(data) else data[offset:offset + size])
            if in_head and self._in_head and request == self._requests:  # the same head, still open
                self._head_bytes += size
                if self._begun:
                    self._tail = (self._tail + data[max(offset, offset + size - 3):offset + size])[-3:]
            if self._tripped is not None:
                self._refuse(self._tripped, linger=True)
                return
            offset += size
        if self._refusal is None and not self.transport.is_closing() and self._timer is None:
            if self._in_head and self._head_bytes:
                self._start(self.limits.header_timeout, self._head_expired)
            elif not self._in_head:
                self._start(self.limits.body_timeout, self._body_expired)

    def _feed(self, piece: bytes) -> None:
        """uvicorn's ``data_received`` for one piece, but for a parse error that is our own stop (:class:`_Tripped`):
        that one is answered by the caller, with the limit's status."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserError:
            if self._tripped is None:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():  # never with ws="none"; kept as uvicorn has it
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _piece(self, data: bytes, offset: int) -> int:
        """How many bytes from ``offset`` the parser may have now: never past the header limit, and a piece ends
        where a head or a body of known length ends, so that the next request's bytes are counted as its own."""
        rest = len(data) - offset
        if not self._in_head:
            if self._body_left is not None and self._body_left > 0:
                return min(rest, self._body_left)
            return min(rest, self.limits.header_bytes)
        allowed = max(self.limits.header_bytes - (self._head_bytes - self._target_bytes), 0)
        if not self._begun:
            start = REQUEST_START.search(data, offset)
            if start is None or start.start() > offset:  # empty lines first: they count, and hide no head's end
                return min((len(data) if start is None else start.start()) - offset, allowed)
        stop = offset + min(rest, allowed)
        straddling = (self._tail + data[offset:offset + 3]).find(HEAD_END)
        if straddling >= 0 and self._tail:
            end = offset + straddling + len(HEAD_END) - len(self._tail)
        else:
            found = data.find(HEAD_END, offset, stop)
            end = -1 if found < 0 else found + len(HEAD_END)
        return end - offset if 0 <= end - offset <= stop - offset else stop - offset

    # --------------------------------------------------------------------------- the parser's callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun = True

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > self.limits.request_line:
            self._tripped = self.limits.uri_too_long()
            raise _Tripped  # stops the parser at once: no more callbacks, no application call for this request
        super().on_url(url)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop()
        self._body_left = _body_length(self.headers)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._body_left is not None:
            self._body_left -= len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop()
        self._new_request()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refusal is not None and not self.transport.is_closing():
            self.flow.pause_reading()  # uvicorn resumed it for the next request
            self._answer_if_due()

    # --------------------------------------------------------------------------- clocks

    def _start(self, seconds: float, expired: Callable[[], None]) -> None:
        self._stop()
        self._timer = self.loop.call_later(seconds, expired)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # we are not reading: not the client's delay
            self._start(self.limits.header_timeout, self._head_expired)
            return
        self._refuse(self.limits.head_too_slow(), linger=False)

    def _body_expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
            self._start(self.limits.body_timeout, self._body_expired)  # we are not reading, or it waits for us
            return
        if cycle is None or cycle.response_started or any(queued is cycle for queued, _ in self.pipeline):
            log.info("%s: %s; closing", self._who(), self.limits.body_too_slow().message)
            self.transport.close()  # an answer is under way (or owed first): a 408 now would be read as part of it
            return
        cycle.disconnected = True  # the application reading the body is told the client left; its answer is dropped
        cycle.message_event.set()
        self._refuse(self.limits.body_too_slow(), linger=False)

    # --------------------------------------------------------------------------- refusals

    def _refuse(self, error: KgpubError, *, linger: bool) -> None:
        """Stop reading this connection; answer ``error`` once nothing else is owed on it, then close it."""
        log.info("%s: %s", self._who(), error.message)
        self._refusal, self._linger = error, linger
        self._stop()
        self.flow.pause_reading()
        self._answer_if_due()

    def _answer_if_due(self) -> None:
        assert self._refusal is not None
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.disconnected:
            return  # an earlier request's answer is still being written: on_response_complete comes back here
        self._unset_keepalive_if_required()
        self.transport.write(answer(self._refusal, self.server_state.default_headers))
        if self._linger and self.transport.can_write_eof():
            self.transport.write_eof()  # the answer, then our end of the connection; theirs is read a little longer
            self._lingering = LINGER_BYTES
            self._start(LINGER_SECONDS, self.transport.close)
            self.flow.resume_reading()
        else:
            self.transport.close()

    def _throw_away(self, size: int) -> None:
        if self._lingering is None:  # the refusal waits for an earlier answer: uvicorn may have resumed reading
            self.flow.pause_reading()
            return
        self._lingering -= size
        if self._lingering <= 0:
            self.transport.close()

    def _who(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "a client"


class _Tripped(Exception):
    """Raised in a parser callback to stop the parser; httptools reports it as a parse error."""


def _body_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body's length as the head declares it (llhttp has checked it); None when it is chunked."""
    length = 0
    for name, value in headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
    return length
