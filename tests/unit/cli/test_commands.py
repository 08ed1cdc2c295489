"""The CLI as a user runs it: a real process, exit codes, stdout and stderr."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers.projects import TINY_DATA, write_project


def kgpub(*args: str, cwd: Path | None = None, stdin: str | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KGPUB_")} | (env or {})
    return subprocess.run([sys.executable, "-m", "kgpub", *args], capture_output=True, text=True,
                          cwd=cwd, input=stdin, timeout=120, env=environment)


def test_no_arguments_lists_the_commands() -> None:
    for args in ((), ("--help",)):
        out = kgpub(*args)
        assert out.returncode == 0
        for command in ("build", "dump", "query", "validate"):
            assert f"  {command} " in out.stdout


def test_validate_exit_codes(tiny_project: Path, tmp_path: Path) -> None:
    ok = kgpub("validate", "--project", str(tiny_project))
    assert ok.returncode == 0, ok.stderr  # warnings only: the gate lets it through
    assert ok.stdout.startswith("Validation: no violations, 1 warning\n")
    assert "WARNING: Unusually large size" in ok.stdout
    assert "conform" not in ok.stdout.lower()  # it has a result: SHACL says it does not conform
    bad = write_project(tmp_path / "bad", data=TINY_DATA + "ex:c a ex:Thing .\n")
    out = kgpub("validate", "--project", str(bad))
    assert out.returncode == 1
    assert out.stdout.startswith("Validation: 1 violation, 1 warning\n")
    assert "VIOLATION: A thing needs a label" in out.stdout and "focus: ex:c" in out.stdout
    clean = write_project(tmp_path / "clean", data=TINY_DATA.replace("ex:size 300", "ex:size 30"))
    out = kgpub("validate", "--project", str(clean))
    assert (out.returncode, out.stdout) == (0, "Validation: no results\n")


def test_validate_refuses_an_unverified_link_as_the_build_does(tmp_path: Path) -> None:
    linked = write_project(tmp_path / "linked", data=TINY_DATA + (
        "ex:a <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q42> .\n"))
    for command in ("validate", "build"):
        out = kgpub(command, "--project", str(linked))
        assert out.returncode == 1, out.stderr
        assert "data/links.csv" in out.stderr and "http://www.wikidata.org/entity/Q42" in out.stderr
        assert "Traceback" not in out.stderr
    assert not (linked / "release").exists()


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
    assert "VIOLATION" in out.stdout
    assert "error: Validation: 1 violation, 1 warning; nothing was published" in out.stderr
    assert not (bad / "release").exists()


def test_build_then_dump_and_query(tiny_project: Path, tmp_path: Path) -> None:
    built = kgpub("build", "--project", str(tiny_project))
    assert built.returncode == 0 and "Release " in built.stdout
    assert built.stdout.startswith("Validation: no violations, 1 warning\n\nWARNING: Unusually large size")
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


NESTED_70 = "SELECT * WHERE { " + "{ " * 70 + "}" * 70 + " }"


def test_query_uses_the_configured_limits(tiny_project: Path) -> None:
    """Regression: the CLI ran every query with the default limits, whatever KGPUB_* said."""
    refused = kgpub("query", "--project", str(tiny_project), NESTED_70)
    assert refused.returncode == 2 and "the limit is 64" in refused.stderr
    allowed = kgpub("query", "--project", str(tiny_project), NESTED_70, env={"KGPUB_MAX_DEPTH": "200"})
    assert allowed.returncode == 0, allowed.stderr
    short = kgpub("query", "--project", str(tiny_project), "ASK { ?s ?p ?o }", env={"KGPUB_MAX_QUERY_LENGTH": "5"})
    assert short.returncode == 2 and "the limit is 5" in short.stderr
    capped = kgpub("query", "--project", str(tiny_project), "-f", "csv", "SELECT ?s { ?s ?p ?o }",
                   env={"KGPUB_MAX_ROWS": "2"})
    assert capped.returncode == 0 and len(capped.stdout.splitlines()) == 3  # header + 2 rows
    assert "result cut to the first 2 rows" in capped.stderr


class _Failing(http.server.BaseHTTPRequestHandler):
    """A local SPARQL endpoint that answers every request with 500 and counts them."""

    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def test_query_honours_allowed_services(tiny_project: Path) -> None:
    """Regression: KGPUB_ALLOWED_SERVICES was ignored by the CLI (every SERVICE refused)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        query = f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
        refused = kgpub("query", "--project", str(tiny_project), query)
        assert refused.returncode == 2 and "SERVICE calls are not allowed" in refused.stderr
        assert _Failing.calls == 0  # refused before any connection
        allowed = kgpub("query", "--project", str(tiny_project), query, env={"KGPUB_ALLOWED_SERVICES": url})
        assert _Failing.calls >= 1  # the allowed endpoint was called
        assert allowed.returncode == 2 and "a SERVICE endpoint failed" in allowed.stderr, allowed.stderr
        assert "Traceback" not in allowed.stderr
    finally:
        server.shutdown()


@pytest.mark.slow
def test_query_survives_a_long_chain_the_server_answers(tiny_project: Path) -> None:
    """Regression: a 10,000-term + chain killed ``kgpub query`` (exit 139): the big stack was the worker's only."""
    chain = "SELECT * { BIND(" + "+".join(["1"] * 10_000) + " AS ?x) }"
    out = kgpub("query", "--project", str(tiny_project), "-f", "csv", chain)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    assert out.stdout.splitlines() == ["x", "10000"]


def test_cli_and_server_write_the_same_bytes(tiny_project: Path) -> None:
    """One serializer: the CLI's CSV/JSON answer is byte for byte what the query path gives the server."""
    from kgpub.query.checks import QueryLimits
    from kgpub.query.execute import QueryContext, answer
    from kgpub.query.protocol import Chosen, FormatChoice, QueryJob
    from kgpub.release.reader import open_release

    query = "SELECT ?s ?size { ?s <http://example.org/size> ?size } ORDER BY ?s"
    cli = kgpub("query", "--project", str(tiny_project), "-f", "json", query)
    assert cli.returncode == 0, cli.stderr
    ctx = QueryContext.open(open_release(tiny_project / "release"), limits=QueryLimits(), max_rows=10_000)
    formats = FormatChoice(results=Chosen("json", "application/sparql-results+json"), rdf="n/a")
    assert cli.stdout.encode() == answer(ctx, QueryJob(query=query, formats=formats)).body


def test_diff_prints_the_changes_a_release_keeps(tiny_project: Path) -> None:
    import gzip

    from kgpub.release.reader import open_release

    releases = tiny_project / "release"
    assert kgpub("build", "--project", str(tiny_project)).returncode == 0
    old = open_release(releases).version
    (tiny_project / "data" / "more.ttl").write_text('<http://example.org/x> <http://example.org/y> "z\\"" .\n')
    assert kgpub("build", "--project", str(tiny_project)).returncode == 0
    new = open_release(releases).version
    out = kgpub("diff", "--project", str(tiny_project), old, new)
    assert out.returncode == 0, out.stderr
    assert out.stdout.encode() == gzip.decompress((releases / new / "changes.rdfp.gz").read_bytes())  # the same bytes
    added = '<http://example.org/x> <http://example.org/y> "z\\"" <https://w3id.org/kjtrade/graph/data> .'
    assert out.stdout.splitlines() == [f"H id <https://w3id.org/kjtrade/releases/{new}/> .",
                                       f"H prev <https://w3id.org/kjtrade/releases/{old}/> .", "TX .",
                                       f"A {added}", "TC ."]
    by_folder = kgpub("diff", "--project", str(tiny_project), str(releases / old), "current")
    assert (by_folder.returncode, by_folder.stdout) == (0, out.stdout)  # a folder, a version or `current`
    back = kgpub("diff", "--project", str(tiny_project), new, old)
    assert back.stdout.splitlines()[3] == f"D {added}"
    summary = kgpub("diff", "--project", str(tiny_project), "--summary", old, new)
    assert summary.stdout.splitlines() == [f"From release {old} to release {new}: 1 quad added, 0 removed",
                                           "  +1 -0  https://w3id.org/kjtrade/graph/data"]


def test_diff_of_a_release_that_is_not_there_is_a_clear_error(tiny_project: Path, tmp_path: Path) -> None:
    assert kgpub("build", "--project", str(tiny_project)).returncode == 0
    out = kgpub("diff", "--project", str(tiny_project), "current", "0000000000000000")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "error: 0000000000000000: no release folder there, and no release of that version in" in out.stderr
    assert "kept there: " in out.stderr and out.stdout == ""
    out = kgpub("diff", "--project", str(tiny_project), str(tmp_path / "nowhere"), "current")
    assert out.returncode == 2 and "nowhere: no release folder there" in out.stderr
    assert kgpub("diff", "--project", str(tiny_project), "current").returncode == 2  # NEW is required
