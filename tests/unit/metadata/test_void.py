"""The dataset description (VoID + DCAT 3 + PROV): what it says of the real release, its version chain over
several releases, its canonical URLs, and that it is refused for a release without statistics.

The independent checks (rdflib, SPARQL counts, the DCAT-AP shapes) are in tests/data/test_description.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from helpers.published import PublishedGraph
from kgpub.errors import NotFound
from kgpub.metadata import statistics, void
from kgpub.rdf.formats import DUMP_FORMATS
from kgpub.release import history, layout, writer
from kgpub.release.reader import Release, open_release
from kgpub.settings import DEFAULT_BASE_IRI, Settings
from kgpub.web.routes.dumps import dump_url_name

SETTINGS = Settings.load(env={})
D = DEFAULT_BASE_IRI + "id/dataset/kjtrade"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VOID, DCAT, DCTERMS, PROV = void.VOID, void.DCAT, void.DCTERMS, void.PROV


class Graph:
    """The description indexed: the values of a subject's predicate."""

    def __init__(self, triples: list[Triple]) -> None:
        self.triples = triples
        self.index: dict[tuple[object, str], list[object]] = defaultdict(list)
        for t in triples:
            self.index[(t.subject, t.predicate.value)].append(t.object)

    def values(self, subject: NamedNode | BlankNode | str, predicate: str) -> list[object]:
        node = NamedNode(subject) if isinstance(subject, str) else subject
        return self.index.get((node, predicate), [])

    def one(self, subject: NamedNode | BlankNode | str, predicate: str) -> object:
        (value,) = self.values(subject, predicate)
        return value

    def iris(self, subject: NamedNode | BlankNode | str, predicate: str) -> set[str]:
        return {v.value for v in self.values(subject, predicate) if isinstance(v, NamedNode)}


@pytest.fixture(scope="module")
def described(published: PublishedGraph) -> Graph:
    release = published.release
    return Graph(void.describe(release, SETTINGS, history.kept(history.root_of(release)), store=published.store))


def number(value: object) -> int:
    assert isinstance(value, Literal) and value.datatype.value.endswith("#integer"), value
    return int(value.value)


def test_the_dataset_is_a_void_and_dcat_dataset_with_the_releases_numbers(described: Graph,
                                                                          published: PublishedGraph) -> None:
    release = published.release
    s = statistics.of_release(release)
    assert described.iris(D, RDF_TYPE) == {VOID + "Dataset", DCAT + "Dataset", PROV + "Entity"}
    lines = len(release.file("dataset.nt").read_bytes().splitlines())
    assert number(described.one(D, VOID + "triples")) == lines == release.default_graph_triples
    for name, value in (("entities", s.entities), ("distinctSubjects", s.distinct_subjects),
                        ("distinctObjects", s.distinct_objects), ("classes", s.classes),
                        ("properties", s.properties)):
        assert number(described.one(D, VOID + name)) == value, name
    assert described.one(D, VOID + "uriSpace") == Literal(DEFAULT_BASE_IRI + "id/")
    partitions = {described.one(p, VOID + "class"): p for p in described.values(D, VOID + "classPartition")}
    assert len(partitions) == s.classes
    observation = partitions[NamedNode("http://purl.org/linked-data/cube#Observation")]
    assert number(described.one(observation, VOID + "entities")) == 8  # the eight figures of the article
    properties = {described.one(p, VOID + "property"): p for p in described.values(D, VOID + "propertyPartition")}
    assert len(properties) == s.properties
    assert sum(number(described.one(p, VOID + "triples")) for p in properties.values()) == lines


def test_texts_in_three_languages_and_reused_facts(described: Graph) -> None:
    for predicate in (DCTERMS + "title", DCTERMS + "description"):
        values = described.values(D, predicate)
        assert sorted(v.language for v in values if isinstance(v, Literal)) == ["en", "ja", "ko"]
    keywords = [v for v in described.values(D, DCAT + "keyword") if isinstance(v, Literal)]
    assert {k.language for k in keywords} == {"en", "ko", "ja"}
    assert described.iris(D, DCTERMS + "license") == {"https://creativecommons.org/licenses/by/4.0/"}
    assert described.iris(D, PROV + "wasDerivedFrom") == {
        DEFAULT_BASE_IRI + "id/article/asiae-korea-japan-trade-352-fold"}
    assert not described.values(D, DCTERMS + "source")  # DCAT-AP: dcterms:source is a dcat:Dataset
    project = DEFAULT_BASE_IRI + "id/organization/kjtrade-project"  # the ontology header's organization
    assert described.iris(D, DCTERMS + "creator") == described.iris(D, DCTERMS + "publisher") == {project}
    assert "http://xmlns.com/foaf/0.1/Agent" in described.iris(project, RDF_TYPE)
    assert described.iris(D, DCTERMS + "spatial") == {DEFAULT_BASE_IRI + "id/country/KR",
                                                       DEFAULT_BASE_IRI + "id/country/JP"}
    (period,) = described.values(D, DCTERMS + "temporal")
    assert isinstance(period, BlankNode)
    assert (described.one(period, DCAT + "startDate").value, described.one(period, DCAT + "endDate").value) == (
        "1965", "2025")
    (theme,) = described.iris(D, DCAT + "theme")
    assert described.values(theme, void.SKOS + "prefLabel") == [Literal("Economy and finance", language="en")]
    assert described.iris(D, VOID + "subset") >= {DEFAULT_BASE_IRI + "id/dataset/bilateral-trade",
                                                   DEFAULT_BASE_IRI + "id/dataset/survey-2025"}


def test_every_dump_and_table_is_a_distribution_with_the_manifests_size_and_checksum(
        described: Graph, published: PublishedGraph) -> None:
    files = published.release.manifest.files
    dumps = [layout.dump_name(f, gz=gz) for f in DUMP_FORMATS for gz in (False, True)]
    tables = [name for name in files if name.endswith(".csv")]
    assert tables, "the release has tables"
    distributions = described.iris(D, DCAT + "distribution")
    assert len(distributions) == len(dumps) + len(tables)
    for name in dumps + tables:
        url = DEFAULT_BASE_IRI + (dump_url_name(name) if name in dumps else "datasets/" + name)
        node = f"{D}#{url.rsplit('/', 1)[1]}"
        assert node in distributions, name
        assert described.iris(node, DCAT + "downloadURL") == described.iris(node, DCAT + "accessURL") == {url}
        size = described.one(node, DCAT + "byteSize")
        assert size == Literal(str(files[name].bytes), datatype=NamedNode(void.XSD + "nonNegativeInteger"))
        (checksum,) = described.values(node, void.SPDX + "checksum")
        value = described.one(checksum, void.SPDX + "checksumValue")
        assert value == Literal(files[name].sha256, datatype=NamedNode(void.XSD + "hexBinary"))
        media = described.iris(node, DCAT + "mediaType")
        assert len(media) == 1 and next(iter(media)).startswith("http://www.iana.org/assignments/media-types/")
        if name.endswith(".gz"):
            inner = next(f for f in DUMP_FORMATS if layout.dump_name(f, gz=True) == name)
            assert media == {void.IANA + inner.media_type}
            assert described.iris(node, DCAT + "compressFormat") == {void.IANA + "application/gzip"}
        else:
            assert not described.values(node, DCAT + "compressFormat")
    assert described.iris(D, VOID + "dataDump") == {DEFAULT_BASE_IRI + dump_url_name(name) for name in dumps}


def test_the_service_the_build_and_the_validation_report(described: Graph, published: PublishedGraph) -> None:
    manifest = published.release.manifest
    service = DEFAULT_BASE_IRI + "sparql"
    assert described.iris(D, VOID + "sparqlEndpoint") == {service}
    assert described.iris(service, RDF_TYPE) == {DCAT + "DataService"}
    assert described.iris(service, DCAT + "servesDataset") == {D}
    assert described.iris(service, DCAT + "endpointURL") == {service}
    (activity,) = described.iris(D, PROV + "wasGeneratedBy")
    assert activity == f"{D}#build-{manifest.version}"
    assert described.one(activity, PROV + "endedAtTime").value == manifest.built_at
    (software,) = described.values(activity, PROV + "wasAssociatedWith")
    assert described.one(software, void.OWL + "versionInfo").value == manifest.kgpub
    used = {described.one(node, DCTERMS + "title").value: node for node in described.values(activity, PROV + "used")}
    assert sorted(used) == sorted(s.path for s in manifest.sources)
    for source in manifest.sources:
        (checksum,) = described.values(used[source.path], void.SPDX + "checksum")
        assert described.one(checksum, void.SPDX + "checksumValue").value == source.sha256
    (report,) = described.iris(activity, PROV + "generated")
    assert report == layout.release_iri(DEFAULT_BASE_IRI, manifest.version) + "validation.ttl"
    assert manifest.validation is not None
    conforms = described.one(report, void.SH + "conforms")
    assert conforms == Literal("false", datatype=NamedNode(void.XSD + "boolean"))  # the release has a warning
    assert conforms.value == str(manifest.validation.conforms).lower()


def test_linksets_one_per_knowledge_graph_linked_to(described: Graph, published: PublishedGraph) -> None:
    s = statistics.of_release(published.release)
    linksets = {n for n in described.iris(D, VOID + "subset") if "#linkset-" in n}
    assert linksets == {f"{D}#linkset-{ls.slug}" for ls in s.linksets}
    wikidata = f"{D}#linkset-wikidata"
    assert described.iris(wikidata, RDF_TYPE) == {VOID + "Linkset"}
    assert described.iris(wikidata, VOID + "subjectsTarget") == {D}
    assert described.iris(wikidata, VOID + "linkPredicate") == {"http://www.w3.org/2002/07/owl#sameAs",
                                                                 "http://www.w3.org/2004/02/skos/core#closeMatch"}
    assert number(described.one(wikidata, VOID + "triples")) == 3  # KR, JP, and the semiconductor industry
    (target,) = described.iris(wikidata, VOID + "objectsTarget")
    assert described.values(target, VOID + "uriSpace") == [Literal("http://www.wikidata.org/entity/")]


def test_every_url_is_canonical(described: Graph) -> None:
    ours = {t.value for triple in described.triples for t in (triple.subject, triple.object)
            if isinstance(t, NamedNode) and "w3id.org" in t.value}
    assert all(iri.startswith(DEFAULT_BASE_IRI) for iri in ours)
    everything = " ".join(str(t) for t in described.triples)
    assert "testserver" not in everything and "127.0.0.1" not in everything and "localhost" not in everything


def test_the_description_is_grouped_by_subject_and_stable(described: Graph, published: PublishedGraph) -> None:
    again = void.describe(published.release, SETTINGS, history.kept(history.root_of(published.release)))
    assert again == described.triples  # same order, same blank node labels
    assert described.triples[0].subject == NamedNode(D)
    seen: list[object] = []
    for t in described.triples:
        if not seen or seen[-1] != t.subject:
            assert t.subject not in seen, f"{t.subject} is not grouped"
            seen.append(t.subject)


# ------------------------------------------------------------------ versions, over small releases


def small_release(root: Path, value: str, built_at: str) -> Release:
    """A release of one triple with its statistics file, its build time set to ``built_at``."""
    graph = DEFAULT_BASE_IRI + "graph/data"
    quads = [Quad(NamedNode(DEFAULT_BASE_IRI + "id/thing/a"), NamedNode("http://example.org/p"), Literal(value),
                  NamedNode(graph))]
    draft = writer.Draft(quads=quads, default_graphs=[graph], base_iri=DEFAULT_BASE_IRI)
    draft.add_file(statistics.FILE_NAME, statistics.renderer(DEFAULT_BASE_IRI, {}))
    release = writer.write(draft, root)
    path = release.path / layout.MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    path.chmod(0o644)
    path.write_text(json.dumps({**data, "built_at": built_at}), encoding="utf-8")  # a test fixture's clock
    return open_release(release.path)


def test_the_version_chain_names_every_kept_release_and_the_previous_one(tmp_path: Path) -> None:
    root = tmp_path / "releases"
    first = small_release(root, "one", "2026-01-01T00:00:00+00:00")
    second = small_release(root, "two", "2026-02-01T00:00:00+00:00")
    third = small_release(root, "three", "2026-03-01T00:00:00+00:00")
    kept = history.kept(root)
    assert [r.version for r in kept] == [third.version, second.version, first.version]

    def iri(release: Release) -> str:
        return f"{DEFAULT_BASE_IRI}releases/{release.version}/"

    g = Graph(void.describe(second, SETTINGS, kept))  # serving the middle one: the previous is the first
    assert g.one(D, DCAT + "version") == Literal(second.version)
    assert g.iris(D, DCAT + "hasCurrentVersion") == {iri(second)}
    assert g.iris(D, DCAT + "previousVersion") == {iri(first)}
    assert g.iris(D, DCAT + "hasVersion") == {iri(first), iri(second), iri(third)}
    assert g.one(D, DCTERMS + "issued").value == "2026-01-01T00:00:00+00:00"  # the oldest kept release
    assert g.one(D, DCTERMS + "modified").value == "2026-02-01T00:00:00+00:00"
    alone = Graph(void.describe(first, SETTINGS, [first]))
    assert not alone.values(D, DCAT + "previousVersion")
    assert Graph(void.describe(first, SETTINGS, [])).iris(D, DCAT + "hasVersion") == {iri(first)}


def test_the_cached_description_follows_the_kept_releases(tmp_path: Path) -> None:
    root = tmp_path / "releases"
    first = small_release(root, "one", "2026-01-01T00:00:00+00:00")
    before = void.cached(first, SETTINGS)
    assert before == void.describe(first, SETTINGS, history.kept(root))
    assert void.cached(first, SETTINGS) == before
    small_release(root, "two", "2026-02-01T00:00:00+00:00")
    after = Graph(void.cached(first, SETTINGS))
    assert len(after.values(D, DCAT + "hasVersion")) == 2


def test_a_release_without_statistics_is_refused(tmp_path: Path) -> None:
    graph = DEFAULT_BASE_IRI + "graph/data"
    quads = [Quad(NamedNode(DEFAULT_BASE_IRI + "id/a"), NamedNode("http://example.org/p"), Literal("x"),
                  NamedNode(graph))]
    old = writer.write(writer.Draft(quads=quads, default_graphs=[graph]), tmp_path)
    with pytest.raises(NotFound, match="rebuild it"):
        void.describe(old, SETTINGS, [old])
