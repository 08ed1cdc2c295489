"""Generate a synthetic kgpub project of the article graph's shape, scaled to about N triples.

    python bench/generate.py --triples 100000 --out bench/out/p100k

The output folder is a complete kgpub project:

- ``ontology/`` and ``shapes/`` copied unchanged from the real project;
- ``data/`` = the real data files, plus ``data/zz-synthetic.ttl``, which adds entities cloned
  from the real ones (every property the real ones have, same datatypes and language tags):

  * bilateral-trade observations (``qb:Observation`` in ``kjd:dataset/bilateral-trade``): the
    real observations of that data set are the templates (one per indicator); each clone gets
    a new, unique combination of dimension values (indicator x reference area x counterpart
    area x year), a value in the range the shapes allow for its unit, and new labels;
  * countries ``kjd:country/X1`` ... cloned from the real ones, each with its own two-letter
    notation (capped at the 26 x 26 two-letter codes the country shape allows);
  * SKOS concepts, cloned from the real ones in batches (batch k: every real concept once,
    ``kjd:concept/<scheme>/x<k>-<slug>``), each in the real concept scheme of its template and
    listed there as a top concept, as the real ones are; the number of concept schemes stays
    fixed (code lists grow; new code lists are not invented);
  * organizations and people, cloned from the real ones (``kjd:organization/x<k>-<slug>``).

  The extra triples are split between these four kinds in the proportions the kinds have in
  the real data (measured from the real files at every run, so the generator follows the data
  as it changes); the countries' share is capped as said, and whatever is left over goes to
  observations. Other kinds (findings, sources, surveys) are not multiplied.

Output is deterministic for a given seed and source project. It is written as Turtle text by a
streaming writer; a million triples take a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
import string
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, parse

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("ontology", "data", "shapes")
SOURCE_SUFFIXES = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES}
MARKER = "generated.json"
SYNTHETIC_FILE = "zz-synthetic.ttl"

KJD = "https://w3id.org/kjtrade/id/"
KJT = "https://w3id.org/kjtrade/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
QB = "http://purl.org/linked-data/cube#"
OWL = "http://www.w3.org/2002/07/owl#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"
UNIT = "http://qudt.org/vocab/unit/"
WD = "http://www.wikidata.org/entity/"

DATASET = KJD + "dataset/bilateral-trade"
COUNTRY_CLASS = SCHEMA + "Country"
CONCEPT_NS = KJD + "concept/"
CONCEPT_NAMESPACES = (KJD + "scheme/", CONCEPT_NS)  # the SKOS part of the real data (its share)
ORG_NAMESPACES = (KJD + "organization/", KJD + "person/")
ORG_CLASSES = {SCHEMA + "Organization", SCHEMA + "NewsMediaOrganization", ORG + "FormalOrganization",
               ORG + "OrganizationalUnit", SCHEMA + "Person"}
LABEL_PROPERTIES = {RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", SCHEMA + "name",
                    "http://purl.org/dc/terms/title"}
YEARS = range(1960, 2025)  # reference years of synthetic observations (extended if too few)

PREFIXES = {
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "schema": SCHEMA, "org": ORG,
    "qb": QB, "prov": "http://www.w3.org/ns/prov#", "dcterms": "http://purl.org/dc/terms/",
    "sdmx-measure": SDMX_MEASURE, "sdmx-attribute": SDMX_ATTRIBUTE, "unit": UNIT, "wd": WD,
    "kjt": KJT, "country": KJD + "country/", "organization": KJD + "organization/",
    "person": KJD + "person/", "article": KJD + "article/", "report": KJD + "report/",
    "dataset": KJD + "dataset/", "observation": KJD + "observation/", "scheme": KJD + "scheme/",
    "indicator": KJD + "concept/indicator/", "sector": KJD + "concept/sector/",
    "industry": KJD + "concept/industry/", "policy-option": KJD + "concept/policy-option/",
    "trade-pattern": KJD + "concept/trade-pattern/", "goods-type": KJD + "concept/goods-type/",
}
_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))

Term = NamedNode | BlankNode | Literal
PO = list[tuple[str, Term]]  # predicate IRI, object


# ----------------------------------------------------------------------------- Turtle writing

def iri(value: str) -> str:
    for prefix, ns in _BY_LENGTH:
        if value.startswith(ns) and _LOCAL.match(value[len(ns):]):
            return f"{prefix}:{value[len(ns):]}"
    return f"<{value}>"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))


def literal(text: str, *, lang: str | None = None, datatype: str | None = None) -> str:
    out = f'"{_escape(text)}"'
    if lang:
        return f"{out}@{lang}"
    if datatype and datatype != XSD + "string":
        return f"{out}^^{iri(datatype)}"
    return out


def term(node: Term | str) -> str:
    if isinstance(node, str):  # an IRI given as text
        return iri(node)
    if isinstance(node, NamedNode):
        return iri(node.value)
    if isinstance(node, BlankNode):
        return f"_:{node.value}"
    return literal(node.value, lang=node.language, datatype=node.datatype.value)


class TurtleWriter:
    """Writes subject blocks as Turtle text and counts the triples written."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.triples = 0

    def header(self, comment: str) -> None:
        self.out.write("".join(f"# {line}\n" for line in comment.splitlines()))
        self.out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n")

    def subject(self, subject: str, pos: list[tuple[str, str]]) -> None:
        """One block; ``pos`` holds (predicate, object) already rendered as Turtle terms."""
        grouped: dict[str, list[str]] = {}
        for p, o in pos:
            grouped.setdefault(p, []).append(o)
        lines = [f"    {'a' if p == 'rdf:type' else p} {' , '.join(os)}" for p, os in grouped.items()]
        self.out.write(f"{subject}\n" + " ;\n".join(lines) + " .\n\n")
        self.triples += len(pos)


# ----------------------------------------------------------------------------- the real data

@dataclass
class RealData:
    """The real data, indexed by subject, and the templates cloned from it."""

    by_subject: dict[str, PO] = field(default_factory=lambda: defaultdict(list))
    bnodes: dict[str, PO] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    total_triples: int = 0  # ontology + data + shapes, as parsed (what the build loads)
    per_folder: dict[str, int] = field(default_factory=dict)

    def kind_subjects(self, kind: str) -> list[str]:
        if kind == "observation":
            return sorted(s for s in self.by_subject if QB + "Observation" in self.types[s])
        if kind == "country":
            return sorted(s for s in self.by_subject if COUNTRY_CLASS in self.types[s] and s.startswith(KJD))
        if kind == "concept":
            return sorted(s for s in self.by_subject if s.startswith(CONCEPT_NAMESPACES))
        if kind == "organization":
            return sorted(s for s in self.by_subject
                          if s.startswith(ORG_NAMESPACES) and self.types[s] & ORG_CLASSES)
        raise ValueError(kind)

    def triple_count(self, subjects: Iterable[str]) -> int:
        return sum(self._closure_size(s) for s in subjects)

    def _closure_size(self, subject: str, *, blank: bool = False) -> int:
        pos = self.bnodes[subject] if blank else self.by_subject[subject]
        return len(pos) + sum(self._closure_size(o.value, blank=True) for _, o in pos if isinstance(o, BlankNode))


def source_files(project: Path, folder: str) -> list[Path]:
    return sorted(p for p in (project / folder).glob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())


def read_real(project: Path) -> RealData:
    real = RealData()
    for folder in FOLDERS:
        count = 0
        for path in source_files(project, folder):
            for t in parse(path=str(path), format=SOURCE_SUFFIXES[path.suffix]):
                count += 1
                if folder != "data":
                    continue
                s, p, o = t.subject, t.predicate.value, t.object
                target = real.bnodes[s.value] if isinstance(s, BlankNode) else real.by_subject[s.value]
                target.append((p, o))
                if p == RDF_TYPE and isinstance(s, NamedNode) and isinstance(o, NamedNode):
                    real.types[s.value].add(o.value)
        real.per_folder[folder] = count
        real.total_triples += count
    return real


# ----------------------------------------------------------------------------- cloning

class Cloner:
    """Copies a subject's statements (and the blank nodes under it) with IRIs and text rewritten."""

    def __init__(self, real: RealData, writer: TurtleWriter) -> None:
        self.real = real
        self.writer = writer
        self.blank = itertools.count(1)

    def clone(self, subject: str, new_subject: str, *, rename, text, overrides: dict[str, list[str]] | None = None,
              blank: bool = False) -> None:
        """``rename(iri) -> iri``; ``text(predicate, literal) -> Turtle``; ``overrides``: predicate -> objects."""
        overrides = overrides or {}
        pos: list[tuple[str, str]] = []
        source = self.real.bnodes[subject] if blank else self.real.by_subject[subject]
        done: set[str] = set()
        for p, o in source:
            if p in overrides:
                if p not in done:
                    pos.extend((iri(p), v) for v in overrides[p])
                    done.add(p)
                continue
            if isinstance(o, NamedNode):
                pos.append((iri(p), iri(rename(o.value))))
            elif isinstance(o, Literal):
                pos.append((iri(p), text(p, o)))
            else:  # a blank node: clone its statements under a fresh label
                label = f"g{next(self.blank)}"
                self.clone(o.value, f"_:{label}", rename=rename, text=text, blank=True)
                pos.append((iri(p), f"_:{label}"))
        for p, values in overrides.items():
            if p not in done:
                pos.extend((iri(p), v) for v in values)
        self.writer.subject(new_subject if blank else iri(new_subject), pos)


def _suffix_text(suffix: str):
    def text(p: str, o: Literal) -> str:
        if o.language or (p in LABEL_PROPERTIES and o.datatype.value == XSD + "string"):
            return literal(f"{o.value} ({suffix})", lang=o.language, datatype=o.datatype.value)
        if p == SKOS + "notation":
            return literal(f"{o.value}_{suffix.upper().replace('-', '_')}", datatype=o.datatype.value)
        return term(o)
    return text


def _batch_rename(namespaces: tuple[str, ...], k: int):
    """``<ns><a>/<b>`` -> ``<ns><a>/x<k>-<b>``; ``<ns><a>`` -> ``<ns>x<k>-<a>`` for IRIs in ``namespaces``."""
    def rename(value: str) -> str:
        for ns in namespaces:
            if value.startswith(ns):
                head, _, last = value.rpartition("/")
                return f"{head}/x{k}-{last}"
        return value
    return rename


# ----------------------------------------------------------------------------- generation

@dataclass
class Plan:
    requested: int
    real_triples: int
    shares: dict[str, float]
    group_triples: dict[str, int]
    concept_batches: int = 0
    organization_batches: int = 0
    countries: int = 0
    observations: int = 0


LANG_COUNTRY = {"en": "Synthetic country {}", "ko": "가상 국가 {}", "ja": "架空の国 {}"}


def plan(real: RealData, triples: int) -> Plan:
    kinds = ("observation", "country", "concept", "organization")
    groups = {k: real.triple_count(real.kind_subjects(k)) for k in kinds}
    total = sum(groups.values()) or 1
    p = Plan(requested=triples, real_triples=real.total_triples, group_triples=groups,
             shares={k: v / total for k, v in groups.items()})
    extra = triples - real.total_triples
    if extra <= 0:
        return p
    concepts, links = concept_templates(real)
    if concepts:
        batch = real.triple_count(concepts) + sum(len(v) for v in links.values())
        p.concept_batches = round(extra * p.shares["concept"] / batch)
    if groups["organization"]:
        p.organization_batches = round(extra * p.shares["organization"] / groups["organization"])
    countries = real.kind_subjects("country")
    if countries:
        per_country = groups["country"] / len(countries)
        p.countries = min(len(free_codes(real)), round(extra * p.shares["country"] / per_country))
    return p


def concept_templates(real: RealData) -> tuple[list[str], dict[str, list[str]]]:
    """The real concepts, and per real concept scheme the concepts it lists as top concepts."""
    concepts = [s for s in real.kind_subjects("concept") if s.startswith(CONCEPT_NS)]
    links: dict[str, list[str]] = {}
    for s in real.kind_subjects("concept"):
        tops = [o.value for p, o in real.by_subject[s]
                if p == SKOS + "hasTopConcept" and isinstance(o, NamedNode) and o.value in concepts]
        if tops and not s.startswith(CONCEPT_NS):
            links[s] = tops
    return concepts, links


def free_codes(real: RealData) -> list[str]:
    used = {o.value for s in real.kind_subjects("country") for p, o in real.by_subject[s] if p == SKOS + "notation"}
    return [a + b for a, b in itertools.product(string.ascii_uppercase, repeat=2) if a + b not in used]


def _value(unit: str, rng: random.Random, template: Literal) -> str:
    if unit == UNIT + "CCY_USD":
        return str(rng.randrange(10, 1_000_000) * 100_000)
    if unit == UNIT + "UNITLESS":
        return f"0.{rng.randrange(1, 100):02d}"
    if unit == UNIT + "PERCENT":
        return f"{rng.randrange(0, 1000) / 10:.1f}"
    if unit == UNIT + "NUM":
        return str(rng.randrange(1, 10_000))
    return template.value


def generate(source: Path, out: Path, triples: int, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    real = read_real(source)
    p = plan(real, triples)
    rng = random.Random(seed)
    _prepare(source, out)

    handle = (out / "data" / SYNTHETIC_FILE).open("w", encoding="utf-8", buffering=1 << 20)
    writer = TurtleWriter(handle)
    writer.header(f"Synthetic data generated by bench/generate.py (seed {seed}, about {triples} triples in total).\n"
                  "Not facts: benchmark data of the same shape as the real data. Do not publish.")
    cloner = Cloner(real, writer)

    # SKOS concepts, batch by batch, added to the real concept schemes
    concept_subjects, scheme_links = concept_templates(real)
    for k in range(1, p.concept_batches + 1):
        rename, text = _batch_rename((CONCEPT_NS,), k), _suffix_text(f"x{k}")
        for s in concept_subjects:
            cloner.clone(s, rename(s), rename=rename, text=text)
        for scheme, concepts in scheme_links.items():
            writer.subject(iri(scheme), [(iri(SKOS + "hasTopConcept"), iri(rename(c))) for c in concepts])

    # organizations and people
    org_subjects = real.kind_subjects("organization")
    for k in range(1, p.organization_batches + 1):
        rename, text = _batch_rename(ORG_NAMESPACES, k), _suffix_text(f"x{k}")
        for s in org_subjects:
            cloner.clone(s, rename(s), rename=rename, text=text)

    # countries
    templates = real.kind_subjects("country")
    codes = free_codes(real)
    rng.shuffle(codes)
    countries = list(templates)
    for i, code in enumerate(codes[:p.countries], start=1):
        new = f"{KJD}country/X{i}"
        countries.append(new)

        def country_text(pred: str, o: Literal, code: str = code) -> str:
            if pred == SKOS + "notation":
                return literal(code, datatype=o.datatype.value)
            if o.language:
                base = LANG_COUNTRY.get(o.language, LANG_COUNTRY["en"]).format(code)
                return literal(base if pred in (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name")
                               else f"{base} ({pred.rsplit('#', 1)[-1]})", lang=o.language)
            return term(o)

        def country_rename(value: str, i: int = i) -> str:
            return f"{WD}Q{900_000_000 + i}" if value.startswith(WD) else value

        _clone_distinct(cloner, templates[(i - 1) % len(templates)], new, country_rename, country_text)

    # observations: fill up to the requested size
    obs_templates = _observation_templates(real)
    if obs_templates:
        per_obs = sum(len(real.by_subject[t]) for t in obs_templates.values()) / len(obs_templates)
        wanted = max(0, round((triples - real.total_triples - writer.triples) / per_obs))
        p.observations = _observations(cloner, real, obs_templates, countries, wanted, rng)

    handle.close()
    _map_synthetic_links(source, out)
    info = {
        "generator": "bench/generate.py", "seed": seed, "source": str(source), "requested_triples": triples,
        "real_triples": real.total_triples, "real_triples_per_folder": real.per_folder,
        "synthetic_triples": writer.triples, "total_triples": real.total_triples + writer.triples,
        "real_shares": {k: round(v, 4) for k, v in p.shares.items()},
        "synthetic": {"concept_batches": p.concept_batches, "concepts_per_batch": len(concept_subjects),
                      "organization_batches": p.organization_batches,
                      "organization_subjects_per_batch": len(org_subjects),
                      "countries": p.countries, "observations": p.observations},
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _clone_distinct(cloner: Cloner, template: str, new: str, rename, text) -> None:
    """Clone a country; repeated language-tagged values of one predicate get numbered to stay distinct."""
    seen: dict[tuple[str, str], int] = defaultdict(int)

    def numbered(pred: str, o: Literal) -> str:
        rendered = text(pred, o)
        if o.language:
            key = (pred, o.language)
            seen[key] += 1
            if seen[key] > 1:
                base = rendered.rsplit('"', 1)[0]
                return f'{base} {seen[key]}"@{o.language}'
        return rendered

    cloner.clone(template, new, rename=rename, text=numbered)


def _observation_templates(real: RealData) -> dict[str, str]:
    """One real observation of the bilateral-trade data set per indicator."""
    templates: dict[str, str] = {}
    for s in real.kind_subjects("observation"):
        pos = real.by_subject[s]
        if (QB + "dataSet", NamedNode(DATASET)) not in pos:
            continue
        indicator = next((o.value for p, o in pos if p == KJT + "indicator"), "")
        templates.setdefault(indicator, s)
    return templates


def _observations(cloner: Cloner, real: RealData, templates: dict[str, str], countries: list[str], wanted: int,
                  rng: random.Random) -> int:
    indicators = sorted(templates)
    existing = set()
    for s in real.kind_subjects("observation"):
        d = dict(real.by_subject[s])
        if (QB + "dataSet", NamedNode(DATASET)) in real.by_subject[s]:
            existing.add((d.get(KJT + "indicator", NamedNode(KJT)).value, d[KJT + "refArea"].value,
                          d[KJT + "counterpartArea"].value, d[KJT + "refYear"].value))
    years = list(YEARS)
    n_pairs = len(countries) * (len(countries) - 1)
    while n_pairs * len(years) * len(indicators) < 2 * (wanted + len(existing)) + 10:
        years.insert(0, years[0] - 1)
    space = n_pairs * len(years) * len(indicators)
    picked = sorted(rng.sample(range(space), min(space, wanted + len(existing))))
    labels = {ind: _english_label(real, ind) for ind in indicators}
    written = 0
    for index in picked:
        if written == wanted:
            break
        pair, rest = divmod(index, len(years) * len(indicators))
        year, ind = years[rest // len(indicators)], indicators[rest % len(indicators)]
        a, b = divmod(pair, len(countries) - 1)
        b += b >= a
        area, counterpart = countries[a], countries[b]
        if (ind, area, counterpart, str(year)) in existing:
            continue
        template = templates[ind]
        tpos = dict(real.by_subject[template])
        unit = tpos.get(SDMX_ATTRIBUTE + "unitMeasure", NamedNode(UNIT)).value
        zero = Literal("0", datatype=NamedNode(XSD + "decimal"))
        value = _value(unit, rng, tpos.get(SDMX_MEASURE + "obsValue", zero))
        ca, cb = area.rsplit("/", 1)[-1], counterpart.rsplit("/", 1)[-1]
        slug = f"{ind.rsplit('/', 1)[-1]}-{ca}-{cb}-{year}"

        def text(pred: str, o: Literal, ca: str = ca, cb: str = cb, year: int = year, value: str = value,
                 ind: str = ind) -> str:
            if o.language:
                if pred in LABEL_PROPERTIES:
                    return literal(f"{labels[ind]} {ca}–{cb}, {year} (synthetic)", lang=o.language)
                return literal(f"{value} in {year} (synthetic)", lang=o.language)
            return term(o)

        cloner.clone(template, f"{KJD}observation/x-{slug}", rename=lambda v: v, text=text, overrides={
            KJT + "refArea": [iri(area)],
            KJT + "counterpartArea": [iri(counterpart)],
            KJT + "refYear": [literal(str(year), datatype=XSD + "gYear")],
            SDMX_MEASURE + "obsValue": [literal(value, datatype=XSD + "decimal")],
        })
        written += 1
    return written


def _english_label(real: RealData, concept: str) -> str:
    for p, o in real.by_subject.get(concept, []):
        if p in (SKOS + "prefLabel", RDFS + "label") and isinstance(o, Literal) and o.language == "en":
            return o.value
    return concept.rsplit("/", 1)[-1]


def _map_synthetic_links(source: Path, out: Path) -> None:
    """The real data/links.csv plus one row per link that cloning made (the build refuses unmapped links).

    Clones copy their templates' links (GeoNames, DBpedia, a closeMatch, renamed Wikidata IDs):
    benchmark data, not identifiers anyone checked, and the rows say so."""
    from kgpub.build.links import COLUMNS, MAPPING, published_links

    mapping = source / MAPPING
    lines = mapping.read_text(encoding="utf-8").splitlines() if mapping.is_file() else [",".join(COLUMNS)]
    triples = (parse(path=out / "data" / SYNTHETIC_FILE, format=RdfFormat.TURTLE))
    links = published_links(((t.subject, t.predicate, t.object) for t in triples), base_iri=KJD.removesuffix("id/"))
    today = time.strftime("%Y-%m-%d")
    lines += [f"{link.local},{link.relation},{link.target},true,synthetic benchmark data from bench/generate.py: "
              f"not a checked identifier,{today}" for link in sorted(links)]
    (out / MAPPING).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _prepare(source: Path, out: Path) -> None:
    """A fresh project folder: ontology/ and shapes/ copied, data/ = the real data files."""
    if out.exists():
        if not (out / MARKER).is_file() and any(out.iterdir()):
            sys.exit(f"{out}: exists and was not made by this generator; refusing to overwrite it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for folder in FOLDERS:
        (out / folder).mkdir()
        for path in source_files(source, folder):
            shutil.copy2(path, out / folder / path.name)


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", required=True, type=parse_size, help="total triples wanted, e.g. 10000, 100k, 1m")
    ap.add_argument("--out", required=True, type=Path, help="project folder to create (replaced if generated before)")
    ap.add_argument("--source", type=Path, default=ROOT, help="the real project (default: this repository)")
    ap.add_argument("--seed", type=int, default=20250619)
    args = ap.parse_args(argv)
    info = generate(args.source.resolve(), args.out, args.triples, args.seed)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
