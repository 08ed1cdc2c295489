"""SHACL shapes: every shape's examples, and the real data's exact validation results.

Each example (and the real data) is validated once each way, exactly as the build does
(all of them up front, over the machine's cores: :mod:`helpers.validation`):
``kgpub.build.validate.validate`` with SHACL-SPARQL offloaded to pyoxigraph, and with
``offload=False`` (pySHACL does everything). The test asserts both give the same results
and that those results are the expected ones. An example is validated in a project whose
``data/`` holds just that file and whose ``ontology/`` and ``shapes/`` are the repository's,
so the class hierarchy and the Data Cube components are known. Examples live in
``shapes/examples``, named ``<ShapeLocalName>-valid.ttl`` (must conform: no results at all)
and ``<ShapeLocalName>-invalid-NN.ttl`` (must give a result from that shape, or from a
property shape nested in it, with the shape's severity).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from helpers.projects import ROOT
from helpers.shape_inputs import EXAMPLES, REAL_DATA
from helpers.validation import Outcome, Way
from kgpub.build.report import Result

SHAPES_DIR = ROOT / "shapes"
EXAMPLES_DIR = SHAPES_DIR / "examples"

SH = Namespace("http://www.w3.org/ns/shacl#")
KJSH = Namespace("https://w3id.org/kjtrade/shapes#")
KJSH_PREFIX = "kjsh"  # what shapes/*.ttl declare for KJSH: kgpub names result shapes with it
KJD = "https://w3id.org/kjtrade/id/"

# The real data gives no violations and exactly this warning. The article says "352-fold",
# but its own figures give 77200000000 / 200000000 = 386; both are published unchanged.
RATIO_SHAPE = KJSH.StatedRatioConsistencyShape
RATIO_FOCUS = URIRef(KJD + "ratio/trade-value-growth-1965-2024")
RATIO_MESSAGE = "Stated ratio 352 disagrees with the cited figures: 77200000000 / 200000000 = 386"

EXAMPLE_NAME = re.compile(r"(?P<shape>[A-Za-z0-9]+)-(?P<kind>valid|invalid-\d\d)\.ttl")
VALID = [p for p in EXAMPLES if p.name.endswith("-valid.ttl")]
INVALID = [p for p in EXAMPLES if "-invalid-" in p.name]


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _named_shapes(shapes: Graph) -> set[URIRef]:
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    return {s for s in found if isinstance(s, URIRef)}


def _shape_of(path: Path) -> URIRef:
    return KJSH[path.name.split("-valid")[0].split("-invalid-")[0]]


@pytest.fixture(scope="session")
def outcomes(shape_outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
    """Every example and the real data, validated once each way (conftest starts it at collection)."""
    assert set(shape_outcomes) == {p.name for p in EXAMPLES} | {REAL_DATA}
    return shape_outcomes


def _agreeing(outcome: Outcome) -> tuple[Way, Way]:
    """Both ways, after checking they give the same results (and that result shapes are named kjsh:...)."""
    assert outcome.kjsh_prefix == str(KJSH), "result shapes would not be named kjsh:..."
    offloaded, plain = outcome.offloaded, outcome.plain
    assert Counter(offloaded.results) == Counter(plain.results), (
        "offloading SHACL-SPARQL changed the report:\n"
        f"only offloaded: {set(offloaded.results) - set(plain.results)}\n"
        f"only plain: {set(plain.results) - set(offloaded.results)}"
    )
    assert offloaded.graph_results == plain.graph_results
    assert (offloaded.dangling, plain.dangling) == ((), ()), "report blank nodes without their triples"
    return offloaded, plain


def _show(results: tuple[Result, ...]) -> str:
    return "\n".join(f"  {r.severity} {r.shape} {r.focus} {r.path} {r.value}: {r.message}" for r in results) or "  none"


def test_every_example_is_named_after_a_shape() -> None:
    assert EXAMPLES, "no shape examples found"
    odd = [p.name for p in EXAMPLES if not EXAMPLE_NAME.fullmatch(p.name)]
    assert odd == [], "examples not named <Shape>-valid.ttl or <Shape>-invalid-NN.ttl"


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
        assert shapes_graph.value(shape, RDFS.label) is not None
        assert shapes_graph.value(shape, RDFS.comment) is not None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example(path: Path, shapes_graph: Graph, outcomes: dict[str, Outcome]) -> None:
    """Offloaded and plain validation agree, and give what the example's name promises."""
    match = EXAMPLE_NAME.fullmatch(path.name)
    assert match, f"{path.name}: not named <Shape>-valid.ttl or <Shape>-invalid-NN.ttl"
    offloaded, plain = _agreeing(outcomes[path.name])
    for report in (offloaded, plain):
        if match["kind"] == "valid":
            assert report.results == (), f"{path.name} should conform but gives:\n{_show(report.results)}"
            assert report.conforms
            continue
        shape = KJSH[match["shape"]]
        severity = str(shapes_graph.value(shape, SH.severity) or SH.Violation).removeprefix(str(SH))
        hits = [r for r in report.results if r.shape == f"{KJSH_PREFIX}:{match['shape']}" and r.severity == severity]
        assert hits, f"{path.name} gives no {severity} from kjsh:{match['shape']}; results:\n{_show(report.results)}"


def test_real_data_gives_exactly_the_expected_results(outcomes: dict[str, Outcome]) -> None:
    offloaded, plain = _agreeing(outcomes[REAL_DATA])
    for report in (offloaded, plain):
        violations = [r for r in report.results if r.severity == "Violation"]
        assert violations == [], f"violations in the real data:\n{_show(tuple(violations))}"
        assert report.publishable and not report.conforms  # published, but a warning is a SHACL result
        assert len(report.results) == 1, f"unexpected results:\n{_show(report.results)}"
        (result,) = report.results
        assert (result.severity, result.shape, result.message) == (
            "Warning", f"{KJSH_PREFIX}:StatedRatioConsistencyShape", RATIO_MESSAGE)
        # The focus node in full, from the report graph (Result.focus is compacted with the data's prefixes).
        assert report.graph_results == ((str(RATIO_FOCUS), str(RATIO_SHAPE), str(SH.Warning)),)
