"""The shipped labels of reused vocabulary terms cover every such term the real release uses, in en, ko and ja.

``kgpub/resources/vocabulary-labels.ttl`` gives the HTML pages a readable label for each term
of another vocabulary the graph uses; these tests hold it to the built release (its default,
shapes and validation graphs, the other named graphs, and the dataset description computed
from it) and, for English, to the official vocabulary files of ``../shared/vocab``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from importlib.resources import files

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse

from helpers.published import PublishedGraph
from helpers.vocabularies import (
    DCTERMS,
    EU_CURRENCY,
    FOAF,
    OWL,
    RDF,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    SH,
    SKOS,
    VANN,
    VOCAB,
    VOCABULARY_FILES,
    VOID,
    XSD,
    require_vocabularies,
    short,
)
from kgpub.metadata.void import describe
from kgpub.settings import Settings

OWN = "https://w3id.org/kjtrade/"
GRAPHS = (OWN + "graph/shapes", OWN + "graph/validation")  # besides the default graph
LANGUAGES = ("en", "ko", "ja")
LABEL, COMMENT = RDFS + "label", RDFS + "comment"
SPDX = "http://spdx.org/rdf/terms#"
SD = "http://www.w3.org/ns/sparql-service-description#"
LICENCES = "https://creativecommons.org/licenses/"
# The namespaces whose terms the file may label: the vocabularies the graph reuses, and the
# authority resources the pages name (the currency table, the licences).
REUSED = (*VOCABULARY_FILES, RDF, RDFS, OWL, XSD, SKOS, DCTERMS, VANN, VOID, FOAF, SPDX, SD, EU_CURRENCY, LICENCES)


@pytest.fixture(scope="module")
def labels() -> list[Triple]:
    """The triples of the labels file, read from the installed package."""
    text = (files("kgpub.resources") / "vocabulary-labels.ttl").read_bytes()
    return list(parse(text, format=RdfFormat.TURTLE))


def by_language(triples: Iterable[Triple]) -> dict[str, dict[str, list[str]]]:
    """Term -> language -> its rdfs:label texts in that language ('' for a label without one)."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if t.predicate.value == LABEL and isinstance(t.subject, NamedNode) and isinstance(t.object, Literal):
            found[t.subject.value][t.object.language or ""].append(t.object.value)
    return found


def _reused(iri: str) -> bool:
    return any(iri.startswith(ns) and iri != ns for ns in REUSED)


def terms_of(triples: Iterable[Triple | Quad]) -> Iterator[str]:
    """Predicates, rdf:type objects and datatypes; and objects that are terms of a reused namespace."""
    for t in triples:
        yield t.predicate.value
        if isinstance(t.object, Literal):
            yield t.object.datatype.value
        elif isinstance(t.object, NamedNode) and (t.predicate.value == RDF_TYPE or _reused(t.object.value)):
            yield t.object.value


@pytest.fixture(scope="module")
def used(published: PublishedGraph) -> dict[str, str]:
    """Every reused term of the real release -> where it is first found."""
    store = published.store
    named = [g for g in store.named_graphs() if isinstance(g, NamedNode) and g.value not in GRAPHS]
    graphs: list[DefaultGraph | NamedNode] = [DefaultGraph(), *(NamedNode(g) for g in GRAPHS), *named]
    found: dict[str, str] = {}
    for graph in graphs:
        where = "default graph" if isinstance(graph, DefaultGraph) else f"<{graph.value}>"
        for term in terms_of(store.quads_for_pattern(None, None, None, graph)):
            found.setdefault(term, where)
    settings = Settings.load(env={}, project=published.release.path)
    for term in terms_of(describe(published.release, settings, [published.release], store=store)):
        found.setdefault(term, "dataset description")
    return {term: where for term, where in found.items() if not term.startswith((OWN, settings.base_iri))}


def missing(used: dict[str, str], labels: Iterable[Triple]) -> list[str]:
    """One line per used term that lacks exactly one label in each of en, ko, ja."""
    languages = by_language(labels)
    problems = []
    for term, where in sorted(used.items()):
        counts = {lang: len(languages.get(term, {}).get(lang, [])) for lang in LANGUAGES}
        if any(n != 1 for n in counts.values()):
            problems.append(f"{short(NamedNode(term))} (in the {where}): labels per language {counts}")
    return problems


def test_the_release_uses_the_kinds_of_terms_the_pages_show(used: dict[str, str]) -> None:
    """The term list is what it claims: predicates, classes, datatypes, shapes and report terms, units, licence."""
    expected = {DCTERMS + "license", RDF_TYPE, "http://purl.org/linked-data/cube#Observation", XSD + "gYear",
                SH + "path", SH + "resultSeverity", SH + "ValidationReport", "http://qudt.org/vocab/unit/CCY_USD",
                EU_CURRENCY + "USD", LICENCES + "by/4.0/", "http://www.w3.org/ns/prov#Activity", SCHEMA + "Country",
                VOID + "triples"}
    assert expected <= used.keys(), sorted(expected - used.keys())
    assert not [term for term in used if term.startswith(OWN)]


def test_every_reused_term_has_one_label_in_english_korean_and_japanese(
        used: dict[str, str], labels: list[Triple]) -> None:
    problems = missing(used, labels)
    assert not problems, "add these to vocabulary-labels.ttl (scripts/vocabulary-labels.py lists them):\n" + "\n".join(
        problems)


def test_a_term_without_its_korean_label_is_reported(used: dict[str, str], labels: list[Triple]) -> None:
    term = DCTERMS + "license"
    fewer = [t for t in labels if not (t.subject == NamedNode(term) and isinstance(t.object, Literal)
                                       and t.object.language == "ko")]
    assert missing(used, fewer) == ["dcterms:license (in the default graph): labels per language "
                                    "{'en': 1, 'ko': 0, 'ja': 1}"]


def test_the_file_has_only_labels_and_english_comments_of_reused_terms(labels: list[Triple]) -> None:
    problems = []
    comments: dict[str, int] = defaultdict(int)
    for t in labels:
        s, p, o = t.subject, t.predicate.value, t.object
        what = f"{short(s)} {short(t.predicate)} {short(o)}"
        if not isinstance(s, NamedNode) or not _reused(s.value) or s.value.startswith(OWN):
            problems.append(f"not a term of a reused vocabulary: {what}")
        if p not in (LABEL, COMMENT) or not isinstance(o, Literal):
            problems.append(f"neither an rdfs:label nor an rdfs:comment text: {what}")
        elif not o.value.strip() or o.value != o.value.strip():
            problems.append(f"empty or padded text: {what}")
        elif o.language not in (LANGUAGES if p == LABEL else ("en",)):
            problems.append(f"language not en/ko/ja (labels) or en (comments): {what}")
        elif p == COMMENT:
            comments[str(s)] += 1
    problems += [f"{term}: {n} comments" for term, n in comments.items() if n > 1]
    assert not problems, "\n".join(problems)
    assert all(len(texts) == 1 for langs in by_language(labels).values() for texts in langs.values())


def words(label: str) -> str:
    """A label as lower-case words: camelCase split, hyphens as spaces ("datePublished" -> "date published")."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", label).replace("-", " ").replace("_", " ")
    return " ".join(spaced.lower().split())


def test_words_split_camel_case_and_ignore_case_and_hyphens() -> None:
    assert words("datePublished") == words("date published") == "date published"
    assert words("has SubOrganization") == words("has sub-organization")
    assert words("Us Dollar") == words("US dollar") and words("SPARQL constraint") == "sparql constraint"
    assert words("wasDerivedFrom") != words("derived from")


def official_labels(terms: Iterable[str]) -> dict[str, list[str]]:
    """Term -> its English (or untagged) rdfs:labels in its official file, for terms whose namespace has one."""
    require_vocabularies()
    wanted: dict[str, set[str]] = defaultdict(set)
    for term in terms:
        namespace = max((ns for ns in VOCABULARY_FILES if term.startswith(ns)), key=len, default=None)
        if namespace is not None:
            wanted[VOCABULARY_FILES[namespace]].add(term)
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, subjects in wanted.items():
        for t in parse(path=str(VOCAB / name), format=RdfFormat.TURTLE):
            if t.subject.value in subjects and t.predicate.value == LABEL and isinstance(t.object, Literal):
                found[t.subject.value][t.object.language or ""].append(t.object.value)
    return {term: langs.get("en") or langs.get("", []) for term, langs in found.items()}


def test_english_labels_are_the_official_files_labels(labels: list[Triple]) -> None:
    """Case-insensitively, a camelCase name written as words (schema.org, PROV-O, ORG) counting as the same."""
    english = {term: langs["en"][0] for term, langs in by_language(labels).items() if langs.get("en")}
    official = official_labels(english)
    assert {"http://schema.org/datePublished", "http://www.w3.org/ns/shacl#path",
            "http://qudt.org/vocab/unit/PERCENT"} <= official.keys()
    wrong = [f"{short(NamedNode(term))}: {english[term]!r}, the file says {texts}"
             for term, texts in sorted(official.items()) if words(english[term]) not in {words(t) for t in texts}]
    assert not wrong, "\n".join(wrong)
