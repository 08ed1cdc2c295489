"""``/docs``: Swagger UI over ``/openapi.json`` with every file from this server (the vendored copy), no ReDoc."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers.html import Element, parse
from kgpub.web import static_files
from kgpub.web.routes import docs

VENDORED = Path(docs.__file__).parent.parent / "static" / "swagger-ui"
MEDIA_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}
ABSOLUTE = re.compile(r"(?i)\bhttps?://[^\s\"'<>]+")  # (a protocol-relative src/href fails the /static/ check)


def urls(page: Element) -> list[str]:
    """Every ``src`` and ``href`` attribute of the page."""
    return [element.attrs[name] for element in page.iter() for name in ("src", "href") if name in element.attrs]


def test_docs_loads_its_script_style_and_icon_from_this_server(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.headers
    page = parse(r.text)
    loaded = urls(page)
    assert {element.tag for element in page.iter() if {"src", "href"} & element.attrs.keys()} == {"script", "link"}
    assert len(loaded) == 3, loaded  # the bundle, the stylesheet, the icon
    assert all(url.startswith(static_files.PREFIX) for url in loaded), loaded
    assert [static_files.url(docs.FOLDER + name) for name in ("swagger-ui.css", "favicon-32x32.png",
                                                              "swagger-ui-bundle.js")] == loaded
    assert ABSOLUTE.findall(r.text) == [], "the page names another origin"


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"])
def test_each_file_the_page_loads_is_the_vendored_file(client: TestClient, name: str) -> None:
    url = static_files.url(docs.FOLDER + name)
    assert url in client.get("/docs").text
    r = client.get(url, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200, url
    assert r.headers["content-type"].split(";")[0] in MEDIA_TYPES[Path(name).suffix], r.headers["content-type"]
    assert r.content == (VENDORED / name).read_bytes()
    assert r.headers["cache-control"] == static_files.CACHE


def test_docs_reads_the_openapi_document_and_asks_no_validator(client: TestClient) -> None:
    text = client.get("/docs").text
    assert "url: '/openapi.json'" in text
    assert '"validatorUrl": null' in text
    assert "validator.swagger.io" not in text
    openapi = client.get("/openapi.json")
    assert openapi.status_code == 200 and openapi.headers["content-type"] == "application/json"
    schema = openapi.json()
    assert "/sparql" in schema["paths"]
    assert "/docs" not in schema["paths"]


def test_docs_policy_allows_this_origin_and_its_one_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    policy = r.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert directives["script-src"] == f"'self' 'sha256-{digest}'"
    assert not ABSOLUTE.search(policy), policy
    assert r.headers["x-content-type-options"] == "nosniff"


def test_docs_answers_head_and_revalidates(client: TestClient) -> None:
    assert client.head("/docs").status_code == 200
    etag = client.get("/docs").headers["etag"]
    assert client.get("/docs", headers={"If-None-Match": etag}).status_code == 304


def test_redoc_is_not_served(client: TestClient) -> None:
    """FastAPI's ReDoc page loads ReDoc from a CDN; it is not vendored, so it is off."""
    r = client.get("/redoc")
    assert r.status_code == 404
    assert "redoc" not in client.get("/docs").text.lower()


def test_the_vendored_readme_names_the_version_and_digest_of_each_file() -> None:
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    assert re.search(r"version \*\*\d+\.\d+\.\d+\*\*", readme), "the version must be pinned exactly"
    assert re.search(r"integrity \(npm, sha512\): `sha512-[A-Za-z0-9+/=]{88}`", readme)
    shipped = sorted(p.name for p in VENDORED.iterdir() if p.name != "README.md")
    assert shipped == sorted(["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE",
                              "swagger-ui-bundle.js.LICENSE.txt"])
    for name in shipped:
        digest = hashlib.sha256((VENDORED / name).read_bytes()).hexdigest()
        assert f"| `{name}` | {(VENDORED / name).stat().st_size} | `{digest}` |" in readme, name
