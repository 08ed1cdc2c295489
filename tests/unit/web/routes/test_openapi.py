"""/openapi.json documents the SPARQL Protocol of /sparql completely (finding 9): every parameter, both request
bodies, every answer media type of the one format registry, the error statuses with the one error body.

Schema-driven clients and fuzzers (``tests/e2e/test_openapi_fuzz.py``) generate requests from it, so
what it leaves out is never tested; and it must be a valid OpenAPI document.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import schemathesis
from fastapi.testclient import TestClient

from kgpub.rdf.formats import FORMATS, Kind

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
ERRORS = (400, 403, 406, 413, 415, 503)
GET_PARAMETERS = {"query", "default-graph-uri", "named-graph-uri", "format", "timeout", "edit", "lang"}
REPEATABLE = {"default-graph-uri", "named-graph-uri", "format"}


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    found: dict[str, Any] = r.json()
    return found


def operation(document: dict[str, Any], method: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"]["/sparql"][method]
    return found


def parameters(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in op.get("parameters", [])}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every local ``$ref`` replaced (for jsonschema, which does not know the document)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return resolve(document, document["components"]["schemas"][name])
    return {k: ({n: resolve(document, s) for n, s in v.items()} if k == "properties" else v) for k, v in schema.items()}


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI 3.1 meta-schema
    broken = copy.deepcopy(document)
    broken["paths"]["/sparql"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(Exception, match="body"):  # the check can fail: it is not a no-op
        schemathesis.openapi.from_dict(broken).validate()


def test_get_documents_every_parameter(document: dict[str, Any]) -> None:
    found = parameters(operation(document, "get"))
    assert set(found) == GET_PARAMETERS
    for name, parameter in found.items():
        assert parameter["in"] == "query" and parameter["required"] is False, parameter
        assert parameter["schema"].get("description"), name
    for name in REPEATABLE:
        assert found[name]["schema"]["type"] == "array" and found[name]["explode"] is True, found[name]
    assert found["timeout"]["schema"] == {**found["timeout"]["schema"], "type": "number", "exclusiveMinimum": 0}
    assert set(found["lang"]["schema"]["enum"]) == {"en", "ko", "ja"}


def test_post_documents_the_query_string_and_both_bodies(document: dict[str, Any]) -> None:
    op = operation(document, "post")
    assert set(parameters(op)) == GET_PARAMETERS - {"query", "edit"}  # the query is in the body
    content = op["requestBody"]["content"]
    assert set(content) == {FORM, DIRECT}
    assert op["requestBody"]["required"] is True
    form = content[FORM]["schema"]
    assert form["type"] == "object" and form["required"] == ["query"]
    assert set(form["properties"]) == {"query", "default-graph-uri", "named-graph-uri", "format", "timeout"}
    assert set(content[FORM]["encoding"]) == REPEATABLE
    assert content[DIRECT]["schema"]["type"] == "string"


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_media_type_of_the_registry_is_an_answer(document: dict[str, Any], method: str) -> None:
    answers = operation(document, method)["responses"]["200"]["content"]
    expected = {m for f in FORMATS if f.kind in (Kind.RESULTS, Kind.RDF, Kind.PAGE) for m in f.media_types}
    assert set(answers) == expected, set(answers) ^ expected
    format_names = operation(document, "get")["parameters"]
    described = next(p for p in format_names if p["name"] == "format")["schema"]["description"]
    assert all(f.name in described for f in FORMATS)


@pytest.mark.parametrize("method", ["get", "post"])
def test_errors_reference_one_schema(document: dict[str, Any], method: str) -> None:
    responses = operation(document, method)["responses"]
    refs = {responses[str(status)]["content"]["application/json"]["schema"]["$ref"] for status in ERRORS}
    assert refs == {"#/components/schemas/Error"}
    for status in ERRORS:
        assert "text/html" in responses[str(status)]["content"], status  # browsers get the error page
        assert responses[str(status)]["description"], status
    assert responses["503"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "304" in responses


def test_the_error_schema_is_what_the_endpoint_answers(document: dict[str, Any], client: TestClient) -> None:
    schema = resolve(document, {"$ref": "#/components/schemas/Error"})
    answers = [client.get("/sparql", params={"query": "SELECT"}),  # 400
               client.get("/sparql", params={"update": "CLEAR ALL"}),  # 403
               client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}),  # 406
               client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})]  # 415
    assert [r.status_code for r in answers] == [400, 403, 406, 415]
    for r in answers:
        jsonschema.validate(r.json(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"detail": "not our error body"}, schema)


@pytest.mark.parametrize(("query", "kind"), [("SELECT * { ?s ?p ?o } LIMIT 1", Kind.RESULTS),
                                             ("CONSTRUCT WHERE { ?s a ?o } LIMIT 1", Kind.RDF)])
def test_every_documented_media_type_is_answered_as_documented(document: dict[str, Any], client: TestClient,
                                                               query: str, kind: Kind) -> None:
    documented = set(operation(document, "get")["responses"]["200"]["content"])
    for fmt in (f for f in FORMATS if f.kind is kind):
        for media_type in fmt.media_types:
            r = client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
            assert r.status_code == 200, (media_type, r.text)
            assert r.headers["content-type"].split(";")[0] in documented, (media_type, r.headers["content-type"])
