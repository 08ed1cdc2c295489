"""Hostile HTTP requests, built byte by byte, and the catalogue of them that ``tests/e2e/test_hostile.py`` sends.

A client library normalises what it sends (it percent-encodes, refuses CR/LF and non-ASCII header
bytes, decodes gzip, sets Content-Length); an attacker does not. :func:`exchange` writes exactly the
bytes given on a raw socket to 127.0.0.1, optionally slowly, while it reads the answer in parallel
(a server may answer before the upload ends and hang up), and returns what came back, parsed just
enough to judge it. Everything is bounded: bytes read, seconds waited, chunks sent.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from helpers.server import HOST

MAX_ANSWER = 16 << 20  # bytes read of one answer at most: a dump is ~1 MB
Header = tuple[bytes | str, bytes | str]


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def request(method: str, target: bytes | str, headers: Sequence[Header] = (), body: bytes = b"", *,
            length: bool = True, close: bool = True) -> bytes:
    """One HTTP/1.1 request as bytes: exactly ``target`` and ``headers`` (nothing encoded or checked), with
    ``Host``, ``Connection: close`` (``close``) and ``Content-Length`` (``length``, when there is a body)."""
    lines = [_bytes(method) + b" " + _bytes(target) + b" HTTP/1.1", b"Host: " + HOST.encode()]
    if close:
        lines.append(b"Connection: close")
    if body and length:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines += [_bytes(name) + b": " + _bytes(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@dataclass
class Answer:
    """What the server sent back on one connection (``status`` None: it hung up without an answer)."""

    status: int | None
    head: bytes = b""  # the status line and header lines as sent
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lower-cased, values latin-1
    body: bytes = b""  # as sent (chunked framing removed)
    seconds: float = 0.0  # from the first byte sent to the end of the answer (or of the connection)
    closed: bool = False  # the server closed the connection
    send_error: str = ""  # the upload stopped: the server hung up (or reset) before taking it all

    def header(self, name: str) -> str | None:
        found = self.all(name)
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    def describe(self) -> str:
        return f"{self.status} after {self.seconds:.2f} s: {self.head[:300]!r} {self.body[:300]!r}"


def _parse_head(head: bytes) -> tuple[int | None, list[tuple[str, str]]]:
    status_line, *lines = head.split(b"\r\n")
    parts = status_line.split(b" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit() else None
    headers = []
    for line in lines:
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip().decode("latin-1").lower(), value.strip().decode("latin-1")))
    return status, headers


def _unchunk(data: bytes) -> tuple[bytes, bool]:
    """The body of a chunked answer, and whether its last chunk has arrived."""
    out: list[bytes] = []
    rest = data
    while True:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            return b"".join(out), False
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            return b"".join(out), True  # not chunked after all: take what came
        if size == 0:
            return b"".join(out), True
        if len(rest) < size + 2:
            return b"".join(out), False
        out.append(rest[:size])
        rest = rest[size + 2:]


def _complete(data: bytes, method: str) -> bool:
    """Whether ``data`` holds a whole answer (so that a keep-alive connection need not be waited on)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    status, headers = _parse_head(head)
    names = dict(headers)
    if method == "HEAD" or status in (204, 304) or (status is not None and status < 200):
        return True
    if names.get("transfer-encoding", "").lower() == "chunked":
        return _unchunk(rest)[1]
    if "content-length" in names and names["content-length"].isdigit():
        return len(rest) >= int(names["content-length"])
    return False


def exchange(port: int, data: bytes | Iterable[bytes], *, timeout: float = 15.0, method: str = "GET",
             max_bytes: int = MAX_ANSWER) -> Answer:
    """Send ``data`` (bytes, or chunks from an iterable, which may pause between them) on a new connection
    to ``port`` and read the answer: until the server closes, a whole answer has come, ``max_bytes`` were
    read, or ``timeout`` seconds passed. The upload runs in its own thread, so an early answer is read
    while the client is still sending (as a real client would see it)."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    chunks = [data] if isinstance(data, bytes) else data
    send_error: list[str] = []
    done_sending = threading.Event()

    def upload() -> None:
        try:
            for chunk in chunks:
                if done_sending.is_set():
                    return
                sock.sendall(chunk)
        except OSError as e:  # the server hung up (or reset) before taking everything: report, do not fail
            send_error.append(f"{type(e).__name__}: {e}")
        finally:
            done_sending.set()

    start = time.monotonic()
    sender = threading.Thread(target=upload, name=f"hostile-upload-{port}", daemon=True)
    sender.start()
    received, closed = bytearray(), False
    end = start + timeout
    try:
        while time.monotonic() < end and len(received) < max_bytes:
            sock.settimeout(max(0.01, min(0.5, end - time.monotonic())))
            try:
                got = sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError:  # a reset: the connection is over
                closed = True
                break
            if not got:
                closed = True
                break
            received += got
            if _complete(bytes(received), method):
                break
    finally:
        seconds = time.monotonic() - start
        done_sending.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        sender.join(5)
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    if not head:
        return Answer(None, seconds=seconds, closed=closed, send_error="; ".join(send_error))
    status, headers = _parse_head(head)
    body = _unchunk(rest)[0] if dict(headers).get("transfer-encoding", "").lower() == "chunked" else rest
    return Answer(status, head, headers, body, seconds, closed, "; ".join(send_error))


def slowly(data: bytes, *, pieces: int, seconds: float) -> Iterator[bytes]:
    """``data`` in ``pieces`` parts spread over ``seconds`` (a slow client: slowloris, a trickled body)."""
    step = max(1, -(-len(data) // pieces))
    parts = [data[i:i + step] for i in range(0, len(data), step)]
    for i, part in enumerate(parts):
        if i:
            time.sleep(seconds / max(1, len(parts) - 1))
        yield part


# --------------------------------------------------------------------------- request bodies


def gzip_bomb(*, compressed: int, block: int = 16 << 20) -> Iterator[bytes]:
    """A gzip stream of zeros, ``compressed`` bytes long, that inflates about 1,000 times larger
    (10 MB -> 10 GB), made without ever holding the inflated bytes: one raw deflate block of ``block``
    zeros, ended with a sync flush so that it can follow itself, repeated. Its trailer's CRC is not
    that of the zeros (computing it would mean inflating it): a server that inflates it runs out of
    memory long before it could notice."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = deflater.compress(b"\0" * block) + deflater.flush(zlib.Z_SYNC_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    yield header
    sent = len(header)
    while sent + len(unit) <= compressed:
        yield unit
        sent += len(unit)
    yield b"\x03\x00" + b"\0" * 8  # an empty final block; CRC-32 and size, unchecked


def gzip_bomb_ratio(block: int = 1 << 20) -> float:
    """How much larger :func:`gzip_bomb` inflates than it is (checked on a small one by the tests)."""
    small = b"".join(gzip_bomb(compressed=64 << 10, block=block))
    inflater = zlib.decompressobj(-15)  # the deflate stream after the 10-byte header; the trailer is left over
    inflated = inflater.decompress(small[10:], 1 << 30)
    assert inflater.eof and len(inflater.unused_data) == 8, "not one whole deflate stream"
    return len(inflated) / len(small)


def form_fields(n: int, *, query: str | None = None) -> bytes:
    """A form body of ``n`` fields ``a=b`` (and ``query=`` first, when given)."""
    head = b"query=" + quote(query, safe="").encode() + b"&" if query is not None else b""
    return head + b"a=b&" * n


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# --------------------------------------------------------------------------- header values

HIGH_BYTES = bytes(range(0x80, 0x100))
"""Every byte that is not ASCII: not UTF-8 on its own, and not a character in most header grammars."""

NON_UTF8_VALUES: dict[str, tuple[bytes, ...]] = {
    "If-None-Match": (b'W/"' + HIGH_BYTES + b'"', b'"\xff\xfe", W/"\x80", *'),
    "If-Modified-Since": (b"Mon, 32 \xff 2024 25:61:61 GMT", b"\xd0\x9f\xd0\xbd, 01 Jan 2024 00:00:00 GMT"),
    "Accept": (b"text/turtle; q=0.5; x=\xc3\x28, \xe2\x82", b"\xff/\xfe;q=\xb9"),
    "Accept-Language": (b"ko-\xff;q=0.9, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", b"\xc0\xaf"),
    "Cookie": (b"kgpub_lang=\xff\xfe; x=\x80", b"kgpub_lang=ko\xc3; \xff=\xfe"),
    "Range": (b"bytes=\xff-\x80, 0-\xc0", b"\xe2\x80\x8bbytes=0-10"),
}
"""Values with raw bytes 0x80-0xFF for each header the server reads (finding 4); each header also gets
:data:`HIGH_BYTES` alone."""

READ_HEADERS = tuple(NON_UTF8_VALUES)


def non_utf8_values(header: str) -> tuple[bytes, ...]:
    return (HIGH_BYTES, *NON_UTF8_VALUES[header])


def many_ranges(n: int) -> str:
    """An Accept of ``n`` distinct media ranges with weights, the last of them one the server offers."""
    return ", ".join(f"application/x-{i};q=0.{i % 10}" for i in range(n - 1)) + ", */*;q=0.001"


def many_languages(n: int) -> str:
    return ", ".join(f"x-{i};q=0.{i % 10}" for i in range(n - 1)) + ", ko;q=0.001"


ACCEPT_BOMBS: dict[str, str] = {
    "10 000 ranges": many_ranges(10_000),
    "q=NaN": "text/turtle;q=NaN, application/n-triples;q=nan",
    "q=1e999": "text/turtle;q=1e999, */*;q=-1e999",
    "q=-1, q=2, q=0x1": "text/turtle;q=-1, application/ld+json;q=2, */*;q=0x1",
    "64 kB value": "text/" + "x" * (64 * 1024 - 16),
    "64 kB of parameters": "text/turtle" + ";a=b" * 16_000,
    "64 kB of commas": "," * 60_000 + "text/turtle",
    "empty ranges and junk": ";;;, /, */, /*, ;q=1, text/, ===, \t ,q=0.5",
    "quoted junk": 'text/turtle;x="\\"\\\\";q="1"',
}
ACCEPT_LANGUAGE_BOMBS: dict[str, str] = {
    "10 000 ranges": many_languages(10_000),
    "q=NaN": "ko;q=NaN, ja;q=nan",
    "q=1e999": "ko;q=1e999, ja;q=-1e999",
    "64 kB tag": "x-" + "a" * (64 * 1024 - 16),
    "64 kB of subtags": "-".join(["ko"] + ["x"] * 30_000),
    "singletons and stars": "*, x-*, -, --, ko-x-, ko--, ;q=1, ja-a-b-c-d-e-f-g",
}


# --------------------------------------------------------------------------- header and response splitting

CRLF_SPELLINGS: tuple[str, ...] = (
    "%0d%0aX-Injected:%20yes",
    "%0aX-Injected:%20yes",
    "%0dX-Injected:%20yes",
    "%0d%0a%0d%0a<html>injected",
    "%E5%98%8A%E5%98%8DX-Injected:%20yes",  # U+560A U+560D: low bytes LF CR, if a header were cut to bytes
    "%C2%85X-Injected:%20yes",  # NEL
    "%E2%80%A8X-Injected:%20yes",  # LINE SEPARATOR
    "%00X-Injected:%20yes",
)
"""A header injection after a value, in each spelling a server might turn into a line break."""


def injected(answer: Answer) -> list[str]:
    """What in ``answer`` shows a split: an injected header, or a header value holding a line break."""
    problems = [f"injected header {name!r}" for name, _ in answer.headers if "injected" in name]
    problems += [f"line break in {name}: {value!r}" for name, value in answer.headers
                 if any(c in value for c in "\r\n\x00\x85\u2028")]
    if answer.head.count(b"HTTP/1.") != 1:
        problems.append("more than one status line in the head")
    return problems


# --------------------------------------------------------------------------- path traversal

TRAVERSALS: tuple[str, ...] = (
    "../../../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",  # double encoding
    "..%5c..%5c..%5c..%5cetc%5cpasswd",
    "..\\..\\..\\..\\etc\\passwd",
    "....//....//....//etc/passwd",
    "..;/..;/..;/etc/passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",  # overlong UTF-8 dots
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "%00",
    "dataset.ttl%00.png",
    "dataset.ttl%00/../../../../etc/passwd",
    ".",
    "..",
    "%2e",
    "%2e%2e",
    "~root",
)
"""Ways to name a file outside a folder, appended to each file-serving prefix."""

OUTSIDE = ("../../{secret}", "..%2f..%2f{secret}", "%2e%2e%2f%2e%2e%2f{secret}", "..\\..\\{secret}",
           "%2e%2e%5c%2e%2e%5c{secret}")
"""Relative ways from a release folder to a file beside the releases folder (the project's own files)."""

NOT_PUBLISHED = ("manifest.json", "store", "store/CURRENT", "statistics.json", "retired.json", "current",
                 "current/manifest.json", ".", "..")
"""Names in a release folder that are not files it publishes."""

SECRETS = (b"root:x:0:0", b"root:*:0:0")
"""What /etc/passwd starts with: never in an answer."""
