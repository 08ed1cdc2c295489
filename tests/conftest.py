"""Shared fixtures: a tiny project, a copy of the real one, the real release built once, and the app over it.

Helpers that tests import live in ``tests/helpers`` (on the path through pytest's ``pythonpath``);
tests never import from other test modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.projects import copy_project, write_project
from helpers.published import PublishedGraph
from kgpub.build.pipeline import build
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/e2e are end-to-end (a real server, real clients): marked so a fast loop can skip them."""
    for item in items:
        if "/tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A small valid project with one warning (ex:b's size)."""
    return write_project(tmp_path / "tiny")


@pytest.fixture
def real_project(tmp_path: Path) -> Path:
    """A copy of this repository's ontology/, data/ and shapes/ (tests may break or rebuild it)."""
    return copy_project(tmp_path / "kjtrade")


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedGraph:
    """The real ontology/, data/ and shapes/ built into a release once per test session."""
    project = copy_project(tmp_path_factory.mktemp("published"))
    return PublishedGraph(build(Settings.load(env={}, project=project)).release)


@pytest.fixture(scope="module")
def client(published: PublishedGraph) -> Iterator[TestClient]:
    """The app over the real release, with its worker pool running (small limits for tests)."""
    settings = Settings.load(env={}, project=published.release.path, query_timeout=3.0, max_rows=20)
    with TestClient(create_app(Site(settings, published.release))) as test_client:
        yield test_client
