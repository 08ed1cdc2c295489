"""The real project's release as the data tests query it."""

from __future__ import annotations

from kgpub.query.checks import QueryLimits
from kgpub.query.execute import DefaultDataset, QueryResult, run
from kgpub.release.reader import Release


class PublishedGraph:
    """The real project's release, queried the way users query it (data + ontology as default graph)."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self.store = release.open_store()

    def query(self, query: str) -> QueryResult:
        return run(self.store, query, limits=QueryLimits(), default=DefaultDataset.of_release(self.release))
