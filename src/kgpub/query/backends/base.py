"""The interface the query service runs queries through.

The local pool of killable worker processes implements it today; a remote SPARQL store
can implement it later. A backend answers a :class:`~kgpub.query.protocol.QueryJob` with an
:class:`~kgpub.query.protocol.Answer` or raises a :class:`~kgpub.errors.KgpubError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kgpub.query.protocol import Answer, QueryJob


@dataclass(frozen=True)
class BackendHealth:
    ready: bool  # can answer a query now
    detail: dict[str, object] = field(default_factory=dict)  # what an operator wants to see (sizes, restarts)
    reason: str = ""  # why it is not ready


class QueryBackend(Protocol):
    async def start(self) -> None:
        """Be ready to answer (start processes, open connections); raise if that cannot be done."""

    async def close(self) -> None:
        """Stop; running queries are abandoned."""

    async def run(self, job: QueryJob, *, timeout: float, client: str = "") -> Answer:
        """Answer ``job`` within ``timeout`` seconds (waiting for capacity included); ``client`` (a peer address)
        is whom admission control shares capacity between; raise :class:`~kgpub.errors.Overloaded` to refuse."""

    def health(self) -> BackendHealth:
        """Whether it can answer now, and what it holds."""
