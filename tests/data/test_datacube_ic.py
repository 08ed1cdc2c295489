"""The W3C Data Cube integrity constraints, run as the Recommendation writes them.

The queries in ``tests/data/datacube/`` are the Recommendation's own text (its README says
where from): the two SPARQL Update phases of the normalization algorithm and the ASK
queries IC-1 … IC-21 (IC-19 is two queries; IC-20 and IC-21 are templates instantiated by
their own SELECT queries, as the Recommendation says). Each check copies a graph into a
fresh pyoxigraph store, applies the normalization and asks every query of one constraint;
an ASK that answers true is a violation.

- The knowledge graph as published: the union of ``ontology/`` and ``data/``
  (``kgpub.build.sources.KNOWLEDGE_GRAPH``), parsed by the build's own strict loader,
  answers false to every constraint.
- IC-17 as written can never answer true (see :data:`REPAIRED`): it is also asked as it is
  meant, and a test keeps that finding true.
- Each constraint detects a small violating graph (so no check passes because its query
  cannot match), and the templated or aggregating ones accept a conforming one.
- ``ontology/external.ttl`` says nothing that the official SDMX files do not say.
- Where our SHACL shapes (``shapes/cube.ttl``) implement a constraint, the official query
  agrees with the shape on every example of that shape: ``-valid`` examples answer false,
  ``-invalid-NN`` examples true. Examples are read with ``ontology/*.ttl``, as
  ``tests/data/test_shapes.py`` validates them (that test checks the shape's side).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, QueryBoolean, QuerySolutions, RdfFormat, Store

from helpers.projects import ROOT
from helpers.requirements import missing
from kgpub.build.sources import KNOWLEDGE_GRAPH, load_sources
from kgpub.settings import DEFAULT_BASE_IRI

DATACUBE = Path(__file__).parent / "datacube"
SDMX = "http://purl.org/linked-data/sdmx/2009/"
EXAMPLES = ROOT / "shapes" / "examples"
CONSTRAINTS = range(1, 22)
TEMPLATED = {20, 21}  # instantiated by ic-NN-instantiation.rq, "<$p>" replaced by each ?p
# IC-17 as written filters with HAVING (?count != ?numMeasures), where ?count is the alias of
# COUNT(?obs2) in its SELECT. SPARQL 1.1 applies HAVING before it binds the SELECT's
# expressions (section 18.2.4), so ?count is unbound there, the filter is an error and the
# query answers false on every graph (pyoxigraph and rdflib alike). Each check asks the
# verbatim query and, besides, the same query with the aggregate written out in HAVING.
REPAIRED = {17: ("HAVING (?count != ?numMeasures)", "HAVING (COUNT(?obs2) != ?numMeasures)")}

# The namespaces the Recommendation's queries use (its prefix table); the files declare none.
PREFIXES = """\
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb:   <http://purl.org/linked-data/cube#>
"""
TURTLE_PREFIXES = PREFIXES.replace("PREFIX", "@prefix").replace(">\n", "> .\n") + (
    "@prefix ex: <https://w3id.org/kjtrade/id/example/> .\n")

# shapes/cube.ttl implements these constraints: kjsh:CubeIC<N>...Shape
SHAPE_EXAMPLE = re.compile(r"CubeIC(?P<ic>\d+)[A-Za-z]+Shape-(?P<kind>valid|invalid-\d\d)\.ttl")
SHAPE_EXAMPLES = sorted(p for p in EXAMPLES.glob("CubeIC*.ttl") if SHAPE_EXAMPLE.fullmatch(p.name))


def _text(name: str) -> str:
    return (DATACUBE / name).read_text(encoding="utf-8")


def _verbatim(ic: int) -> list[str]:
    """The ASK queries of one constraint as the Recommendation writes them (IC-19 has two)."""
    lines = _text(f"ic-{ic:02d}.rq").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("ASK")]
    assert starts, f"ic-{ic:02d}.rq holds no ASK query"
    return ["".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _queries(ic: int) -> list[str]:
    """The queries asked for one constraint: the verbatim ones and any repaired reading."""
    queries = _verbatim(ic)
    if ic in REPAIRED:
        old, new = REPAIRED[ic]
        assert all(old in q for q in queries), f"ic-{ic:02d}.rq no longer holds {old}"
        queries += [q.replace(old, new) for q in queries]
    return queries


def _ask(store: Store, query: str) -> bool:
    answer = store.query(PREFIXES + query)
    assert isinstance(answer, QueryBoolean)
    return bool(answer)


def normalize(store: Store) -> None:
    """The Recommendation's normalization algorithm: phase 1, then phase 2."""
    store.update(_text("normalize-1.ru"))
    store.update(_text("normalize-2.ru"))


def violated(store: Store, ic: int) -> list[str]:
    """The queries of constraint ``ic`` (instantiated, for a template) that answer true."""
    queries = _queries(ic)
    if ic in TEMPLATED:
        found = store.query(PREFIXES + _text(f"ic-{ic:02d}-instantiation.rq"))
        assert isinstance(found, QuerySolutions)
        properties = sorted({row["p"].value for row in found if isinstance(row["p"], NamedNode)})
        queries = [q.replace("<$p>", f"<{p}>") for q in queries for p in properties]
    return [q for q in queries if _ask(store, q)]


def _store(*, turtle: str = "", files: Sequence[Path] = ()) -> Store:
    store = Store()
    for path in files:
        store.load(path=path, format=RdfFormat.TURTLE)
    if turtle:
        store.load(TURTLE_PREFIXES + turtle, format=RdfFormat.TURTLE)
    normalize(store)
    return store


def _show(queries: list[str]) -> str:
    return "\n".join(queries)


@pytest.fixture(scope="module")
def knowledge_graph() -> Store:
    """The published knowledge graph (ontology/ + data/) in one default graph, normalized."""
    sources = load_sources(ROOT, base_iri=DEFAULT_BASE_IRI)
    store = Store()
    store.extend(Quad(q.subject, q.predicate, q.object) for folder in KNOWLEDGE_GRAPH for q in sources.graph(folder))
    normalize(store)
    return store


@pytest.mark.parametrize("ic", CONSTRAINTS, ids=lambda n: f"IC-{n}")
def test_knowledge_graph_meets_the_constraint(knowledge_graph: Store, ic: int) -> None:
    found = violated(knowledge_graph, ic)
    assert found == [], f"IC-{ic} is violated (tests/data/datacube/ic-{ic:02d}.rq answers true):\n{_show(found)}"


def test_hierarchy_constraints_are_vacuous_for_our_data(knowledge_graph: Store) -> None:
    """IC-20 and IC-21 check qb:HierarchicalCodeList values; the graph has no such code list.

    Their tests above still instantiate them (and would run them if one were added); this
    test keeps tests/data/datacube/README.md's "vacuous for our data" true.
    """
    assert not _ask(knowledge_graph, "ASK { ?list a qb:HierarchicalCodeList }")
    assert not _ask(knowledge_graph, "ASK { ?list qb:parentChildProperty|qb:hierarchyRoot ?x }")


# A small graph that violates each constraint (read with the ex: prefix and normalized).
DIMENSION = "ex:ds qb:structure [ qb:component [ qb:dimension ex:d ] ] .\n"
VIOLATIONS = {
    "IC-1": "ex:o a qb:Observation .",
    "IC-2": "ex:ds a qb:DataSet .",
    "IC-3": "ex:dsd a qb:DataStructureDefinition ; qb:component [ qb:dimension ex:d ] .",
    "IC-4": "ex:d a qb:DimensionProperty .",
    "IC-5": "ex:d a qb:DimensionProperty ; rdfs:range skos:Concept .",
    "IC-6": "ex:dsd qb:component [ qb:measure ex:m ; qb:componentRequired false ] .",
    "IC-7": "ex:sk a qb:SliceKey .",
    "IC-8": ("ex:dsd a qb:DataStructureDefinition ; qb:sliceKey ex:sk ; qb:component [ qb:dimension ex:d ] .\n"
             "ex:sk a qb:SliceKey ; qb:componentProperty ex:other ."),
    "IC-9": "ex:s a qb:Slice .",
    "IC-10": "ex:s qb:sliceStructure [ qb:componentProperty ex:d ] .",
    "IC-11": DIMENSION + "ex:o qb:dataSet ex:ds .",
    "IC-12": DIMENSION + "ex:o1 qb:dataSet ex:ds ; ex:d ex:v .\nex:o2 qb:dataSet ex:ds ; ex:d ex:v .",
    "IC-13": ("ex:ds qb:structure [ qb:component [ qb:attribute ex:a ; qb:componentRequired true ] ] .\n"
              "ex:o qb:dataSet ex:ds ."),
    "IC-14": "ex:ds qb:structure [ qb:component [ qb:measure ex:m ] ] .\nex:o qb:dataSet ex:ds .",
    "IC-15": ("ex:ds qb:structure [ qb:component [ qb:dimension qb:measureType ] , [ qb:measure ex:m ] ] .\n"
              "ex:o qb:dataSet ex:ds ; qb:measureType ex:m ."),
    "IC-16": ("ex:ds qb:structure [ qb:component [ qb:dimension qb:measureType ] , [ qb:measure ex:m1 ] ,"
              " [ qb:measure ex:m2 ] ] .\n"
              "ex:o qb:dataSet ex:ds ; qb:measureType ex:m1 ; ex:m1 1 ; ex:m2 2 ."),
    "IC-17": ("ex:ds qb:structure [ qb:component [ qb:dimension qb:measureType ] , [ qb:dimension ex:d ] ,"
              " [ qb:measure ex:m1 ] , [ qb:measure ex:m2 ] ] .\n"
              "ex:o1 qb:dataSet ex:ds ; qb:measureType ex:m1 ; ex:d ex:v ; ex:m1 1 ."),
    "IC-18": "ex:ds qb:slice ex:s .\nex:s qb:observation ex:o .",
    "IC-19": (DIMENSION + "ex:d qb:codeList ex:list .\nex:list a skos:ConceptScheme .\n"
              "ex:code a skos:Concept ; skos:inScheme ex:list .\nex:o qb:dataSet ex:ds ; ex:d ex:elsewhere ."),
    "IC-19 (collection)": (DIMENSION + "ex:d qb:codeList ex:list .\nex:list a skos:Collection ; skos:member ex:code .\n"
                           "ex:code a skos:Concept .\nex:o qb:dataSet ex:ds ; ex:d ex:elsewhere ."),
    "IC-20": (DIMENSION + "ex:d qb:codeList ex:h .\n"
              "ex:h a qb:HierarchicalCodeList ; qb:parentChildProperty skos:narrower ; qb:hierarchyRoot ex:root .\n"
              "ex:root skos:narrower ex:child .\nex:o qb:dataSet ex:ds ; ex:d ex:elsewhere ."),
    "IC-21": (DIMENSION + "ex:d qb:codeList ex:h .\n"
              "ex:h a qb:HierarchicalCodeList ; qb:parentChildProperty [ owl:inverseOf skos:broader ] ;"
              " qb:hierarchyRoot ex:root .\n"
              "ex:child skos:broader ex:root .\nex:o qb:dataSet ex:ds ; ex:d ex:elsewhere ."),
}
# The same structures with the violation repaired, for the constraints whose queries aggregate or are templates.
CONFORMING = {
    "IC-12": DIMENSION + "ex:o1 qb:dataSet ex:ds ; ex:d ex:v .\nex:o2 qb:dataSet ex:ds ; ex:d ex:w .",
    "IC-17": VIOLATIONS["IC-17"] + "\nex:o2 qb:dataSet ex:ds ; qb:measureType ex:m2 ; ex:d ex:v ; ex:m2 2 .",
    "IC-19": VIOLATIONS["IC-19"].replace("ex:d ex:elsewhere", "ex:d ex:code"),
    "IC-19 (collection)": VIOLATIONS["IC-19 (collection)"].replace("ex:d ex:elsewhere", "ex:d ex:code"),
    "IC-20": VIOLATIONS["IC-20"].replace("ex:d ex:elsewhere", "ex:d ex:child"),
    "IC-21": VIOLATIONS["IC-21"].replace("ex:d ex:elsewhere", "ex:d ex:child"),
}


def test_ic17_as_written_never_answers_true() -> None:
    """The finding behind :data:`REPAIRED`: on a graph that violates IC-17, only the repaired query sees it."""
    store = _store(turtle=VIOLATIONS["IC-17"])
    (verbatim,) = _verbatim(17)
    old, new = REPAIRED[17]
    assert not _ask(store, verbatim)
    assert _ask(store, verbatim.replace(old, new))


def test_external_restates_only_what_the_sdmx_files_say() -> None:
    """Every triple of ontology/external.ttl is in the official SDMX file of its subject's namespace."""
    vocab = ROOT.parent / "shared" / "vocab"
    files = {"dimension": "sdmx-dimension.ttl", "measure": "sdmx-measure.ttl",
             "attribute": "sdmx-attribute.ttl", "concept": "sdmx-concept.ttl"}
    if not all((vocab / f).is_file() for f in files.values()):
        reason = f"the official SDMX files are not at {vocab} (expected ../shared/vocab next to the repository)"
        missing(reason)
    official = Store()
    for name in files.values():
        official.load(path=vocab / name, format=RdfFormat.TURTLE)
    restated = Store()
    restated.load(path=ROOT / "ontology" / "external.ttl", format=RdfFormat.TURTLE)
    triples = list(restated)
    assert triples
    for t in triples:
        assert isinstance(t.subject, NamedNode) and t.subject.value.startswith(SDMX), t
        assert list(official.quads_for_pattern(t.subject, t.predicate, t.object)), (
            f"ontology/external.ttl says what no official SDMX file says: {t.subject} {t.predicate} {t.object}")


def _ic(case: str) -> int:
    return int(case.removeprefix("IC-").split()[0])


def test_every_constraint_has_a_violating_graph() -> None:
    assert sorted({_ic(case) for case in VIOLATIONS}) == list(CONSTRAINTS)


@pytest.mark.parametrize("case", VIOLATIONS)
def test_the_official_query_detects_a_violation(case: str) -> None:
    assert violated(_store(turtle=VIOLATIONS[case]), _ic(case)), f"{case} does not see:\n{VIOLATIONS[case]}"


@pytest.mark.parametrize("case", CONFORMING)
def test_the_official_query_accepts_a_conforming_graph(case: str) -> None:
    found = violated(_store(turtle=CONFORMING[case]), _ic(case))
    assert found == [], f"{case} flags a conforming graph:\n{CONFORMING[case]}"


def test_every_shape_constraint_has_examples() -> None:
    implemented = {int(m["ic"]) for p in SHAPE_EXAMPLES if (m := SHAPE_EXAMPLE.fullmatch(p.name))}
    assert implemented == {1, 2, 3, 4, 5, 9, 11, 19}


@pytest.mark.parametrize("example", SHAPE_EXAMPLES, ids=lambda p: p.name)
def test_the_official_query_agrees_with_our_shape(example: Path) -> None:
    match = SHAPE_EXAMPLE.fullmatch(example.name)
    assert match
    ic = int(match["ic"])
    found = violated(_store(files=[*sorted((ROOT / "ontology").glob("*.ttl")), example]), ic)
    if match["kind"] == "valid":
        assert found == [], f"the shape accepts {example.name}, but IC-{ic} answers true:\n{_show(found)}"
    else:
        assert found, f"the shape rejects {example.name}, but IC-{ic} answers false"
