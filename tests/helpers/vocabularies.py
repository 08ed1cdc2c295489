"""The official files of the reused vocabularies, indexed once, and the checks of the terms the graph uses.

The files are read in place from ``../shared/vocab/`` (a sibling of the repository, see its
README), never copied or fetched. :func:`require_vocabularies` skips when they are missing,
except under ``CI=true``, where a missing file is a failure: CI must never pass without them.
They are parsed with pyoxigraph and indexed once per test session (:func:`load_vocabularies`
is cached).

Rules applied
=============

Which IRIs are checked (:func:`term_problems`)
    Every IRI of a triple -- subject, predicate, object -- and every literal's datatype. In the
    shapes also the IRIs inside SHACL-SPARQL text (``sh:select``/``sh:ask``/``sh:construct``/
    ``sh:update``), written in full or as a prefixed name whose prefix the query declares
    (``sh:prefixes`` -> ``sh:declare``, or a ``PREFIX`` line). Each IRI falls under the longest
    matching namespace of one of these kinds, in this order:

    1. the project's own namespaces (``own``: the base IRI, and in the service description the
       endpoint's address): not checked here (the ontology shapes check kjt: terms);
    2. a namespace with an official file (:data:`VOCABULARY_FILES`): the term must be declared
       there -- the subject of at least one triple of the file -- and must not be deprecated
       (see :data:`DEPRECATION`);
    3. a namespace without a file (:data:`ALLOWED`: SKOS, DCMI terms, VoID, FOAF, VANN, rdf,
       rdfs, owl, xsd, SPARQL Service Description, W3C formats and entailment regimes, the EU
       currency table): the term must be in that namespace's reviewed allow-list (the terms the
       project uses, each checked by hand against the specification named beside it), so
       ``skos:preflabel`` or ``dcterms:licence`` fail;
    4. entities and documents that are not vocabulary terms: IRIs under
       :data:`NOT_VOCABULARIES` (Wikidata entities, licence documents), and the object of a
       link property (:data:`LINK_PROPERTIES`: ``owl:sameAs``, ``rdfs:seeAlso``,
       ``dcterms:license``, ``foaf:homepage``, ``schema:url``, ``schema:sameAs``) when it is in
       none of the namespaces above (a link into a vocabulary's namespace is still checked);
    5. anything else fails: a namespace that has neither a file nor an allow-list.

Restatements (:func:`restatement_problems`)
    A triple of the knowledge graph whose subject is a term of a namespace with a file (e.g.
    ``sdmx-dimension:refArea a qb:DimensionProperty`` in ``ontology/external.ttl``) must be a
    triple of that file: the graph may repeat what a vocabulary says, never add to it.

Deprecated terms (:data:`DEPRECATION`)
    A term is deprecated when its file says so with one of the markers below. Checked in the
    files, they are used as follows: schema.org 30.0 marks retired terms with
    ``schema:supersededBy`` (92 terms) and by putting them in the attic (``schema:isPartOf
    <http://attic.schema.org>``, 16 terms); the QUDT units file with ``qudt:deprecated true``
    (85 units, each with a ``qudt:deprecatedInVersion``) and ``dcterms:isReplacedBy`` (75).
    ``owl:deprecated``, ``owl:DeprecatedClass``/``Property`` and ``vs:term_status "archaic"``
    are looked for in every file but used in none of these releases (DCAT 3 mentions
    ``dcterms:isReplacedBy`` only inside prose; PROV-O, ORG, Data Cube, SDMX and SHACL
    deprecate nothing). Pending schema.org terms are not deprecated.

schema.org domains and ranges (:func:`schema_problems`)
    For every triple ``(s, p, o)`` of the knowledge graph whose ``p`` is a schema.org property
    (or a property of our ontology that is an ``rdfs:subPropertyOf``, transitively, of one --
    then checked as that property):

    * Classes: a node's classes are the objects of its ``rdf:type`` triples in the graph and,
      transitively, their ``rdfs:subClassOf`` superclasses in schema.org and in our ontology
      (e.g. ``kjt:DiplomaticNormalization`` ⊑ ``schema:Event`` ⊑ ``schema:Thing``). No other
      inference (no ``owl:equivalentClass``, no domain/range inference from other vocabularies).
    * Domain: ``s`` must have a class among ``p``'s ``schema:domainIncludes``. An untyped ``s``
      fails. A property without ``domainIncludes`` has no domain to check.
    * Range, literal ``o``: its datatype must fit a data type among ``p``'s
      ``schema:rangeIncludes``, by :data:`LITERAL_FITS` plus the data types' own subclassing
      (``schema:Integer`` ⊑ ``schema:Number``, ``schema:URL`` ⊑ ``schema:Text``):
      ``xsd:string``/``rdf:langString`` -> Text; ``xsd:anyURI`` -> URL;
      ``xsd:date``/``gYear``/``gYearMonth`` -> Date (ISO 8601 reduced precision);
      ``xsd:dateTime`` -> DateTime; ``xsd:time`` -> Time; ``xsd:boolean`` -> Boolean;
      ``xsd:integer`` and its derived types -> Integer; ``xsd:decimal`` -> Number;
      ``xsd:double``/``float`` -> Float. Stricter than schema.org's own data model on purpose:
      schema.org lets consumers accept text where an entity is expected, this graph does not
      (a literal for a range of only classes fails), and a web address is an IRI, not a string
      (an ``xsd:string`` for a URL-only range fails).
    * Range, IRI or blank node ``o`` typed in the graph: it must have a class among the
      ``rangeIncludes``: what the graph says the node is must fit, even when ``schema:URL`` is
      in the range.
    * Range, IRI ``o`` with no type in the graph (an external page or entity): allowed only
      when ``schema:URL`` is among the ``rangeIncludes`` (the IRI is then the link that
      schema.org expects). An untyped blank node fails.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from helpers.projects import ROOT
from helpers.requirements import missing

VOCAB = ROOT.parent / "shared" / "vocab"
MISSING = f"vocabulary files not found at {VOCAB} (expected ../shared/vocab next to the repository)"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
ENTAILMENT = "http://www.w3.org/ns/entailment/"
SCHEMA = "http://schema.org/"
SH = "http://www.w3.org/ns/shacl#"
QUDT = "http://qudt.org/schema/qudt/"
VS = "http://www.w3.org/2003/06/sw-vocab-status/ns#"
EU_CURRENCY = "http://publications.europa.eu/resource/authority/currency/"

RDF_TYPE = RDF + "type"
SUBCLASS_OF = RDFS + "subClassOf"
SUBPROPERTY_OF = RDFS + "subPropertyOf"

VOCABULARY_FILES: dict[str, str] = {  # namespace -> its official file in ../shared/vocab
    "http://purl.org/linked-data/cube#": "cube.ttl",
    "http://purl.org/linked-data/sdmx/2009/dimension#": "sdmx-dimension.ttl",
    "http://purl.org/linked-data/sdmx/2009/measure#": "sdmx-measure.ttl",
    "http://purl.org/linked-data/sdmx/2009/attribute#": "sdmx-attribute.ttl",
    "http://purl.org/linked-data/sdmx/2009/concept#": "sdmx-concept.ttl",
    "http://purl.org/linked-data/sdmx/2009/code#": "sdmx-code.ttl",
    "http://www.w3.org/ns/prov#": "prov-o.ttl",
    "http://www.w3.org/ns/org#": "org.ttl",
    "http://www.w3.org/ns/dcat#": "dcat3.ttl",
    SH: "shacl.ttl",
    SCHEMA: "schemaorg-30.0-all-http.ttl",
    "http://qudt.org/vocab/unit/": "qudt-units-all.ttl",
}
# The DCAT-AP 3.0.1 shapes in ../shared/vocab declare no namespace of their own (they are
# shapes over DCAT and DCMI terms), so they are not a source of terms here.

# Namespaces without an official file: the terms the project uses, each checked by hand
# against the specification's term list named here. Add a term only after checking it there.
ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    RDF: ("RDF 1.1 Schema §5-6, RDF 1.1 Concepts §5 (rdf:langString), rdf:PlainLiteral (W3C Rec 2012)", frozenset({
        "type", "Property", "first", "rest", "nil", "langString", "PlainLiteral"})),
    RDFS: ("RDF Schema 1.1 §2-5", frozenset({
        "label", "comment", "domain", "range", "subClassOf", "subPropertyOf", "isDefinedBy", "seeAlso",
        "Literal", "Resource"})),
    OWL: ("OWL 2 RDF mapping, table of the owl: vocabulary", frozenset({
        "Ontology", "Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "sameAs",
        "inverseOf", "versionIRI", "versionInfo", "priorVersion"})),
    XSD: ("XML Schema 1.1 Part 2, built-in datatypes", frozenset({
        "string", "boolean", "decimal", "integer", "date", "dateTime", "gYear", "gYearMonth", "anyURI"})),
    SKOS: ("SKOS Reference, Appendix A (SKOS vocabulary)", frozenset({
        "Concept", "ConceptScheme", "prefLabel", "altLabel", "definition", "scopeNote", "notation",
        "editorialNote", "closeMatch", "inScheme", "hasTopConcept", "topConceptOf", "related"})),
    DCTERMS: ("DCMI Metadata Terms, section 2 (properties in /terms/)", frozenset({
        "title", "description", "license", "created", "modified", "issued", "date", "subject", "references",
        "isReferencedBy", "creator", "contributor", "publisher"})),
    VANN: ("VANN vocabulary for annotating vocabulary descriptions", frozenset({
        "preferredNamespacePrefix", "preferredNamespaceUri"})),
    VOID: ("VoID vocabulary (W3C Interest Group Note 2011-03-03)", frozenset({"triples"})),
    FOAF: ("FOAF Vocabulary Specification 0.99", frozenset({"Organization", "Group", "name", "homepage"})),
    SD: ("SPARQL 1.1 Service Description §3", frozenset({
        "Service", "endpoint", "supportedLanguage", "SPARQL11Query", "resultFormat", "feature",
        "BasicFederatedQuery", "defaultEntailmentRegime", "defaultDataset", "Dataset", "defaultGraph",
        "namedGraph", "NamedGraph", "name", "graph", "Graph"})),
    FORMATS: ("Unique URIs for File Formats (W3C, ns/formats)", frozenset({
        "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML", "SPARQL_Results_JSON",
        "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV"})),
    ENTAILMENT: ("SPARQL 1.1 Entailment Regimes / SD §3.4 (ns/entailment)", frozenset({"Simple"})),
    EU_CURRENCY: ("the EU Publications Office authority table 'currency' (ISO 4217 codes)", frozenset({"USD"})),
}

NOT_VOCABULARIES: dict[str, str] = {  # namespaces of entities and documents, not of terms
    "http://www.wikidata.org/entity/": "Wikidata entities (every link is checked against data/links.csv by the build)",
    "https://creativecommons.org/licenses/": "licence documents",
}
LINK_PROPERTIES = frozenset({  # their objects are pages or resources, not terms
    OWL + "sameAs", RDFS + "seeAlso", DCTERMS + "license", FOAF + "homepage", SCHEMA + "url", SCHEMA + "sameAs"})

DEPRECATION: dict[str, object] = {  # predicate -> the object that marks deprecation (None: any object)
    OWL + "deprecated": True,
    QUDT + "deprecated": True,
    SCHEMA + "supersededBy": None,
    DCTERMS + "isReplacedBy": None,
    SCHEMA + "isPartOf": "http://attic.schema.org",
    VS + "term_status": "archaic",
}
DEPRECATED_TYPES = frozenset({OWL + "DeprecatedClass", OWL + "DeprecatedProperty"})

SPARQL_PREDICATES = frozenset({SH + "select", SH + "ask", SH + "construct", SH + "update"})

_INTEGERS = ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
             "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
             "unsignedByte")
LITERAL_FITS: dict[str, str] = {  # literal datatype -> the schema.org data type it is a value of
    XSD + "string": SCHEMA + "Text", RDF + "langString": SCHEMA + "Text", XSD + "anyURI": SCHEMA + "URL",
    XSD + "date": SCHEMA + "Date", XSD + "gYear": SCHEMA + "Date", XSD + "gYearMonth": SCHEMA + "Date",
    XSD + "dateTime": SCHEMA + "DateTime", XSD + "dateTimeStamp": SCHEMA + "DateTime",
    XSD + "time": SCHEMA + "Time", XSD + "boolean": SCHEMA + "Boolean",
    XSD + "decimal": SCHEMA + "Number", XSD + "double": SCHEMA + "Float", XSD + "float": SCHEMA + "Float",
    **{XSD + name: SCHEMA + "Integer" for name in _INTEGERS},
}

PREFIXES = {  # for messages only
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS, "vann": VANN,
    "void": VOID, "foaf": FOAF, "sd": SD, "formats": FORMATS, "entailment": ENTAILMENT, "schema": SCHEMA,
    "sh": SH, "qb": "http://purl.org/linked-data/cube#", "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#", "dcat": "http://www.w3.org/ns/dcat#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "sdmx-concept": "http://purl.org/linked-data/sdmx/2009/concept#",
    "sdmx-code": "http://purl.org/linked-data/sdmx/2009/code#", "unit": "http://qudt.org/vocab/unit/",
    "qudt": QUDT, "eu-currency": EU_CURRENCY, "wd": "http://www.wikidata.org/entity/",
    "kjt": "https://w3id.org/kjtrade/ontology#", "kjsh": "https://w3id.org/kjtrade/shapes#",
    "kjd": "https://w3id.org/kjtrade/id/",
}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def short(term: object) -> str:
    """A term as a person reads it in a message: prefixed name, <IRI>, _:b or a short literal."""
    if isinstance(term, NamedNode):
        return next((f"{p}:{term.value[len(ns):]}" for p, ns in _BY_LENGTH if term.value.startswith(ns)),
                    f"<{term.value}>")
    if isinstance(term, BlankNode):
        return "[]"
    if isinstance(term, Literal):
        text = term.value if len(term.value) <= 40 else term.value[:37] + "..."
        if term.language:
            return f'"{text}"@{term.language}'
        return f'"{text}"' if term.datatype.value == XSD + "string" else f'"{text}"^^{short(term.datatype)}'
    return str(term)


def prefix_of(namespace: str) -> str:
    return next((f"{p}:" for p, ns in PREFIXES.items() if ns == namespace), f"<{namespace}>")


def show(triple: Triple) -> str:
    return f"{short(triple.subject)} {short(triple.predicate)} {short(triple.object)}"


# ------------------------------------------------------------------ the vocabulary files


@dataclass(frozen=True)
class SchemaOrg:
    """What the checks need of schema.org: includes and direct superclasses."""

    domain_includes: Mapping[str, frozenset[str]]
    range_includes: Mapping[str, frozenset[str]]
    superclasses: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Vocabularies:
    """The official files indexed: declared terms and deprecated terms per namespace, and schema.org."""

    directory: Path
    declared: Mapping[str, frozenset[str]] = field(repr=False)  # namespace -> terms declared (as subjects)
    deprecated: Mapping[str, str] = field(repr=False)  # term -> why (e.g. "schema:supersededBy schema:x")
    said: frozenset[tuple[str, str, str]] = field(repr=False)  # the files' triples about their own terms
    schema: SchemaOrg = field(repr=False)


def require_vocabularies(directory: Path = VOCAB) -> None:
    """Skip when a vocabulary file is missing; under CI (``CI=true``) fail instead."""
    absent = [name for name in sorted(set(VOCABULARY_FILES.values())) if not (directory / name).is_file()]
    if not absent:
        return
    reason = MISSING if directory == VOCAB else f"vocabulary files not found at {directory}"
    reason += f" ({', '.join(absent)} missing)"
    missing(reason + "; CI must check the reused terms")


def _matches(value: object, marker: object) -> bool:
    if marker is None:
        return True
    if isinstance(value, Literal):
        if marker is True:
            return value.value in ("true", "1")
        return value.value == marker
    return isinstance(value, NamedNode) and value.value == marker


@cache
def load_vocabularies(directory: Path = VOCAB) -> Vocabularies:
    """Parse and index every official file once (skips or fails first if one is missing)."""
    require_vocabularies(directory)
    declared: dict[str, set[str]] = defaultdict(set)
    deprecated: dict[str, list[str]] = defaultdict(list)
    said: set[tuple[str, str, str]] = set()
    domain: dict[str, set[str]] = defaultdict(set)
    range_: dict[str, set[str]] = defaultdict(set)
    supers: dict[str, set[str]] = defaultdict(set)
    for namespace, name in VOCABULARY_FILES.items():
        for t in parse(path=str(directory / name), format=RdfFormat.TURTLE):
            s, p, o = t.subject, t.predicate.value, t.object
            if not isinstance(s, NamedNode):
                continue
            if s.value.startswith(namespace):
                declared[namespace].add(s.value)
                said.add((str(s), str(t.predicate), str(o)))
                marker = DEPRECATION.get(p, False)
                if marker is not False and _matches(o, marker):
                    deprecated[s.value].append(f"{short(t.predicate)} {short(o)}")
                elif p == RDF_TYPE and o.value in DEPRECATED_TYPES:
                    deprecated[s.value].append(f"a {short(o)}")
            if namespace == SCHEMA and isinstance(o, NamedNode):
                if p == SCHEMA + "domainIncludes":
                    domain[s.value].add(o.value)
                elif p == SCHEMA + "rangeIncludes":
                    range_[s.value].add(o.value)
                elif p == SUBCLASS_OF:
                    supers[s.value].add(o.value)
    why = {term: f"{VOCABULARY_FILES[_namespace_of(term, VOCABULARY_FILES) or '']}: {', '.join(sorted(marks))}"
           for term, marks in deprecated.items()}
    return Vocabularies(directory=directory, declared=_freeze(declared), deprecated=why, said=frozenset(said),
                        schema=SchemaOrg(_freeze(domain), _freeze(range_), _freeze(supers)))


def _freeze(sets: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(value) for key, value in sets.items()}


# ------------------------------------------------------------------ what the graph uses


@dataclass(frozen=True)
class Statement:
    """A triple of the published graph and where it comes from (a file, a release graph, ...)."""

    triple: Triple
    where: str


@dataclass(frozen=True)
class Use:
    """One use of a term: where, in which triple (or SPARQL line)."""

    term: str
    where: str
    context: str
    link: bool = False  # the object of a link property

    def __str__(self) -> str:
        return f"{self.where}: {self.context}"


def statements_of_files(paths: Iterable[Path], *, root: Path = ROOT) -> list[Statement]:
    found = []
    for path in paths:
        where = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        found += [Statement(t, where) for t in parse(path=str(path), format=RdfFormat.TURTLE)]
    return found


def statements_of_text(text: str, where: str) -> list[Statement]:
    return [Statement(t, where) for t in parse(text.encode(), format=RdfFormat.TURTLE)]


def _sparql_prefixes(statements: list[Statement]) -> dict[object, dict[str, str]]:
    """Node -> the prefixes it declares with sh:declare (the values of sh:prefixes)."""
    declare: dict[object, list[object]] = defaultdict(list)
    prefix: dict[object, str] = {}
    namespace: dict[object, str] = {}
    for st in statements:
        t = st.triple
        if t.predicate.value == SH + "declare":
            declare[t.subject].append(t.object)
        elif t.predicate.value == SH + "prefix" and isinstance(t.object, Literal):
            prefix[t.subject] = t.object.value
        elif t.predicate.value == SH + "namespace" and isinstance(t.object, Literal | NamedNode):
            namespace[t.subject] = t.object.value
    return {node: {prefix[d]: namespace[d] for d in ds if d in prefix and d in namespace}
            for node, ds in declare.items()}


_PREFIX_LINE = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>", re.IGNORECASE)
_FULL_IRI = re.compile(r"<([^<>\s\"{}|^`\\]+)>")
_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_COMMENT = re.compile(r"#[^\n]*")


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def _sparql_uses(statements: list[Statement]) -> Iterator[Use]:
    """The IRIs written in SHACL-SPARQL text, in full or with a declared prefix (not in strings or comments)."""
    declared = _sparql_prefixes(statements)
    prefixes_of: dict[object, dict[str, str]] = defaultdict(dict)
    for st in statements:
        if st.triple.predicate.value == SH + "prefixes":
            prefixes_of[st.triple.subject].update(declared.get(st.triple.object, {}))
    for st in statements:
        if st.triple.predicate.value not in SPARQL_PREDICATES or not isinstance(st.triple.object, Literal):
            continue
        text = st.triple.object.value
        prefixes = dict(prefixes_of.get(st.triple.subject, {}))
        prefixes.update({p or "": ns for p, ns in _PREFIX_LINE.findall(text)})
        names = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
        prefixed = re.compile(rf"(?<![\w.:?$<-])({names}):([A-Za-z0-9_](?:[\w.-]*[\w-])?)") if names else None
        code = _STRING.sub(_blank, text)  # the same lines and columns, strings blanked
        bare = _COMMENT.sub(_blank, _FULL_IRI.sub(_blank, code))  # ... and IRIs and comments too
        for line, with_iris, without in zip(text.splitlines(), code.splitlines(), bare.splitlines(), strict=True):
            context = f"{short(st.triple.predicate)} ... {line.strip()} ..."
            for iri in _FULL_IRI.findall(with_iris):
                yield Use(iri, st.where, context)
            if prefixed:
                for p, local in prefixed.findall(without):
                    yield Use(prefixes[p] + local, st.where, context)


def uses(statements: list[Statement]) -> list[Use]:
    """Every IRI the statements use: subject, predicate, object, literal datatype, and in SPARQL text."""
    found: list[Use] = []
    for st in statements:
        t = st.triple
        context = show(t)
        for node, link in ((t.subject, False), (t.predicate, False), (t.object, t.predicate.value in LINK_PROPERTIES)):
            if isinstance(node, NamedNode):
                found.append(Use(node.value, st.where, context, link))
        if isinstance(t.object, Literal):
            found.append(Use(t.object.datatype.value, st.where, context + "  (datatype)"))
    found += _sparql_uses(statements)
    return found


def _namespace_of(term: str, namespaces: Iterable[str]) -> str | None:
    return max((ns for ns in namespaces if term.startswith(ns)), key=len, default=None)


def _guess_namespace(term: str) -> str:
    cut = max(term.rfind("#"), term.rfind("/"))
    return term[: cut + 1] if cut >= 0 else term


def term_problem(term: str, vocabularies: Vocabularies, *, link: bool = False,
                 own: Iterable[str] = ()) -> str | None:
    """Why ``term`` may not be used, or None (see the module's rules)."""
    namespace = _namespace_of(term, [*own, *VOCABULARY_FILES, *ALLOWED, *NOT_VOCABULARIES])
    if namespace is None or namespace in own or namespace in NOT_VOCABULARIES:
        if namespace is None and not link:
            hint = f" (schema.org's namespace here is {SCHEMA})" if term.startswith("https://schema.org/") else ""
            return (f"its namespace {_guess_namespace(term)} has no vocabulary file in ../shared/vocab "
                    f"and no reviewed allow-list in tests/helpers/vocabularies.py{hint}")
        return None
    if namespace in VOCABULARY_FILES:
        name = VOCABULARY_FILES[namespace]
        if term not in vocabularies.declared.get(namespace, frozenset()):
            return f"not declared in {name}"
        if term in vocabularies.deprecated:
            return f"deprecated ({vocabularies.deprecated[term]})"
        return None
    spec, terms = ALLOWED[namespace]
    if term[len(namespace):] not in terms:
        return (f"not in the reviewed allow-list of {prefix_of(namespace)} terms "
                f"(check it against {spec}, then add it in tests/helpers/vocabularies.py)")
    return None


def term_problems(found: Iterable[Use], vocabularies: Vocabularies, *, own: Iterable[str] = (),
                  limit: int = 10) -> list[str]:
    """One block per offending term: the term, why, and where it is used (at most ``limit`` uses)."""
    own = tuple(own)
    by_term: dict[str, list[Use]] = defaultdict(list)
    for use in found:
        by_term[use.term].append(use)
    problems = []
    for term, its_uses in sorted(by_term.items(), key=lambda item: (short(NamedNode(item[0])), item[0])):
        relevant = [u for u in its_uses if term_problem(term, vocabularies, link=u.link, own=own)]
        if not relevant:
            continue
        why = term_problem(term, vocabularies, link=relevant[0].link, own=own)
        lines = [f"{short(NamedNode(term))}: {why}; used {len(relevant)} time(s):"]
        unique = list(dict.fromkeys(str(u) for u in relevant))
        lines += [f"    {u}" for u in unique[:limit]]
        if len(unique) > limit:
            lines.append(f"    ... and {len(unique) - limit} more")
        problems.append("\n".join(lines))
    return problems


def restatement_problems(statements: Iterable[Statement], vocabularies: Vocabularies) -> list[str]:
    """Every triple about a reused term (its subject) that the term's own file does not state.

    The graph may restate what a vocabulary says of its terms (``ontology/external.ttl``), never add
    to it. Triples whose object is a blank node are not compared.
    """
    problems = []
    for st in statements:
        t = st.triple
        namespace = _namespace_of(t.subject.value, VOCABULARY_FILES) if isinstance(t.subject, NamedNode) else None
        if namespace is None or isinstance(t.object, BlankNode):
            continue
        if (str(t.subject), str(t.predicate), str(t.object)) not in vocabularies.said:
            problems.append(f"{short(t.subject)}: {VOCABULARY_FILES[namespace]} does not state this\n"
                            f"    {st.where}: {show(t)}")
    return problems


# ------------------------------------------------------------------ schema.org domains and ranges


@dataclass
class _Graph:
    types: dict[object, set[str]] = field(default_factory=lambda: defaultdict(set))
    supers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    superprops: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _closure(start: Iterable[str], parents: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += parents.get(current, ())
    return seen


def _names(terms: Iterable[str]) -> str:
    return ", ".join(sorted(short(NamedNode(t)) for t in terms)) or "none"


def schema_problems(statements: list[Statement], vocabularies: Vocabularies) -> list[str]:
    """Every schema.org property used outside its domainIncludes/rangeIncludes (see the module's rules)."""
    schema = vocabularies.schema
    graph = _Graph()
    for st in statements:
        t = st.triple
        if not isinstance(t.object, NamedNode):
            continue
        if t.predicate.value == RDF_TYPE:
            graph.types[t.subject].add(t.object.value)
        elif t.predicate.value == SUBCLASS_OF and isinstance(t.subject, NamedNode):
            graph.supers[t.subject.value].add(t.object.value)
        elif t.predicate.value == SUBPROPERTY_OF and isinstance(t.subject, NamedNode):
            graph.superprops[t.subject.value].add(t.object.value)
    parents = {c: set(schema.superclasses.get(c, ())) | graph.supers.get(c, set())
               for c in {*schema.superclasses, *graph.supers}}

    def classes(node: object) -> set[str]:
        return _closure(graph.types.get(node, ()), parents)

    problems = []
    for st in statements:
        t = st.triple
        p = t.predicate.value
        if p.startswith(SCHEMA):
            checked = {p}
        else:
            checked = {q for q in _closure(graph.superprops.get(p, ()), graph.superprops) if q.startswith(SCHEMA)}
        for q in sorted(checked):
            if q not in schema.domain_includes and q not in schema.range_includes:
                continue  # not a schema.org property: reported by the term check
            as_ = "" if q == p else f" (as {short(NamedNode(q))})"
            for why in _domain_problem(t, q, schema, classes) + _range_problem(t, q, schema, classes):
                problems.append(f"{short(t.predicate)}{as_}: {why}\n    {st.where}: {show(t)}")
    return problems


def _domain_problem(t: Triple, p: str, schema: SchemaOrg, classes: Callable[[object], set[str]]) -> list[str]:
    domain = schema.domain_includes.get(p)
    if not domain:
        return []
    mine = classes(t.subject)
    if mine & domain:
        return []
    if not mine:
        return [f"the subject {short(t.subject)} has no rdf:type; domainIncludes: {_names(domain)}"]
    return [f"the subject {short(t.subject)} (types {_names(mine)}) is outside domainIncludes: {_names(domain)}"]


def _range_problem(t: Triple, p: str, schema: SchemaOrg, classes: Callable[[object], set[str]]) -> list[str]:
    range_ = schema.range_includes.get(p)
    if not range_:
        return []
    o = t.object
    if isinstance(o, Literal):
        fit = LITERAL_FITS.get(o.datatype.value)
        if fit and _closure([fit], schema.superclasses) & range_:
            return []
        kind = f"a literal typed {short(o.datatype)}"
        return [f"{kind} fits no data type of rangeIncludes: {_names(range_)}"
                + ("" if fit else f" ({short(o.datatype)} maps to no schema.org data type)")]
    mine = classes(o)
    if mine:
        if mine & range_:
            return []
        return [f"the object {short(o)} (types {_names(mine)}) is outside rangeIncludes: {_names(range_)}"]
    if isinstance(o, NamedNode) and SCHEMA + "URL" in range_:
        return []
    return [f"the object {short(o)} has no rdf:type in the graph and rangeIncludes has no schema:URL: {_names(range_)}"]
