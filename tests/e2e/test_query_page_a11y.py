"""End to end: the query page (YASGUI) stays accessible while a reader uses it, in each language.

The page test of :mod:`test_pages_browser` checks the page as it loads; this one checks what YASGUI draws
later: a competency question's result table (YASR) after a run, the editor of a tab drawn when it is first
shown, and a tab the reader adds. After each step axe-core (:func:`helpers.html_checks.axe_violations`)
finds no serious or critical violation, the tab list holds tabs only, every ``aria-controls`` names an
element of the page, and no request left the test server's origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING

import pytest

from helpers.browser import Guard, chromium, new_context, screenshot
from helpers.html_checks import axe_violations
from helpers.projects import ROOT
from helpers.server import Server, copy_project, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

LANGUAGES = ("en", "ko", "ja")
QUESTIONS = sorted((ROOT / "data" / "queries").glob("*.rq"))
RUN = 15  # the 16th tab: "Where does every observation come from?", rows that link to entity pages
SHOWN_LATER = 2  # a tab whose editor is drawn only when it is first shown
WAIT = 15_000  # milliseconds for any one thing to appear
SETTLE = 3_000  # milliseconds the query page may take to repair what YASGUI has just drawn
REPAIRED = """() => [...document.querySelectorAll('.yasgui .CodeMirror-scroll')].every(v => v.tabIndex === 0)
  && [...document.querySelectorAll('.yasgui select.tableSizer')].every(s => s.hasAttribute('aria-labelledby'))"""
TABLIST = """() => [...document.querySelectorAll('.yasgui [role=tablist]')].flatMap(list =>
  [...list.querySelectorAll('button, input:not([type=hidden]), select, textarea, a[href], [tabindex]')]
    .filter(el => !el.closest('[role=tab]') && el.getAttribute('role') !== 'tab')
    .map(el => el.outerHTML.slice(0, 120)))"""
CONTROLS = """() => [...document.querySelectorAll('.yasgui [aria-controls]')]
  .map(el => el.getAttribute('aria-controls'))
  .filter(ids => ids.split(/\\s+/).some(id => !document.getElementById(id)))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(copy_project(tmp_path_factory.mktemp("query-a11y") / "kjtrade")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def checked(browser: Browser, server: Server) -> Iterator[tuple[BrowserContext, Guard]]:
    """A fresh context, other origins blocked and recorded; the CSP bypassed so axe-core can be injected."""
    with new_context(browser, server.base, bypass_csp=True) as (context, guard):
        context.set_default_timeout(WAIT)
        yield context, guard


def assert_accessible(page: Page, guard: Guard, step: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with suppress(PlaywrightTimeout):  # the repairs come a moment after YASGUI draws; without them, axe says why
        page.wait_for_function(REPAIRED, timeout=SETTLE)
    violations = axe_violations(page)
    assert not violations, f"{step}:\n" + "\n".join(str(v) for v in violations)
    assert page.evaluate(TABLIST) == [], f"{step}: the tab list holds more than tabs"
    assert page.evaluate(CONTROLS) == [], f"{step}: aria-controls names elements that do not exist"
    assert guard.foreign() == [], f"{step}: the page asked other origins (all blocked): {guard.foreign()}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_query_page_stays_accessible_after_a_run_a_tab_switch_and_a_new_tab(
        checked: tuple[BrowserContext, Guard], server: Server, lang: str, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    context, guard = checked
    page = context.new_page()
    page.goto(f"{server.base}/sparql?lang={lang}")
    tabs = page.locator(".yasgui .tabsList [role=tab]")
    expect(tabs).to_have_count(len(QUESTIONS), timeout=WAIT)

    tabs.nth(RUN).click()
    expect(tabs.nth(RUN)).to_have_attribute("aria-selected", "true")
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    rows = page.locator(".tabPanel.active .yasr table tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT)
    screenshot(page, test=request.node.name, step="results", lang=lang)
    assert_accessible(page, guard, "after a run")

    tabs.nth(SHOWN_LATER).click()
    expect(page.locator(".tabPanel.active .yasqe .CodeMirror")).to_be_visible(timeout=WAIT)
    assert_accessible(page, guard, "after switching to a tab drawn on first show")

    page.locator(".yasgui .addTab").click()
    expect(tabs).to_have_count(len(QUESTIONS) + 1)
    expect(tabs.last).to_have_attribute("aria-selected", "true")  # added at the end, and shown
    expect(page.locator(".tabPanel.active .yasqe .CodeMirror")).to_be_visible(timeout=WAIT)
    assert_accessible(page, guard, "after adding a tab")
