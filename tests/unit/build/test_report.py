import pytest
from rdflib import Graph

from kgpub.build.report import Result, ValidationReport


def _report(*severities: str) -> ValidationReport:
    results = tuple(Result(severity=s, shape="ex:S", focus=f"ex:n{i}", path="", value="", message=f"m{i}")
                    for i, s in enumerate(severities))
    return ValidationReport(results=results, graph=Graph())


@pytest.mark.parametrize(("severities", "summary"), [
    ((), "Validation: no results"),
    (("Warning",), "Validation: no violations, 1 warning"),
    (("Warning", "Warning"), "Validation: no violations, 2 warnings"),
    (("Info",), "Validation: no violations, 1 info result"),
    (("Violation",), "Validation: 1 violation"),
    (("Violation", "Violation", "Warning", "Info", "Info"), "Validation: 2 violations, 1 warning, 2 info results"),
    (("Trace",), "Validation: no violations, 1 result of another severity"),
])
def test_summary_counts_each_severity(severities: tuple[str, ...], summary: str) -> None:
    report = _report(*severities)
    assert report.summary == summary
    assert report.text().splitlines()[0] == summary
    assert "conform" not in report.text().lower()  # SHACL's word: only a report without results conforms


@pytest.mark.parametrize(("severities", "conforms", "publishable"), [
    ((), True, True),
    (("Warning",), False, True),
    (("Info", "Warning"), False, True),
    (("Trace",), False, True),
    (("Violation", "Warning"), False, False),
])
def test_shacl_verdict_and_publication_gate_are_apart(severities: tuple[str, ...], conforms: bool,
                                                     publishable: bool) -> None:
    report = _report(*severities)
    assert (report.conforms, report.publishable) == (conforms, publishable)


def test_text_lists_every_result_after_the_summary() -> None:
    assert _report("Violation", "Warning").text() == (
        "Validation: 1 violation, 1 warning\n"
        "\nVIOLATION: m0\n  shape: ex:S\n  focus: ex:n0\n"
        "\nWARNING: m1\n  shape: ex:S\n  focus: ex:n1\n")
