"""SHACL shapes: every shape's examples, and the real data's exact validation results.

Validation runs exactly as the build does: pySHACL over one rdflib Graph, with
``inference="none"``, ``allow_warnings=True`` and ``advanced=True``. An example is
validated together with every ``ontology/*.ttl`` file, so the class hierarchy and the
Data Cube components are known. Examples live in ``shapes/examples``, named
``<ShapeLocalName>-valid.ttl`` (must conform: no results at all) and
``<ShapeLocalName>-invalid-NN.ttl`` (must give a result from that shape, or from a
shape nested in it, with the shape's severity).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pyshacl
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
EXAMPLES_DIR = SHAPES_DIR / "examples"

SH = Namespace("http://www.w3.org/ns/shacl#")
KJSH = Namespace("https://w3id.org/kjtrade/shapes#")
KJD = "https://w3id.org/kjtrade/id/"

# The exact results expected on the real data: no violations, and these warnings
# (sourceShape, focusNode). The article says "352-fold", but its own figures give
# 77200000000 / 200000000 = 386; both are published unchanged.
EXPECTED_REAL_DATA_WARNINGS = {
    (KJSH.StatedRatioConsistencyShape, URIRef(KJD + "ratio/trade-value-growth-1965-2024")),
}


def _parse(paths: list[Path]) -> Graph:
    graph = Graph()
    graph.bind("schema", "http://schema.org/")
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    return _parse(sorted(SHAPES_DIR.glob("*.ttl")))


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return _parse(sorted((ROOT / "ontology").glob("*.ttl")))


def _validate(data: Graph, shapes: Graph) -> Graph:
    _conforms, report, _text = pyshacl.validate(
        data_graph=data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        advanced=True,
    )
    return cast(Graph, report)


def _results(report: Graph) -> list[tuple[object, object, object, object]]:
    """(sourceShape, focusNode, severity, message) of every result in a report."""
    return [
        (
            report.value(result, SH.sourceShape),
            report.value(result, SH.focusNode),
            report.value(result, SH.resultSeverity),
            report.value(result, SH.resultMessage),
        )
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]


def _nested(shapes: Graph, shape: URIRef) -> set[object]:
    """The shape and every blank node reachable from it (its nested property shapes)."""
    seen: set[object] = {shape}
    todo: list[Node] = [shape]
    while todo:
        node = todo.pop()
        for obj in shapes.objects(node, None):
            if isinstance(obj, BNode) and obj not in seen:
                seen.add(obj)
                todo.append(obj)
    return seen


def _named_shapes(shapes: Graph) -> set[URIRef]:
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    return {s for s in found if isinstance(s, URIRef)}


VALID = sorted(EXAMPLES_DIR.glob("*-valid.ttl"))
INVALID = sorted(EXAMPLES_DIR.glob("*-invalid-*.ttl"))


def _shape_of(path: Path) -> URIRef:
    return KJSH[path.name.split("-valid")[0].split("-invalid-")[0]]


def test_every_shape_has_examples(shapes_graph: Graph) -> None:
    named = _named_shapes(shapes_graph)
    assert named, "no shapes found"
    with_valid = {_shape_of(p) for p in VALID}
    with_invalid = {_shape_of(p) for p in INVALID}
    assert named - with_valid == set(), "shapes without a -valid example"
    assert named - with_invalid == set(), "shapes without an -invalid-NN example"
    assert (with_valid | with_invalid) - named == set(), "examples of shapes that do not exist"


def test_every_shape_is_documented(shapes_graph: Graph) -> None:
    readme = (SHAPES_DIR / "README.md").read_text(encoding="utf-8")
    for shape in _named_shapes(shapes_graph):
        local = str(shape).removeprefix(str(KJSH))
        assert f"kjsh:{local}" in readme, f"kjsh:{local} is not in shapes/README.md"
        assert shapes_graph.value(shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) is not None
        assert shapes_graph.value(shape, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")) is not None


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_conforms(path: Path, shapes_graph: Graph, ontology_graph: Graph) -> None:
    data = _parse([path]) + ontology_graph
    results = _results(_validate(data, shapes_graph))
    assert results == [], f"{path.name} should conform but gives: {results}"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_fails_on_its_shape(path: Path, shapes_graph: Graph, ontology_graph: Graph) -> None:
    shape = _shape_of(path)
    severity = shapes_graph.value(shape, SH.severity) or SH.Violation
    data = _parse([path]) + ontology_graph
    results = _results(_validate(data, shapes_graph))
    own = _nested(shapes_graph, shape)
    hits = [r for r in results if r[0] in own and r[2] == severity]
    assert hits, f"{path.name} gives no {severity} from {shape}; results: {results}"


def test_real_data_gives_exactly_the_expected_results(shapes_graph: Graph, ontology_graph: Graph) -> None:
    data = _parse(sorted((ROOT / "data").glob("*.ttl"))) + ontology_graph
    results = _results(_validate(data, shapes_graph))
    violations = [r for r in results if r[2] == SH.Violation]
    assert violations == [], f"violations in the real data: {violations}"
    warnings = {(r[0], r[1]) for r in results if r[2] == SH.Warning}
    assert warnings == EXPECTED_REAL_DATA_WARNINGS
    assert len(results) == len(EXPECTED_REAL_DATA_WARNINGS), f"unexpected results: {results}"
    message = next(str(r[3]) for r in results if r[0] == KJSH.StatedRatioConsistencyShape)
    assert message == "Stated ratio 352 disagrees with the cited figures: 77200000000 / 200000000 = 386"
