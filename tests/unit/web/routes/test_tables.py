"""The tables over HTTP: ``/datasets/<name>.csv`` and ``/datasets/<name>.csv-metadata.json``, byte for byte.

Each is the release file as stored: strong ETag = the manifest's SHA-256, Last-Modified = build
time, 304 on either validator, Range, HEAD; the CSV links its metadata; an unknown name is a
404 in the error body; both are also served and listed under ``/releases/<version>/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import Literal, NamedNode, Quad

from helpers.sites import IdleBackend
from kgpub.metadata import tables
from kgpub.release import writer
from kgpub.release.reader import Release
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app

BASE = "https://example.org/kg/"
GRAPH = BASE + "graph/data"
IDENTITY = {"Accept-Encoding": "identity"}  # the stored bytes, whatever the compression middleware does
CSV_TYPE = "text/csv; charset=utf-8; header=present"
LINK = '</datasets/figures.csv-metadata.json>; rel="describedby"; type="application/csvm+json"'


def figures_release(root: Path) -> Release:
    """A release whose knowledge graph has one data set, figures, of 40 observations, with its table files."""
    qb, dataset = tables.QB, NamedNode(BASE + "id/dataset/figures")
    quads = [Quad(dataset, NamedNode(tables.RDF_TYPE), NamedNode(qb + "DataSet"), NamedNode(GRAPH))]
    for i in range(40):
        obs = NamedNode(f"{BASE}id/observation/o{i}")
        quads += [Quad(obs, NamedNode(tables.DATA_SET), dataset, NamedNode(GRAPH)),
                  Quad(obs, NamedNode(tables.SDMX_MEASURE + "obsValue"),
                       Literal(f"{i}.5", datatype=NamedNode(tables.XSD + "decimal")), NamedNode(GRAPH)),
                  Quad(obs, NamedNode(tables.STATED_AS), Literal(f"{i}.5 — as stated", language="en"),
                       NamedNode(GRAPH))]
    draft = writer.Draft(quads=quads, default_graphs=[GRAPH], prefixes={"qb": qb}, base_iri=BASE)
    figures = tables.published(quads, graphs=[GRAPH], base_iri=BASE)
    for name in figures.names:  # as the build does
        draft.add_file(tables.csv_name(name), figures.csv(name))
        draft.add_file(tables.metadata_name(name), figures.metadata(name))
    return writer.write(draft, root)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(Settings.load(env={}, project=tmp_path), figures_release(tmp_path / "releases"), backend=IdleBackend)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.mark.parametrize(("path", "name", "media_type"), [
    ("/datasets/figures.csv", "figures.csv", CSV_TYPE),
    ("/datasets/figures.csv-metadata.json", "figures.csv-metadata.json", "application/csvm+json"),
])
def test_each_file_is_the_release_file_byte_for_byte(client: TestClient, site: Site, path: str, name: str,
                                                      media_type: str) -> None:
    r = client.get(path, headers=IDENTITY)
    assert r.status_code == 200
    data = site.release.file(name).read_bytes()
    assert r.content == data and int(r.headers["content-length"]) == len(data)
    assert r.headers["content-type"] == media_type
    assert r.headers["etag"] == f'"{site.release.manifest.files[name].sha256}"'  # strong: the file's SHA-256
    assert parsedate_to_datetime(r.headers["last-modified"]) == site.release.built
    assert r.headers["accept-ranges"] == "bytes"
    assert "max-age=300" in r.headers["cache-control"]
    compressed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert compressed.status_code == 200 and compressed.content == data  # decoded, the same bytes


def test_the_csv_links_its_metadata_on_every_answer(client: TestClient) -> None:
    first = client.get("/datasets/figures.csv", headers=IDENTITY)
    assert first.headers["link"] == LINK
    assert client.head("/datasets/figures.csv").headers["link"] == LINK
    unchanged = client.get("/datasets/figures.csv", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["link"] == LINK


@pytest.mark.parametrize("path", ["/datasets/figures.csv", "/datasets/figures.csv-metadata.json"])
def test_validators_give_304s_and_head_gives_the_headers(client: TestClient, path: str) -> None:
    first = client.get(path, headers=IDENTITY)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"', **IDENTITY}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.headers["etag"] == etag and unchanged.content == b""
    head = client.head(path, headers=IDENTITY)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == first.headers["content-length"]


def test_a_download_resumes_with_range_requests(client: TestClient, site: Site) -> None:
    data = site.release.file("figures.csv").read_bytes()
    half = len(data) // 2
    first = client.get("/datasets/figures.csv", headers={"Range": f"bytes=0-{half - 1}"})
    rest = client.get("/datasets/figures.csv", headers={"Range": f"bytes={half}-"})
    assert (first.status_code, rest.status_code) == (206, 206)
    assert first.content + rest.content == data
    assert rest.headers["content-range"] == f"bytes {half}-{len(data) - 1}/{len(data)}"
    assert client.get("/datasets/figures.csv", headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


@pytest.mark.parametrize("path", ["/datasets/nope.csv", "/datasets/nope.csv-metadata.json", "/datasets/dataset.csv",
                                  "/datasets/validation.csv", "/datasets/figures.json", "/datasets/figures",
                                  "/datasets/..%2Fmanifest.csv"])
def test_an_unknown_table_is_a_404_in_the_error_body(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["status"] == 404


def test_the_404_names_the_tables_there_are(client: TestClient) -> None:
    assert "/datasets/figures.csv" in client.get("/datasets/nope.csv").json()["error"]["message"]


def test_a_kept_release_serves_and_lists_its_tables(client: TestClient, site: Site) -> None:
    base = f"/releases/{site.release.version}/"
    listed = client.get(base).json()["files"]
    assert set(listed) >= {"figures.csv", "figures.csv-metadata.json"}
    r = client.get(base + "figures.csv", headers=IDENTITY)
    assert r.status_code == 200 and r.content == site.release.file("figures.csv").read_bytes()
    assert r.headers["content-type"] == CSV_TYPE
    metadata = client.get(base + "figures.csv-metadata.json", headers=IDENTITY)
    assert metadata.headers["content-type"] == "application/csvm+json"
    assert metadata.json()["url"] == "figures.csv"  # relative: resolves to the CSV beside it here too


def test_tables_are_served_as_stored_even_to_a_client_that_accepts_gzip(client: TestClient) -> None:
    for path in ("/datasets/figures.csv", "/datasets/figures.csv-metadata.json"):
        r = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and "content-encoding" not in r.headers, path
        assert not r.headers["etag"].endswith('-gzip"')
