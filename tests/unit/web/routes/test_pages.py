"""The pages for people on the same IRIs: negotiation, languages, what each page says (without JavaScript)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse

from helpers.html import Element
from helpers.html import parse as parse_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASE = "https://w3id.org/kjtrade/"
RATIO = "/id/ratio/trade-value-growth-1965-2024"
OBS_2024 = "/id/observation/trade-value-KR-JP-2024"


def page(client: TestClient, path: str, **headers: str) -> tuple[Element, object]:
    client.cookies.clear()
    r = client.get(path, headers={"Accept": BROWSER, **headers})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return parse_html(r.text), r


def h1(doc: Element) -> Element:
    found = doc.find("h1")
    assert found is not None
    return found


def test_a_browser_gets_the_page_with_its_headers(client: TestClient) -> None:
    doc, r = page(client, "/id/country/KR")
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["content-language"] == "en" and headers["content-location"] == "/id/country/KR.html"
    assert {"Accept", "Accept-Language", "Cookie"} <= {v.strip() for v in headers["vary"].split(",")}
    assert "script-src 'self'" in headers["content-security-policy"]
    assert h1(doc).text.strip() == "South Korea"
    assert doc.find("html", lang="en") is not None


@pytest.mark.parametrize(("accept_language", "lang"), [
    ("ko", "ko"), ("ko-KR,ko;q=0.9,en;q=0.5", "ko"), ("ja;q=0.5, ko;q=0.9", "ko"), ("fr, ja;q=0.1", "ja"),
    ("fr", "en"), ("*", "en"), ("ja-JP", "ja"), ("en-GB", "en"), ("ko;q=0, ja;q=0.2", "ja"),
])
def test_accept_language_picks_the_page_language(client: TestClient, accept_language: str, lang: str) -> None:
    doc, r = page(client, "/id/country/KR", **{"Accept-Language": accept_language})
    assert r.headers["content-language"] == lang  # type: ignore[attr-defined]
    assert doc.find("html", lang=lang) is not None
    assert h1(doc).text.strip() == {"en": "South Korea", "ko": "대한민국", "ja": "大韓民国"}[lang]


def test_lang_parameter_then_cookie_then_accept_language(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/id/country/KR?lang=ja", headers={"Accept": BROWSER, "Accept-Language": "ko"})
    assert r.headers["content-language"] == "ja" and "kgpub_lang=ja" in r.headers["set-cookie"]
    again = client.get("/id/country/JP", headers={"Accept": BROWSER, "Accept-Language": "ko"})
    assert again.headers["content-language"] == "ja"  # the switch's choice survives the next page
    asked = client.get("/id/country/JP?lang=en", headers={"Accept": BROWSER})
    assert asked.headers["content-language"] == "en"
    client.cookies.clear()


def test_a_language_the_pages_do_not_offer_is_a_clear_400(client: TestClient) -> None:
    r = client.get("/id/country/KR.html?lang=fr", headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert "lang='fr'" in r.json()["error"]["message"] and "en, ko, ja" in r.json()["error"]["message"]


def test_each_language_is_its_own_representation_with_validators(client: TestClient) -> None:
    _, en = page(client, "/id/country/KR?lang=en")
    _, ko = page(client, "/id/country/KR?lang=ko")
    assert en.headers["etag"] != ko.headers["etag"]  # type: ignore[attr-defined]
    client.cookies.clear()
    again = client.get("/id/country/KR?lang=ko", headers={"Accept": BROWSER, "If-None-Match": ko.headers["etag"]})  # type: ignore[attr-defined]
    assert again.status_code == 304


def test_the_switch_keeps_the_page_and_says_each_language(client: TestClient) -> None:
    doc, _ = page(client, "/id/country/KR?lang=ko")
    nav = next(n for n in doc.find_all("nav") if "languages" in n.attrs.get("class", ""))
    links = {a.attrs["hreflang"]: a for a in nav.find_all("a")}
    assert set(links) == {"en", "ko", "ja"}
    assert all(a.attrs["href"] == f"/id/country/KR?lang={tag}" and a.attrs["lang"] == tag for tag, a in links.items())
    assert links["ko"].attrs.get("aria-current") == "true"
    heads = {link.attrs["hreflang"] for link in doc.find_all("link", rel="alternate") if "hreflang" in link.attrs}
    assert heads == {"en", "ko", "ja"}


def test_a_label_missing_in_the_language_falls_back_to_english_and_says_so(client: TestClient) -> None:
    doc, _ = page(client, OBS_2024 + "?lang=ko")
    title = h1(doc)
    assert title.attrs.get("lang") == "en" and "Korea–Japan trade value, 2024" in title.text
    assert any("fallback" in e.attrs.get("class", "") for e in title.iter())


def test_every_literal_says_its_language(client: TestClient) -> None:
    doc, _ = page(client, "/id/country/KR?lang=en")
    table = doc.find("table", class_="properties")
    assert table is not None
    spans = [s for s in table.find_all("span") if s.attrs.get("class") not in ("tag", "visually-hidden", "fallback")]
    assert spans and all("lang" in s.attrs for s in spans)
    assert {s.attrs["lang"] for s in spans} >= {"en", "ko", "ja", ""}  # "" : a string without a language tag


@pytest.mark.parametrize(("lang", "figure"), [
    ("en", "USD 77.2 billion"), ("ko", "772억 미국 달러"), ("ja", "772億 米ドル")])
def test_figures_are_formatted_for_people_in_each_language(client: TestClient, lang: str, figure: str) -> None:
    doc, _ = page(client, f"{OBS_2024}?lang={lang}")
    assert figure in doc.text
    assert "77,200,000,000" not in doc.find("table", class_="properties").text  # type: ignore[union-attr]


def test_properties_link_their_own_pages_and_external_ones_are_marked(client: TestClient) -> None:
    doc, _ = page(client, "/id/country/KR?lang=en")
    links = doc.find_all("a")
    wikidata = [a for a in links if a.attrs.get("href") == "http://www.wikidata.org/entity/Q884"]
    assert wikidata and all(a.attrs.get("rel") == "external" and "external" in a.attrs["class"] for a in wikidata)
    assert any(a.attrs.get("href") == "/ontology#refArea" for a in links)  # what links here, by property
    assert any(a.attrs.get("href") == "/id/observation/trade-value-KR-JP-2024" for a in links)


def test_what_links_here_is_grouped_with_counts(client: TestClient) -> None:
    doc, _ = page(client, "/id/country/KR?lang=en")
    section = next(s for s in doc.find_all("section") if s.attrs.get("aria-labelledby") == "incoming")
    groups = {h.find("a").text: h.text for h in section.find_all("h3")}  # type: ignore[union-attr]
    assert "(5)" in groups["reference area"]  # four observations and a finding name Korea as their area


def test_observation_properties_follow_the_data_structure(client: TestClient) -> None:
    doc, _ = page(client, OBS_2024 + "?lang=en")
    table = doc.find("table", class_="properties")
    rows = [row for row in table.find_all("tr")[1:] if "group" not in row.attrs.get("class", "")]  # type: ignore[union-attr]
    order = [row.find("th").find("a").attrs["href"] for row in rows]  # type: ignore[union-attr]
    dims = [f"/ontology#{d}" for d in ("indicator", "refArea", "counterpartArea", "refYear")]
    assert [o for o in order if o in dims] == dims  # the shapes' sh:order (and the data structure's qb:order)
    groups = [row.text.strip() for row in table.find_all("tr") if "group" in row.attrs.get("class", "")]  # type: ignore[union-attr]
    assert groups[:3] == ["What the figure is about", "The figure", "Where it comes from"]  # the shapes' sh:group
    ko, _ = page(client, OBS_2024 + "?lang=ko")
    assert "수치의 대상" in ko.text and "출처" in ko.text


def test_the_provenance_panel_explains_the_disagreement(client: TestClient) -> None:
    doc, _ = page(client, RATIO + "?lang=en")
    panel = next(s for s in doc.find_all("section") if s.attrs.get("aria-labelledby") == "provenance")
    text = " ".join(panel.text.split())
    assert "increased 352-fold over the past 60 years" in text  # the article's own words
    assert "352-fold" in text and "386-fold" in text and "USD 77.2 billion ÷ USD 200 million" in text
    assert "Asia Business Daily" in text and "2025" in text
    assert any(a.attrs.get("href", "").startswith("/validation") for a in panel.find_all("a"))
    obs, _ = page(client, OBS_2024 + "?lang=en")  # the numerator says it too
    assert "386-fold" in obs.text


def test_the_page_embeds_its_rdf_and_links_every_format(client: TestClient) -> None:
    doc, _ = page(client, "/id/country/KR?lang=en")
    block = doc.find("script", type="application/ld+json")
    assert block is not None
    block_text = "".join(c for c in block.children if isinstance(c, str))
    embedded = {q.triple for q in parse(block_text.encode(), format=RdfFormat.JSON_LD)}
    document = {q.triple for q in parse(client.get("/id/country/KR.jsonld").content, format=RdfFormat.JSON_LD)}
    assert embedded == document
    types = {link.attrs["type"] for link in doc.find_all("link", rel="alternate") if "type" in link.attrs}
    assert types == {"text/turtle", "application/n-triples", "application/n-quads", "application/trig",
                     "application/ld+json", "application/rdf+xml"}
    query = next(a for a in doc.find_all("a") if "SPARQL" in a.text)
    assert "DESCRIBE" in query.attrs["href"] or "DESCRIBE" in query.attrs["href"].replace("%20", " ")


def test_the_home_page_has_figures_charts_downloads_and_citations(client: TestClient) -> None:
    doc, _ = page(client, "/?lang=en")
    text = " ".join(doc.text.split())
    for figure in ("USD 200 million", "USD 77.2 billion", "352-fold", "386-fold", "0.25", "0.42", "47.4%", "59.2%",
                   "234 companies", "49 companies"):
        assert figure in text, figure
    charts = [svg for svg in doc.find_all("svg") if svg.attrs.get("role") == "img"]
    assert len(charts) >= 3 and all(svg.find("title") is not None and svg.find("desc") is not None for svg in charts)
    assert "@misc{" in text and '"type": "dataset"' in text
    downloads = {a.attrs["href"] for a in doc.find_all("a")}
    assert "/dump.ttl" in downloads and any(h.startswith("/datasets/") for h in downloads)
    script = doc.find("script", type="application/ld+json")
    assert script is not None
    described = json.loads("".join(c for c in script.children if isinstance(c, str)))
    assert described["@type"] == "Dataset"
    questions = doc.find("ol")
    assert questions is not None and len(questions.find_all("li")) >= 20
    assert all(li.find("a") is not None for li in questions.find_all("li"))


def test_the_home_page_in_korean(client: TestClient) -> None:
    doc, _ = page(client, "/?lang=ko")
    assert "772억 미국 달러" in doc.text and doc.find("html", lang="ko") is not None
    assert "한일 무역 지식 그래프" in h1(doc).text or h1(doc).text.strip()  # the description's Korean title


def test_the_ontology_page_anchors_every_term(client: TestClient) -> None:
    doc, _ = page(client, "/ontology?lang=en")
    anchors = {e.attrs["id"] for e in doc.iter() if "id" in e.attrs}
    assert {"refArea", "StatedRatio", "statedAs", "SurveyCohort"} <= anchors
    term = next(e for e in doc.find_all("article") if e.attrs.get("id") == "refArea")
    langs = {s.attrs.get("lang") for s in term.find_all("span") if s.attrs.get("lang")}
    assert {"en", "ko", "ja"} <= langs
    kr, _ = page(client, "/id/country/KR?lang=en")
    used = {a.attrs["href"].split("#")[1] for a in kr.find_all("a") if a.attrs.get("href", "").startswith("/ontology#")}
    assert used and used <= anchors


def test_the_validation_page_shows_the_warning_with_its_focus_node(client: TestClient) -> None:
    doc, _ = page(client, "/validation?lang=en")
    text = " ".join(doc.text.split())
    assert "Stated ratio 352 disagrees" in text and "No violations" in text
    assert any(a.attrs.get("href") == RATIO for a in doc.find_all("a"))
    shapes, _ = page(client, "/shapes?lang=en")
    anchors = {e.attrs["id"] for e in shapes.iter() if "id" in e.attrs}
    linked = {a.attrs["href"].split("#")[1] for a in doc.find_all("a")
              if a.attrs.get("href", "").startswith("/shapes#")}
    assert linked and linked <= anchors


def test_a_chart_is_published_as_vega_lite(client: TestClient) -> None:
    doc, _ = page(client, "/?lang=en")
    href = next(a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("href", "").startswith("/charts/"))
    r = client.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    spec = r.json()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert spec["data"]["values"] and all("value" in v for v in spec["data"]["values"])
    assert client.get("/charts/nothing.vl.json").status_code == 404


def test_pages_load_nothing_from_another_origin(client: TestClient) -> None:
    for path in ("/", "/id/country/KR", OBS_2024, "/ontology", "/shapes", "/validation"):
        doc, _ = page(client, path)
        for element in doc.iter():
            src = element.attrs.get("src", "")
            assert not src.startswith(("http:", "https:", "//")), (path, src)
            if element.tag == "link" and element.attrs.get("rel") == "stylesheet":
                assert element.attrs["href"].startswith("/static/"), (path, element.attrs)


def test_an_error_is_a_page_of_the_site_in_the_readers_language(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/id/country/XX?lang=ko", headers={"Accept": BROWSER})
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"
    doc = parse_html(r.text)
    assert doc.find("html", lang="ko") is not None and "not_found" in h1(doc).text
    assert "id/country/XX is not an IRI of this dataset" in doc.text  # the registry's message, as in JSON
    assert doc.find("form", role="search") is not None  # the frame: search and the language switch
    bad = client.get("/id/country/KR?lang=fr", headers={"Accept": BROWSER})  # the language itself is wrong
    assert bad.status_code == 400 and parse_html(bad.text).find("html", lang="en") is not None
