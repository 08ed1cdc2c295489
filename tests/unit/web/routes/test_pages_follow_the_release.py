"""Every label, unit and figure on the pages comes from the release: change them in a copy of the project,
build it, and the page, its chart and the chart's Vega-Lite spec change with them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.html import parse as parse_html
from helpers.projects import copy_project
from kgpub.build.pipeline import build
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    project = copy_project(tmp_path_factory.mktemp("changed"))
    cube = project / "data" / "cube.ttl"
    text = cube.read_text(encoding="utf-8")
    assert text.count('"77200000000"^^xsd:decimal') == 1
    cube.write_text(text.replace('"77200000000"^^xsd:decimal', '"81300000000"^^xsd:decimal')
                    .replace('"0.42"^^xsd:decimal', '"0.47"^^xsd:decimal'), encoding="utf-8")
    countries = project / "data" / "countries.ttl"
    names = countries.read_text(encoding="utf-8")
    assert names.count('"대한민국"@ko') >= 1
    countries.write_text(names.replace('"대한민국"@ko', '"대한민국 (시험)"@ko'), encoding="utf-8")
    release = build(Settings.load(env={}, project=project)).release
    settings = Settings.load(env={}, project=release.path)
    return TestClient(create_app(Site(settings, release)))


def _page(client: TestClient, path: str) -> str:
    client.cookies.clear()
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.text
    return r.text


def test_a_changed_figure_changes_the_pages_and_the_chart(changed: TestClient) -> None:
    with changed as client:
        home = parse_html(_page(client, "/?lang=en"))
        text = " ".join(home.text.split())
        assert "USD 81.3 billion" in text and "USD 77.2 billion" not in text
        assert "0.47" in text
        charts = [svg for svg in home.find_all("svg") if svg.attrs.get("role") == "img"]
        assert any("USD 81.3 billion" in svg.text for svg in charts)
        assert "406.5-fold (computed)" in text  # 81.3 billion / 200 million, from the release, not a constant
        spec = client.get("/charts/chart-bilateral-trade-trade-value.vl.json?lang=en").json()
        assert 81300000000 in [v["value"] for v in spec["data"]["values"]]
        observation = _page(client, "/id/observation/trade-value-KR-JP-2024?lang=ko")
        assert "813억 미국 달러" in observation


def test_a_changed_label_changes_the_title(changed: TestClient) -> None:
    with changed as client:
        doc = parse_html(_page(client, "/id/country/KR?lang=ko"))
        h1 = doc.find("h1")
        assert h1 is not None and h1.text.strip() == "대한민국 (시험)"


def test_the_real_release_is_unchanged(tmp_path: Path) -> None:
    assert '"77200000000"^^xsd:decimal' in (Path(__file__).resolve().parents[4] / "data" / "cube.ttl").read_text()
