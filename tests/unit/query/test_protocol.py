"""The typed messages and their framing: every message type round-trips through pack/unpack and a stream."""

import asyncio
import io

import pytest

from kgpub.errors import QueryTimeout, UnsupportedFormat, WorkerFailed, from_code
from kgpub.query import protocol
from kgpub.query.checks import QueryLimits
from kgpub.query.protocol import Answer, Chosen, Failure, FormatChoice, QueryJob, Ready, WorkerConfig
from kgpub.rdf.formats import Kind

CHOICE = FormatChoice(results=Chosen("json", "application/json"), rdf="none fits; offered: turtle")
MESSAGES = [
    WorkerConfig(limits=QueryLimits(max_length=5, max_depth=3, allowed_services=("http://x/",)), max_rows=7),
    Ready(version="abc"),
    QueryJob(query="ASK { ?s ?p \"é\" }", default_graphs=("http://g/",), named_graphs=(), base_iri="http://h/",
             formats=CHOICE),
    QueryJob(query="ASK {}", formats=CHOICE),
    Answer(media_type="text/csv", count=2, truncated=True, body=b"s\r\n\xff\x00"),
    Failure(code="query_timeout", message="too slow"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message: object) -> None:
    packed = protocol.pack(message)
    stream = io.BytesIO(packed + packed)
    assert protocol.read(stream) == message
    assert protocol.read(stream) == message
    assert protocol.read(stream) is None  # end of input: the worker exits


def test_unknown_message_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not a kgpub query message"):
        protocol.unpack(b'{"type": "describe-everything"}', b"")


def test_format_choice_picks_per_kind_or_refuses() -> None:
    fmt, media_type = CHOICE.pick(Kind.RESULTS)
    assert (fmt.name, media_type) == ("json", "application/json")
    with pytest.raises(UnsupportedFormat, match="offered: turtle"):
        CHOICE.pick(Kind.RDF)


@pytest.mark.parametrize(("code", "cls"), [("query_timeout", QueryTimeout), ("worker_failed", WorkerFailed),
                                           ("not_acceptable", UnsupportedFormat)])
def test_failures_map_to_the_one_error_registry(code: str, cls: type) -> None:
    error = Failure(code=code, message="m").error()
    assert type(error) is cls and error.message == "m" and error.code == code
    assert Failure.of(error) == Failure(code=code, message="m")
    assert type(from_code("no-such-code", "m")).__name__ == "InternalError"


def test_the_async_reader_reads_what_pack_wrote() -> None:
    async def read_all() -> list[object]:
        reader = asyncio.StreamReader()
        reader.feed_data(b"".join(protocol.pack(m) for m in MESSAGES))
        reader.feed_eof()
        found = [await protocol.read_async(reader) for _ in MESSAGES]
        with pytest.raises(asyncio.IncompleteReadError):
            await protocol.read_async(reader)
        return found

    assert asyncio.run(read_all()) == MESSAGES
