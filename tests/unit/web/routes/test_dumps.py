"""Dumps over HTTP: ``/dump.*`` of the served release and ``/releases/<version>/…``, byte for byte.

Strong ETag = the manifest's SHA-256, Last-Modified = build time, 304 on either validator,
Range (206, 416), HEAD, gzip files as application/gzip and never compressed again,
immutable caching for versioned URLs, and a listing of the kept releases.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pyoxigraph import QueryBoolean, Store

from helpers.sites import IdleBackend, release
from kgpub.rdf.formats import DUMP_FORMATS, from_name
from kgpub.release import layout
from kgpub.release.reader import Release, open_release
from kgpub.settings import Settings
from kgpub.site import Site
from kgpub.web.app import create_app
from kgpub.web.routes.dumps import MEDIA_TYPES, dump_url_name

DUMPS = [layout.dump_name(f, gz=gz) for f in DUMP_FORMATS for gz in (False, True)]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "releases"
    return Site(Settings.load(env={}, project=tmp_path), release(root, "ex", objects=300), backend=IdleBackend)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.mark.parametrize("name", DUMPS)
def test_every_dump_is_the_release_file_byte_for_byte(client: TestClient, site: Site, name: str) -> None:
    r = client.get("/" + dump_url_name(name), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    data = site.release.file(name).read_bytes()
    assert r.content == data and int(r.headers["content-length"]) == len(data)
    assert "content-encoding" not in r.headers  # stored bytes as they are, never compressed again
    entry = site.release.manifest.files[name]
    assert r.headers["etag"] == f'"{entry.sha256}"'  # strong: the file's SHA-256
    assert r.headers["accept-ranges"] == "bytes"
    assert "max-age=300" in r.headers["cache-control"]
    fmt = next(f for f in DUMP_FORMATS if name.startswith(layout.dump_name(f)))
    assert r.headers["content-type"].split(";")[0] == ("application/gzip" if name.endswith(".gz") else fmt.media_type)
    if name.endswith(".gz"):
        assert gzip.decompress(r.content) == site.release.file(name.removesuffix(".gz")).read_bytes()


def test_validators_give_304s_and_head_gives_the_headers(client: TestClient) -> None:
    first = client.get("/dump.nt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/dump.nt", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/dump.nt", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/dump.nt", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert client.get("/dump.nt", headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get("/dump.nt", headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get("/dump.nt", headers=both).status_code == 200
    unchanged = client.get("/dump.nt", headers={"If-None-Match": etag})
    assert unchanged.headers["etag"] == etag and unchanged.content == b""
    head = client.head("/dump.nt")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == first.headers["content-length"]


def test_a_download_resumes_with_range_requests(client: TestClient, site: Site) -> None:
    data = site.release.file("dataset.nt").read_bytes()
    half = len(data) // 2
    first = client.get("/dump.nt", headers={"Range": f"bytes=0-{half - 1}"})
    rest = client.get("/dump.nt", headers={"Range": f"bytes={half}-"})
    assert (first.status_code, rest.status_code) == (206, 206)
    assert first.content + rest.content == data
    assert rest.headers["content-range"] == f"bytes {half}-{len(data) - 1}/{len(data)}"
    assert client.get("/dump.nt", headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


def test_versioned_urls_are_immutable_and_listed(client: TestClient, site: Site, tmp_path: Path) -> None:
    old = site.release
    new = release(tmp_path / "releases", "example", objects=2)
    asyncio.run(site.swap(new))
    listing = client.get("/releases/")
    assert listing.status_code == 200
    body = listing.json()
    assert body["current"] == new.version
    assert [r["version"] for r in body["releases"]] == sorted(
        [old.version, new.version], key=lambda v: v == new.version, reverse=True)  # newest first
    assert [r["current"] for r in body["releases"]] == [True, False]
    url = body["releases"][1]["files"]["dataset.nt"]["url"]
    assert url == f"/releases/{old.version}/dataset.nt"
    r = client.get(url)
    assert r.status_code == 200 and r.content == old.file("dataset.nt").read_bytes()
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/dump.nt").content == new.file("dataset.nt").read_bytes()  # the unversioned URL moved on
    index = client.get(f"/releases/{old.version}/")
    assert index.status_code == 200 and index.json()["version"] == old.version


@pytest.mark.parametrize("path", ["/releases/0000000000000000/dataset.nt", "/releases/../dataset.nt",
                                  "/releases/x.y/", "/dump.rdf", "/dump.xyz.gz"])
def test_unknown_releases_and_files_are_404s_in_the_error_body(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["status"] == 404


def test_a_file_outside_the_release_list_is_refused(client: TestClient, site: Site) -> None:
    for name in ("manifest.json", "store", "nope.txt"):
        assert client.get(f"/releases/{site.release.version}/{name}").status_code == 404


# The listing in RDF (DCAT 3) and the changes files.

DCAT = "http://www.w3.org/ns/dcat#"
RELEASES = "https://w3id.org/kjtrade/releases/"
LISTING_PREFIXES = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/> "
                    "PREFIX spdx: <http://spdx.org/rdf/terms#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ")


@pytest.fixture
def two(client: TestClient, site: Site, tmp_path: Path) -> tuple[Release, Release]:
    """The site's release, built an hour earlier, and a newer one, served now."""
    old = site.release
    manifest = json.loads(old.file(layout.MANIFEST).read_text())
    manifest["built_at"] = "2020-01-01T00:00:00+00:00"  # apart from the new one whatever the clock says
    old.file(layout.MANIFEST).write_text(json.dumps(manifest))
    new = release(tmp_path / "releases", "example", objects=2)
    asyncio.run(site.swap(new))
    return open_release(old.path), new


def _graph(r: Response) -> Store:
    fmt = from_name(r.headers["content-type"].split(";")[0])
    store = Store()
    store.load(r.content, format=fmt.oxigraph)  # type: ignore[arg-type]
    return store


def _ask(store: Store, where: str) -> bool:
    result = store.query(LISTING_PREFIXES + f"ASK {{ {where} }}")
    assert isinstance(result, QueryBoolean)
    return bool(result)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


NEGOTIATED = [  # Accept, query, the media type answered
    (None, "", "application/json"), ("*/*", "", "application/json"), (BROWSER, "", "application/json"),
    ("text/html", "", "application/json"), ("application/json, text/turtle;q=0.9", "", "application/json"),
    ("text/turtle", "", "text/turtle"), ("application/ld+json", "", "application/ld+json"),
    ("text/turtle;q=0.5, application/n-triples", "", "application/n-triples"),
    ("application/json", "?format=turtle", "text/turtle"), (None, "?format=nt", "application/n-triples"),
    (None, "?format=xml", "application/rdf+xml"), (None, "?format=json", "application/ld+json"),
]


def test_the_listing_is_json_unless_rdf_is_asked_for(two: tuple[Release, Release], client: TestClient) -> None:
    for accept, query, media_type in NEGOTIATED:
        r = client.get("/releases/" + query, headers={"Accept": accept} if accept else {})
        assert r.status_code == 200, (accept, query, r.text)
        assert r.headers["content-type"].split(";")[0] == media_type, (accept, query)
        assert r.headers["vary"].split(",")[0].strip().lower() == "accept"
        if media_type == "application/json":
            assert r.json()["current"] == two[1].version
        else:
            assert _ask(_graph(r), "?d dcat:hasCurrentVersion ?r"), (accept, query)


def test_a_listing_format_that_is_not_rdf_is_a_406(client: TestClient) -> None:
    r = client.get("/releases/?format=csv")
    assert r.status_code == 406 and r.json()["error"]["code"] == "not_acceptable"
    assert "the release listing" in r.json()["error"]["message"]


def test_the_rdf_listing_describes_every_release_and_file_in_dcat(two: tuple[Release, Release],
                                                                  client: TestClient) -> None:
    old, new = two
    r = client.get("/releases/", headers={"Accept": "text/turtle"})
    store = _graph(r)
    dataset, old_iri, new_iri = "<https://w3id.org/kjtrade/id/dataset/kjtrade>", f"<{RELEASES}{old.version}/>", \
        f"<{RELEASES}{new.version}/>"
    assert _ask(store, f"{dataset} a dcat:Dataset ; dcat:hasVersion {old_iri}, {new_iri} ; "
                       f"dcat:hasCurrentVersion {new_iri}")
    assert not _ask(store, f"{dataset} dcat:hasCurrentVersion {old_iri}")
    assert _ask(store, f"{new_iri} a dcat:Dataset ; dcat:previousVersion {old_iri} ; dcterms:isVersionOf {dataset}")
    assert not _ask(store, f"{old_iri} dcat:previousVersion ?earlier")  # the chain ends at the oldest kept
    for rel, iri in ((old, old_iri), (new, new_iri)):
        issued = f'"{rel.manifest.built_at}"^^xsd:dateTime'
        assert _ask(store, f'{iri} dcat:version "{rel.version}" ; dcterms:issued {issued}')
        served = [n for n in rel.manifest.files if n in MEDIA_TYPES]
        assert layout.CHANGES in served and "dataset.ttl.gz" in served
        for name in served:
            entry = rel.manifest.files[name]
            assert _ask(store, f"{iri} dcat:distribution ?d . ?d a dcat:Distribution ; "
                               f"dcat:downloadURL <{RELEASES}{rel.version}/{name}> ; "
                               f'dcat:byteSize "{entry.bytes}"^^xsd:nonNegativeInteger ; '
                               "spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; "
                               f'spdx:checksumValue "{entry.sha256}"^^xsd:hexBinary ]'), (rel.version, name)
        count = store.query(LISTING_PREFIXES + f"SELECT (COUNT(?d) AS ?n) {{ {iri} dcat:distribution ?d }}")
        assert next(iter(count))["n"].value == str(len(served))  # type: ignore[index]
    iana = "http://www.iana.org/assignments/media-types/"
    assert _ask(store, f"?d dcat:downloadURL <{RELEASES}{new.version}/dataset.ttl.gz> ; "
                       f"dcat:mediaType <{iana}text/turtle> ; dcat:compressFormat <{iana}application/gzip>")
    assert _ask(store, f"?d dcat:downloadURL <{RELEASES}{new.version}/dataset.nt> ; "
                       f"dcat:mediaType <{iana}application/n-triples>")
    assert not _ask(store, f"?d dcat:downloadURL <{RELEASES}{new.version}/dataset.nt> ; "
                           "dcat:compressFormat ?gzip")
    assert _ask(store, f"?d dcat:downloadURL <{RELEASES}{new.version}/{layout.CHANGES}> ; "
                       "dcterms:conformsTo <https://afs.github.io/rdf-patch/>")
    assert "testserver" not in r.text  # canonical IRIs, never the local origin
    ntriples = _graph(client.get("/releases/?format=ntriples"))
    assert len(ntriples) == len(store) and len(_graph(client.get("/releases/?format=jsonld"))) == len(store)


def test_each_representation_has_its_own_etag(two: tuple[Release, Release], client: TestClient) -> None:
    answers = {accept: client.get("/releases/", headers={"Accept": accept})
               for accept in ("application/json", "text/turtle", "application/n-triples")}
    assert len({r.headers["etag"] for r in answers.values()}) == 3
    turtle = answers["text/turtle"].headers["etag"]
    again = client.get("/releases/", headers={"Accept": "text/turtle", "If-None-Match": turtle})
    assert again.status_code == 304 and again.headers["etag"] == turtle and again.headers["vary"].startswith("Accept")
    assert client.get("/releases/", headers={"Accept": "application/json", "If-None-Match": turtle}).status_code == 200
    assert client.get("/releases/?format=turtle", headers={"If-None-Match": turtle}).status_code == 304  # same bytes


def test_every_release_serves_its_changes_and_the_current_ones_have_a_short_url(
        two: tuple[Release, Release], client: TestClient) -> None:
    old, new = two
    for rel in (old, new):
        r = client.get(f"/releases/{rel.version}/{layout.CHANGES}", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
        assert r.content == rel.file(layout.CHANGES).read_bytes() and "content-encoding" not in r.headers
        assert r.headers["etag"] == f'"{rel.manifest.files[layout.CHANGES].sha256}"'
    current = client.get("/" + layout.CHANGES, headers={"Accept-Encoding": "gzip"})
    assert current.status_code == 200 and current.content == new.file(layout.CHANGES).read_bytes()
    assert "content-encoding" not in current.headers and "max-age=300" in current.headers["cache-control"]
    patch = gzip.decompress(current.content).decode().splitlines()
    assert patch[:2] == [f"H id <{RELEASES}{new.version}/> .", f"H prev <{RELEASES}{old.version}/> ."]
    listed = {r["version"]: r for r in client.get("/releases/").json()["releases"]}
    assert listed[new.version]["previous"] == old.version and listed[old.version]["previous"] is None
    assert listed[new.version]["files"][layout.CHANGES]["url"] == f"/releases/{new.version}/{layout.CHANGES}"


@pytest.mark.parametrize(("accept", "names", "ext"), [
    (None, [], "ttl"), ("*/*", [], "ttl"), ("application/n-triples", [], "nt"), ("application/n-quads", [], "nq"),
    ("application/trig;q=0.9, application/ld+json", [], "jsonld"), ("text/turtle;q=0, */*", [], "nt"),
    ("image/png", ["trig"], "trig"), (None, ["json"], "jsonld"),
])
def test_dump_negotiates_the_format_and_names_the_file(client: TestClient, accept: str | None, names: list[str],
                                                      ext: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/dump", headers=headers, params=[("format", n) for n in names])
    file = client.get(f"/dump.{ext}")
    assert r.status_code == 200 and r.headers["content-location"] == f"/dump.{ext}"
    assert r.content == file.content and r.headers["etag"] == file.headers["etag"]
    assert "accept" in r.headers["vary"].lower()
    again = client.get("/dump", headers={**headers, "If-None-Match": r.headers["etag"]},
                       params=[("format", n) for n in names])
    assert again.status_code == 304 and again.headers["content-location"] == f"/dump.{ext}"


def test_dump_406_lists_the_dump_formats(client: TestClient) -> None:
    r = client.get("/dump", headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 406 and "a dump" in r.json()["error"]["message"]
    assert "application/n-quads" in r.json()["error"]["message"]
