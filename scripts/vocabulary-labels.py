#!/usr/bin/env python3
"""List the reused vocabulary terms a built release uses that the shipped labels file does not label.

The HTML pages show readable labels of the terms the knowledge graph borrows from other
vocabularies (``dcterms:license``, ``qb:Observation``, ``sh:path``...) from
``src/kgpub/resources/vocabulary-labels.ttl``, without fetching anything. This maintenance
script keeps that file complete::

    .venv/bin/python scripts/vocabulary-labels.py --release /tmp/rel/current [--check] [--all]

It prints every reused term of the release that lacks an ``rdfs:label`` in English, Korean or
Japanese, with the English label and comment of the term's official vocabulary file when
there is one (``../shared/vocab/``, next to the repository), ready to copy. With ``--check``
it exits 1 when a term is missing; with ``--all`` it prints every used term, labelled or not.

The terms used (:func:`used_terms`): in every graph of the release's store, and in the
dataset description the server computes from it, every predicate, every IRI object of
``rdf:type`` and every literal's datatype; and every IRI object in a reused vocabulary's
namespace (:data:`VOCABULARIES`: the objects of ``rdfs:range``, ``sh:path``, ``sdmx-attribute:unitMeasure``...)
or one of the named authority resources (:data:`ENTITIES`: the EU currency table, Creative
Commons licences). The project's own namespace is left out: its terms have their labels in
the graph.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "src" / "kgpub" / "resources" / "vocabulary-labels.ttl"
VOCAB = ROOT.parent / "shared" / "vocab"
OWN = "https://w3id.org/kjtrade/"
LANGUAGES = ("en", "ko", "ja")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
QUDT = "http://qudt.org/schema/qudt/"

VOCABULARIES: dict[str, str] = {  # prefix -> namespace of a reused vocabulary
    "rdf": RDF, "rdfs": RDFS, "owl": "http://www.w3.org/2002/07/owl#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": SKOS, "dcterms": DCTERMS, "vann": "http://purl.org/vocab/vann/", "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/", "schema": "http://schema.org/", "sh": "http://www.w3.org/ns/shacl#",
    "qb": "http://purl.org/linked-data/cube#", "prov": "http://www.w3.org/ns/prov#", "org": "http://www.w3.org/ns/org#",
    "dcat": "http://www.w3.org/ns/dcat#", "spdx": "http://spdx.org/rdf/terms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "sdmx-concept": "http://purl.org/linked-data/sdmx/2009/concept#",
    "sdmx-code": "http://purl.org/linked-data/sdmx/2009/code#",
    "unit": "http://qudt.org/vocab/unit/",
}
ENTITIES: dict[str, str] = {  # prefix -> namespace of authority resources the pages name
    "eu-currency": "http://publications.europa.eu/resource/authority/currency/",
    "cc": "https://creativecommons.org/licenses/",
}
FILES: dict[str, str] = {  # namespace -> its official file in ../shared/vocab (see its README)
    VOCABULARIES["qb"]: "cube.ttl",
    VOCABULARIES["sdmx-dimension"]: "sdmx-dimension.ttl",
    VOCABULARIES["sdmx-measure"]: "sdmx-measure.ttl",
    VOCABULARIES["sdmx-attribute"]: "sdmx-attribute.ttl",
    VOCABULARIES["sdmx-concept"]: "sdmx-concept.ttl",
    VOCABULARIES["sdmx-code"]: "sdmx-code.ttl",
    VOCABULARIES["prov"]: "prov-o.ttl",
    VOCABULARIES["org"]: "org.ttl",
    VOCABULARIES["dcat"]: "dcat3.ttl",
    VOCABULARIES["sh"]: "shacl.ttl",
    VOCABULARIES["schema"]: "schemaorg-30.0-all-http.ttl",
    VOCABULARIES["unit"]: "qudt-units-all.ttl",
}
# A term's definition: the first of these its file gives (DCAT 3 defines with skos:definition,
# PROV-O with prov:definition, where its rdfs:comment is often a usage note; QUDT with
# qudt:plainTextDescription or dcterms:description).
COMMENTS = (SKOS + "definition", VOCABULARIES["prov"] + "definition", RDFS + "comment",
            QUDT + "plainTextDescription", DCTERMS + "description")
_BY_LENGTH = sorted({**VOCABULARIES, **ENTITIES}.items(), key=lambda item: -len(item[1]))


def short(iri: str) -> str:
    """A term as a prefixed name (``dcterms:license``), else ``<iri>``."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def _named(iri: str) -> bool:
    """Whether an object IRI is a term of a reused vocabulary or a named authority resource (not a namespace)."""
    return any(iri.startswith(ns) and iri != ns for ns in (*VOCABULARIES.values(), *ENTITIES.values()))


def terms_of(triples: Iterable[Triple | Quad]) -> Iterator[str]:
    """Predicates, rdf:type objects, datatypes and vocabulary objects of ``triples`` (own terms included)."""
    for t in triples:
        yield t.predicate.value
        o = t.object
        if isinstance(o, Literal):
            yield o.datatype.value
        elif isinstance(o, NamedNode) and (t.predicate.value == RDF + "type" or _named(o.value)):
            yield o.value


def used_terms(release_dir: Path) -> set[str]:
    """Every reused term of the release at ``release_dir``: its store's graphs and its dataset description."""
    from kgpub.metadata.void import describe
    from kgpub.release.reader import open_release
    from kgpub.settings import Settings

    release = open_release(release_dir)
    store = release.open_store()
    found = set(terms_of(store.quads_for_pattern(None, None, None, DefaultGraph())))
    for graph in store.named_graphs():
        found.update(terms_of(store.quads_for_pattern(None, None, None, graph)))
    settings = Settings.load(env={}, project=release.path)
    found.update(terms_of(describe(release, settings, [release], store=store)))
    return {iri for iri in found if not iri.startswith((OWN, settings.base_iri))}


def labelled(path: Path = LABELS) -> dict[str, set[str]]:
    """Term -> the languages the labels file gives it an rdfs:label in."""
    languages: dict[str, set[str]] = {}
    for t in parse(path=str(path), format=RdfFormat.TURTLE):
        if t.predicate.value == RDFS + "label" and isinstance(t.object, Literal) and t.object.language:
            languages.setdefault(t.subject.value, set()).add(t.object.language)
    return languages


@dataclass(frozen=True)
class Official:
    """What a term's official vocabulary file says of it in English."""

    label: str | None
    comment: str | None


def _english(values: list[Literal]) -> str | None:
    """The English value among ``values`` (else one without a language), whitespace collapsed."""
    ranked = sorted(values, key=lambda v: (v.language != "en", bool(v.language), v.value))
    return " ".join(ranked[0].value.split()) if ranked and ranked[0].language in ("en", None) else None


def official(terms: Iterable[str], directory: Path = VOCAB) -> dict[str, Official]:
    """The official English label and comment of each of ``terms`` that falls under a file of ``directory``."""
    wanted: dict[str, set[str]] = {}
    for term in terms:
        namespace = next((ns for ns in sorted(FILES, key=len, reverse=True) if term.startswith(ns)), None)
        if namespace is not None:
            wanted.setdefault(FILES[namespace], set()).add(term)
    found: dict[str, Official] = {}
    for name, subjects in wanted.items():
        values: dict[tuple[str, str], list[Literal]] = {}
        for t in parse(path=str(directory / name), format=RdfFormat.TURTLE):
            if t.subject.value in subjects and isinstance(t.object, Literal):
                values.setdefault((t.subject.value, t.predicate.value), []).append(t.object)
        for term in subjects:
            comment = next((c for p in COMMENTS if (c := _english(values.get((term, p), [])))), None)
            found[term] = Official(_english(values.get((term, RDFS + "label"), [])), comment)
    return found


def report(used: set[str], languages: Mapping[str, set[str]], said: Mapping[str, Official], *,
           every: bool) -> Iterator[str]:
    """One line per term missing a language (``every``: per used term), with the official English text."""
    for term in sorted(used, key=short):
        missing = [lang for lang in LANGUAGES if lang not in languages.get(term, set())]
        if not missing and not every:
            continue
        line = f"{short(term)}\tmissing: {' '.join(missing) or '-'}"
        text = said.get(term)
        if text is not None:
            line += f'\tofficial: "{text.label}"@en' if text.label else "\tofficial: (no rdfs:label)"
            if text.comment:
                line += f'\tcomment: "{text.comment}"'
        yield line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--release", type=Path, required=True, help="a built release folder (e.g. RELEASES/current)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a used term lacks a label")
    parser.add_argument("--all", action="store_true", help="print every used term, labelled or not")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the labels file (default: the package's)")
    parser.add_argument("--vocab", type=Path, default=VOCAB, help="the official vocabulary files (../shared/vocab)")
    args = parser.parse_args(argv)
    used = used_terms(args.release)
    languages = labelled(args.labels)
    said = official(used, args.vocab) if args.vocab.is_dir() else {}
    lines = list(report(used, languages, said, every=args.all))
    for line in lines:
        print(line)
    missing = [term for term in used if not set(LANGUAGES) <= languages.get(term, set())]
    print(f"{len(used)} reused terms used, {len(missing)} not labelled in {', '.join(LANGUAGES)}", file=sys.stderr)
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
