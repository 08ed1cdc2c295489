"""``/search`` on the real release: labels in three languages, folding, JSON and HTML, negotiation, 400s, 304."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

BASE = "https://w3id.org/kjtrade/"
KR = BASE + "id/country/KR"
SEMICONDUCTORS = BASE + "id/concept/industry/semiconductors"
NEXT_SEMICONDUCTORS = BASE + "id/concept/sector/next-generation-semiconductors"  # the sector concept
JSON_ACCEPT = {"Accept": "application/json"}
PAGE_VARY = "Accept, Accept-Language, Cookie"


@pytest.fixture(autouse=True)
def no_language_cookie(client: TestClient) -> Iterator[None]:
    """Each test starts without the cookie a ``lang=`` sets (it would come before ``Accept-Language``)."""
    client.cookies.clear()
    yield
    client.cookies.clear()


def search(client: TestClient, q: str, **params: str) -> dict[str, object]:
    r = client.get("/search", params={"q": q, **params}, headers=JSON_ACCEPT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, object] = r.json()
    return body


def iris(body: dict[str, object]) -> list[str]:
    results = body["results"]
    assert isinstance(results, list)
    return [hit["iri"] for hit in results]


def test_korean_finds_the_semiconductor_concepts(client: TestClient) -> None:
    found = iris(search(client, "반도체"))
    assert NEXT_SEMICONDUCTORS in found  # "차세대 반도체": a substring, no word boundary needed
    assert found.index(SEMICONDUCTORS) < found.index(NEXT_SEMICONDUCTORS)  # the label itself ranks first
    assert NEXT_SEMICONDUCTORS in iris(search(client, "도체"))


def test_japanese_finds_the_semiconductor_concepts(client: TestClient) -> None:
    found = iris(search(client, "半導体"))
    assert found[0] == SEMICONDUCTORS and NEXT_SEMICONDUCTORS in found


@pytest.mark.parametrize("q", ["korea", "KOREA", "ＫＯＲＥＡ", "대한민국", "韓国"])
def test_korea_finds_the_country_first(client: TestClient, q: str) -> None:
    assert iris(search(client, q))[0] == KR


def test_json_shape(client: TestClient) -> None:
    body = search(client, "korea", lang="ko")
    assert set(body) == {"query", "total", "limit", "results"}
    assert body["query"] == "korea"
    results = body["results"]
    assert isinstance(results, list) and isinstance(body["total"], int) and body["total"] >= len(results) > 1
    kr = results[0]
    assert set(kr) == {"iri", "path", "label", "lang", "matched", "matched_lang", "types"}
    assert (kr["iri"], kr["path"]) == (KR, "/id/country/KR")
    assert (kr["label"], kr["lang"]) == ("대한민국", "ko")  # shown in the reader's language
    assert (kr["matched"], kr["matched_lang"]) == ("Korea", "en")  # what matched, in its own
    assert kr["types"] and all(set(t) == {"iri", "label", "lang"} for t in kr["types"])
    assert "http://schema.org/Country" in [t["iri"] for t in kr["types"]]


def test_the_language_follows_the_reader(client: TestClient) -> None:
    ja = search(client, "korea", lang="ja")["results"]
    assert isinstance(ja, list) and (ja[0]["label"], ja[0]["lang"]) == ("大韓民国", "ja")
    client.cookies.clear()  # lang= set the language cookie, which comes before Accept-Language
    r = client.get("/search", params={"q": "korea"}, headers={**JSON_ACCEPT, "Accept-Language": "ko-KR, en;q=0.5"})
    assert r.json()["results"][0]["label"] == "대한민국" and r.headers["content-language"] == "ko"


def test_the_results_are_capped_with_the_total(client: TestClient) -> None:
    body = search(client, "e")  # most English labels have an "e"
    assert isinstance(body["total"], int) and isinstance(body["limit"], int) and body["total"] > body["limit"]
    assert isinstance(body["results"], list) and len(body["results"]) == body["limit"]


def test_nothing_found_is_an_empty_list(client: TestClient) -> None:
    body = search(client, "zzqqxx")
    assert (body["total"], body["results"]) == (0, [])


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.langs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a":
            self.links.append(found)
        if "lang" in found and tag != "html":
            self.langs.append(found["lang"])


def parsed(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def test_html_lists_links_to_the_hits(client: TestClient) -> None:
    r = client.get("/search", params={"q": "대한민국", "lang": "en"}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-language"] == "en" and r.headers["vary"].startswith(PAGE_VARY)
    page = parsed(r.text)
    kr = [a for a in page.links if a.get("href") == "/id/country/KR"]
    assert kr and kr[0].get("lang") is None, "the country is linked to its page, labelled in English"
    assert ">South Korea</a>" in r.text
    assert 'value="대한민국"' in r.text  # the form is prefilled
    assert '<q lang="ko">대한민국</q>' in r.text, "the matched label, in its language"
    assert "ko" in page.langs
    total = client.get("/search", params={"q": "korea"}, headers=JSON_ACCEPT).json()["total"]
    assert f"{total} results for “korea”" in client.get("/search", params={"q": "korea", "lang": "en"}).text


def test_html_marks_labels_in_another_language(client: TestClient) -> None:
    r = client.get("/search", params={"q": "半導体", "lang": "en", "format": "html"})
    assert r.status_code == 200
    assert '<q lang="ja">半導体</q>' in r.text
    link = next(a for a in parsed(r.text).links if a.get("href") == "/id/concept/industry/semiconductors")
    assert link.get("lang") is None  # shown in English, the page's language


def test_empty_q_is_the_form_with_a_hint(client: TestClient) -> None:
    for params in ({}, {"q": ""}):
        r = client.get("/search", params=params)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'name="q"' in r.text and "for example" in r.text and "results for" not in r.text
    body = client.get("/search", headers=JSON_ACCEPT).json()
    assert body == {"query": "", "total": 0, "limit": body["limit"], "results": []}


@pytest.mark.parametrize(("q", "says"), [(" ", "white space"), ("\u3000\t", "white space"),
                                         ("x" * 201, "at most 200")])
def test_blank_or_too_long_q_is_400(client: TestClient, q: str, says: str) -> None:
    for accept in ("application/json", "text/html"):
        r = client.get("/search", params={"q": q}, headers={"Accept": accept})
        assert r.status_code == 400
    r = client.get("/search", params={"q": q}, headers=JSON_ACCEPT)
    error = r.json()["error"]
    assert (error["code"], error["status"]) == ("bad_request", 400) and says in error["message"]


@pytest.mark.parametrize(("params", "accept", "media_type"), [
    ({}, None, "text/html"),
    ({}, "*/*", "text/html"),
    ({}, "application/json", "application/json"),
    ({}, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ({"format": "json"}, "text/html", "application/json"),
    ({"format": "html"}, "application/json", "text/html"),
])
def test_negotiation(client: TestClient, params: dict[str, str], accept: str | None, media_type: str) -> None:
    r = client.get("/search", params={"q": "korea", **params}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type
    assert r.headers["vary"].startswith(PAGE_VARY)


def test_unacceptable_formats_are_406(client: TestClient) -> None:
    assert client.get("/search", params={"q": "korea"}, headers={"Accept": "image/png"}).status_code == 406
    r = client.get("/search", params={"q": "korea", "format": "turtle"})
    assert r.status_code == 406 and "json" in r.json()["error"]["message"]


JSON = "application/json"


@pytest.mark.parametrize("accept", [JSON, "text/html"])
def test_etag_and_304(client: TestClient, accept: str) -> None:
    r = client.get("/search", params={"q": "korea"}, headers={"Accept": accept})
    etag = r.headers["etag"]
    again = client.get("/search", params={"q": "korea"}, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/search", params={"q": "japan"}, headers={"Accept": accept, "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    html = client.get("/search", params={"q": "korea", "format": "html" if accept == JSON else "json"},
                      headers={"If-None-Match": etag})
    assert html.status_code == 200 and html.headers["etag"] != etag  # the other representation


def test_json_etag_depends_on_the_language(client: TestClient) -> None:
    en = client.get("/search", params={"q": "korea", "lang": "en"}, headers=JSON_ACCEPT).headers["etag"]
    ko = client.get("/search", params={"q": "korea", "lang": "ko"}, headers={**JSON_ACCEPT, "If-None-Match": en})
    assert ko.status_code == 200 and ko.headers["etag"] != en
