"""Shared pieces of the W3C conformance suites: where the W3C files are, and one app per suite.

The W3C test files are read in place from ``../shared/w3c-rdf-tests/`` (a sibling of the
repository), never copied. Each suite module skips as a whole when they are missing, except
under ``CI=true``, where a missing suite fails the run: CI must never pass without them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pyoxigraph import Quad

from helpers.requirements import missing
from kgpub.release import writer
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

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
    release = writer.write(writer.Draft(quads=list(quads), default_graphs=list(default_graphs)), root / "releases")
    settings = Settings.load(env={}, project=root, query_timeout=20.0)
    with TestClient(create_app(Site(settings, release))) as client:
        yield client


def require_suite() -> None:
    """Skip the calling module when the W3C files are missing; under CI a missing suite is a failure."""
    if W3C.is_dir():
        return
    missing(MISSING + "; CI must run the W3C suites", module=True)
