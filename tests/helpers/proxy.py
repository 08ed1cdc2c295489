"""A local prefix proxy that puts the canonical IRIs (``https://w3id.org/kjtrade/…``) on the test server.

Linked Data clients must be started at the canonical IRIs, which live on a host the tests may
never reach. Comunica's ``--proxy P`` is a *prefix* proxy: it requests ``P + target`` (its
``ProxyHandlerStatic`` concatenates the two strings; the answer's URL is then taken as
``target``, or the ``x-final-url`` header when present). With ``P = http://127.0.0.1:PORT/``
a request for ``https://w3id.org/kjtrade/id/country/KR`` arrives here as
``GET /https://w3id.org/kjtrade/id/country/KR``; a standard forward-proxy request
(``GET https://… HTTP/1.1``) is understood too.

:class:`PrefixProxy` maps the base onto the test server's origin (as w3id.org sends clients
to the host that serves the data) and forwards the request there (method, headers, body);
a URL on the test server's own origin is forwarded as it is (the server names its own URLs
where the request's URL matters, e.g. the endpoint of its SPARQL service description). The
answer comes back as it came, with two changes that keep the client inside the proxy: a
``Location`` becomes ``P + <absolute location>`` (a relative one resolved against the server's
URL, as a client that was sent to the server resolves it; a location on another host is then
refused here), and ``x-final-url`` names the URL answered. Every other target —
any other host, ``CONNECT``, a request that names no absolute URL — is refused with 403
**without connecting anywhere** and recorded, so a test can assert what was asked for and that
the only connections ever opened went to the test server.

Stdlib only; one thread per connection; every upstream call has a timeout.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

__all__ = ["Forwarded", "PrefixProxy", "prefix_proxy"]

HOST = "127.0.0.1"
UPSTREAM_TIMEOUT = 30.0  # seconds, per forwarded request
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"})
NO_BODY = frozenset({204, 304})


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy passed on to the test server, and what the server answered."""

    method: str
    target: str  # the URL asked for: a canonical IRI, or a URL of the test server
    upstream: str  # the test server's URL it went to
    accept: str | None
    status: int
    headers: tuple[tuple[str, str], ...]  # the server's answer headers, as sent
    seconds: float  # how long the server took to answer

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class PrefixProxy:
    """The running proxy: ``url`` is the prefix to give the client; ``refused`` and ``forwarded`` are its log."""

    def __init__(self, base: str, origin: str) -> None:
        if not base.endswith("/"):
            raise ValueError(f"the base must end with '/': {base!r}")
        self.base = base
        self.origin = origin.rstrip("/")
        parts = urlsplit(self.origin)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"the origin must be http://host:port: {origin!r}")
        self.upstream_host: str = parts.hostname
        self.upstream_port: int = parts.port
        self._lock = threading.Lock()
        self._refused: list[str] = []
        self._forwarded: list[Forwarded] = []
        self._connections: list[tuple[str, int]] = []
        self._server = _Server((HOST, 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://{HOST}:{self._server.server_address[1]}/"

    # ------------------------------------------------------------------ the log

    @property
    def refused(self) -> list[str]:
        """Every target refused, in order (the URL as the client named it)."""
        with self._lock:
            return list(self._refused)

    @property
    def forwarded(self) -> list[Forwarded]:
        with self._lock:
            return list(self._forwarded)

    @property
    def connections(self) -> list[tuple[str, int]]:
        """Every (host, port) the proxy ever opened a connection to: only the test server's."""
        with self._lock:
            return list(self._connections)

    def refused_hosts(self) -> set[str]:
        return {urlsplit(url).netloc or url for url in self.refused}

    def clear(self) -> None:
        with self._lock:
            self._refused.clear()
            self._forwarded.clear()

    # ------------------------------------------------------------------ mapping

    def upstream(self, target: str) -> str | None:
        """The test server's URL for a canonical IRI or one of its own URLs; None for anything else."""
        if target.startswith(self.base):
            return self.origin + "/" + target[len(self.base):]
        if target.startswith(self.origin + "/"):
            return target
        return None

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name="prefix-proxy").start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _refuse(self, url: str) -> None:
        with self._lock:
            self._refused.append(url)

    def _connected(self) -> None:
        with self._lock:
            self._connections.append((self.upstream_host, self.upstream_port))

    def _record(self, entry: Forwarded) -> None:
        with self._lock:
            self._forwarded.append(entry)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away mid-connection (a Node.js process exiting) is normal, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler(proxy: PrefixProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
        timeout = UPSTREAM_TIMEOUT

        def log_message(self, format: str, *args: object) -> None:  # quiet: the tests read the log they need
            pass

        def _target(self) -> str:
            # prefix form "/https://host/…" (Comunica), or absolute form "https://host/…" (a forward proxy)
            return self.path[1:] if self.path.startswith("/") else self.path

        def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response_only(status)  # the server's own Date and Server, not a second pair
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD" and status not in NO_BODY:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and status not in NO_BODY:
                self.wfile.write(body)

        def _refuse(self, target: str) -> None:
            proxy._refuse(target)
            message = f"refused by the test proxy: only {proxy.base} is reachable, not {target}\n".encode()
            self._answer(403, message, [("Content-Type", "text/plain; charset=utf-8"),
                                        ("Date", self.date_time_string())])

        def _forward(self) -> None:
            target = self._target()
            upstream = proxy.upstream(target.split("#", 1)[0])
            if upstream is None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)  # keep the connection usable
                self._refuse(target)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            parts = urlsplit(upstream)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            proxy._connected()
            started = time.monotonic()
            connection = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT)
            try:
                connection.request(self.command, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                received = response.getheaders()
            except OSError as error:
                self._answer(502, f"the test server did not answer: {error}\n".encode(),
                             [("Content-Type", "text/plain; charset=utf-8"), ("Date", self.date_time_string())])
                return
            finally:
                connection.close()
            sent: list[tuple[str, str]] = []
            for name, value in received:
                lower = name.lower()
                if lower in HOP_BY_HOP and not (lower == "content-length" and self.command == "HEAD"):
                    continue
                if lower == "location":  # stay inside the proxy, wherever the redirect points
                    value = proxy.url + urljoin(upstream, value)  # relative: to the server's own URL
                sent.append((name, value))
            sent.append(("x-final-url", target))
            proxy._record(Forwarded(self.command, target, upstream, self.headers.get("Accept"), response.status,
                                    tuple(received), time.monotonic() - started))
            self._answer(response.status, payload, sent)

        do_GET = do_HEAD = do_POST = do_OPTIONS = _forward

        def do_CONNECT(self) -> None:
            self._refuse(self.path)

    return Handler


@contextmanager
def prefix_proxy(base: str, origin: str) -> Iterator[PrefixProxy]:
    """Run a :class:`PrefixProxy` mapping ``base`` onto ``origin`` for the block; always stopped after it."""
    proxy = PrefixProxy(base, origin)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
