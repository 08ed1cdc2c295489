"""The shapes are portable: pySHACL and pyrudof give the same report for every input.

Every file of ``shapes/examples`` (with ``ontology/``) and the real data (``ontology/`` and
``data/``) is validated once by each engine against ``shapes/*.ttl``:

- pySHACL as the build runs it: SHACL-SPARQL in bulk on pyoxigraph
  (:mod:`kgpub.build.shacl_sparql`), the rest by pySHACL with ``inference="none"``,
  ``advanced=True`` and warnings allowed (:func:`kgpub.build.parallel.pyshacl_report`);
- pyrudof (SHACL Core and SHACL-SPARQL constraints; no SHACL Advanced Features, so a
  ``sh:SPARQLTarget`` selects nothing there).

Both get the same triples: the shapes as one graph whose property shapes are given IRIs
(skolemized, so that a result's source shape names the same shape in both reports), the
data as the N-Triples of what the build loads. The test asserts that both reports have the
same results, compared as (focus node, source shape, severity, constraint component, value),
and that each engine gives what the example's name promises (as in ``test_shapes.py``). The
IC-12 duplicate check is Python, not SHACL, and is not part of this comparison.

Under ``CI=true`` a missing pyrudof is an error, elsewhere the module is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store, serialize
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from helpers.projects import ROOT, project_with, write_project
from helpers.requirements import in_ci
from helpers.shape_inputs import EXAMPLES, REAL_DATA, shape_inputs
from kgpub.build import shacl_sparql
from kgpub.build.bridge import to_rdflib
from kgpub.build.parallel import pyshacl_report
from kgpub.build.sources import KNOWLEDGE_GRAPH, Sources, load_sources
from kgpub.settings import DEFAULT_BASE_IRI

if in_ci():
    import pyrudof  # CI installs the test extra: a missing pyrudof fails the run, it is not skipped
else:
    pyrudof = pytest.importorskip("pyrudof", reason="pyrudof is not installed (pip install -e '.[test]')")

pytestmark = pytest.mark.slow  # about 20 s: every input validated by both engines

KJSH = "https://w3id.org/kjtrade/shapes#"
RATIO = ("https://w3id.org/kjtrade/id/ratio/trade-value-growth-1965-2024", KJSH + "StatedRatioConsistencyShape",
         "Warning")
EXAMPLE_NAME = re.compile(r"(?P<shape>[A-Za-z0-9]+)-(?P<kind>valid|invalid-\d\d)\.ttl")
BLANK, LITERAL = "(blank node)", "(literal)"


@dataclass(frozen=True, order=True)
class Found:
    """One result of a report, as both engines can state it."""

    focus: str  # IRI, or BLANK
    shape: str  # the source shape: a named shape, or a property shape (skolemized: the same IRI in both)
    severity: str  # "Violation", "Warning" or "Info"
    component: str  # the constraint component's IRI
    value: str  # IRI, BLANK, LITERAL, or "" when the result has none


def _shapes(folder: Path) -> Graph:
    """Every shapes file of ``folder`` in one graph, property shapes given IRIs (lists and paths stay blank)."""
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    named: dict[Node, Node] = {b: b.skolemize() for b in graph.objects(None, SH.property) if isinstance(b, BNode)}
    skolemized = Graph()
    for s, p, o in graph:
        skolemized.add((named.get(s, s), p, named.get(o, o)))
    return skolemized


def _owner(shapes: Graph, shape: str) -> str:
    """The named shape a property shape belongs to (itself if it is named)."""
    node: URIRef = URIRef(shape)
    for _ in range(10):
        parent = next(iter(shapes.subjects(SH.property, node)), None)
        if not isinstance(parent, URIRef):
            break
        node = parent
    return str(node)


def _term(node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return BLANK
    return LITERAL if isinstance(node, Literal) else str(node)


def by_pyshacl(sources: Sources, shapes: Graph) -> set[Found]:
    """The report as the build makes it (kgpub.build.validate.validate), for the given shapes graph."""
    store = Store()
    store.extend(sources.all_quads())
    default_graphs = [sources.graph_names[f] for f in KNOWLEDGE_GRAPH]
    plan = shacl_sparql.plan(shapes, store, default_graphs)
    data = to_rdflib(q for f in KNOWLEDGE_GRAPH for q in sources.graph(f))
    report = pyshacl_report(data, plan.shapes_for_pyshacl, processes=1)
    top = next(iter(report.subjects(RDF.type, SH.ValidationReport)))
    shacl_sparql.run(plan.constraints, store, default_graphs, report, top)
    return {Found(_term(report.value(r, SH.focusNode)), _term(report.value(r, SH.sourceShape)),
                  str(report.value(r, SH.resultSeverity)).removeprefix(str(SH)),
                  str(report.value(r, SH.sourceConstraintComponent)), _term(report.value(r, SH.value)))
            for r in report.objects(top, SH.result)}  # the results, not the sh:detail nested in them


IRI = re.compile(r"<?([A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]*)>?")


def _rudof_term(text: str | None) -> str:
    """pyrudof's term as a string: an IRI as is (or in <>), a blank node _:..., a literal in quotes
    (with a datatype or language, "..."^^xsd:gYear) or, for some datatypes, its bare lexical form."""
    if not text:
        return ""
    if text.startswith("_:"):
        return BLANK
    iri = IRI.fullmatch(text)
    return iri[1] if iri else LITERAL


def by_rudof(data: Path, shapes: Path) -> set[Found]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(str(data), format=pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_shacl(str(shapes), format=pyrudof.ShaclFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    report = rudof.validate_shacl(pyrudof.ShaclValidationMode.Native)
    return {Found(_rudof_term(v.focus_node), _rudof_term(v.source_shape), v.severity,
                  _rudof_term(v.constraint_component), _rudof_term(v.value))
            for v in report.violations}


def _write_data(sources: Sources, path: Path) -> Path:
    """The N-Triples of the data the build loads, for pyrudof."""
    triples = [q.triple for f in KNOWLEDGE_GRAPH for q in sources.graph(f)]
    path.write_bytes(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
    return path


def _write_shapes(shapes: Graph, path: Path) -> Path:
    path.write_text(shapes.serialize(format="nt"), encoding="utf-8")
    return path


def both_engines(sources: Sources, shapes: Graph, folder: Path) -> tuple[set[Found], set[Found]]:
    """One validation by each engine."""
    return by_pyshacl(sources, shapes), by_rudof(_write_data(sources, folder / "data.nt"),
                                                 _write_shapes(shapes, folder / "shapes.nt"))


@pytest.fixture(scope="module")
def real_shapes() -> Graph:
    return _shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def reports(real_shapes: Graph) -> Iterator[dict[str, tuple[set[Found], set[Found]]]]:
    """Every example and the real data, validated once by each engine (pySHACL, pyrudof).

    pyrudof runs in threads (it releases the GIL; each input costs it a fixed ~0.15 s of
    CPU) while this thread runs pySHACL.
    """
    tmp = Path(tempfile.mkdtemp(prefix="kgpub-engines-"))
    try:
        shapes_file = _write_shapes(real_shapes, tmp / "shapes.nt")
        by_py, by_ru = {}, {}
        with ThreadPoolExecutor(max_workers=max(1, min(2, len(os.sched_getaffinity(0))))) as pool:
            for i, (name, files) in enumerate(shape_inputs().items()):
                folder = tmp / str(i)
                sources = load_sources(project_with(folder / "p", files), base_iri=DEFAULT_BASE_IRI)
                by_ru[name] = pool.submit(by_rudof, _write_data(sources, folder / "data.nt"), shapes_file)
                by_py[name] = by_pyshacl(sources, real_shapes)
            found = {name: (by_py[name], by_ru[name].result()) for name in by_py}
        yield found
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _show(results: set[Found], shapes: Graph) -> str:
    return "\n".join(f"  {r.severity} {_owner(shapes, r.shape)} ({r.component.removeprefix(str(SH))}) "
                     f"focus {r.focus} value {r.value}" for r in sorted(results)) or "  none"


def _assert_same(name: str, by_py: set[Found], by_ru: set[Found], shapes: Graph) -> None:
    assert by_py == by_ru, (
        f"{name}: pySHACL and pyrudof disagree\nonly pySHACL:\n{_show(by_py - by_ru, shapes)}\n"
        f"only pyrudof:\n{_show(by_ru - by_py, shapes)}")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_gives_the_same_report_in_both_engines(
        path: Path, reports: dict[str, tuple[set[Found], set[Found]]], real_shapes: Graph) -> None:
    match = EXAMPLE_NAME.fullmatch(path.name)
    assert match, f"{path.name}: not named <Shape>-valid.ttl or <Shape>-invalid-NN.ttl"
    by_py, by_ru = reports[path.name]
    _assert_same(path.name, by_py, by_ru, real_shapes)
    shape = KJSH + match["shape"]
    severity = str(real_shapes.value(URIRef(shape), SH.severity) or SH.Violation).removeprefix(str(SH))
    for engine, results in (("pySHACL", by_py), ("pyrudof", by_ru)):
        if match["kind"] == "valid":
            assert results == set(), f"{path.name} should conform in {engine} but gives:\n{_show(results, real_shapes)}"
        else:
            hits = [r for r in results if _owner(real_shapes, r.shape) == shape and r.severity == severity]
            assert hits, f"{path.name}: no {severity} from kjsh:{match['shape']} in {engine}; " \
                         f"results:\n{_show(results, real_shapes)}"


def test_real_data_gives_the_same_single_warning_in_both_engines(
        reports: dict[str, tuple[set[Found], set[Found]]], real_shapes: Graph) -> None:
    by_py, by_ru = reports[REAL_DATA]
    _assert_same(REAL_DATA, by_py, by_ru, real_shapes)
    assert {(r.focus, r.shape, r.severity) for r in by_py} == {RATIO}, _show(by_py, real_shapes)


# A shape that only SHACL Advanced Features can run: pyrudof ignores its SPARQL-based target.
NOT_PORTABLE = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:LabelShape a sh:NodeShape ;
  sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this a <http://example.org/Thing> }" ] ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "A thing needs a label" ] .
"""
UNLABELLED = """\
@prefix ex: <http://example.org/> .
ex:a a ex:Thing .
"""


def test_the_comparison_notices_a_shape_that_is_not_portable(tmp_path: Path) -> None:
    """The check above can fail: a SPARQL-based target gives a result in pySHACL and none in pyrudof."""
    project = write_project(tmp_path / "p", data=UNLABELLED, shapes=NOT_PORTABLE)
    sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
    by_py, by_ru = both_engines(sources, _shapes(project / "shapes"), tmp_path)
    assert {(r.focus, r.severity) for r in by_py} == {("http://example.org/a", "Violation")}
    assert by_ru == set()
    assert by_py != by_ru
