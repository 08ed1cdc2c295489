"""VoID statistics of a release's knowledge graph: computed once at build time, read by the descriptions.

:func:`compute` counts the distinct triples of the knowledge graph (the default graph's union of
``data`` + ``ontology``, exactly what ``/dump.nt`` holds, one triple a line) the way the VoID
Interest Group Note (W3C, 2011-03-03) defines each number:

``triples`` (§4.6 ``void:triples``)
    distinct triples.
``entities`` (§4.6 ``void:entities``)
    "the total number of entities that are described in the dataset"; an entity must have an IRI
    matching the dataset's ``void:uriSpace``. Here: distinct IRIs starting with the URI space
    (``<base>id/``) that are the subject of at least one triple (described, not merely mentioned).
    Ontology terms (``<base>ontology#...``) and blank nodes are not entities.
``distinct_subjects`` / ``distinct_objects`` (§4.6)
    distinct subject terms (IRIs and blank nodes) / distinct object terms (IRIs, blank nodes, literals).
``classes`` (§4.6 ``void:classes``)
    distinct objects of ``rdf:type`` triples.
``properties`` (§4.6 ``void:properties``)
    distinct predicates.
class partitions (§4.5 ``void:classPartition``)
    one per class C: the triples describing the instances of C (every triple whose subject has
    ``rdf:type C``): ``triples``, ``distinct_subjects`` (the instances, blank nodes included) and
    ``entities`` (the instances that are entities, as above).
property partitions (§4.5 ``void:propertyPartition``)
    one per predicate P: the triples with predicate P: ``triples``, ``distinct_subjects``,
    ``distinct_objects``.
linksets (§5 ``void:Linkset``)
    one per knowledge graph linked to: the triples whose subject is an IRI under the base and whose
    object is an IRI in one of that knowledge graph's namespaces, with the count per link predicate.
    The knowledge graphs and their namespaces come from the verified rows of ``data/links.csv``
    (the build passes them, see :func:`link_targets`); the build publishes no link without one.
vocabularies (§4.3 ``void:vocabulary``)
    the namespaces of the predicates and classes that are not under the base, by the release's
    prefixes (longest match), else cut after the IRI's last ``#`` or ``/``.

The result is the release file ``statistics.json`` (:data:`FILE_NAME`, deterministic bytes:
sorted keys and lists). Nothing here imports rdflib; the counting is SPARQL in the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, QuerySolutions, Store, Triple

from kgpub.errors import NotFound

if TYPE_CHECKING:
    from kgpub.release.reader import Release
    from kgpub.release.writer import Canonical

FILE_NAME = "statistics.json"
FORMAT = 1  # the layout of statistics.json
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
URI_SPACE_PATH = "id/"  # the URI space of the dataset's entities, relative to the base IRI


@dataclass(frozen=True, kw_only=True)
class ClassPartition:
    cls: str
    triples: int
    distinct_subjects: int  # the instances
    entities: int  # the instances in the URI space


@dataclass(frozen=True, kw_only=True)
class PropertyPartition:
    property: str
    triples: int
    distinct_subjects: int
    distinct_objects: int


@dataclass(frozen=True, kw_only=True)
class Linkset:
    target: str  # the knowledge graph's name (e.g. "Wikidata")
    namespaces: list[str]
    triples: int
    distinct_subjects: int
    distinct_objects: int
    predicates: dict[str, int]  # link predicate -> triples

    @property
    def slug(self) -> str:
        """``Wikidata`` -> ``wikidata``, ``EU Publications Office authority tables`` -> ``eu-publications-...``."""
        return "-".join("".join(c if c.isalnum() else " " for c in self.target.lower()).split())


@dataclass(frozen=True, kw_only=True)
class Statistics:
    """The VoID numbers of one knowledge graph (see the module's definitions)."""

    uri_space: str
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: int
    properties: int
    class_partitions: list[ClassPartition] = field(default_factory=list)
    property_partitions: list[PropertyPartition] = field(default_factory=list)
    linksets: list[Linkset] = field(default_factory=list)
    vocabularies: list[str] = field(default_factory=list)
    examples: dict[str, str] = field(default_factory=dict)  # class -> its first entity (by IRI)

    def to_json(self) -> bytes:
        data: dict[str, Any] = {"format": FORMAT, **asdict(self)}
        data["class_partitions"] = [{("class" if k == "cls" else k): v for k, v in p.items()}
                                    for p in data["class_partitions"]]
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> Statistics:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"statistics format {data.get('format')!r}, not {FORMAT}")
        del data["format"]
        return cls(**{**data,
                      "class_partitions": [ClassPartition(cls=p.pop("class"), **p) for p in data["class_partitions"]],
                      "property_partitions": [PropertyPartition(**p) for p in data["property_partitions"]],
                      "linksets": [Linkset(**s) for s in data["linksets"]]})


def compute(triples: Iterable[Triple], *, base_iri: str, targets: Mapping[str, Sequence[str]] | None = None,
            prefixes: Mapping[str, str] | None = None) -> Statistics:
    """The statistics of ``triples`` (distinct; duplicates are counted once), for a dataset under ``base_iri``:
    :func:`of_store` on a store of them."""
    store = Store()
    store.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    return of_store(store, base_iri=base_iri, targets=targets, prefixes=prefixes)


def of_store(store: Store, *, base_iri: str, targets: Mapping[str, Sequence[str]] | None = None,
             prefixes: Mapping[str, str] | None = None) -> Statistics:
    """The statistics of the knowledge graph in ``store``'s default graph, counted by SPARQL in the store (a
    million triples as Python objects would cost more than the whole build may use).

    ``targets`` maps each knowledge graph linked to (its name) to its namespaces (:func:`link_targets`);
    ``prefixes`` (the release's) name the vocabularies' namespaces."""
    uri_space = base_iri + URI_SPACE_PATH
    entity = f'(isIRI({{x}}) && STRSTARTS(STR({{x}}), {Literal(uri_space)}))'
    (totals,) = _select(store, f"""SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
        (COUNT(DISTINCT ?o) AS ?objects) (COUNT(DISTINCT ?p) AS ?properties)
        (COUNT(DISTINCT IF({entity.format(x="?s")}, ?s, ?none)) AS ?entities) WHERE {{ ?s ?p ?o }}""")
    (typed,) = _select(store, f"SELECT (COUNT(DISTINCT ?c) AS ?classes) WHERE {{ ?s <{RDF_TYPE}> ?c }}")
    members = {r["c"]: r for r in _select(store, f"""SELECT ?c (COUNT(?s) AS ?instances)
        (SUM(IF({entity.format(x="?s")}, 1, 0)) AS ?entities)
        WHERE {{ ?s <{RDF_TYPE}> ?c FILTER(isIRI(?c)) }} GROUP BY ?c""")}
    examples = {r["c"]: r["example"] for r in _select(store, f"""SELECT ?c (MIN(STR(?s)) AS ?example)
        WHERE {{ ?s <{RDF_TYPE}> ?c FILTER(isIRI(?c) && {entity.format(x="?s")}) }} GROUP BY ?c""")}
    described = {r["c"]: r["triples"] for r in _select(store, f"""SELECT ?c (COUNT(*) AS ?triples)
        WHERE {{ ?s <{RDF_TYPE}> ?c FILTER(isIRI(?c)) ?s ?p ?o }} GROUP BY ?c""")}
    class_partitions = [ClassPartition(cls=c, triples=described[c], distinct_subjects=r["instances"],
                                       entities=r["entities"]) for c, r in sorted(members.items())]
    property_partitions = [PropertyPartition(property=r["p"], triples=r["triples"], distinct_subjects=r["subjects"],
                                             distinct_objects=r["objects"])
                           for r in sorted(_select(store, """SELECT ?p (COUNT(*) AS ?triples)
                               (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
                               WHERE { ?s ?p ?o } GROUP BY ?p"""), key=lambda r: r["p"])]
    return Statistics(
        uri_space=uri_space, triples=totals["triples"], entities=totals["entities"],
        distinct_subjects=totals["subjects"], distinct_objects=totals["objects"], classes=typed["classes"],
        properties=totals["properties"], class_partitions=class_partitions, property_partitions=property_partitions,
        linksets=_linksets(store, base_iri, targets or {}),
        vocabularies=_vocabularies(store, base_iri, prefixes or {}),
        examples=dict(sorted(examples.items())))


def _select(store: Store, query: str) -> list[dict[str, Any]]:
    """The solutions of a SELECT on the default graph, as Python values (IRIs and strings as str, counts as int)."""
    solutions = store.query(query)
    assert isinstance(solutions, QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row: dict[str, Any] = {}
        for name in names:
            term = solution[name]
            if isinstance(term, Literal) and term.datatype.value == XSD_INTEGER:
                row[name] = int(term.value)
            else:
                row[name] = term.value if term is not None else None
        rows.append(row)
    return rows


def _linksets(store: Store, base_iri: str, targets: Mapping[str, Sequence[str]]) -> list[Linkset]:
    """One pass for every target: the distinct (predicate, object) pairs whose object is in a target's namespace
    (a few hundred), then the subjects of each pair."""
    everything = sorted({ns for namespaces in targets.values() for ns in namespaces})
    if not everything:
        return []
    in_any = " || ".join(f"STRSTARTS(STR(?o), {Literal(ns)})" for ns in everything)
    pairs = _select(store, f"SELECT DISTINCT ?p ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && ({in_any})) }}")
    found = []
    for name, namespaces in sorted(targets.items()):
        prefixes = tuple(namespaces)
        links: list[tuple[str, str, str]] = []
        for pair in pairs:
            if not pair["o"].startswith(prefixes):
                continue
            for q in store.quads_for_pattern(None, NamedNode(pair["p"]), NamedNode(pair["o"]), DefaultGraph()):
                if isinstance(q.subject, NamedNode) and q.subject.value.startswith(base_iri):
                    links.append((q.subject.value, pair["p"], pair["o"]))
        if not links:
            continue
        predicates: dict[str, int] = defaultdict(int)
        for _, p, _ in links:
            predicates[p] += 1
        found.append(Linkset(target=name, namespaces=sorted(prefixes), triples=len(links),
                             distinct_subjects=len({s for s, _, _ in links}),
                             distinct_objects=len({o for _, _, o in links}),
                             predicates=dict(sorted(predicates.items()))))
    return found


def _vocabularies(store: Store, base_iri: str, prefixes: Mapping[str, str]) -> list[str]:
    known = sorted((ns for ns in prefixes.values() if ns and not ns.startswith(base_iri)), key=len, reverse=True)
    terms = {r["t"] for r in _select(store, f"""SELECT DISTINCT ?t WHERE {{
        {{ ?s ?t ?o }} UNION {{ ?s <{RDF_TYPE}> ?t FILTER(isIRI(?t)) }} }}""")}
    found = set()
    for term in terms:
        if term.startswith(base_iri):
            continue
        namespace = next((ns for ns in known if term.startswith(ns) and term != ns), None)
        if namespace is None:
            cut = max(term.rfind("#"), term.rfind("/"))
            namespace = term[: cut + 1]
        found.add(namespace)
    return sorted(found)


def link_targets(iris: Iterable[str], knowledge_graphs: Mapping[tuple[str, str], str],
                 classify: Callable[[str], str | None]) -> dict[str, tuple[str, ...]]:
    """The knowledge graphs that ``iris`` (the verified target IRIs of the link mapping) belong to, each with
    its namespaces: the IRI's scheme and host, then the knowledge graph's path prefix.

    ``knowledge_graphs`` is the build's table ``(host, path prefix) -> name`` and ``classify`` its function
    naming the knowledge graph of an IRI (``kgpub.build.links``), so the matching rule stays in one place.
    """
    path_prefix = {name: prefix for (_, prefix), name in knowledge_graphs.items()}
    found: dict[str, set[str]] = defaultdict(set)
    for iri in iris:
        name = classify(iri)
        if name is None:
            continue
        scheme, _, rest = iri.partition("://")
        found[name].add(f"{scheme}://{rest.partition('/')[0]}{path_prefix[name]}")
    return {name: tuple(sorted(namespaces)) for name, namespaces in sorted(found.items())}


def renderer(base_iri: str, targets: Mapping[str, Sequence[str]]) -> Callable[[Canonical], bytes]:
    """The release file's renderer (``draft.add_file(FILE_NAME, renderer(...))``): the knowledge graph's statistics."""

    def render(content: Canonical) -> bytes:
        return of_store(content.knowledge_graph_store, base_iri=base_iri, targets=targets,
                        prefixes=content.prefixes).to_json()

    return render


def of_release(release: Release) -> Statistics:
    """The statistics a release was built with (its ``statistics.json``); NotFound for a release without one."""
    path = release.file(FILE_NAME)
    if not path.is_file():
        raise NotFound(f"release {release.version} has no {FILE_NAME}: it was built by an older kgpub; "
                       "rebuild it with `kgpub build`")
    return Statistics.from_json(path.read_text(encoding="utf-8"))
