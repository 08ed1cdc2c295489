"""A real browser for the page tests: the system's Chromium driven by Playwright, kept off the network.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/setup-test-tools.sh`` with
``fonts-noto-cjk``, without which Korean and Japanese render as boxes); Playwright for Python
only drives it (``executable_path``): its own browser download is never used. A missing
Chromium, Playwright or CJK font follows :func:`helpers.requirements.missing` (a skip with the
reason, a failure under ``CI=true``).

Nothing the browser does reaches the network, in two walls:

- every context is watched by a :class:`Guard`: it records each request the pages make, and
  routes ``**/*`` so that a request to any other origin than the test server's is aborted
  (and recorded) before it leaves the browser; a test asserts :meth:`Guard.foreign` is empty;
- the browser itself is started with a proxy that refuses every connection (a socket bound on
  127.0.0.1 that never listens), loopback excepted, so even the browser's own background
  requests, which no page route sees, go nowhere.

Screenshots are test artifacts (:func:`screenshot`): ``$KGPUB_ARTIFACTS/screenshots`` or
``test-artifacts/screenshots`` at the repository root, named after the test, the step and the
language.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from helpers.projects import ROOT
from helpers.requirements import missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route

__all__ = ["FLAGS", "Guard", "artifacts", "chromium", "chromium_path", "new_context", "screenshot"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})  # never leave the browser
INSTALL = "sh scripts/setup-test-tools.sh"
CSP_MARK = "Content Security Policy"


def chromium_path() -> str:
    """The system Chromium (``chromium`` on the path, Debian's ``/usr/bin/chromium``)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        missing(f"Chromium (Debian package chromium) is not installed; run {INSTALL}")
    return path


def _check_fonts() -> None:
    """Korean and Japanese need a font (fonts-noto-cjk): without one the screenshots show boxes."""
    if shutil.which("fc-list") is None:
        missing(f"fontconfig (fc-list) is not available to check the Korean and Japanese fonts; run {INSTALL}")
    for lang in ("ko", "ja"):
        found = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, timeout=30,
                               check=False).stdout.strip()
        if not found:
            missing(f"no font for lang={lang} (Debian package fonts-noto-cjk); run {INSTALL}")


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless, through Playwright, for the block; closed after it.

    Each context (:func:`new_context`) has a fresh profile of its own; the browser's proxy is a
    socket that refuses every connection, so nothing but loopback is ever reached.
    """
    executable = chromium_path()
    _check_fonts()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed; install the test extra: pip install -e '.[test]'")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as wall:
        wall.bind(("127.0.0.1", 0))  # bound, never listening: every connection to it is refused
        port = wall.getsockname()[1]
        args = [*FLAGS, f"--proxy-server=http://127.0.0.1:{port}", "--proxy-bypass-list=<-loopback>;127.0.0.1"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=args, headless=True)
            try:
                yield browser
            finally:
                browser.close()


@dataclass
class Guard:
    """Every request of one browser context, and the block on every origin but the test server's."""

    origin: str  # http://127.0.0.1:PORT
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def own(self, url: str) -> bool:
        """True for a URL of the test server (or one that never leaves the browser: data:, blob:, about:)."""
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._seen)
        context.on("console", self._console)
        context.route("**/*", self._route)

    def foreign(self) -> list[str]:
        """Every request to another origin that a page tried (all of them were aborted)."""
        return sorted({url for url in [*self.requests, *self.blocked] if not self.own(url)})

    def csp_violations(self) -> list[str]:
        """What the browser refused under the pages' Content Security Policy (inline script or style…)."""
        return [text for text in self.console_errors if CSP_MARK in text]

    def clear(self) -> None:
        self.requests.clear()
        self.blocked.clear()
        self.console_errors.clear()

    def _seen(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if self.own(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@contextmanager
def new_context(browser: Browser, origin: str, **options: Any) -> Iterator[tuple[BrowserContext, Guard]]:
    """A fresh context (own cookies, storage, cache) guarded by a :class:`Guard` for ``origin``.

    ``options`` go to Playwright's ``new_context`` (``locale``, ``java_script_enabled``,
    ``bypass_csp``…); the locale defaults to ``en-US`` so the browser's Accept-Language is known.
    """
    options.setdefault("locale", "en-US")
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    guard = Guard(origin.rstrip("/"))
    guard.attach(context)
    try:
        yield context, guard
    finally:
        context.close()


def artifacts() -> Path:
    """The screenshots folder: ``$KGPUB_ARTIFACTS/screenshots``, else ``test-artifacts/screenshots``."""
    root = os.environ.get("KGPUB_ARTIFACTS")
    folder = (Path(root) if root else ROOT / "test-artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, *, test: str, step: str, lang: str) -> Path:
    """Save a full-page screenshot as ``<test>-<step>-<lang>.png`` and return its path."""
    test = re.sub(r"\[(.*)\]$", r"-\1", test)  # a parametrized test's id
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test}-{step}-{lang}").strip("_")
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
