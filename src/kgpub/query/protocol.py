"""The typed messages between the query service and whatever runs queries, and their framing.

One job goes out, one answer or one failure comes back, each a frozen dataclass. On a pipe
(the local worker pool) a message is two length-prefixed frames: a JSON header naming the
message type and its fields, then a body (the answer's bytes; empty otherwise). :func:`pack`
and :func:`unpack` are the only code that turns messages into bytes and back, on both sides.
A new operation (describe an IRI, a triple pattern page) is a new message type, not a new key.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, fields
from typing import Any, BinaryIO, ClassVar, Protocol

from kgpub.errors import KgpubError, UnsupportedFormat, from_code
from kgpub.query.checks import QueryLimits
from kgpub.rdf.formats import BY_NAME, Format, Kind

LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Chosen:
    """A registry format and the media type to answer with (the one the client named, e.g. application/json)."""

    format: str
    media_type: str


@dataclass(frozen=True)
class FormatChoice:
    """The answer's format for each result kind, negotiated before the query runs.

    A query's kind (SELECT/ASK give results, CONSTRUCT/DESCRIBE give RDF) is known only once
    it is parsed, so both are decided up front; a string is the 406 message for that kind.
    """

    results: Chosen | str
    rdf: Chosen | str

    def pick(self, kind: Kind) -> tuple[Format, str]:
        chosen = self.results if kind is Kind.RESULTS else self.rdf
        if isinstance(chosen, str):
            raise UnsupportedFormat(chosen)
        return BY_NAME[chosen.format], chosen.media_type

    def to_json(self) -> dict[str, Any]:
        return {kind: value if isinstance(value, str) else [value.format, value.media_type]
                for kind, value in (("results", self.results), ("rdf", self.rdf))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FormatChoice:
        def one(value: Any) -> Chosen | str:
            return value if isinstance(value, str) else Chosen(str(value[0]), str(value[1]))

        return cls(results=one(data["results"]), rdf=one(data["rdf"]))


class Message(Protocol):
    type: ClassVar[str]


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """Sent once to a new worker: the limits every query is checked with and the row cap."""

    type: ClassVar[str] = "config"
    limits: QueryLimits
    max_rows: int

    def to_json(self) -> dict[str, Any]:
        return {"max_length": self.limits.max_length, "max_depth": self.limits.max_depth,
                "allowed_services": list(self.limits.allowed_services), "max_rows": self.max_rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerConfig:
        limits = QueryLimits(max_length=int(data["max_length"]), max_depth=int(data["max_depth"]),
                             allowed_services=tuple(data["allowed_services"]))
        return cls(limits=limits, max_rows=int(data["max_rows"]))


@dataclass(frozen=True, kw_only=True)
class Ready:
    """A worker has opened its release and takes jobs."""

    type: ClassVar[str] = "ready"
    version: str


@dataclass(frozen=True, kw_only=True)
class QueryJob:
    """One SPARQL query over the release, with the protocol's dataset and the negotiated formats."""

    type: ClassVar[str] = "query"
    query: str
    default_graphs: tuple[str, ...] | None = None  # default-graph-uri (None: not given)
    named_graphs: tuple[str, ...] | None = None  # named-graph-uri (None: not given)
    base_iri: str | None = None  # relative IRIs in the query resolve against it (the endpoint's URL)
    formats: FormatChoice

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "default_graphs": _list(self.default_graphs),
                "named_graphs": _list(self.named_graphs), "base_iri": self.base_iri,
                "formats": self.formats.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueryJob:
        return cls(query=str(data["query"]), default_graphs=_tuple(data["default_graphs"]),
                   named_graphs=_tuple(data["named_graphs"]), base_iri=data["base_iri"],
                   formats=FormatChoice.from_json(data["formats"]))


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A query's answer: the serialized body, its media type, how many rows or triples, and whether it was cut."""

    type: ClassVar[str] = "answer"
    media_type: str
    count: int
    truncated: bool
    body: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {"media_type": self.media_type, "count": self.count, "truncated": self.truncated}


@dataclass(frozen=True, kw_only=True)
class Failure:
    """An expected error (by its stable code, see :mod:`kgpub.errors`) or a bug (``internal``)."""

    type: ClassVar[str] = "failure"
    code: str
    message: str

    @classmethod
    def of(cls, error: KgpubError) -> Failure:
        return cls(code=error.code, message=error.message)

    def error(self) -> KgpubError:
        return from_code(self.code, self.message)


MESSAGES: dict[str, type[Any]] = {m.type: m for m in (WorkerConfig, Ready, QueryJob, Answer, Failure)}


def pack(message: Any) -> bytes:
    """A message as two frames: its JSON header, then its body."""
    fields_ = message.to_json() if hasattr(message, "to_json") else {
        f.name: getattr(message, f.name) for f in fields(message)}
    header = json.dumps({"type": message.type, **fields_}, ensure_ascii=False).encode("utf-8")
    body = message.body if isinstance(message, Answer) else b""
    return LENGTH.pack(len(header)) + header + LENGTH.pack(len(body)) + body


def unpack(header: bytes, body: bytes) -> Any:
    """The message two frames carry; a ValueError for a header that names no known message."""
    data = json.loads(header)
    cls = MESSAGES.get(data.pop("type", None))
    if cls is None:
        raise ValueError(f"not a kgpub query message: {header[:80]!r}")
    if cls is Answer:
        return Answer(body=body, **data)
    if hasattr(cls, "from_json"):
        return cls.from_json(data)
    return cls(**data)


def read(stream: BinaryIO) -> Any | None:
    """The next message on a blocking stream; None at end of input."""
    frames = []
    for _ in range(2):
        head = stream.read(LENGTH.size)
        if len(head) < LENGTH.size:
            return None
        (size,) = LENGTH.unpack(head)
        frames.append(stream.read(size))
    return unpack(frames[0], frames[1])


class AsyncReader(Protocol):
    async def readexactly(self, n: int) -> bytes: ...


async def read_async(reader: AsyncReader) -> Any:
    """The next message on an asyncio stream (``asyncio.IncompleteReadError`` at end of input)."""
    frames = []
    for _ in range(2):
        (size,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
        frames.append(await reader.readexactly(size))
    return unpack(frames[0], frames[1])


def write(stream: BinaryIO, message: Any) -> None:
    stream.write(pack(message))
    stream.flush()


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(v) for v in values)
