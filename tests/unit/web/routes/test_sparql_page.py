"""``/sparql`` for people: the query page (YASGUI configured by JSON, the form without JavaScript), the vendored
YASGUI files, and answers as HTML result pages for browsers while every other client keeps the protocol's."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from helpers.projects import ROOT
from kgpub.query.protocol import Answer
from kgpub.rdf.formats import Kind, by_kind
from kgpub.web import pages, static_files
from kgpub.web.query_page import (
    AUTOCOMPLETERS_OFF,
    CSP,
    Terms,
    answer_link,
    prefers_html,
    query_ui_link,
    read_answer,
)

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"
SPARQLWRAPPER_XML = "application/sparql-results+xml"
SPARQLWRAPPER_RDF = "application/rdf+xml"
BASE = "https://w3id.org/kjtrade/"
LABELS = ("SELECT ?c ?label WHERE { ?c a <http://schema.org/Country> ; "
          "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?c ?label")
ASK = "ASK { ?s a <http://purl.org/linked-data/cube#Observation> }"
CONSTRUCT = "CONSTRUCT WHERE { ?s a <http://schema.org/Country> }"
STATIC = Path(str(resources.files("kgpub.web").joinpath("static")))
YASGUI = STATIC / "yasgui"
CONFIG = re.compile(r'<script type="application/json" id="yasgui-config">(.*?)</script>', re.DOTALL)


@pytest.fixture(autouse=True)
def no_language_cookie(client: TestClient) -> Iterator[None]:
    client.cookies.clear()
    yield
    client.cookies.clear()


def page(client: TestClient, **params: str) -> str:
    r = client.get("/sparql", params=params, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8", r.text
    return r.text


def config(text: str) -> dict[str, object]:
    found = CONFIG.search(text)
    assert found, "no #yasgui-config block"
    value: dict[str, object] = json.loads(found.group(1))
    return value


def examples(client: TestClient) -> list[dict[str, str]]:
    found: list[dict[str, str]] = client.app.state.site.release.examples()  # type: ignore[attr-defined]
    assert len(found) >= 10
    return found


# The query page


def test_config_presets_endpoint_prefixes_and_one_tab_per_competency_question(client: TestClient) -> None:
    release = client.app.state.site.release  # type: ignore[attr-defined]
    conf = config(page(client))
    yasgui = conf["yasgui"]
    assert isinstance(yasgui, dict)
    assert conf["endpoint"] == yasgui["requestConfig"]["endpoint"] == "/sparql"  # this server, whatever its origin
    assert yasgui["yasr"]["prefixes"] == release.prefixes and "kjt" in release.prefixes
    assert all(f"PREFIX {name}: <{ns}>" in yasgui["yasqe"]["value"] for name, ns in release.prefixes.items())
    tabs = conf["tabs"]
    assert isinstance(tabs, list)
    assert [(t["title"], t["query"]) for t in tabs] == [(e["title"], e["query"]) for e in examples(client)]
    assert conf["active"] == 0 and conf["run"] is False
    assert conf["base"] == BASE


def test_config_keeps_nothing_in_the_browser_and_turns_off_the_remote_autocompleters(client: TestClient) -> None:
    conf = config(page(client))
    yasgui = conf["yasgui"]
    assert isinstance(yasgui, dict)
    assert "persistenceId" in yasgui and yasgui["persistenceId"] is None
    assert yasgui["autoAddOnInit"] is False
    assert set(conf["autocompletersOff"]) == {"class", "property"} == set(AUTOCOMPLETERS_OFF)  # type: ignore[arg-type]
    assert not set(yasgui["yasqe"]["autocompleters"]) & {"class", "property"}
    assert yasgui["yasqe"]["prefixCcApi"] is None  # the bundled prefix list, not prefix.cc


def test_query_js_drops_the_autocompleters_from_yasqe_defaults() -> None:
    """A configuration alone cannot drop them: YASQE merges its list with the defaults element by element."""
    script = (STATIC / "query.js").read_text(encoding="utf-8")
    assert "Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(" in script
    assert "config.autocompletersOff" in script
    assert script.index(".defaults.autocompleters =") < script.index("new Yasgui(")


def test_page_loads_our_files_only_and_names_no_other_origin(client: TestClient) -> None:
    text = page(client)
    for name in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "query.js"):
        assert f'"{static_files.url(name)}"' in text
    assert not re.search(r"<script[^>]*>\s*[^\s<]", CONFIG.sub("", text))  # no inline script but the JSON block
    assert " style=" not in text
    loads = re.findall(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']([^"']+)""", text)
    assert loads and all(url.startswith("/") for url in loads), loads
    # Outside the data (the config block, the query in the form), a URL is only a link a person follows out.
    rest = re.sub(r"<textarea.*?</textarea>", "", CONFIG.sub("", text), flags=re.DOTALL)
    rest = re.sub(r"""<a [^>]*rel="[^"]*external[^"]*"[^>]*>""", "", rest)
    assert not re.findall(r"https?://\S+", rest)
    script = (STATIC / "query.js").read_text(encoding="utf-8")
    assert not re.findall(r"https?://", script)


def test_query_page_csp_adds_inline_styles_only(client: TestClient) -> None:
    r = client.get("/sparql", headers=BROWSER)
    policy = r.headers["content-security-policy"]
    assert policy == CSP
    assert policy == pages.CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert "connect-src" not in directives  # falls back to default-src 'self': no request leaves the origin
    assert r.headers["vary"].startswith(pages.PAGE_VARY) and r.headers["content-language"] == "en"
    assert client.get("/sparql", headers={**BROWSER, "If-None-Match": r.headers["etag"]}).status_code == 304


def test_form_without_javascript_has_the_first_question_and_every_question(client: TestClient) -> None:
    text = page(client)
    listed = examples(client)
    assert '<form id="query-form" method="get" action="/sparql">' in text
    textarea = re.search(r'<textarea id="query" name="query"[^>]*>(.*?)</textarea>', text, re.DOTALL)
    assert textarea and html.unescape(textarea.group(1)) == listed[0]["query"]
    options = re.findall(r'<option value="([^"]*)">', text)
    assert options == ["", *(f.name for f in (*by_kind(Kind.RESULTS), *by_kind(Kind.RDF)))]
    hrefs = {html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)}
    for example in listed:
        assert f"<strong>{example['title']}</strong>" in html.unescape(text)
        assert query_ui_link(example["query"]) in hrefs and answer_link(example["query"]) in hrefs


def test_rdf_clients_still_get_the_service_description(client: TestClient) -> None:
    for accept in ("text/turtle", "*/*", None):
        r = client.get("/sparql", headers={"Accept": accept} if accept else {})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle"), accept
        assert "Content-Security-Policy" not in r.headers


def test_one_link_opens_the_ui_with_a_query(client: TestClient) -> None:
    query = 'DESCRIBE <https://w3id.org/kjtrade/id/country/KR> # a & b + "c" 한국'
    link = query_ui_link(query)
    parts = urlsplit(link)
    assert parts.path == "/sparql" and parse_qs(parts.query) == {"edit": [query]}  # never query=: that runs it
    text = client.get(link, headers=BROWSER).text
    textarea = re.search(r'<textarea id="query" name="query"[^>]*>(.*?)</textarea>', text, re.DOTALL)
    assert textarea and html.unescape(textarea.group(1)) == query
    conf = config(text)
    tabs = conf["tabs"]
    assert isinstance(tabs, list)
    assert tabs[0]["query"] == query and conf["active"] == 0 and conf["run"] is True
    assert len(tabs) == len(examples(client)) + 1


def test_a_competency_question_link_opens_its_own_tab(client: TestClient) -> None:
    third = examples(client)[2]
    conf = config(client.get(query_ui_link(third["query"]), headers=BROWSER).text)
    tabs = conf["tabs"]
    assert isinstance(tabs, list)
    assert len(tabs) == len(examples(client)) and conf["active"] == 2 and conf["run"] is True


def test_the_page_in_korean(client: TestClient) -> None:
    r = client.get("/sparql", params={"lang": "ko"}, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-language"] == "ko"
    assert '<html lang="ko">' in r.text


# The vendored files


def vendored() -> dict[str, tuple[int, str]]:
    """name -> (bytes, SHA-256) as the vendored README lists them."""
    readme = (YASGUI / "README.md").read_text(encoding="utf-8")
    return {name: (int(size), digest)
            for name, size, digest in re.findall(r"\| `([\w.]+)` \| (\d+) \| `([0-9a-f]{64})` \|", readme)}


def test_vendored_files_are_the_published_ones_the_readme_names() -> None:
    readme = (YASGUI / "README.md").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "vendor-yasgui.sh").read_text(encoding="utf-8")
    version = re.search(r'VERSION="\$\{YASGUI_VERSION:-([\d.]+)\}"', script)
    assert version and "`@zazuko/yasgui`" in readme and f"version **{version.group(1)}**" in readme
    assert re.search(r"integrity \(npm, sha512\): `sha512-[A-Za-z0-9+/]{86}==`", readme)
    assert "licence: MIT" in readme
    listed = vendored()
    assert set(listed) == {"yasgui.min.js", "yasgui.min.css"}
    for name, (size, digest) in listed.items():
        body = (YASGUI / name).read_bytes()
        assert (len(body), hashlib.sha256(body).hexdigest()) == (size, digest), name
    assert not (YASGUI / "yasgui.min.js.map").exists()  # 3.6 MB: not shipped


def test_third_party_notices_cover_the_bundled_packages() -> None:
    notices = (YASGUI / "THIRD_PARTY_NOTICES.txt").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^  (\S+) (\d[\w.-]*): ", notices, re.MULTILINE))
    for name in ("@zazuko/yasgui", "@zazuko/yasqe", "@zazuko/yasr", "codemirror", "jquery", "datatables.net",
                 "dompurify", "n3", "lodash-es"):
        assert name in listed, name
    assert listed["@zazuko/yasgui"] == "4.6.2"
    sections = re.findall(r"^={100}\n(\S+) (\S+)\nLicense: (.+)$", notices, re.MULTILINE)
    assert {(n, v) for n, v, _ in sections} == set(listed.items())
    assert all(licence.strip() for _, _, licence in sections)
    assert "Permission is hereby granted" in notices and "Apache License" in notices  # texts, not only names


@pytest.mark.parametrize(("name", "media_types"), [
    ("yasgui/yasgui.min.js", {"application/javascript; charset=utf-8", "text/javascript; charset=utf-8"}),
    ("yasgui/yasgui.min.css", {"text/css; charset=utf-8"}),
    ("query.js", {"application/javascript; charset=utf-8", "text/javascript; charset=utf-8"}),
    ("yasgui/THIRD_PARTY_NOTICES.txt", {"text/plain; charset=utf-8"}),
])
def test_static_files_are_immutable_under_their_hash(client: TestClient, name: str, media_types: set[str]) -> None:
    url = static_files.url(name)
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] in media_types
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.content == (STATIC / name).read_bytes()
    assert url.split("/")[2] == hashlib.sha256(r.content).hexdigest()[:16]
    stale = url.replace(url.split("/")[2], "0" * 16)
    assert client.get(stale).status_code == 404


# Answers as result pages


def result(client: TestClient, query: str, headers: dict[str, str] | None = None, **params: str) -> str:
    r = client.get("/sparql", params={"query": query, **params}, headers=BROWSER if headers is None else headers)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8", r.text
    return r.text


def test_select_as_a_table_with_local_links_and_languages(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": LABELS}, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert "Accept" in r.headers["vary"] and r.headers["x-result-count"] == "6"
    assert r.headers["x-query-timeout"] == "3" and "x-result-truncated" not in r.headers
    text = r.text
    assert '<th scope="col">?c</th><th scope="col">?label</th>' in text
    assert len(re.findall(r"<tr><td>", text)) == 6
    assert f'<a class="iri" href="/id/country/KR" title="{BASE}id/country/KR">country:KR</a>' in text
    assert '<span lang="ko">대한민국</span>' in text and '<span lang="ja">日本</span>' in text
    assert f"<code>{LABELS}</code>" in html.unescape(text)
    assert query_ui_link(LABELS) in {html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)}
    again = client.get("/sparql", params={"query": LABELS}, headers={**BROWSER, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_result_page_links_every_format_of_its_kind(client: TestClient) -> None:
    text = result(client, LABELS)
    links = re.findall(r'<a type="([^"]+)" href="([^"]+)">', text)
    assert [t for t, _ in links] == [f.media_type for f in by_kind(Kind.RESULTS)]
    for media_type, href in links:
        r = client.get(html.unescape(href), headers=BROWSER)  # format= wins over the browser's Accept
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type, href
    graph = re.findall(r'<a type="([^"]+)" href="([^"]+)">', result(client, CONSTRUCT))
    assert [t for t, _ in graph] == [f.media_type for f in by_kind(Kind.RDF)]


def test_ask_shows_the_boolean(client: TestClient) -> None:
    assert "<strong><code>true</code></strong>" in result(client, ASK)
    assert "<strong><code>false</code></strong>" in result(client, "ASK { <urn:x:nothing> ?p ?o }")


def test_construct_as_a_table_of_triples(client: TestClient) -> None:
    text = result(client, CONSTRUCT)
    assert len(re.findall(r"<tr><td>", text)) == 2 and "2 triples" in text
    assert f'<a class="iri" href="/id/country/JP" title="{BASE}id/country/JP">country:JP</a>' in text
    assert 'href="http://schema.org/Country"' in text and 'rel="external"' in text


def test_the_row_limit_is_said(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?s ?p ?o { ?s ?p ?o }"}, headers=BROWSER)
    assert r.headers["x-result-truncated"] == "true" and r.headers["x-result-limit"] == "20"
    assert len(re.findall(r"<tr><td>", r.text)) == 20 and "cut to the first 20 rows" in r.text


def test_a_form_post_from_a_browser_gets_the_page_too(client: TestClient) -> None:
    r = client.post("/sparql", data={"query": ASK}, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<strong><code>true</code></strong>" in r.text


@pytest.mark.parametrize(("accept", "media_type"), [
    ("*/*", "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
    (SPARQLWRAPPER_JSON, "application/sparql-results+json"),
    (SPARQLWRAPPER_XML, "application/sparql-results+xml"),
    ("text/html;q=0.5, application/sparql-results+json", "application/sparql-results+json"),
])
def test_other_clients_keep_the_protocol_answers(client: TestClient, accept: str | None, media_type: str) -> None:
    r = client.get("/sparql", params={"query": ASK}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"] == media_type


def test_graph_results_for_other_clients_stay_rdf(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": SPARQLWRAPPER_RDF})
    assert r.headers["content-type"] == "application/rdf+xml"
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "*/*"})
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"


def test_format_beats_the_browser_and_format_html_asks_for_the_page(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": ASK, "format": "csv"}, headers=BROWSER)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "<strong><code>true</code></strong>" in result(client, ASK, {"Accept": "*/*"}, format="html")


def test_errors_keep_the_one_error_body(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p }"}, headers=BROWSER)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html") and "query_syntax" in r.text
    r = client.get("/sparql", params={"query": "SELECT * { ?s ?p }", "format": "html"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "query_syntax"
    r = client.get("/sparql", params={"query": ASK, "timeout": "-1"}, headers=BROWSER)
    assert r.status_code == 400 and "at least 0.001 s" in r.text


@pytest.mark.parametrize(("accept", "formats", "html_page"), [
    (BROWSER["Accept"], (), True),
    ("text/html", (), True),
    ("application/xhtml+xml", (), True),
    ("*/*", (), False),
    (None, (), False),
    ("text/html, */*;q=0.1", (), True),
    ("text/html;q=0.8, application/sparql-results+xml;q=0.9", (), False),
    (SPARQLWRAPPER_JSON, (), False),
    (BROWSER["Accept"], ("json",), False),
    ("*/*", ("html",), True),
    ("*/*", ("text/html",), True),
    (BROWSER["Accept"], ("nonsense",), False),
])
def test_prefers_html(accept: str | None, formats: tuple[str, ...], html_page: bool) -> None:
    assert prefers_html(accept, formats) is html_page


def test_terms_link_iris_under_the_base_to_this_server() -> None:
    terms = Terms(prefixes={"kjt": BASE + "ontology#", "country": BASE + "id/country/"}, base=BASE)
    kr = terms.iri(BASE + "id/country/KR")
    assert (kr.text, kr.href, kr.local) == ("country:KR", "/id/country/KR", True)
    term = terms.iri(BASE + "ontology#refYear")
    assert (term.text, term.href) == ("kjt:refYear", "/ontology#refYear")  # the ontology page, at the term
    other = terms.iri("http://example.org/x")
    assert (other.text, other.href, other.local, other.title) == ("<http://example.org/x>", "http://example.org/x",
                                                                  False, "")


def test_a_result_page_shows_at_most_its_rows_and_knows_the_count() -> None:
    bindings = [{"n": {"type": "literal", "value": str(i), "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}
                for i in range(5)]
    body = json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": bindings}}).encode()
    answer = Answer(media_type="application/sparql-results+json", count=5, truncated=False, body=body)
    shown = read_answer(answer, Terms(prefixes={"xsd": "http://www.w3.org/2001/XMLSchema#"}, base=BASE),
                        limit=20, rows=2)
    assert shown.kind == "select" and shown.count == 5 and shown.shown == 2
    assert shown.table is not None
    assert (shown.table.rows[1][0].text, shown.table.rows[1][0].note) == ("1", "xsd:integer")
