"""Canonical IRIs and the server's paths: one rule, both ways.

Every IRI under the base (``https://w3id.org/kjtrade/``, the ``base_iri`` setting) is answered
at the same path on any origin: ``https://w3id.org/kjtrade/id/country/KR`` at
``/id/country/KR``. A document in one format is the IRI's path plus the format's extension
(``/id/country/KR.ttl``); IRIs never end in a file extension (the modelling guide), so a
suffix is never part of an IRI. Hash IRIs (``ontology#Term``) are answered by their document
(the fragment never reaches a server). The RDF served always names the canonical IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass

from kgpub.rdf.formats import HTML, Format, Kind, by_kind

RDF_DOCUMENT_FORMATS: tuple[Format, ...] = by_kind(Kind.RDF)
DOCUMENT_FORMATS: tuple[Format, ...] = (*RDF_DOCUMENT_FORMATS, HTML)
"""Formats of documents: every RDF format of the registry, then the page for people (so ``*/*`` gets
Turtle, and a browser, which names ``text/html`` first, gets the page)."""
_BY_EXTENSION = {f.extension: f for f in DOCUMENT_FORMATS}


@dataclass(frozen=True)
class Namespace:
    """The base every canonical IRI starts with, and its paths on the server."""

    base: str  # ends with "/"

    def iri(self, path: str) -> str:
        """The canonical IRI answered at ``path`` (``/id/country/KR`` -> ``<base>id/country/KR``)."""
        return self.base + path.lstrip("/")

    def path(self, iri: str) -> str | None:
        """The server path of a canonical IRI (its fragment dropped), or None when it is not under the base."""
        if not iri.startswith(self.base):
            return None
        return "/" + iri[len(self.base):].partition("#")[0]

    def href(self, iri: str) -> str:
        """Where a person reads about ``iri``: its page on this server (a hash IRI's fragment kept, so
        ``ontology#refArea`` lands on the term), or the IRI itself when it is not under the base."""
        path = self.path(iri)
        if path is None:
            return iri
        _, hash_, fragment = iri.partition("#")
        return path + (f"#{fragment}" if hash_ else "")

    def document(self, path: str, fmt: Format) -> str:
        """The path of ``path``'s document in ``fmt`` (``/id/country/KR.ttl``)."""
        return f"{path}.{fmt.extension}"


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``/id/country/KR.ttl`` -> (``/id/country/KR``, Turtle); a path without a document suffix is itself."""
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension and extension in _BY_EXTENSION and stem and not stem.endswith("/"):
        return stem, _BY_EXTENSION[extension]
    return path, None
