"""A query worker process: ``python -m kgpub.query.backends.worker RELEASE CONFIG``.

It opens the release's store read-only and reads what every answer needs once (the
release's prefixes and default dataset; the limits in the JSON ``CONFIG``), then answers
requests framed on stdin (a 4-byte
big-endian length, then JSON) with two frames on stdout: a JSON header and the body. It
imports only pyoxigraph and the small kgpub modules that check, run and serialize a query,
so it starts fast and stays small. A query that overruns is stopped by killing the whole
process (pyoxigraph cannot cancel a running query), which is why this is a process.
"""

from __future__ import annotations

import json
import struct
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pyoxigraph import Store

from kgpub.errors import KgpubError, ServiceCallFailed, UnsupportedFormat
from kgpub.rdf.formats import Format, Kind, by_kind, from_name
from kgpub.rdf.negotiate import choose
from kgpub.release.reader import Release
from kgpub.rdf.serialize import serialize_result
from kgpub.query.execute import QueryLimits, execute, result_kind

_LENGTH = struct.Struct(">I")


def read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    return stream.read(size)


def write_frame(stream: BinaryIO, data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)) + data)


@dataclass(frozen=True)
class Context:
    """What a worker holds for its whole life."""

    store: Store
    limits: QueryLimits
    max_rows: int
    prefixes: dict[str, str]
    service_default: list[str] | str

    @classmethod
    def open(cls, release_dir: str, config: dict[str, Any]) -> Context:
        release = Release(Path(release_dir))
        limits = QueryLimits(max_length=config["max_length"], max_depth=config["max_depth"],
                             allowed_services=tuple(config["allowed_services"]))
        return cls(store=release.open_store(), limits=limits, max_rows=config["max_rows"],
                   prefixes=release.prefixes, service_default=release.service_default)


def answer(ctx: Context, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Check, run and serialize one query; expected errors become an error header."""
    try:
        result = execute(ctx.store, request["query"], limits=ctx.limits, default_graphs=request["default_graphs"],
                         named_graphs=request["named_graphs"], service_default=ctx.service_default,
                         base_iri=request.get("base_iri"))
        fmt, media_type = pick_format(result_kind(result).value, request.get("accept"), request.get("format") or ())
        out = serialize_result(result, fmt, max_rows=ctx.max_rows, prefixes=ctx.prefixes)
    except OSError as e:  # pyoxigraph's error for a failed HTTP call, at planning or while results stream
        if not ctx.limits.allowed_services:
            raise  # no SERVICE can have run: a store error, i.e. a bug
        raise ServiceCallFailed(f"a SERVICE endpoint failed: {e}") from e
    header = {"ok": True, "media_type": media_type, "format": fmt.name, "count": out.count,
              "truncated": out.truncated}
    return header, out.body


def pick_format(kind: str, accept: str | None, names: Sequence[str] = ()) -> tuple[Format, str]:
    """Format and media type for this result kind: by the ``format`` parameter if given, else by Accept
    (answering with the media type the client named, e.g. ``application/json`` for SPARQL JSON)."""
    offered = by_kind(Kind(kind))
    if names:
        fits = [f for f in (_by_name(n, Kind(kind)) for n in names) if f in offered]
        if not fits:
            raise UnsupportedFormat(f"format={', '.join(names)} does not fit this query's result; offered: "
                                    + ", ".join(f.name for f in offered))
        assert fits[0] is not None
        return fits[0], fits[0].media_type
    chosen = choose(accept, [m for f in offered for m in f.media_types])
    if chosen is None:
        raise UnsupportedFormat("none of the accepted media types fits this query's result; offered: "
                                + ", ".join(f.media_type for f in offered))
    return next(f for f in offered if chosen in f.media_types), chosen


# Names clients send in format= that mean a different format for graph results (SPARQLWrapper:
# xml for RDF/XML, n3 for Turtle, which N3 readers accept, json for JSON-LD).
_RDF_ALIASES = {"xml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml", "n3": "turtle", "json": "jsonld",
                "json-ld": "jsonld"}


def _by_name(name: str, kind: Kind) -> Format | None:
    key = name.strip().lower()
    if kind is Kind.RDF:
        key = _RDF_ALIASES.get(key, key)
    try:
        return from_name(key)
    except KeyError:
        return None


def serve(release_dir: str, config: dict[str, Any], stdin: BinaryIO, stdout: BinaryIO) -> int:
    try:
        ctx = Context.open(release_dir, config)
    except (OSError, ValueError, KeyError) as e:
        write_frame(stdout, json.dumps({"ready": False, "message": f"cannot open the release: {e}"}).encode())
        stdout.flush()
        return 1
    write_frame(stdout, json.dumps({"ready": True}).encode())
    stdout.flush()
    while (frame := read_frame(stdin)) is not None:
        try:
            header, body = answer(ctx, json.loads(frame))
        except KgpubError as e:
            header, body = {"ok": False, "status": e.status, "code": e.code, "message": e.message}, b""
        except Exception as e:  # a bug: report it as one (500) and keep serving
            traceback.print_exc(file=sys.stderr)
            header, body = {"ok": False, "status": 500, "code": "internal",
                            "message": f"internal error in the query worker: {type(e).__name__}: {e}"}, b""
        write_frame(stdout, json.dumps(header).encode())
        write_frame(stdout, body)
        stdout.flush()
    return 0


STACK_BYTES = 512 * 1024 * 1024
"""pyoxigraph parses and plans recursively: 20,000 chained ``+``, ``&&``, UNION, OPTIONAL, path steps
or triple patterns overflow the main thread's 8 MiB stack and kill the process. Queries run in a
thread with this much stack instead: address space only, memory is used only as deep as a query goes."""


def main(argv: list[str]) -> int:
    status: list[int] = []
    threading.stack_size(STACK_BYTES)
    config = json.loads(argv[2])
    thread = threading.Thread(target=lambda: status.append(serve(argv[1], config, sys.stdin.buffer, sys.stdout.buffer)),
                              name="kgpub-query")
    thread.start()
    thread.join()
    return status[0] if status else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
