"""Shared pieces of the W3C conformance suites: where the W3C files are, and one app per suite.

The W3C test files are read in place from ``../shared/w3c-rdf-tests/`` (a sibling of the
repository), never copied. Each suite module skips as a whole when they are missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pyoxigraph import Quad

from kgpub.web.app import create_app
from kgpub.release.reader import write_release
from kgpub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
W3C = ROOT.parent / "shared" / "w3c-rdf-tests" / "sparql" / "sparql11"
MISSING = f"W3C test suite not found at {W3C} (expected ../shared/w3c-rdf-tests next to the repository)"
# The suite's published location: the manifests name their tests, data and results relative to it.
SUITE_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"


def suite_iri(path: Path) -> str:
    """The stable IRI of a W3C file: its place in the published suite (not the local file: URL)."""
    return SUITE_BASE + path.resolve().relative_to(W3C.resolve()).as_posix()


def suite_path(iri: str) -> Path:
    assert iri.startswith(SUITE_BASE), iri
    return W3C / iri[len(SUITE_BASE):]


@contextmanager
def serve(root: Path, quads: Iterable[Quad], *, default_graphs: Iterable[str] = ()) -> Iterator[TestClient]:
    """One release of ``quads`` and the app over it, worker pool running."""
    release = write_release(root / "releases", quads, default_graphs=default_graphs)
    settings = Settings.load(env={}, project=root, query_timeout=20.0)
    with TestClient(create_app(settings, release)) as client:
        yield client
