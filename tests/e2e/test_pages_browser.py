"""End to end: the HTML pages of the real ``kgpub serve`` process, in a real browser, checked by outside tools.

- Chromium (the system's, through Playwright: :mod:`helpers.browser`) opens the home page, switches
  the language, runs a competency question in the query page (YASGUI), searches, and follows
  links to entity pages, as a reader does; each step leaves a screenshot in the artifacts folder.
  Every request the pages make is recorded and any request to another origin than the test
  server's is aborted: each test asserts there was none (YASGUI's editor must not ask any
  autocompletion service while the reader types).
- axe-core (:func:`helpers.html_checks.axe_violations`) finds no serious or critical accessibility
  violation on the main pages in each language.
- The W3C Nu HTML Checker (:func:`helpers.html_checks.nu_errors`) finds no error in any of them
  (one checker run for all documents).
- Without JavaScript the pages still show their content.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import httpx
import pytest

from helpers.browser import Guard, chromium, chromium_path, new_context, screenshot
from helpers.html_checks import axe_violations, nu_errors
from helpers.node import INSTALL, NODE_DIR
from helpers.projects import ROOT
from helpers.requirements import missing
from helpers.server import Server, copy_project, serve

if TYPE_CHECKING:  # Playwright itself is imported by helpers.browser.chromium(), under the missing-tool rule
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

LANGUAGES = ("en", "ko", "ja")
KOREA = "/id/country/KR"
KOREA_KO = "대한민국"  # rdfs:label / skos:prefLabel of country:KR in data/countries.ttl
KOREA_EN = "South Korea"
OBSERVATION = "/id/observation/trade-value-KR-JP-2024"
SEMICONDUCTORS = "/id/concept/industry/semiconductors"  # the concept labelled exactly "반도체"@ko
NEXT_GENERATION = "/id/concept/sector/next-generation-semiconductors"  # the sector "차세대 반도체"@ko
SEARCH = "반도체"
STATED_RATIO, COMPUTED_RATIO = "352", "386"  # the article's "352-fold" and its figures' 77.2 bn / 0.2 bn
QUESTION = ROOT / "data" / "queries" / "16-observation-provenance.rq"  # its rows name observations
PAGES = {"home": "/", "entity": KOREA, "observation": OBSERVATION, "ontology": "/ontology", "query": "/sparql"}
BROKEN = "control: a p that holds a div"
BROKEN_HTML = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>x</title></head><body>\n"
               "<p><div></p></body></html>")
NU_SHOWN = 5  # errors shown per document (the rest counted)
WAIT = 15_000  # milliseconds for any one thing to appear
TYPED = "PREFIX fo"  # what a reader types into the editor: YASQE's prefix autocompletion point,
TYPED_MORE = "SELECT * WHERE { ?s a "  # and its class autocompletion point


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(copy_project(tmp_path_factory.mktemp("pages") / "kjtrade")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def guarded(browser: Browser, server: Server) -> Iterator[tuple[BrowserContext, Guard]]:
    """A fresh browser context for one test (its own cookies), every other origin blocked and recorded."""
    with new_context(browser, server.base) as (context, guard):
        context.set_default_timeout(WAIT)
        yield context, guard


# --------------------------------------------------------------------------- helpers


def title_of(query: Path) -> str:
    """A question's title as the release publishes it: its ``# Title:`` header line (build/examples.py)."""
    for line in query.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        if key.strip().lower() == "title" and value.strip():
            return value.strip()
    return query.stem


def figure(text: str) -> re.Pattern[str]:
    """The number ``text`` standing alone (not part of a longer number)."""
    return re.compile(rf"(?<![\d.,]){re.escape(text)}(?![\d])")


def local_links(page: Page, server: Server, *, within: str = "") -> list[tuple[str, str]]:
    """(``href`` attribute, path) of each link of the page (or of ``within``) that leads to the test server."""
    pairs: list[list[str]] = page.eval_on_selector_all(
        f"{within} a[href]".strip(), "links => links.map(a => [a.getAttribute('href'), a.href])")
    found = []
    for raw, absolute in pairs:
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" == server.base:
            found.append((raw, parts.path))
    return found


def links_to(page: Page, server: Server, path: str) -> list[str]:
    """The ``href`` attributes of the page's links to ``path`` on the test server (any query or fragment)."""
    return [raw for raw, target in local_links(page, server) if target == path]


def link(page: Page, href: str, *, within: str = "") -> Locator:
    return page.locator(f"{within} a[href={json.dumps(href)}]".strip()).first


def assert_stayed_home(guard: Guard) -> None:
    assert guard.foreign() == [], f"the pages asked other origins (all blocked): {guard.foreign()}"
    assert guard.csp_violations() == [], f"the pages broke their own CSP: {guard.csp_violations()}"


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


# --------------------------------------------------------------------------- the tools themselves


@pytest.mark.parametrize("package", ["axe-core", "vnu-jar"])
def test_the_page_checkers_are_the_pinned_versions(package: str) -> None:
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    if not manifest.is_file():
        missing(f"{package} is not installed in {NODE_DIR}; run {INSTALL}")
    wanted = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"][package]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), f"{package} must be pinned exactly, not {wanted!r}"
    assert json.loads(manifest.read_text(encoding="utf-8"))["version"] == wanted, f"run {INSTALL}"


def test_the_browser_is_the_system_chromium(browser: Browser) -> None:
    done = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert browser.version in done.stdout, (browser.version, done.stdout)


def test_axe_reports_a_serious_violation_and_the_guard_blocks_other_origins(browser: Browser, server: Server) -> None:
    with new_context(browser, server.base, bypass_csp=True) as (context, guard):
        page = context.new_page()
        page.goto(f"{server.base}/healthz")
        page.set_content('<html><body><img src="https://example.org/x.png"><button></button></body></html>')
        violations = axe_violations(page)
        assert {"button-name", "image-alt"} <= {v.id for v in violations}, [str(v) for v in violations]
        assert guard.foreign() == ["https://example.org/x.png"]
        assert guard.blocked == ["https://example.org/x.png"]


# --------------------------------------------------------------------------- a reader in the browser


def test_home_page_shows_the_key_figures_and_a_chart(guarded: tuple[BrowserContext, Guard], server: Server,
                                                     request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    context, guard = guarded
    page = context.new_page()
    response = page.goto(f"{server.base}/")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    assert html_lang(page) == "en"
    for number in (STATED_RATIO, COMPUTED_RATIO):
        expect(page.locator("main").get_by_text(figure(number)).filter(visible=True).first).to_be_visible(timeout=WAIT)
    chart = page.locator("svg[role=img]:has(> title)")
    expect(chart.first).to_be_visible(timeout=WAIT)
    assert (chart.first.locator("> title").text_content() or "").strip(), "the chart's title is empty"
    screenshot(page, test=request.node.name, step="home", lang="en")
    assert_stayed_home(guard)


def test_language_switch_keeps_korean_and_leads_to_korea(guarded: tuple[BrowserContext, Guard], server: Server,
                                                         request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    context, guard = guarded
    page = context.new_page()
    page.goto(f"{server.base}/")
    assert html_lang(page) == "en"
    switch = page.locator("nav.languages a[hreflang=ko]")
    expect(switch).to_have_count(1)
    switch.click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "ko", timeout=WAIT)
    expect(page.get_by_text(KOREA_KO).filter(visible=True).first).to_be_visible(timeout=WAIT)
    screenshot(page, test=request.node.name, step="home", lang="ko")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.goto(f"{server.base}/")  # no lang= in the URL: only the cookie can keep Korean
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_text(KOREA_KO).filter(visible=True).first).to_be_visible(timeout=WAIT)
    screenshot(page, test=request.node.name, step="reloaded", lang="ko")

    hrefs = links_to(page, server, KOREA)
    assert hrefs, f"the home page has no link to {KOREA} on this server"
    link(page, hrefs[0]).click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == KOREA
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_contain_text(KOREA_KO, timeout=WAIT)
    screenshot(page, test=request.node.name, step="korea", lang="ko")
    assert_stayed_home(guard)


def test_query_page_runs_a_competency_question_and_links_to_the_results(
        guarded: tuple[BrowserContext, Guard], server: Server, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    context, guard = guarded
    page = context.new_page()
    page.goto(f"{server.base}/sparql")
    expect(page.locator(".yasgui").first).to_be_attached(timeout=WAIT)
    title = title_of(QUESTION)  # the tab's label, or its tooltip where the label is cut short
    tabs = page.locator(".yasgui .tabsList [role=tab]")
    tab = tabs.filter(has_text=title).or_(page.locator(f".yasgui .tabsList [role=tab][title={json.dumps(title)}]"))
    expect(tabs).to_have_count(len(list(QUESTION.parent.glob("*.rq"))), timeout=WAIT)  # one per question
    expect(tab).to_have_count(1)
    tab.click()
    page.locator(".yasqe_queryButton").filter(visible=True).first.click()
    rows = page.locator(".yasr table tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT)
    assert rows.count() > 0
    screenshot(page, test=request.node.name, step="results", lang="en")

    editor = page.locator(".yasqe .CodeMirror").filter(visible=True).first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(TYPED, delay=50)
    page.wait_for_timeout(1000)  # the editor would ask an autocompletion service about now
    page.keyboard.press("Escape")  # close any hint list, so Enter makes a new line
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type(TYPED_MORE, delay=50)
    page.wait_for_timeout(1000)
    assert_stayed_home(guard)

    entities = [(raw, path) for raw, path in local_links(page, server, within=".yasr") if path.startswith("/id/")]
    assert entities, f"no result links to {server.base}/id/…: {[a for a, _ in local_links(page, server)]}"
    raw, target = entities[0]
    result = link(page, raw, within=".yasr")
    expect(result).to_be_visible()
    if result.get_attribute("target") == "_blank":
        with context.expect_page() as opened:
            result.click()
        page = opened.value
    else:
        result.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == target
    expect(page.locator("h1")).to_be_visible(timeout=WAIT)
    screenshot(page, test=request.node.name, step="entity", lang="en")
    assert_stayed_home(guard)


def test_search_finds_the_semiconductor_concepts(guarded: tuple[BrowserContext, Guard], server: Server,
                                                 request: pytest.FixtureRequest) -> None:
    context, guard = guarded
    page = context.new_page()
    response = page.goto(f"{server.base}/search?q={SEARCH}&lang=ko")
    assert response is not None and response.status == 200
    for path in (SEMICONDUCTORS, NEXT_GENERATION):
        assert links_to(page, server, path), f"/search?q={SEARCH} has no link to {path}"
    screenshot(page, test=request.node.name, step="search-url", lang="ko")

    page.goto(f"{server.base}/?lang=ko")
    box = page.locator("form[role=search] input[name=q]")
    box.fill(SEARCH)
    box.press("Enter")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/search"
    for path in (SEMICONDUCTORS, NEXT_GENERATION):
        assert links_to(page, server, path), f"the search box's answer for {SEARCH} has no link to {path}"
    screenshot(page, test=request.node.name, step="search-box", lang="ko")
    link(page, links_to(page, server, SEMICONDUCTORS)[0]).click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == SEMICONDUCTORS
    assert SEARCH in page.locator("h1").inner_text()
    assert_stayed_home(guard)


# --------------------------------------------------------------------------- outside checkers


@pytest.fixture(scope="module")
def axe_context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """One context for every axe run: the injected axe-core needs the pages' CSP bypassed."""
    with new_context(browser, server.base, bypass_csp=True) as (context, _guard):
        context.set_default_timeout(WAIT)
        yield context


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(axe_context: BrowserContext, server: Server, name: str,
                                            lang: str) -> None:
    page = axe_context.new_page()
    try:
        response = page.goto(f"{server.base}{PAGES[name]}?lang={lang}")
        assert response is not None and response.status == 200, f"{PAGES[name]}: {response and response.status}"
        assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
        if name == "query":
            page.locator(".yasgui").first.wait_for(state="attached", timeout=WAIT)
        violations = axe_violations(page)
        assert not violations, "\n".join(str(v) for v in violations)
    finally:
        page.close()


def test_every_page_is_valid_html(server: Server) -> None:
    """Every page in every language, and a known broken control document, in one checker run."""
    pages = {**PAGES, "search": f"/search?q={SEARCH}", "shapes": "/shapes", "validation": "/validation",
             "ratio": "/id/ratio/trade-value-growth-1965-2024", "dataset": "/id/dataset/bilateral-trade",
             "cohort": "/id/cohort/japanese-companies-in-korea", "results": "/sparql?format=html&query="
             + quote("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 20"),
             "describe": "/sparql?format=html&query=" + quote(f"DESCRIBE <https://w3id.org/kjtrade{KOREA}>")}
    documents: dict[str, str] = {BROKEN: BROKEN_HTML}
    problems: list[str] = []
    with httpx.Client(base_url=server.base, timeout=30, headers={"Accept": "text/html"}) as client:
        for path in pages.values():
            for lang in LANGUAGES:
                url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
                r = client.get(url)
                if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
                    problems.append(f"{url}: {r.status_code} {r.headers.get('content-type')}")
                    continue
                documents[url] = r.text
    found_by_url = nu_errors(documents)
    control = found_by_url.pop(BROKEN)
    assert control and all(message.startswith("line 2,") for message in control), f"the checker missed: {control}"
    for url, found in found_by_url.items():
        problems += [f"{url}: {message}" for message in found[:NU_SHOWN]]
        if len(found) > NU_SHOWN:
            problems.append(f"{url}: … and {len(found) - NU_SHOWN} more")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "shown"), [("home", (figure(STATED_RATIO), figure(COMPUTED_RATIO))),
                                             ("entity", (re.compile(KOREA_EN),)), ("ontology", ())],
                         ids=["home", "entity", "ontology"])
def test_pages_show_their_content_without_javascript(browser: Browser, server: Server, name: str,
                                                     shown: tuple[re.Pattern[str], ...],
                                                     request: pytest.FixtureRequest) -> None:
    with new_context(browser, server.base, java_script_enabled=False) as (context, guard):
        context.set_default_timeout(WAIT)
        page = context.new_page()
        response = page.goto(f"{server.base}{PAGES[name]}?lang=en")
        assert response is not None and response.status == 200
        heading = page.locator("h1")
        assert heading.count() >= 1 and heading.first.inner_text().strip(), f"{PAGES[name]} has no h1 without JS"
        text = page.locator("main").inner_text()
        for pattern in shown:
            assert pattern.search(text), f"{pattern.pattern!r} is not shown on {PAGES[name]} without JavaScript"
        screenshot(page, test=request.node.name, step="no-js", lang="en")
        assert_stayed_home(guard)


def test_api_docs_render_from_this_server_only(guarded: tuple[BrowserContext, Guard], server: Server,
                                               request: pytest.FixtureRequest) -> None:
    """``/docs`` runs the vendored Swagger UI over ``/openapi.json``: no CDN, no validator badge, no CSP refusal."""
    from playwright.sync_api import expect

    context, guard = guarded
    page = context.new_page()
    response = page.goto(f"{server.base}/docs")
    assert response is not None and response.status == 200
    expect(page.locator(".swagger-ui").first).to_be_attached(timeout=WAIT)
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible(timeout=WAIT)
    expect(page.locator('.swagger-ui .opblock-summary-path[data-path="/sparql"]').first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("kgpub")
    assert operations.count() >= 5, operations.count()
    screenshot(page, test=request.node.name, step="docs", lang="en")
    loaded = [urlsplit(url).path for url in guard.requests]
    assert "/openapi.json" in loaded, loaded
    assert any(path.startswith("/static/") and path.endswith("/swagger-ui/swagger-ui-bundle.js") for path in loaded)
    assert_stayed_home(guard)
