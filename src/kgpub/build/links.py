"""Links into other knowledge graphs: each one the graph publishes is in the checked mapping.

A *link* is a triple of the published knowledge graph (``data/`` + ``ontology/``) whose
object is an IRI of another knowledge graph:

* an IRI of a knowledge graph the project links to (:data:`KNOWLEDGE_GRAPHS`: Wikidata
  entities, GeoNames features, DBpedia resources, EU Publications Office authority tables),
  whatever the property and whether written with ``http`` or ``https``; or
* the object of an identity or mapping property (:data:`MAPPING_PROPERTIES`: ``owl:sameAs``,
  ``schema:sameAs``, the SKOS mapping properties, ...) that is neither under the project's
  base IRI nor in a reused vocabulary (:data:`REUSED_VOCABULARIES`), so a link to a
  knowledge graph missing from the table above is caught too.

The checked mapping is ``data/links.csv`` (:data:`COLUMNS`), one row per published link:
``local_iri`` (ours), ``relation`` (a prefixed name such as ``owl:sameAs``, or a full IRI),
``target_iri``, ``verified`` (``true``/``false``), ``source`` (where the identifier was
checked and what it says) and ``checked_on`` (``YYYY-MM-DD``). A row whose ``local_iri`` is
:data:`ANY` (``*``) verifies the target for that relation on every resource of ours: for
values from an authority table, such as a currency code on each of many observations, where
what is checked is the target itself, not an identity; identity and mapping links
(:data:`MAPPING_PROPERTIES`) always need a row per resource. :func:`problems` lists every
published link without a row or whose row is not verified, and every malformed row; the
build publishes nothing while there is one.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, QuerySolutions

from kgpub.build.sources import KNOWLEDGE_GRAPH, Sources

MAPPING = Path("data") / "links.csv"  # inside the project folder
COLUMNS = ("local_iri", "relation", "target_iri", "verified", "source", "checked_on")
ANY = "*"  # local_iri of a row that verifies a value link for every resource of ours

OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"

# (host, path prefix) of the knowledge graphs the project links to; a host matches its
# subdomains too (www.wikidata.org, ko.dbpedia.org), the scheme is ignored.
KNOWLEDGE_GRAPHS: dict[tuple[str, str], str] = {
    ("wikidata.org", "/entity/"): "Wikidata",
    ("sws.geonames.org", "/"): "GeoNames",
    ("dbpedia.org", "/resource/"): "DBpedia",
    ("publications.europa.eu", "/resource/authority/"): "EU Publications Office authority tables",
}

MAPPING_PROPERTIES = frozenset({
    OWL + "sameAs", OWL + "equivalentClass", OWL + "equivalentProperty", SCHEMA + "sameAs",
    *(SKOS + p for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")),
})

REUSED_VOCABULARIES = (  # the namespaces of shared/design/MODELLING.md, and RDF's own
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#", OWL,
    "http://www.w3.org/2001/XMLSchema#", "http://www.w3.org/ns/shacl#", SKOS, SCHEMA,
    "http://purl.org/linked-data/cube#", "http://purl.org/linked-data/sdmx/2009/", "http://www.w3.org/ns/prov#",
    "http://www.w3.org/ns/org#", "http://www.w3.org/ns/dcat#", "http://rdfs.org/ns/void#",
    "http://purl.org/dc/terms/", "http://purl.org/vocab/vann/", "http://qudt.org/vocab/unit/",
)

PREFIXES = {  # for the relation column and for messages; the project's own prefixes come first
    "owl": OWL, "skos": SKOS, "schema": SCHEMA, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcterms": "http://purl.org/dc/terms/", "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
}


@dataclass(frozen=True, order=True)
class Link:
    """One published link: our resource, the property, the other knowledge graph's IRI."""

    local: str
    relation: str
    target: str


@dataclass(frozen=True)
class Row:
    """One row of the mapping (``line`` is its line in the file, the header being line 1)."""

    line: int
    link: Link
    verified: bool


def knowledge_graph(iri: str) -> str | None:
    """The knowledge graph ``iri`` belongs to (see :data:`KNOWLEDGE_GRAPHS`), or None."""
    scheme, sep, rest = iri.partition("://")
    if not sep or scheme not in ("http", "https"):
        return None
    host, slash, path = rest.partition("/")
    for (kg_host, prefix), name in KNOWLEDGE_GRAPHS.items():
        if (host == kg_host or host.endswith("." + kg_host)) and (slash + path).startswith(prefix):
            return name
    return None


def is_link(predicate: str, target: str, *, base_iri: str) -> bool:
    """Whether a triple with this predicate and this (IRI) object links into another knowledge graph."""
    if knowledge_graph(target) is not None:
        return True
    return (predicate in MAPPING_PROPERTIES and not target.startswith(base_iri)
            and not target.startswith(REUSED_VOCABULARIES))


def published_links(triples: Iterable[tuple[object, object, object]], *, base_iri: str) -> set[Link]:
    """The links among ``triples`` (pyoxigraph terms): their object is another knowledge graph's IRI."""
    return {Link(s.value, p.value, o.value) for s, p, o in triples
            if isinstance(s, NamedNode) and isinstance(p, NamedNode) and isinstance(o, NamedNode)
            and is_link(p.value, o.value, base_iri=base_iri)}


def read_mapping(path: Path, *, base_iri: str, prefixes: dict[str, str] | None = None,
                 name: str | None = None) -> tuple[list[Row], list[str]]:
    """The rows of the mapping at ``path`` and the problems of the file itself (none when it is absent)."""
    name = name or path.as_posix()
    known = {**PREFIXES, **(prefixes or {})}
    if not path.is_file():
        return [], []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            return [], [f"{name}:1: the columns must be {','.join(COLUMNS)}, not {','.join(reader.fieldnames or ())}"]
        rows: list[Row] = []
        found: list[str] = []
        seen: dict[Link, int] = {}
        for record in reader:
            line = reader.line_num
            cells = {k: (record.get(k) or "").strip() for k in COLUMNS}
            problems_here = _row_problems(cells, base_iri=base_iri)
            relation = _expand(cells["relation"], known)
            if relation is None:
                problems_here.append(f"relation {cells['relation']!r} is neither a full IRI nor a prefixed name "
                                     f"with a known prefix ({', '.join(sorted(known))})")
            elif cells["local_iri"] == ANY and relation in MAPPING_PROPERTIES:
                problems_here.append(f"local_iri * is for value links; {cells['relation']} is an identity or "
                                     "mapping link: give one row per resource")
            if problems_here:
                found += [f"{name}:{line}: {p}" for p in problems_here]
                continue
            link = Link(cells["local_iri"], str(relation), cells["target_iri"])
            if link in seen:
                found.append(f"{name}:{line}: the same link as line {seen[link]}")
                continue
            seen[link] = line
            rows.append(Row(line=line, link=link, verified=cells["verified"] == "true"))
    return rows, found


def _candidates(sources: Sources) -> Iterator[tuple[object, object, object]]:
    """The knowledge graph's triples that may be links: an IRI object outside the base. Found by SPARQL in the
    sources' store, first as distinct (predicate, object) pairs (a few hundred, whatever the size), then the
    subjects of the pairs that are links; a million quads are never walked in Python."""
    graphs: list[NamedNode | BlankNode | DefaultGraph] = [sources.graph_names[f] for f in KNOWLEDGE_GRAPH]
    base = Literal(sources.base_iri)  # its N-Triples form is a SPARQL string literal, escaped
    pairs = sources.store.query(f"SELECT DISTINCT ?p ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && "
                                f"!STRSTARTS(STR(?o), {base})) }}", default_graph=graphs)
    assert isinstance(pairs, QuerySolutions)
    for pair in list(pairs):
        p, o = pair["p"], pair["o"]
        if isinstance(p, NamedNode) and isinstance(o, NamedNode) and is_link(p.value, o.value,
                                                                              base_iri=sources.base_iri):
            subjects = {q.subject for g in graphs for q in sources.store.quads_for_pattern(None, p, o, g)}
            yield from ((s, p, o) for s in subjects)


def problems(sources: Sources) -> list[str]:
    """Why the sources' links into other knowledge graphs may not be published (empty: they may)."""
    name = MAPPING.as_posix()
    prefixes = {**PREFIXES, **sources.prefixes}
    rows, found = read_mapping(sources.project / MAPPING, base_iri=sources.base_iri, prefixes=prefixes, name=name)
    triples = _candidates(sources)
    by_link = {row.link: row for row in rows}
    by_pair = {(row.link.local, row.link.target): row for row in rows}
    for link in sorted(published_links(triples, base_iri=sources.base_iri)):
        shown = f"<{link.local}> {_compact(link.relation, prefixes)} <{link.target}>"
        row = by_link.get(link) or by_link.get(Link(ANY, link.relation, link.target))
        other = by_pair.get((link.local, link.target))
        if row is None and other is not None:
            found.append(f"{name}:{other.line}: {shown} is published, but this row gives the relation "
                         f"{_compact(other.link.relation, prefixes)}")
        elif row is None:
            found.append(f"{shown} is published but has no row in {name}")
        elif not row.verified:
            found.append(f"{name}:{row.line}: {shown} is published but not verified (verified=false)")
    return found


def _row_problems(cells: dict[str, str], *, base_iri: str) -> list[str]:
    found = []
    if not cells["local_iri"].startswith(("http://", "https://")) and cells["local_iri"] != ANY:
        found.append(f"local_iri {cells['local_iri']!r} is not an http(s) IRI or *")
    if not cells["target_iri"].startswith(("http://", "https://")):
        found.append(f"target_iri {cells['target_iri']!r} is not an http(s) IRI")
    if cells["local_iri"].startswith(("http://", "https://")) and not cells["local_iri"].startswith(base_iri):
        found.append(f"local_iri {cells['local_iri']!r} is not under the project's base IRI {base_iri}")
    if cells["verified"] not in ("true", "false"):
        found.append(f"verified must be 'true' or 'false', not {cells['verified']!r}")
    elif cells["verified"] == "true":
        if not cells["source"]:
            found.append("verified=true needs a source (where the identifier was checked and what it says)")
        try:
            datetime.date.fromisoformat(cells["checked_on"])
        except ValueError:
            found.append(f"verified=true needs checked_on, the date of the check (YYYY-MM-DD), "
                         f"not {cells['checked_on']!r}")
    return found


def _expand(relation: str, prefixes: dict[str, str]) -> str | None:
    if relation.startswith(("http://", "https://")):
        return relation
    prefix, sep, local = relation.partition(":")
    if not sep or not local or prefix not in prefixes:
        return None
    return prefixes[prefix] + local


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    best = max(((p, ns) for p, ns in prefixes.items() if iri.startswith(ns) and iri != ns),
               key=lambda item: len(item[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else f"<{iri}>"
