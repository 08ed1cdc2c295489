"""The CLI as a user runs it: a real process, exit codes, stdout and stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.projects import TINY_DATA, write_project


def kgpub(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kgpub", *args], capture_output=True, text=True,
                          cwd=cwd, input=stdin, timeout=120)


def test_no_arguments_lists_the_commands() -> None:
    for args in ((), ("--help",)):
        out = kgpub(*args)
        assert out.returncode == 0
        for command in ("build", "dump", "query", "validate"):
            assert f"  {command} " in out.stdout


def test_validate_exit_codes(tiny_project: Path, tmp_path: Path) -> None:
    ok = kgpub("validate", "--project", str(tiny_project))
    assert ok.returncode == 0, ok.stderr
    assert "Validation conforms: 0 violation(s), 1 warning(s)" in ok.stdout
    assert "WARNING: Unusually large size" in ok.stdout
    bad = write_project(tmp_path / "bad", data=TINY_DATA + "ex:c a ex:Thing .\n")
    out = kgpub("validate", "--project", str(bad))
    assert out.returncode == 1
    assert "VIOLATION: A thing needs a label" in out.stdout and "focus: ex:c" in out.stdout


def test_validate_defaults_to_the_current_directory(tiny_project: Path) -> None:
    assert kgpub("validate", cwd=tiny_project).returncode == 0


@pytest.mark.parametrize("command", ["validate", "build", "dump", "query"])
def test_syntax_error_names_file_line_column_without_traceback(tiny_project: Path, command: str) -> None:
    (tiny_project / "data" / "oops.ttl").write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    args = [command, "--project", str(tiny_project)] + (["SELECT * {}"] if command == "query" else [])
    out = kgpub(*args)
    assert out.returncode == 2
    assert f"error: {tiny_project / 'data' / 'oops.ttl'}:2:" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", ["validate", "build", "dump", "query"])
def test_missing_project_is_a_clear_error(tmp_path: Path, command: str) -> None:
    args = [command, "--project", str(tmp_path / "nowhere")] + (["ASK {}"] if command == "query" else [])
    out = kgpub(*args)
    assert out.returncode == 2
    assert "project folder not found" in out.stderr and "Traceback" not in out.stderr


def test_build_failure_reports_and_publishes_nothing(tmp_path: Path) -> None:
    bad = write_project(tmp_path / "bad", data=TINY_DATA + "ex:c a ex:Thing .\n")
    out = kgpub("build", "--project", str(bad))
    assert out.returncode == 1
    assert "VIOLATION" in out.stdout and "nothing was published" in out.stderr
    assert not (bad / "release").exists()


def test_build_then_dump_and_query(tiny_project: Path, tmp_path: Path) -> None:
    built = kgpub("build", "--project", str(tiny_project))
    assert built.returncode == 0 and "Release " in built.stdout
    dump = kgpub("dump", "--project", str(tiny_project), "--format", "ntriples")
    assert dump.returncode == 0 and '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A"@en .' \
        in dump.stdout
    target = tmp_path / "out.jsonld.gz"
    assert kgpub("dump", "--project", str(tiny_project), "-f", "jsonld", "--gzip", "-o", str(target)).returncode == 0
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    table = kgpub("query", "--project", str(tiny_project), "SELECT ?s ?size { ?s ex:size ?size } ORDER BY ?s",
                  cwd=tiny_project)
    assert table.returncode == 2  # ex: is not declared in the query
    table = kgpub("query", "--project", str(tiny_project),
                  "PREFIX ex: <http://example.org/> SELECT ?s ?size { ?s ex:size ?size } ORDER BY ?s")
    assert table.stdout.splitlines() == ["s    | size", "-----+-----", "ex:a | 3", "ex:b | 300", "(2 rows)"]
    js = kgpub("query", "--project", str(tiny_project), "--format", "json", "ASK { ?s ?p ?o }")
    assert json.loads(js.stdout)["boolean"] is True


def test_query_from_stdin_and_format_mismatch(tiny_project: Path) -> None:
    out = kgpub("query", "--project", str(tiny_project), "--file", "-", "-f", "turtle",
                stdin="CONSTRUCT WHERE { ?s <http://example.org/size> ?o }")
    assert out.returncode == 0, out.stderr
    assert "@prefix ex: <http://example.org/> ." in out.stdout and "ex:b ex:size 300" in out.stdout
    out = kgpub("query", "--project", str(tiny_project), "-f", "csv", "CONSTRUCT WHERE { ?s ?p ?o }")
    assert out.returncode == 2 and "does not fit this query's result" in out.stderr


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT * WHERE { ?s ?p }", "malformed query at line 1"),
    ("INSERT DATA { <a:b> <a:c> <a:d> }", "read-only"),
    ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE calls are not allowed"),
])
def test_bad_queries_are_clear_errors(tiny_project: Path, query: str, message: str) -> None:
    out = kgpub("query", "--project", str(tiny_project), query)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_query_needs_exactly_one_source_of_query(tiny_project: Path) -> None:
    out = kgpub("query", "--project", str(tiny_project))
    assert out.returncode == 2 and "either as an argument or with --file" in out.stderr
