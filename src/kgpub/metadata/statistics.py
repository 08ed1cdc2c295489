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
sorted keys and lists). Nothing here imports rdflib; counting is linear in the triples.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode, Triple

from kgpub.errors import NotFound

if TYPE_CHECKING:
    from kgpub.release.reader import Release
    from kgpub.release.writer import Canonical

FILE_NAME = "statistics.json"
FORMAT = 1  # the layout of statistics.json
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
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
    """The statistics of ``triples`` (distinct; duplicates are counted once), for a dataset under ``base_iri``.

    ``targets`` maps each knowledge graph linked to (its name) to its namespaces (:func:`link_targets`);
    ``prefixes`` (the release's) name the vocabularies' namespaces."""
    uri_space = base_iri + URI_SPACE_PATH
    kg = list(dict.fromkeys(triples))
    subjects: set[object] = set()
    objects: set[object] = set()
    instances: dict[str, set[object]] = defaultdict(set)
    out_degree: dict[object, int] = defaultdict(int)
    by_property: dict[str, tuple[list[int], set[object], set[object]]] = {}
    for t in kg:
        subjects.add(t.subject)
        objects.add(t.object)
        out_degree[t.subject] += 1
        count, subs, objs = by_property.setdefault(t.predicate.value, ([0], set(), set()))
        count[0] += 1
        subs.add(t.subject)
        objs.add(t.object)
        if t.predicate.value == RDF_TYPE and isinstance(t.object, NamedNode):
            instances[t.object.value].add(t.subject)

    def entity(term: object) -> bool:
        return isinstance(term, NamedNode) and term.value.startswith(uri_space)

    classes = {t.object for t in kg if t.predicate.value == RDF_TYPE}
    class_partitions = [
        ClassPartition(cls=c, triples=sum(out_degree[s] for s in members), distinct_subjects=len(members),
                       entities=sum(1 for s in members if entity(s)))
        for c, members in sorted(instances.items())]
    property_partitions = [
        PropertyPartition(property=p, triples=count[0], distinct_subjects=len(subs), distinct_objects=len(objs))
        for p, (count, subs, objs) in sorted(by_property.items())]
    examples = {c: min(s.value for s in members if isinstance(s, NamedNode) and entity(s))
                for c, members in sorted(instances.items()) if any(entity(s) for s in members)}
    return Statistics(
        uri_space=uri_space, triples=len(kg), entities=sum(1 for s in subjects if entity(s)),
        distinct_subjects=len(subjects), distinct_objects=len(objects), classes=len(classes),
        properties=len(by_property), class_partitions=class_partitions, property_partitions=property_partitions,
        linksets=_linksets(kg, base_iri, targets or {}),
        vocabularies=_vocabularies(kg, base_iri, prefixes or {}), examples=examples)


def _linksets(kg: list[Triple], base_iri: str, targets: Mapping[str, Sequence[str]]) -> list[Linkset]:
    found = []
    for name, namespaces in sorted(targets.items()):
        prefixes = tuple(namespaces)
        links = [t for t in kg if isinstance(t.subject, NamedNode) and t.subject.value.startswith(base_iri)
                 and isinstance(t.object, NamedNode) and t.object.value.startswith(prefixes)]
        if not links:
            continue
        predicates: dict[str, int] = defaultdict(int)
        for t in links:
            predicates[t.predicate.value] += 1
        found.append(Linkset(target=name, namespaces=sorted(prefixes), triples=len(links),
                             distinct_subjects=len({t.subject for t in links}),
                             distinct_objects=len({t.object for t in links}),
                             predicates=dict(sorted(predicates.items()))))
    return found


def _vocabularies(kg: list[Triple], base_iri: str, prefixes: Mapping[str, str]) -> list[str]:
    known = sorted((ns for ns in prefixes.values() if ns and not ns.startswith(base_iri)), key=len, reverse=True)
    terms = {t.predicate.value for t in kg} | {t.object.value for t in kg
                                                if t.predicate.value == RDF_TYPE and isinstance(t.object, NamedNode)}
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
        return compute(content.knowledge_graph, base_iri=base_iri, targets=targets, prefixes=content.prefixes).to_json()

    return render


def of_release(release: Release) -> Statistics:
    """The statistics a release was built with (its ``statistics.json``); NotFound for a release without one."""
    path = release.file(FILE_NAME)
    if not path.is_file():
        raise NotFound(f"release {release.version} has no {FILE_NAME}: it was built by an older kgpub; "
                       "rebuild it with `kgpub build`")
    return Statistics.from_json(path.read_text(encoding="utf-8"))
