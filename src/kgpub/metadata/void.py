"""The dataset description: VoID + DCAT 3 + PROV about ``<base>id/dataset/kjtrade``, the whole knowledge graph.

:func:`describe` says what the served release is, from the release alone (its manifest, its
``statistics.json``, its store) and the settings; every IRI and URL is canonical (under the base
IRI, never the server's origin). :func:`cached` is the same, computed once per release, settings and
kept releases. :mod:`kgpub.metadata.schema_org` says the same facts as schema.org for search engines.

What is said
============
The dataset ``D`` (``a void:Dataset, dcat:Dataset, prov:Entity``)
    title, description and keywords in English, Korean and Japanese (:data:`TEXTS`, written by the
    project from the article and the data); the licence (with its ADMS licence type, :data:`LICENCE_TYPES`),
    sources, creator and publisher as the
    graph states them (the Data Cube data sets' ``dcterms:license`` and ``prov:wasDerivedFrom`` /
    ``prov:hadPrimarySource``, the ontology header's ``dcterms:creator``/``publisher``);
    ``prov:wasDerivedFrom`` the article, not ``dcterms:source`` (DCAT-AP wants a ``dcat:Dataset``
    there); the period of the figures (``dcterms:temporal``, the years of the observations'
    ``xsd:gYear``/``xsd:gYearMonth`` values) and the countries (``dcterms:spatial``, every
    ``schema:Country``); the theme ECON of the EU data-theme table, with its label; the VoID
    numbers of ``statistics.json`` (:mod:`kgpub.metadata.statistics`: ``void:triples`` is the number
    of lines of ``dataset.nt``), class and property partitions, the vocabularies, example resources,
    ``void:uriSpace`` ``<base>id/``; the Data Cube data sets and the linksets as ``void:subset``.
Versions
    ``D`` is the dataset as the served release has it: ``dcat:version`` is that release's version,
    ``dcat:hasCurrentVersion`` its snapshot and ``dcat:hasVersion`` every kept release. A snapshot is
    the release's canonical IRI ``<base>releases/<version>/`` (:func:`kgpub.release.layout.release_iri`):
    it resolves (the release's files, immutable; ``/releases/`` lists them all in DCAT). It is
    linked, not typed ``dcat:Dataset`` here, so a catalogue harvesting this description finds one
    dataset, not one per release. ``dcat:previousVersion`` is the snapshot of the release built
    before the served one (:func:`kgpub.release.history.previous`), when it is kept.
    ``dcterms:modified`` is the served release's build time, ``dcterms:issued`` the build time of the
    oldest release kept (the earliest issue this server can vouch for).
Distributions
    one ``dcat:Distribution`` per dump (``/dump.<ext>``, ``.gz`` too: ``dcat:mediaType`` the inner
    type, ``dcat:compressFormat`` gzip) and per table (every ``<name>.csv`` of the manifest, at
    ``/datasets/<name>.csv``, its CSV on the Web metadata as ``foaf:page``): download and access URL,
    IANA media type IRI, EU file type (``dcterms:format``), ``dcat:byteSize``
    (``xsd:nonNegativeInteger``, as DCAT 3 and DCAT-AP 3 give it) and an ``spdx:checksum`` (SHA-256,
    ``xsd:hexBinary``) from the manifest, the licence. The RDF dumps are also ``void:dataDump``\\ s.
    The quad dumps (N-Quads, TriG) hold every named graph of the release, a superset of ``D``.
The SPARQL endpoint
    ``<base>sparql`` is the ``dcat:DataService`` (``dcat:endpointURL`` and ``dcat:endpointDescription``
    itself: a GET without a query answers its Service Description, whose default graph is ``D``)
    and ``D``'s ``void:sparqlEndpoint``.
Provenance of the build
    ``D prov:wasGeneratedBy`` the build activity, which ``prov:used`` every source file (path and
    SHA-256), was associated with kgpub (its version), ended at the build time and
    ``prov:generated`` the validation report (``<release>validation.ttl``, ``sh:conforms`` as the
    manifest says: true only when validation had no result at all).

Minted IRIs
===========
Parts of the description are hash IRIs of the dataset IRI, so they resolve to its document
(which describes them) with no route of their own, and stay the same across releases:
``D#<served file name>`` (``D#dump.ttl``, ``D#dump.ttl.gz``, ``D#bilateral-trade.csv``: the
distributions, as ``<release>#<file>`` names a release's files), ``D#linkset-<target>`` and
``D#target-<target>`` (``wikidata``, ``geonames``, ``dbpedia``, ``eu-publications-office-authority-tables``:
the linksets and the knowledge graphs they link to), ``D#build-<version>`` (the build activity of a
release). The data service is the endpoint's own URL. Partitions, the period, checksums, source
files and the software agent are blank nodes (nothing outside links to them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import PurePosixPath

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, QuerySolutions, Store, Triple

from kgpub.metadata import statistics, tables
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS, Format
from kgpub.release import history, layout
from kgpub.release.manifest import FileEntry
from kgpub.release.reader import Release
from kgpub.settings import Settings

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SPDX = "http://spdx.org/rdf/terms#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "http://schema.org/"
QB = "http://purl.org/linked-data/cube#"
IANA = "http://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme"
PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "prov": PROV, "foaf": FOAF, "skos": SKOS,
            "spdx": SPDX, "sh": SH, "xsd": XSD, "rdfs": RDFS, "owl": OWL, "schema": SCHEMA, "qb": QB}
"""The prefixes the description uses, for serializers (the release's own prefixes name the rest)."""

SPARQL_PATH = "sparql"
TABLES_PATH = "datasets/"  # /datasets/<name>.csv is the release file <name>.csv
GZIP = "application/gzip"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"

EU_FILE_TYPES = {  # our format names -> the EU Publications Office file-type table's codes
    "turtle": "RDF_TURTLE", "ntriples": "RDF_N_TRIPLES", "nquads": "RDF_N_QUADS", "trig": "RDF_TRIG",
    "jsonld": "JSON_LD", "rdfxml": "RDF_XML", "csv": "CSV",
}
LICENCE_TYPES = {  # a licence -> its type in the ADMS licence-type table (what DCAT-AP asks of a licence document)
    "https://creativecommons.org/licenses/by/4.0/": ("http://purl.org/adms/licencetype/Attribution", "Attribution"),
}
THEME = (EU_DATA_THEME + "/ECON", "Economy and finance")
"""The dataset's theme: ECON of the EU data-theme table (the DCAT-AP vocabulary for dcat:theme), its English label."""
EXAMPLE_CLASSES = (SCHEMA + "Country", QB + "DataSet", QB + "Observation")
"""``void:exampleResource``: the first entity (by IRI) of each of these classes."""


@dataclass(frozen=True)
class Text:
    title: str
    description: str
    keywords: tuple[str, ...]


TEXTS: dict[str, Text] = {  # written by the project from the article and the data; Korean and Japanese terms as the
    # code lists translate them (data/codelists.ttl, data/organizations.ttl)
    "en": Text(
        "Korea–Japan Trade Knowledge Graph",
        "Sixty years of trade between South Korea and Japan since the normalization of diplomatic relations in "
        "1965, as Linked Data. From the report of the Korea International Trade Association (KITA) Institute for "
        "International Trade and Commerce released on 19 June 2025, as reported by The Asia Business Daily: the "
        "bilateral trade value (USD 200 million in 1965, USD 77.2 billion in 2024) and the intra-industry trade "
        "index (0.25 in 1988, 0.42 in 2024) as RDF Data Cube observations; a May 2025 survey of 234 KITA member "
        "companies exporting to Japan and 49 Japanese companies operating in Korea on the top policy priority "
        "(support for supply chain cooperation in materials, components and equipment); the shift from a vertical "
        "division of labour to horizontal cooperation, four promising sectors for cooperation and the report's "
        "recommendations. Every figure keeps the article's own wording and its provenance; the article's "
        "'352-fold' growth is kept as stated, beside the cited figures (which give 386). Published with an OWL "
        "ontology, SHACL shapes and their validation report.",
        ("Korea–Japan trade", "bilateral trade", "intra-industry trade", "trade structure",
         "materials, components and equipment", "sobujang", "supply chain cooperation", "business survey",
         "South Korea", "Japan", "RDF Data Cube", "Linked Data")),
    "ko": Text(
        "한일 무역 지식 그래프",
        "1965년 한일 국교 정상화 이후 60년간의 양국 교역을 링크드 데이터로 정리한 데이터셋입니다. "
        "한국무역협회(KITA) 국제무역통상연구원이 2025년 6월 19일 발표하고 아시아경제가 보도한 보고서를 바탕으로, "
        "양국 간 교역액(1965년 2억 달러, 2024년 772억 달러)과 산업내무역지수(1988년 0.25, 2024년 0.42)를 "
        "RDF Data Cube 관측값으로 담았습니다. 또한 2025년 5월 대일 수출 실적이 있는 무역협회 회원사 234개사와 "
        "한국에 진출한 일본 기업 49개사를 대상으로 한 최우선 정책 과제(소재·부품·장비 공급망 협력 지원) 설문 결과, "
        "수직적 분업에서 수평적 협력으로의 교역 구조 변화, 4대 유망 협력 분야와 보고서의 제언을 포함합니다. "
        "모든 수치는 기사의 원래 표현과 출처를 함께 기록하며, 기사에 적힌 '352배' 증가는 인용된 수치로 계산한 "
        "값(386배)과 나란히 기사 그대로 보존합니다. OWL 온톨로지, SHACL 형상(shapes)과 그 검증 보고서를 함께 "
        "제공합니다.",
        ("한일 무역", "양국 간 교역", "산업내무역", "무역 구조", "소재·부품·장비", "소부장", "공급망 협력",
         "기업 설문조사", "대한민국", "일본")),
    "ja": Text(
        "日韓貿易ナレッジグラフ",
        "1965年の日韓国交正常化から60年間の両国間貿易をリンクトデータとして整理したデータセットです。韓国貿易協会(KITA)"
        "国際貿易通商研究院が2025年6月19日に発表し、アジア経済が報じた報告書に基づき、二国間貿易額(1965年に2億ドル、"
        "2024年に772億ドル)と産業内貿易指数(1988年に0.25、2024年に0.42)をRDF Data Cubeの観測値として収録しています。"
        "さらに、2025年5月に対日輸出実績のあるKITA会員企業234社と韓国に進出している日本企業49社を対象に行った最優先の"
        "政策課題(素材・部品・装置のサプライチェーン協力支援)に関するアンケート結果、垂直分業から水平的協力への貿易構造の"
        "変化、四つの有望な協力分野と報告書の提言を含みます。各数値には記事の原文の表現と出典を記録し、記事が述べる"
        "「352倍」の増加は、引用された数値から計算される値(386倍)と並べて、記事のとおりに保持しています。OWLオントロジー、"
        "SHACLシェイプとその検証レポートも公開しています。",
        ("日韓貿易", "二国間貿易", "産業内貿易", "貿易構造", "素材・部品・装置", "サプライチェーン協力",
         "企業アンケート", "韓国", "日本")),
}
SERVICE_TITLES = {"en": "SPARQL endpoint of the Korea–Japan Trade Knowledge Graph",
                  "ko": "한일 무역 지식 그래프 SPARQL 엔드포인트", "ja": "日韓貿易ナレッジグラフのSPARQLエンドポイント"}
SERVICE_DESCRIPTION = ("Read-only SPARQL 1.1 endpoint (SPARQL 1.1 Protocol) over the served release: its default graph "
                       "is the knowledge graph (data and ontology), every graph of the release is also a named graph. "
                       "A GET without a query answers its SPARQL Service Description.")


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _typed(value: object, datatype: str) -> Literal:
    return Literal(str(value), datatype=NamedNode(XSD + datatype))


def _count(value: int) -> Literal:
    return _typed(value, "integer")


def _date_time(moment: datetime) -> Literal:
    return _typed(moment.astimezone(UTC).isoformat(), "dateTime")


def dataset_iri(settings: Settings) -> str:
    return settings.base_iri + layout.DATASET_PATH


def sparql_url(settings: Settings) -> str:
    return settings.base_iri + SPARQL_PATH


# ------------------------------------------------------------------ what the graph says


@dataclass(frozen=True)
class Agent:
    iri: str
    types: tuple[str, ...]
    names: dict[str, str]  # language -> name
    homepage: str | None


@dataclass(frozen=True)
class Place:
    iri: str
    labels: dict[str, str]  # language -> skos:prefLabel
    same_as: tuple[str, ...]


@dataclass(frozen=True)
class Work:
    """A source: the article or the report, with what schema.org readers want of it."""

    iri: str
    types: tuple[str, ...]
    name: str  # English headline or name
    date: str | None  # schema:datePublished
    authors: tuple[str, ...]  # English names
    publishers: tuple[str, ...]


@dataclass(frozen=True)
class Part:
    """A Data Cube data set of the graph."""

    iri: str
    title: str
    description: str


@dataclass(frozen=True)
class Indicator:
    iri: str
    labels: dict[str, str]
    definition: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """What the release's knowledge graph says that the description repeats (read once per release)."""

    parts: tuple[Part, ...] = ()
    derived_from: tuple[Work, ...] = ()
    primary_sources: tuple[Work, ...] = ()
    licences: tuple[str, ...] = ()
    creators: tuple[Agent, ...] = ()
    publishers: tuple[Agent, ...] = ()
    places: tuple[Place, ...] = ()
    years: tuple[int, int] | None = None  # first and last year of the observations
    indicators: tuple[Indicator, ...] = ()

    @classmethod
    def of(cls, release: Release, store: Store, settings: Settings) -> Facts:
        return _Reader(release, store, settings).facts()


class _Reader:
    def __init__(self, release: Release, store: Store, settings: Settings) -> None:
        self.store, self.base = store, settings.base_iri
        self.graphs: list[NamedNode | BlankNode | DefaultGraph] = [NamedNode(g) for g in release.default_graphs]

    def solutions(self, query: str) -> list[dict[str, object]]:
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        found = self.store.query(prologue + query, default_graph=self.graphs)
        assert isinstance(found, QuerySolutions)
        names = [v.value for v in found.variables]
        return [{name: s[name] for name in names if s[name] is not None} for s in found]

    def select(self, query: str) -> list[dict[str, str]]:
        """The solutions of a SELECT query, each variable's value as a string (unbound ones left out)."""
        return [{k: getattr(v, "value", str(v)) for k, v in row.items()} for row in self.solutions(query)]

    def facts(self) -> Facts:
        parts = self.select(f"""SELECT ?d (SAMPLE(?t) AS ?title) (SAMPLE(?x) AS ?text) {{
            ?d a qb:DataSet . FILTER(STRSTARTS(STR(?d), "{self.base}id/dataset/"))
            OPTIONAL {{ ?d dcterms:title ?t FILTER(LANGMATCHES(LANG(?t), "en")) }}
            OPTIONAL {{ ?d dcterms:description ?x FILTER(LANGMATCHES(LANG(?x), "en")) }} }} GROUP BY ?d ORDER BY ?d""")
        subsets = " ".join(f"<{p['d']}>" for p in parts)
        values = f"VALUES ?d {{ {subsets} }}" if subsets else "FILTER(false)"
        ontology = f"<{self.base}ontology>"
        return Facts(
            parts=tuple(Part(p["d"], p.get("title", ""), p.get("text", "")) for p in parts),
            derived_from=self.works(f"{values} ?d prov:wasDerivedFrom ?w"),
            primary_sources=self.works(f"{values} ?d prov:hadPrimarySource ?w"),
            licences=tuple(r["l"] for r in self.select(
                f"SELECT DISTINCT ?l {{ {{ {values} ?d dcterms:license ?l }} UNION {{ {ontology} dcterms:license ?l }}"
                " } ORDER BY ?l")),
            creators=self.agents(f"{ontology} dcterms:creator ?a"),
            publishers=self.agents(f"{ontology} dcterms:publisher ?a"),
            places=tuple(self.places()), years=self.years(), indicators=tuple(self.indicators()))

    def labels(self, iri: str, predicate: str) -> dict[str, str]:
        """``iri``'s ``predicate`` values by language (the least value of each language)."""
        found: dict[str, str] = {}
        for row in self.solutions(f"SELECT ?l {{ <{iri}> {predicate} ?l }} ORDER BY ?l"):
            term = row.get("l")
            if isinstance(term, Literal) and term.language:
                found.setdefault(term.language, term.value)
        return dict(sorted(found.items()))

    def types(self, iri: str) -> tuple[str, ...]:
        return tuple(r["t"] for r in self.select(f"SELECT ?t {{ <{iri}> a ?t FILTER(isIRI(?t)) }} ORDER BY ?t"))

    def english(self, iri: str, predicate: str) -> str | None:
        return self.labels(iri, predicate).get("en")

    def agents(self, pattern: str) -> tuple[Agent, ...]:
        found = []
        for row in self.select(f"SELECT DISTINCT ?a {{ {pattern} }} ORDER BY ?a"):
            iri = row["a"]
            types = self.types(iri)
            pages = self.select(f"SELECT ?h {{ <{iri}> foaf:homepage ?h FILTER(isIRI(?h)) }} ORDER BY ?h")
            homepage = pages[0]["h"] if pages else None
            found.append(Agent(iri, types, self.labels(iri, "foaf:name"), homepage))
        return tuple(found)

    def places(self) -> Iterable[Place]:
        for row in self.select("SELECT ?c { ?c a schema:Country FILTER(isIRI(?c)) } ORDER BY ?c"):
            iri = row["c"]
            same = self.select(f"SELECT DISTINCT ?x {{ <{iri}> owl:sameAs|schema:sameAs ?x FILTER(isIRI(?x)) }} "
                               "ORDER BY ?x")
            yield Place(iri, self.labels(iri, "skos:prefLabel"), tuple(r["x"] for r in same))

    def works(self, pattern: str) -> tuple[Work, ...]:
        found = []
        for row in self.select(f"SELECT DISTINCT ?w {{ {pattern} FILTER(isIRI(?w)) }} ORDER BY ?w"):
            iri = row["w"]
            name = self.english(iri, "schema:headline") or self.english(iri, "schema:name") or ""
            date = next((r["d"] for r in self.select(f"SELECT ?d {{ <{iri}> schema:datePublished ?d }} ORDER BY ?d")),
                        None)
            found.append(Work(iri, self.types(iri), name, date, self.names(iri, "schema:author"),
                              self.names(iri, "schema:publisher")))
        return tuple(found)

    def names(self, iri: str, predicate: str) -> tuple[str, ...]:
        """The English names (``skos:prefLabel``) of ``iri``'s ``predicate`` values."""
        rows = self.select(f"SELECT DISTINCT ?x {{ <{iri}> {predicate} ?x FILTER(isIRI(?x)) }} ORDER BY ?x")
        return tuple(name for r in rows if (name := self.english(r["x"], "skos:prefLabel")))

    def years(self) -> tuple[int, int] | None:
        rows = self.select("""SELECT (MIN(?y) AS ?first) (MAX(?y) AS ?last) { ?o a qb:Observation ; ?p ?v .
            FILTER(DATATYPE(?v) IN (xsd:gYear, xsd:gYearMonth)) BIND(xsd:integer(SUBSTR(STR(?v), 1, 4)) AS ?y) }""")
        if not rows or "first" not in rows[0]:
            return None
        return int(rows[0]["first"]), int(rows[0]["last"])

    def indicators(self) -> Iterable[Indicator]:
        dimension = f"<{self.base}ontology#indicator>"  # the coded indicator dimension of the modelling guide
        rows = self.select(f"""SELECT ?i (SAMPLE(?d) AS ?definition)
            (GROUP_CONCAT(DISTINCT STR(?u); separator=" ") AS ?units) {{ ?o a qb:Observation ; {dimension} ?i .
               OPTIONAL {{ ?o <http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure> ?u }}
               OPTIONAL {{ ?i skos:definition ?d FILTER(LANGMATCHES(LANG(?d), "en")) }} }} GROUP BY ?i ORDER BY ?i""")
        for row in rows:
            yield Indicator(row["i"], self.labels(row["i"], "skos:prefLabel"), row.get("definition", ""),
                            tuple(sorted(row.get("units", "").split())))


# ------------------------------------------------------------------ the files described


@dataclass(frozen=True)
class Download:
    """A file of the release offered for download at an unversioned canonical URL."""

    name: str  # in the release (and the manifest)
    url: str  # canonical, unversioned (follows the served release)
    entry: FileEntry
    media_type: str  # of the content (the inner format's for a gzip file)
    fmt: Format | None  # the RDF format of a dump (None for a table)
    gz: bool
    page: str | None = None  # a document about the file (a table's CSV on the Web metadata)

    @property
    def fragment(self) -> str:
        return PurePosixPath(self.url).name

    @property
    def file_type(self) -> str:
        return EU_FILE_TYPE + EU_FILE_TYPES[self.fmt.name if self.fmt else "csv"]


def downloads(release: Release, settings: Settings) -> list[Download]:
    """The dumps and tables of ``release`` as its manifest lists them, with their canonical URLs."""
    files, base = release.manifest.files, settings.base_iri
    found = []
    for fmt in DUMP_FORMATS:
        for gz in (False, True):
            name = layout.dump_name(fmt, gz=gz)
            if name in files:
                url = base + layout.DUMP_URL_STEM + name.removeprefix(layout.DUMP_STEM)
                found.append(Download(name, url, files[name], fmt.media_type, fmt, gz))
    for name in sorted(files):
        if name.endswith(tables.CSV_SUFFIX):
            leaf = PurePosixPath(name).name
            metadata = tables.metadata_name(name.removesuffix(tables.CSV_SUFFIX))
            page = base + TABLES_PATH + PurePosixPath(metadata).name if metadata in files else None
            media_type = (tables.media_type(name) or BY_NAME["csv"].media_type).split(";")[0].strip()
            found.append(Download(name, base + TABLES_PATH + leaf, files[name], media_type, None, False, page))
    return found


# ------------------------------------------------------------------ the description


class _Graph:
    def __init__(self) -> None:
        self.triples: dict[Triple, None] = {}
        self._blank = 0

    def add(self, s: NamedNode | BlankNode, p: str, o: NamedNode | BlankNode | Literal) -> None:
        self.triples.setdefault(Triple(s, NamedNode(p), o), None)

    def blank(self, kind: str) -> BlankNode:
        self._blank += 1
        return BlankNode(f"kgpubvoid{kind}{self._blank}")

    def texts(self, s: NamedNode, p: str, values: dict[str, str]) -> None:
        for language, value in values.items():
            self.add(s, p, Literal(value, language=language))


def describe(release: Release, settings: Settings, releases: Sequence[Release], *,
             store: Store | None = None) -> list[Triple]:
    """VoID + DCAT 3 + PROV about the dataset, as ``release`` has it (``releases``: the kept ones, newest first)."""
    stats = statistics.of_release(release)
    facts = Facts.of(release, store if store is not None else release.open_store(), settings)
    kept = list(releases) if any(r.version == release.version for r in releases) else [release, *releases]
    g = _Graph()
    d = _n(dataset_iri(settings))
    for cls in (VOID + "Dataset", DCAT + "Dataset", PROV + "Entity"):
        g.add(d, RDF + "type", _n(cls))
    _general(g, d, release, settings, facts, kept)
    _statistics(g, d, stats, settings)
    _linksets(g, d, stats)
    _distributions(g, d, release, settings, facts)
    _service(g, d, settings, facts)
    _build(g, d, release, settings)
    return sorted(g.triples, key=lambda t: (isinstance(t.subject, BlankNode), t.subject != d, str(t.subject)))


def _general(g: _Graph, d: NamedNode, release: Release, settings: Settings, facts: Facts,
             kept: list[Release]) -> None:
    base = settings.base_iri
    g.texts(d, DCTERMS + "title", {lang: text.title for lang, text in TEXTS.items()})
    g.texts(d, DCTERMS + "description", {lang: text.description for lang, text in TEXTS.items()})
    for lang, text in TEXTS.items():
        for keyword in text.keywords:
            g.add(d, DCAT + "keyword", Literal(keyword, language=lang))
    for licence in facts.licences:
        g.add(d, DCTERMS + "license", _n(licence))
        g.add(_n(licence), RDF + "type", _n(DCTERMS + "LicenseDocument"))
        if licence in LICENCE_TYPES:
            kind, label = LICENCE_TYPES[licence]
            g.add(_n(licence), DCTERMS + "type", _n(kind))
            g.add(_n(kind), RDF + "type", _n(SKOS + "Concept"))
            g.add(_n(kind), SKOS + "prefLabel", Literal(label, language="en"))
    for work in facts.derived_from:
        g.add(d, PROV + "wasDerivedFrom", _n(work.iri))
    for work in facts.primary_sources:
        g.add(d, PROV + "hadPrimarySource", _n(work.iri))
    for role, agents in (("creator", facts.creators), ("publisher", facts.publishers)):
        for agent in agents:
            g.add(d, DCTERMS + role, _n(agent.iri))
            _agent(g, agent)
    g.add(d, DCTERMS + "issued", _date_time(min(r.built for r in kept)))
    g.add(d, DCTERMS + "modified", _date_time(release.built))
    if facts.years is not None:
        period = g.blank("period")
        g.add(d, DCTERMS + "temporal", period)
        g.add(period, RDF + "type", _n(DCTERMS + "PeriodOfTime"))
        g.add(period, DCAT + "startDate", _typed(facts.years[0], "gYear"))
        g.add(period, DCAT + "endDate", _typed(facts.years[1], "gYear"))
    for place in facts.places:
        g.add(d, DCTERMS + "spatial", _n(place.iri))
        g.add(_n(place.iri), RDF + "type", _n(DCTERMS + "Location"))
        g.texts(_n(place.iri), SKOS + "prefLabel", place.labels)
    theme = _n(THEME[0])
    g.add(d, DCAT + "theme", theme)
    g.add(theme, RDF + "type", _n(SKOS + "Concept"))
    g.add(theme, SKOS + "prefLabel", Literal(THEME[1], language="en"))
    g.add(theme, SKOS + "inScheme", _n(EU_DATA_THEME))
    g.add(d, DCAT + "landingPage", _n(base))
    g.add(_n(base), RDF + "type", _n(FOAF + "Document"))
    g.add(d, DCAT + "version", Literal(release.version))
    g.add(d, DCAT + "hasCurrentVersion", _n(layout.release_iri(base, release.version)))
    for other in kept:
        g.add(d, DCAT + "hasVersion", _n(layout.release_iri(base, other.version)))
    previous = history.previous(release, kept)
    if previous is not None:
        g.add(d, DCAT + "previousVersion", _n(layout.release_iri(base, previous.version)))
    g.add(d, RDFS + "seeAlso", _n(base + layout.RELEASES_PATH))
    for part in facts.parts:
        g.add(d, VOID + "subset", _n(part.iri))
        g.add(d, DCTERMS + "hasPart", _n(part.iri))


def _agent(g: _Graph, agent: Agent) -> None:
    node = _n(agent.iri)
    for cls in (*agent.types, FOAF + "Agent"):
        g.add(node, RDF + "type", _n(cls))
    g.texts(node, FOAF + "name", agent.names)
    if agent.homepage:
        g.add(node, FOAF + "homepage", _n(agent.homepage))


def _statistics(g: _Graph, d: NamedNode, stats: statistics.Statistics, settings: Settings) -> None:
    for name, value in (("triples", stats.triples), ("entities", stats.entities),
                        ("distinctSubjects", stats.distinct_subjects), ("distinctObjects", stats.distinct_objects),
                        ("classes", stats.classes), ("properties", stats.properties)):
        g.add(d, VOID + name, _count(value))
    g.add(d, VOID + "uriSpace", Literal(stats.uri_space))
    for partition in stats.class_partitions:
        node = g.blank("class")
        g.add(d, VOID + "classPartition", node)
        g.add(node, VOID + "class", _n(partition.cls))
        g.add(node, VOID + "entities", _count(partition.entities))
        g.add(node, VOID + "triples", _count(partition.triples))
        g.add(node, VOID + "distinctSubjects", _count(partition.distinct_subjects))
    for prop in stats.property_partitions:
        node = g.blank("property")
        g.add(d, VOID + "propertyPartition", node)
        g.add(node, VOID + "property", _n(prop.property))
        g.add(node, VOID + "triples", _count(prop.triples))
        g.add(node, VOID + "distinctSubjects", _count(prop.distinct_subjects))
        g.add(node, VOID + "distinctObjects", _count(prop.distinct_objects))
    for vocabulary in stats.vocabularies:
        g.add(d, VOID + "vocabulary", _n(vocabulary))
    for cls in EXAMPLE_CLASSES:
        if cls in stats.examples:
            g.add(d, VOID + "exampleResource", _n(stats.examples[cls]))
    g.add(d, VOID + "sparqlEndpoint", _n(sparql_url(settings)))


def _linksets(g: _Graph, d: NamedNode, stats: statistics.Statistics) -> None:
    for linkset in stats.linksets:
        node, target = _n(f"{d.value}#linkset-{linkset.slug}"), _n(f"{d.value}#target-{linkset.slug}")
        g.add(d, VOID + "subset", node)
        g.add(node, RDF + "type", _n(VOID + "Linkset"))
        g.add(node, DCTERMS + "title", Literal(f"Links to {linkset.target}", language="en"))
        g.add(node, VOID + "subjectsTarget", d)
        g.add(node, VOID + "objectsTarget", target)
        for predicate in linkset.predicates:
            g.add(node, VOID + "linkPredicate", _n(predicate))
        g.add(node, VOID + "triples", _count(linkset.triples))
        g.add(node, VOID + "distinctSubjects", _count(linkset.distinct_subjects))
        g.add(node, VOID + "distinctObjects", _count(linkset.distinct_objects))
        g.add(target, RDF + "type", _n(VOID + "Dataset"))
        g.add(target, DCTERMS + "title", Literal(linkset.target, language="en"))
        for namespace in linkset.namespaces:
            g.add(target, VOID + "uriSpace", Literal(namespace))


def _distributions(g: _Graph, d: NamedNode, release: Release, settings: Settings, facts: Facts) -> None:
    parts = {PurePosixPath(p.iri).name: p for p in facts.parts}
    triples = release.default_graph_triples
    for download in downloads(release, settings):
        node, url = _n(f"{d.value}#{download.fragment}"), _n(download.url)
        g.add(d, DCAT + "distribution", node)
        g.add(node, RDF + "type", _n(DCAT + "Distribution"))
        packed = " (gzip)" if download.gz else ""
        if download.fmt is not None:
            g.add(d, VOID + "dataDump", url)
            if download.fmt.w3c_iri:
                g.add(d, VOID + "feature", _n(download.fmt.w3c_iri))
            what = ("every named graph of the release (the data, the ontology, the shapes and the validation report)"
                    if download.fmt.quads else f"the knowledge graph (the data and the ontology, {triples} triples)")
            title, text = f"{download.fmt.label} dump{packed}", f"{what[0].upper()}{what[1:]} as {download.fmt.label}"
        else:
            stem = download.fragment.removesuffix(tables.CSV_SUFFIX)
            part = parts.get(stem)
            title = f"Table {stem} (CSV)"
            text = (f"The observations of the data set “{part.title if part and part.title else stem}” as a table, "
                    "one row per observation (CSV, RFC 4180), with CSV on the Web metadata")
        g.add(node, DCTERMS + "title", Literal(title, language="en"))
        g.add(node, DCTERMS + "description", Literal(text + (", compressed with gzip." if download.gz else "."),
                                                     language="en"))
        g.add(node, DCAT + "downloadURL", url)
        g.add(node, DCAT + "accessURL", url)
        media = _n(IANA + download.media_type)
        g.add(node, DCAT + "mediaType", media)
        g.add(media, RDF + "type", _n(DCTERMS + "MediaType"))
        if download.gz:
            gzip = _n(IANA + GZIP)
            g.add(node, DCAT + "compressFormat", gzip)
            g.add(gzip, RDF + "type", _n(DCTERMS + "MediaType"))
        file_type = _n(download.file_type)
        g.add(node, DCTERMS + "format", file_type)
        g.add(file_type, RDF + "type", _n(DCTERMS + "MediaTypeOrExtent"))
        g.add(node, DCAT + "byteSize", _typed(download.entry.bytes, "nonNegativeInteger"))
        _checksum(g, node, download.entry.sha256)
        for licence in facts.licences:
            g.add(node, DCTERMS + "license", _n(licence))
        if download.page:
            g.add(node, FOAF + "page", _n(download.page))
            g.add(_n(download.page), RDF + "type", _n(FOAF + "Document"))


def _checksum(g: _Graph, node: NamedNode | BlankNode, sha256: str) -> None:
    checksum = g.blank("checksum")
    g.add(node, SPDX + "checksum", checksum)
    g.add(checksum, RDF + "type", _n(SPDX + "Checksum"))
    g.add(checksum, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
    g.add(checksum, SPDX + "checksumValue", _typed(sha256, "hexBinary"))


def _service(g: _Graph, d: NamedNode, settings: Settings, facts: Facts) -> None:
    service = _n(sparql_url(settings))
    g.add(service, RDF + "type", _n(DCAT + "DataService"))
    g.texts(service, DCTERMS + "title", SERVICE_TITLES)
    g.add(service, DCTERMS + "description", Literal(SERVICE_DESCRIPTION, language="en"))
    g.add(service, DCAT + "endpointURL", service)
    g.add(service, DCAT + "endpointDescription", service)
    g.add(service, DCAT + "servesDataset", d)
    standard = _n(SPARQL_PROTOCOL)
    g.add(service, DCTERMS + "conformsTo", standard)
    g.add(standard, RDF + "type", _n(DCTERMS + "Standard"))
    for licence in facts.licences:
        g.add(service, DCTERMS + "license", _n(licence))
    for agent in facts.publishers:
        g.add(service, DCTERMS + "publisher", _n(agent.iri))
    g.add(service, DCAT + "theme", _n(THEME[0]))
    for lang, text in TEXTS.items():
        for keyword in text.keywords:
            g.add(service, DCAT + "keyword", Literal(keyword, language=lang))


def _build(g: _Graph, d: NamedNode, release: Release, settings: Settings) -> None:
    manifest = release.manifest
    activity = _n(f"{d.value}#build-{release.version}")
    g.add(d, PROV + "wasGeneratedBy", activity)
    g.add(activity, RDF + "type", _n(PROV + "Activity"))
    g.add(activity, RDFS + "label", Literal(f"Build of release {release.version}", language="en"))
    g.add(activity, PROV + "endedAtTime", _date_time(release.built))
    software = g.blank("software")
    g.add(activity, PROV + "wasAssociatedWith", software)
    g.add(software, RDF + "type", _n(PROV + "SoftwareAgent"))
    g.add(software, RDFS + "label", Literal("kgpub"))
    g.add(software, OWL + "versionInfo", Literal(manifest.kgpub))
    for source in manifest.sources:
        node = g.blank("source")
        g.add(activity, PROV + "used", node)
        g.add(node, RDF + "type", _n(PROV + "Entity"))
        g.add(node, DCTERMS + "title", Literal(source.path))
        _checksum(g, node, source.sha256)
    if manifest.validation is not None and "validation.ttl" in manifest.files:
        report = _n(layout.release_iri(settings.base_iri, release.version) + "validation.ttl")
        g.add(activity, PROV + "generated", report)
        g.add(report, RDF + "type", _n(SH + "ValidationReport"))
        g.add(report, RDF + "type", _n(PROV + "Entity"))
        g.add(report, DCTERMS + "title", Literal(f"SHACL validation report of release {release.version}",
                                                 language="en"))
        g.add(report, SH + "conforms", _typed("true" if manifest.validation.conforms else "false", "boolean"))
        g.add(report, PROV + "wasGeneratedBy", activity)


@lru_cache(maxsize=8)
def _cached(release: Release, settings: Settings, kept: tuple[Release, ...]) -> tuple[Triple, ...]:
    return tuple(describe(release, settings, kept))


def cached(release: Release, settings: Settings) -> list[Triple]:
    """:func:`describe` with the releases kept beside ``release``, computed once per release, settings and kept set."""
    return list(_cached(release, settings, tuple(history.kept(history.root_of(release)))))
