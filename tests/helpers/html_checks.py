"""Two checkers of our pages that our code does not use: the W3C Nu HTML Checker and axe-core.

Both come from npm, at the exact versions of ``tests/node/package-lock.json`` (installed by
``scripts/setup-test-tools.sh``): ``vnu-jar`` (the Nu HTML Checker, run on Java) and
``axe-core`` (accessibility rules, run inside the page in the real browser). A missing Java
or a missing install follows :func:`helpers.requirements.missing`.

- :func:`nu_errors` checks many documents in **one** Java run (the checker starts slowly).
- :func:`axe_violations` injects ``axe.min.js`` into a Playwright page and runs ``axe.run()``.
  Our pages allow only ``script-src 'self'``, which blocks the injected script: the page's
  context must be made with ``bypass_csp=True`` for the check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from helpers.node import INSTALL, NODE_DIR
from helpers.requirements import missing

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["AXE", "VNU", "Violation", "axe_violations", "nu_errors"]

VNU = NODE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
NU_TIMEOUT = 180.0  # seconds for one run over all documents
TARGETS_SHOWN = 5  # elements named per violation in a message (the rest counted)


def java() -> str:
    path = shutil.which("java")
    if path is None:
        missing("a Java runtime (java) is not available; the Nu HTML Checker needs it")
    return path


def vnu_jar() -> Path:
    java()
    if not VNU.is_file():
        missing(f"the Nu HTML Checker (npm vnu-jar) is not installed in {NODE_DIR}; run {INSTALL}")
    return VNU


def nu_errors(documents: Mapping[str, str]) -> dict[str, list[str]]:
    """The Nu HTML Checker's errors in each document (name → HTML text), as ``line L, column C: message``.

    Every name is in the answer (an empty list: no error). The documents are written to a
    temporary folder and checked in one run of ``vnu.jar --errors-only --format json``; an
    error about a file itself (it could not be read) is reported under its name too.
    """
    jar = vnu_jar()
    with tempfile.TemporaryDirectory(prefix="kgpub-vnu-") as folder:
        files: dict[str, str] = {}  # file name → document name
        for index, (name, text) in enumerate(documents.items()):
            file = Path(folder) / f"document-{index:03d}.html"
            file.write_text(text, encoding="utf-8")
            files[file.name] = name
        if not files:
            return {}
        command = [java(), "-jar", str(jar), "--errors-only", "--format", "json", "--stdout",
                   *sorted(str(Path(folder) / f) for f in files)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=NU_TIMEOUT, check=False)
        try:
            report: dict[str, Any] = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"the Nu HTML Checker gave no JSON report (exit {done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}") from None
    found: dict[str, list[str]] = {name: [] for name in documents}
    for message in report.get("messages", []):
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        name = files.get(Path(unquote(urlsplit(str(message.get("url", ""))).path)).name)
        text = _describe(message)
        if name is None:  # a message about no one file: it concerns the whole run
            raise AssertionError(f"the Nu HTML Checker failed: {text}")
        found[name].append(text)
    return found


def _describe(message: Mapping[str, Any]) -> str:
    line = message.get("lastLine", message.get("firstLine"))
    column = message.get("firstColumn", message.get("lastColumn"))
    where = f"line {line}, column {column}: " if line is not None else ""
    extract = str(message.get("extract", "")).strip().replace("\n", " ")
    return where + str(message.get("message", "")) + (f" [{extract}]" if extract else "")


@dataclass(frozen=True)
class Violation:
    """One axe-core rule a page breaks: the rule, how bad, what it asks for, and where (CSS selectors)."""

    id: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:TARGETS_SHOWN])
        if len(self.targets) > TARGETS_SHOWN:
            where += f" and {len(self.targets) - TARGETS_SHOWN} more"
        return f"{self.id} ({self.impact}): {self.help} at {where} — {self.help_url}"


RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.map(String).join(" "))
  }));
}"""


def axe_violations(page: Page, impacts: Iterable[str] = ("serious", "critical")) -> list[Violation]:
    """What axe-core finds wrong with the page as it is now, of the given impacts.

    The page's context must have ``bypass_csp=True``: the pages' own CSP would block the
    injected script (checked: a clear failure, not a silent pass).
    """
    if not AXE.is_file():
        missing(f"axe-core is not installed in {NODE_DIR}; run {INSTALL}")
    page.add_script_tag(path=str(AXE))
    if page.evaluate("typeof axe") != "object":
        raise AssertionError("axe-core did not load into the page: make its context with bypass_csp=True")
    wanted = set(impacts)
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [Violation(v["id"], v["impact"], v["help"], v["helpUrl"], tuple(v["targets"]))
            for v in found if v["impact"] in wanted]
