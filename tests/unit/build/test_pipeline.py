"""The real build's published validation report, read by other tools: rdflib, and pyrudof on its own."""

from pathlib import Path

import pyrudof
import pytest
from pyoxigraph import RdfFormat, parse, serialize
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH

from helpers.projects import ROOT
from kgpub.build.pipeline import BuildResult, build
from kgpub.settings import Settings

RATIO_SHAPE = URIRef("https://w3id.org/kjtrade/shapes#StatedRatioConsistencyShape")


@pytest.fixture(scope="module")
def real_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(Settings.load(env={}, project=ROOT, releases=tmp_path_factory.mktemp("releases")))


def test_the_published_report_says_what_shacl_says(real_build: BuildResult) -> None:
    graph = Graph().parse(real_build.release.file("validation.ttl"), format="turtle")
    [report] = graph.subjects(RDF.type, SH.ValidationReport)
    assert [o.toPython() for o in graph.objects(report, SH.conforms)] == [False]  # it has a result
    [result] = graph.objects(report, SH.result)
    assert graph.value(result, SH.resultSeverity) == SH.Warning
    assert graph.value(result, SH.sourceShape) == RATIO_SHAPE
    subjects = set(graph.subjects())
    assert [(p, o) for _, p, o in graph if isinstance(o, BNode) and o not in subjects] == []  # no dangling node
    constraint = graph.value(result, SH.sourceConstraint)
    assert (constraint, SH.select, None) in graph and (constraint, SH.message, None) in graph


def test_the_release_is_published_with_its_warning(real_build: BuildResult) -> None:
    rel = real_build.release
    assert rel.report_text.splitlines()[0] == "Validation: no violations, 1 warning"
    assert "conform" not in rel.report_text.lower()
    validation = rel.manifest.validation
    assert validation is not None and (validation.conforms, validation.publishable) == (False, True)
    assert (validation.violations, validation.warnings, validation.info) == (0, 1, 0)


def _ntriples(folder: Path) -> str:
    triples = [t for path in sorted(folder.glob("*.ttl")) for t in parse(path=path, format=RdfFormat.TURTLE)]
    return serialize(triples, format=RdfFormat.N_TRIPLES).decode()


def test_another_shacl_processor_agrees_it_does_not_conform(real_build: BuildResult) -> None:
    """pyrudof (rudof's SHACL engine), on the source files themselves: any result means sh:conforms false."""
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(_ntriples(ROOT / "data") + _ntriples(ROOT / "ontology"), format=pyrudof.RDFFormat.NTriples,
                    reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_shacl(_ntriples(ROOT / "shapes"), format=pyrudof.ShaclFormat.NTriples,
                     reader_mode=pyrudof.ReaderMode.Strict)
    theirs = rudof.validate_shacl()
    assert theirs.conforms is False
    assert real_build.report.conforms is False and real_build.report.publishable
