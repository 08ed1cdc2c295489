"""HTML pages for people (view models rendered with the stdlib's string.Template)."""

from __future__ import annotations

import html
from importlib import resources
from string import Template

from kgpub.rdf.formats import FORMATS
from kgpub.release.reader import Release
from kgpub.settings import Settings

EXAMPLE_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>

SELECT ?observation ?label ?value WHERE {
  ?observation a qb:Observation ;
               rdfs:label ?label ;
               sdmx-measure:obsValue ?value .
}
ORDER BY ?observation"""


def _template(name: str) -> Template:
    return Template(resources.files("kgpub.web").joinpath("templates", name).read_text(encoding="utf-8"))


def query_page(*, endpoint: str, release: Release, settings: Settings) -> str:
    options = "\n".join(f'        <option value="{f.name}">{html.escape(f.label)}</option>' for f in FORMATS)
    return _template("query.html").substitute(
        title="kgpub", version=html.escape(release.version), triples=release.default_graph_triples,
        timeout=f"{settings.query_timeout:g}", max_rows=settings.max_rows, endpoint=html.escape(endpoint),
        example=html.escape(EXAMPLE_QUERY), options=options)
