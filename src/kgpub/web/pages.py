"""HTML pages for people (view models rendered with the stdlib's string.Template)."""

from __future__ import annotations

import html
from importlib import resources
from string import Template
from urllib.parse import urlencode

from kgpub.rdf.formats import FORMATS
from kgpub.release.reader import Release
from kgpub.settings import Settings

FALLBACK_QUERY = "SELECT * WHERE { ?s ?p ?o } LIMIT 10"  # a release without example queries


def _template(name: str) -> Template:
    return Template(resources.files("kgpub.web").joinpath("templates", name).read_text(encoding="utf-8"))


def query_page(*, endpoint: str, release: Release, settings: Settings) -> str:
    """The query form, prefilled with the release's first example query, and the list of all examples."""
    examples = release.examples()
    options = "\n".join(f'        <option value="{f.name}">{html.escape(f.label)}</option>' for f in FORMATS)
    items = "\n".join(
        f'  <li><a href="{html.escape(endpoint + "?" + urlencode({"query": e["query"]}))}">'
        f'{html.escape(e["title"])}</a> — {html.escape(e["description"])}</li>' for e in examples)
    return _template("query.html").substitute(
        title="kgpub", version=html.escape(release.version), triples=release.default_graph_triples,
        timeout=f"{settings.query_timeout:g}", max_rows=settings.max_rows, endpoint=html.escape(endpoint),
        example=html.escape(examples[0]["query"] if examples else FALLBACK_QUERY), options=options,
        examples=f"<h2>Example queries</h2>\n<ul>\n{items}\n</ul>" if examples else "")
