"""Schema-driven fuzzing: schemathesis generates requests from our own /openapi.json (valid and invalid ones, for
every documented operation: the SPARQL Protocol's parameters and bodies, the dumps, fragments, releases) and
sends them to the real ``kgpub serve`` over HTTP; no answer may be a server error.

The budget is fixed and the examples derandomized (the same requests in CI every time); set
``KGPUB_FUZZ_EXAMPLES`` for a longer run (see ``bench/FUZZING.md``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from helpers.server import Server, copy_project, serve

EXAMPLES = int(os.environ.get("KGPUB_FUZZ_EXAMPLES", "0") or 0) or 15
"""Examples per operation and mode (23 operations, positive and negative)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server (it builds the project's release first); a 2 s time limit keeps any slow query bounded.
    Its log must stay free of tracebacks (``serve`` checks it when the module ends)."""
    project: Path = copy_project(tmp_path_factory.mktemp("openapi-fuzz") / "kjtrade")
    with serve(project, "--timeout", "2") as running:
        yield running


@pytest.fixture(scope="module")
def api(server: Server) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(server.base + "/openapi.json")
    schema.validate()  # a broken document would make the fuzzing meaningless
    return schema


TOO_SHORT = 0.001
"""A ``timeout=`` below this cannot be met by any query: today such a request is the 503 of a query stopped at
its limit, "retry later" (a known bug, :func:`test_a_timeout_no_query_can_meet_is_refused`), left out here."""


def impossible_timeout(case: schemathesis.Case) -> bool:
    values = [(case.query or {}).get("timeout")]
    if isinstance(case.body, dict):
        values.append(case.body.get("timeout"))
    for value in values:
        try:
            if value is not None and 0 < float(value) < TOO_SHORT:
                return True
        except (TypeError, ValueError):
            continue
    return False


def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, statuses: Counter[int]) -> list[str]:
    """Run ``operation``'s examples of ``mode`` (counting the answers' statuses); what failed (shrunk by
    Hypothesis), one line each."""
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(timeout=30)
        statuses[response.status_code] += 1
        if impossible_timeout(case):
            assert response.status_code < 500 or response.status_code == 503, response.text
            return
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:  # nothing of this operation can be made invalid (no parameters, a string path part)
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (Exception, ExceptionGroup) as e:  # a failure of this operation, reported with the others
        failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {type(e).__name__}: {e}"[:3000])
    return failures


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_no_operation_answers_a_server_error(api: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    """Every documented operation, with data that fits the document (positive) and data that does not
    (negative: wrong types, missing required fields, bodies of other media types)."""
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in api.get_all_operations()]
    for operation in operations:
        failures += fuzz(operation, mode, statuses)
    print(f"\n{mode}: {len(operations)} operations, {sum(statuses.values())} requests, by status: "
          f"{dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)


def test_the_document_covers_the_protocol(api: schemathesis.BaseSchema) -> None:
    """What the fuzzer above can generate for /sparql: every parameter and both bodies (finding 9)."""
    operations = {(op.method.upper(), op.path): op for op in (r.ok() for r in api.get_all_operations())}
    get, post = operations[("GET", "/sparql")], operations[("POST", "/sparql")]
    assert {p.name for p in get.query} == {"query", "default-graph-uri", "named-graph-uri", "format", "timeout",
                                          "edit", "lang"}
    assert {b.media_type for b in post.body} == {"application/x-www-form-urlencoded", "application/sparql-query"}
    assert len(operations) > 20


def test_a_timeout_no_query_can_meet_is_refused(server: Server) -> None:
    for value in ("5e-324", "1e-9", "0.0000001"):
        r = httpx.get(server.sparql, params={"query": "ASK {}", "timeout": value}, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input", (value, r.status_code, r.text)
