"""One summary line per W3C suite at the end of the run: "W3C query evaluation: N passed, M skipped (...)".

Only the tests that replay W3C manifest entries are counted (not the guard tests beside
them); skip reasons are grouped by their category, the text before the first colon.
"""

from __future__ import annotations

import collections

import pytest

SUITES = {  # test function -> suite line
    "test_protocol.py::test_protocol": "W3C protocol",
    "test_protocol.py::test_update_refused": "W3C protocol, update tests (refusal asserted instead)",
    "test_query_evaluation.py::test_query_evaluation": "W3C query evaluation",
    "test_query_evaluation.py::test_query_syntax": "W3C query syntax",
}
_outcomes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
_skips: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)


def _suite(nodeid: str) -> str | None:
    function = nodeid.split("[", 1)[0]
    return next((name for test, name in SUITES.items() if function.endswith("conformance/" + test)), None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    suite = _suite(report.nodeid)
    if suite is None or not (report.when == "call" or report.outcome != "passed"):
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skips[suite][reason.removeprefix("Skipped: ").split(":")[0]] += 1
    _outcomes[suite][report.outcome] += 1


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for suite in (s for s in dict.fromkeys(SUITES.values()) if s in _outcomes):
        counts = _outcomes[suite]
        reasons = ", ".join(f"{n} {why}" for why, n in _skips[suite].most_common())
        line = f"{suite}: {counts['passed']} passed, {counts['skipped']} skipped"
        line += f" ({reasons})" if reasons else ""
        line += f", {counts['failed']} failed" if counts["failed"] else ""
        terminalreporter.write_line(line)
