"""Shared fixtures: a tiny project, a copy of the real one, the real release built once, and the app over it.

Helpers that tests import live in ``tests/helpers`` (on the path through pytest's ``pythonpath``);
tests never import from other test modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.fresh_copy import FreshCopy
from helpers.projects import copy_project, write_project
from helpers.published import PublishedGraph
from helpers.readme import command
from helpers.shape_inputs import shape_inputs
from helpers.stash import FRESH_COPY, SHAPE_RUNS
from helpers.validation import Background, validate_all
from kgpub.build.pipeline import build
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

SHAPE_EXAMPLES = "tests/data/test_shapes.py"
TIMED = "tests/e2e/test_safety.py"  # asserts latencies (p99) and time limits: run it on a quiet machine


def _is(item: pytest.Item, part: str) -> bool:
    return part in item.path.as_posix()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests/e2e as end-to-end; start the shape examples' validation in the background; order the run.

    The shape examples (pySHACL both ways, the bulk of the suite's work) are validated in
    processes over the cores from now on, while the other tests run; their tests wait for
    it; the tests that measure latencies and time limits (:data:`TIMED`) come last, on a
    quiet machine.
    """
    for item in items:
        if _is(item, "/tests/e2e/"):
            item.add_marker(pytest.mark.e2e)
    def order(item: pytest.Item) -> int:
        return 3 if _is(item, TIMED) else 2 if item.name == FRESH_COPY_TEST else 1 if _is(item, SHAPE_EXAMPLES) else 0

    items.sort(key=order)
    if any(_is(item, SHAPE_EXAMPLES) and item.name.startswith("test_example") for item in items):
        config.stash[SHAPE_RUNS] = Background(shape_inputs())
    if any(item.name == FRESH_COPY_TEST for item in items):
        config.stash[FRESH_COPY] = FreshCopy(command("run-command"))


FRESH_COPY_TEST = "test_readme_run_command_works_on_a_fresh_copy"


def pytest_unconfigure(config: pytest.Config) -> None:
    background = config.stash.get(SHAPE_RUNS, None)
    if background is not None:
        background.close()
    fresh = config.stash.get(FRESH_COPY, None)
    if fresh is not None:
        fresh.stop()


@pytest.fixture(scope="session")
def shape_outcomes(request: pytest.FixtureRequest) -> dict[str, object]:
    """The shape examples and the real data, validated once each way (started at collection)."""
    background = request.config.stash.get(SHAPE_RUNS, None)
    if background is not None:
        return dict(background.result())
    return dict(validate_all(shape_inputs()))


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
