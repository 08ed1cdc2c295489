"""The dataset as schema.org ``Dataset`` JSON-LD: the facts of :mod:`kgpub.metadata.void`, for search engines.

:func:`dataset_jsonld` follows Google's Dataset structured-data guidelines: the required ``name`` and
``description`` (50 to 5,000 characters), and the recommended ``url``, ``identifier``, ``version``,
``license``, ``isAccessibleForFree``, ``creator``/``publisher``, ``datePublished``/``dateModified``,
``temporalCoverage`` (ISO 8601 interval of years, ``1965/2025``), ``spatialCoverage`` (each country a
``Country``, a ``Place``, with its ``sameAs`` links), ``keywords``, ``variableMeasured`` (one
``PropertyValue`` per indicator of the Data Cube observations: its label, definition, concept IRI as
``propertyID`` and QUDT unit IRIs as ``unitCode``), ``isBasedOn`` the article and ``citation`` the report
the figures come from, ``hasPart`` the Data Cube data sets and ``distribution``: one ``DataDownload`` per
dump and table with ``contentUrl``, ``encodingFormat`` (the file's media type, ``application/gzip`` for a
gzip file), ``contentSize`` and ``sha256``.

The names and description are the English ones of :data:`kgpub.metadata.void.TEXTS` (the Korean and
Japanese titles are ``alternateName``\\ s, all keywords are listed), so a search engine reads plain strings.
The context is ``"https://schema.org/"`` by IRI string (never fetched here); every URL is canonical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyoxigraph import Store

from kgpub.metadata import void
from kgpub.release import history
from kgpub.release.reader import Release
from kgpub.settings import Settings

CONTEXT = "https://schema.org/"
SCHEMA = "http://schema.org/"  # the namespace the graph writes (rdf:type values of the sources)
WORK_TYPES = ("NewsArticle", "Report", "Article", "CreativeWork")  # most specific first


def dataset_jsonld(release: Release, settings: Settings, *, store: Store | None = None,
                   releases: Sequence[Release] | None = None) -> dict[str, Any]:
    """The schema.org ``Dataset`` of ``release`` (``releases``: the kept ones, newest first; read when None)."""
    facts = void.Facts.of(release, store if store is not None else release.open_store(), settings)
    kept = list(history.kept(history.root_of(release)) if releases is None else releases)
    kept = kept if any(r.version == release.version for r in kept) else [release, *kept]
    english = void.TEXTS["en"]
    iri = void.dataset_iri(settings)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": iri,
        "name": english.title,
        "alternateName": [text.title for lang, text in void.TEXTS.items() if lang != "en"],
        "description": english.description,
        "url": settings.base_iri,
        "identifier": iri,
        "version": release.version,
        "inLanguage": list(void.TEXTS),
        "isAccessibleForFree": True,
        "keywords": [keyword for text in void.TEXTS.values() for keyword in text.keywords],
        "datePublished": min(r.built for r in kept).isoformat(),
        "dateModified": release.built.isoformat(),
    }
    if len(facts.licences) == 1:
        document["license"] = facts.licences[0]
    elif facts.licences:
        document["license"] = list(facts.licences)
    for key, agents in (("creator", facts.creators), ("publisher", facts.publishers)):
        if agents:
            document[key] = _one([_organization(a) for a in agents])
    if facts.years is not None:
        document["temporalCoverage"] = f"{facts.years[0]}/{facts.years[1]}"
    if facts.places:
        document["spatialCoverage"] = [_place(p) for p in facts.places]
    if facts.indicators:
        document["variableMeasured"] = [_variable(i) for i in facts.indicators]
    if facts.derived_from:
        document["isBasedOn"] = _one([_work(w) for w in facts.derived_from])
    if facts.primary_sources:
        document["citation"] = _one([_work(w) for w in facts.primary_sources])
    parts = [p for p in facts.parts if p.title and len(p.description) >= 50]
    if parts:
        document["hasPart"] = [{"@type": "Dataset", "@id": p.iri, "name": p.title, "description": p.description,
                                **({"license": facts.licences[0]} if len(facts.licences) == 1 else {})}
                               for p in parts]
    document["distribution"] = [_download(d, iri) for d in void.downloads(release, settings)]
    return document


def _one(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _organization(agent: void.Agent) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": "Organization", "@id": agent.iri,
                             "name": agent.names.get("en") or next(iter(agent.names.values()), agent.iri)}
    if agent.homepage:
        found["url"] = agent.homepage
    return found


def _place(place: void.Place) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": "Country", "@id": place.iri,
                             "name": place.labels.get("en") or next(iter(place.labels.values()), place.iri)}
    if place.same_as:
        found["sameAs"] = list(place.same_as)
    return found


def _variable(indicator: void.Indicator) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": "PropertyValue", "name": indicator.labels.get("en", indicator.iri),
                             "propertyID": indicator.iri}
    if indicator.definition:
        found["description"] = indicator.definition
    if indicator.units:
        found["unitCode"] = _one(list(indicator.units))
    return found


def _work(work: void.Work) -> dict[str, Any]:
    kind = next((t for t in WORK_TYPES if SCHEMA + t in work.types), "CreativeWork")
    found: dict[str, Any] = {"@type": kind, "@id": work.iri}
    if work.name:
        found["headline" if kind == "NewsArticle" else "name"] = work.name
    if work.date:
        found["datePublished"] = work.date
    if work.authors:
        found["author"] = _one([{"@type": "Organization", "name": name} for name in work.authors])
    if work.publishers:
        found["publisher"] = _one([{"@type": "Organization", "name": name} for name in work.publishers])
    return found


def _download(download: void.Download, dataset: str) -> dict[str, Any]:
    fmt = download.fmt
    if fmt is not None:
        name = f"{fmt.label} dump{' (gzip)' if download.gz else ''}"
    else:
        name = f"Table {download.fragment} (CSV)"
    return {"@type": "DataDownload", "@id": f"{dataset}#{download.fragment}", "name": name, "contentUrl": download.url,
            "encodingFormat": void.GZIP if download.gz else download.media_type,
            "contentSize": f"{download.entry.bytes} B", "sha256": download.entry.sha256}
