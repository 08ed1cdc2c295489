"""Shared fixtures: a tiny project folder laid out like the real one, and the real project."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kgpub.web.app import create_app
from kgpub.build.pipeline import build
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.query.execute import QueryResult, execute

ROOT = Path(__file__).resolve().parents[1]

TINY_ONTOLOGY = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Thing a rdfs:Class ; rdfs:label "Thing"@en .
"""
TINY_DATA = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:a a ex:Thing ; rdfs:label "A"@en ; ex:size 3 .
ex:b a ex:Thing ; rdfs:label "B"@en ; ex:size 300 .
"""
TINY_SHAPES = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "A thing needs a label" ] ;
  sh:property [ sh:path ex:size ; sh:maxInclusive 100 ; sh:severity sh:Warning ;
                sh:message "Unusually large size" ] .
"""


def write_project(root: Path, *, data: str = TINY_DATA, shapes: str = TINY_SHAPES,
                  ontology: str = TINY_ONTOLOGY) -> Path:
    for folder, text in (("ontology", ontology), ("data", data), ("shapes", shapes)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "main.ttl").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A small valid project with one warning (ex:b's size)."""
    return write_project(tmp_path / "tiny")


@pytest.fixture
def real_project(tmp_path: Path) -> Path:
    """A copy of this repository's ontology/, data/ and shapes/ (tests may break or rebuild it)."""
    dest = tmp_path / "kjtrade"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


class PublishedGraph:
    """The real project's release, queried the way users query it (data + ontology as default graph)."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self.store = release.open_store()

    def query(self, query: str) -> QueryResult:
        return execute(self.store, query, service_default=self.release.service_default)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedGraph:
    """The real ontology/, data/ and shapes/ built into a release once per test session."""
    project = tmp_path_factory.mktemp("published")
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / folder, project / folder)
    return PublishedGraph(build(Settings.load(env={}, project=project)).release)


@pytest.fixture(scope="module")
def client(published: PublishedGraph) -> Iterator[TestClient]:
    """The app over the real release, with its worker pool running (small limits for tests)."""
    settings = Settings.load(env={}, project=published.release.path, query_timeout=3.0, max_rows=20)
    with TestClient(create_app(settings, published.release)) as test_client:
        yield test_client
