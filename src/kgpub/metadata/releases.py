"""The kept releases as RDF (DCAT 3): what ``/releases/`` answers a client that asks for RDF.

The dataset ``<base>id/dataset/kjtrade`` is a ``dcat:Dataset`` with every kept release as a
version (``dcat:hasVersion``) and the served one as ``dcat:hasCurrentVersion``. Each release,
``<base>releases/<version>/``, is a ``dcat:Dataset`` too: ``dcterms:isVersionOf`` the dataset,
``dcat:version`` (its version string), ``dcterms:issued`` (its build time),
``dcat:previousVersion`` (the release built just before it among those kept,
:func:`kgpub.release.history.previous`), and one ``dcat:Distribution`` per file served,
``<release>#<file>``, with ``dcat:downloadURL`` and ``dcat:accessURL``
``<base>releases/<version>/<file>``, ``dcat:mediaType`` (for a gzip file the inner format's,
with ``dcat:compressFormat`` gzip), ``dcat:byteSize`` and an ``spdx:checksum`` (SHA-256).
Media types are IANA IRIs, ``http://www.iana.org/assignments/media-types/<type>``, as DCAT's
own examples and DCAT-AP 3 write them; the RDF Patch changes file, whose media type IANA has
not registered, says what it is with ``dcterms:conformsTo``.

Everything comes from the manifests, and every IRI is canonical (under the base IRI, never
the server's origin). Pure pyoxigraph: the route negotiates the format and serializes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kgpub.release import history, layout
from kgpub.release.reader import Release

DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"dcat": DCAT, "dcterms": DCTERMS, "spdx": SPDX, "xsd": XSD}
IANA = "http://www.iana.org/assignments/media-types/"
GZIP = "application/gzip"
RDF_PATCH = "https://afs.github.io/rdf-patch/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _dcat(local: str) -> NamedNode:
    return NamedNode(DCAT + local)


def _dcterms(local: str) -> NamedNode:
    return NamedNode(DCTERMS + local)


def _spdx(local: str) -> NamedNode:
    return NamedNode(SPDX + local)


def _typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=NamedNode(XSD + datatype))


def _media_type(media_type: str) -> NamedNode:
    return NamedNode(IANA + media_type.split(";")[0].strip())


def dataset_iri(base_iri: str) -> str:
    return base_iri + layout.DATASET_PATH


def listing(releases: Sequence[Release], *, current: str, base_iri: str, files: Mapping[str, str]) -> list[Triple]:
    """The releases (newest first, as :func:`kgpub.release.history.kept` lists them) in DCAT 3.

    ``current`` is the served release's version; ``files`` maps the names of the files that are
    served to their media types as served (gzip files as ``application/gzip``): a file of a
    release that is not served is not listed, as in the JSON listing.
    """
    dataset = NamedNode(dataset_iri(base_iri))
    triples = [Triple(dataset, RDF_TYPE, _dcat("Dataset"))]
    triples += [Triple(dataset, _dcat("hasVersion"), NamedNode(layout.release_iri(base_iri, r.version)))
                for r in releases]
    if any(r.version == current for r in releases):
        triples.append(Triple(dataset, _dcat("hasCurrentVersion"), NamedNode(layout.release_iri(base_iri, current))))
    kept = list(releases)
    for release in kept:
        triples += _release(release, history.previous(release, kept), dataset, base_iri, files)
    return triples


def _release(release: Release, previous: Release | None, dataset: NamedNode, base_iri: str,
             files: Mapping[str, str]) -> list[Triple]:
    manifest = release.manifest
    iri = layout.release_iri(base_iri, release.version)
    node = NamedNode(iri)
    triples = [
        Triple(node, RDF_TYPE, _dcat("Dataset")),
        Triple(node, _dcterms("isVersionOf"), dataset),
        Triple(node, _dcat("version"), Literal(release.version)),
        Triple(node, _dcterms("title"), Literal(f"Release {release.version}", language="en")),
        Triple(node, _dcterms("description"), Literal(
            f"Release {release.version}: {manifest.default_graph_triples} triples in the knowledge graph, "
            f"{len(manifest.graphs)} named graphs.", language="en")),
    ]
    issued = _date_time(manifest.built_at)
    if issued is not None:
        triples.append(Triple(node, _dcterms("issued"), issued))
    if previous is not None:
        earlier = NamedNode(layout.release_iri(base_iri, previous.version))
        triples.append(Triple(node, _dcat("previousVersion"), earlier))
    described: list[Triple] = []  # each distribution's triples after the release's own, then its checksum
    for index, (name, entry) in enumerate(sorted(manifest.files.items())):
        if name not in files:
            continue
        distribution, url = NamedNode(f"{iri}#{name}"), NamedNode(iri + name)
        checksum = BlankNode(f"sha256-{release.version}-{index}")
        triples.append(Triple(node, _dcat("distribution"), distribution))
        described += [
            Triple(distribution, RDF_TYPE, _dcat("Distribution")),
            Triple(distribution, _dcterms("title"), Literal(name)),
            Triple(distribution, _dcat("downloadURL"), url),
            Triple(distribution, _dcat("accessURL"), url),
            *_format(distribution, name, files),
            Triple(distribution, _dcat("byteSize"), _typed(str(entry.bytes), "nonNegativeInteger")),
        ]
        if name == layout.CHANGES:
            since = f"release {manifest.previous}" if manifest.previous else "the empty dataset"
            described += [
                Triple(distribution, _dcterms("conformsTo"), NamedNode(RDF_PATCH)),
                Triple(distribution, _dcterms("description"), Literal(
                    f"The quads added and removed since {since}, as RDF Patch (gzip).", language="en")),
            ]
        described += [
            Triple(distribution, _spdx("checksum"), checksum),
            Triple(checksum, RDF_TYPE, _spdx("Checksum")),
            Triple(checksum, _spdx("algorithm"), _spdx("checksumAlgorithm_sha256")),
            Triple(checksum, _spdx("checksumValue"), _typed(entry.sha256, "hexBinary")),
        ]
    return triples + described


def _format(distribution: NamedNode, name: str, files: Mapping[str, str]) -> list[Triple]:
    """The distribution's media type; a gzip file's is its inner format's (when that is known), plus the compression."""
    served = files[name]
    if not (name.endswith(".gz") and served.split(";")[0].strip() == GZIP):
        return [Triple(distribution, _dcat("mediaType"), _media_type(served))]
    found = [Triple(distribution, _dcat("compressFormat"), _media_type(GZIP))]
    inner = files.get(name.removesuffix(".gz"))
    if inner is not None:
        found.append(Triple(distribution, _dcat("mediaType"), _media_type(inner)))
    return found


def _date_time(value: str) -> Literal | None:
    """``built_at`` as an ``xsd:dateTime`` (it is ISO 8601 in UTC); None when a manifest has none."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _typed(moment.isoformat(), "dateTime") if moment.tzinfo is not None else None
