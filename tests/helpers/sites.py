"""Sites over small releases for route tests: no query workers, just what a route reads from a release."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode, Quad

from kgpub.query.backends.base import BackendHealth
from kgpub.query.protocol import Answer, QueryJob
from kgpub.release import writer
from kgpub.release.reader import Release
from kgpub.settings import Settings

EX = "http://example.org/"


class IdleBackend:
    """No queries here: a backend that starts, answers health checks and stops."""

    def __init__(self, _: Settings, release: Release) -> None:
        self.release = release

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, job: QueryJob, *, timeout: float, client: str = "") -> Answer:
        raise AssertionError("no query is expected")

    def health(self) -> BackendHealth:
        return BackendHealth(True, {"live": 1}, "")


def release(root: Path, prefix: str, *, objects: int = 1) -> Release:
    """A release in the releases folder ``root``: ``objects`` triples ex:s ex:p ex:o<i> in one graph."""
    quads = [Quad(NamedNode(EX + "s"), NamedNode(EX + "p"), NamedNode(f"{EX}o{i}"), NamedNode(EX + "g"))
             for i in range(objects)]
    return writer.write(writer.Draft(quads=quads, default_graphs=[EX + "g"], prefixes={prefix: EX}), root)
