"""The page for people of each document under the base: which template, with which model.

| resource | page |
|---|---|
| an entity (``/id/…``), a graph (``/graph/…``) | ``entity.html``: :mod:`kgpub.resources.views`, provenance, charts |
| the dataset (``/``, the dataset IRI, ``/.well-known/void``) | ``home.html``: :mod:`kgpub.resources.home` |
| ``/ontology`` | ``ontology.html``: :mod:`kgpub.resources.ontology_view` |
| ``/shapes``, ``/validation`` | ``shapes.html``, ``validation.html``: :mod:`kgpub.resources.shapes_view` |

Every page embeds the RDF it shows as JSON-LD (the document's own JSON-LD, or for the home page the
schema.org Dataset) and links its other formats.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import Request

from kgpub.rdf.formats import BY_NAME
from kgpub.resources.documents import Resource
from kgpub.resources.home import chart_views, home
from kgpub.resources.provenance import provenance
from kgpub.resources.views import QB
from kgpub.site import Served
from kgpub.web import pages

CHARTED = {QB + "Observation", QB + "DataSet"}


def script_json(text: str) -> str:
    """JSON text safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def context(request: Request, served: Served, resource: Resource, lang: str) -> tuple[str, dict[str, Any]]:
    """(template, context) of ``resource``'s page in ``lang``."""
    from kgpub.resources.iris import RDF_DOCUMENT_FORMATS

    frame = pages.frame(request, lang, served.release, documents=RDF_DOCUMENT_FORMATS,
                        path=resource.document_path)
    if resource.kind == "dataset":
        return "home.html", _home(served, frame, lang)
    if resource.kind == "graph-content":
        return _graph_page(served, resource, frame, lang)
    return "entity.html", _entity(served, resource, frame, lang)


def _entity(served: Served, resource: Resource, frame: pages.Frame, lang: str) -> dict[str, Any]:
    from kgpub.web.query_page import query_ui_link

    views = served.views
    page = views.entity(resource.topic, lang)
    charted = any(t.iri in CHARTED for t in page.types)
    jsonld = served.documents.render(resource, BY_NAME["jsonld"]).decode("utf-8")
    return {"frame": frame, "page": page, "provenance": provenance(views, resource.topic, lang),
            "charts": chart_views(views, lang, only=resource.topic) if charted else (),
            "jsonld": script_json(jsonld), "query_href": query_ui_link(f"DESCRIBE <{resource.topic}>"),
            "incoming_href": "/fragments?object=" + quote(resource.topic, safe="")}


def _home(served: Served, frame: pages.Frame, lang: str) -> dict[str, Any]:
    from kgpub.metadata.schema_org import dataset_jsonld
    from kgpub.web.query_page import query_ui_link

    model = home(served.views, served.release, served.settings, lang)
    described = dataset_jsonld(served.release, served.settings, store=served.store)
    runs = [query_ui_link(q["query"]) for q in model.queries]
    return {"frame": frame, "home": model, "runs": runs,
            "jsonld": script_json(json.dumps(described, ensure_ascii=False, indent=1))}


def _graph_page(served: Served, resource: Resource, frame: pages.Frame, lang: str) -> tuple[str, dict[str, Any]]:
    from kgpub.resources import ontology_view, shapes_view

    name = resource.path.removeprefix("/").split("/")[0]
    if name == "shapes":
        return "shapes.html", {"frame": frame, "model": shapes_view.shapes(served.views, lang)}
    if name == "validation":
        return "validation.html", {"frame": frame, "model": shapes_view.validation(served.views, served.release, lang)}
    return "ontology.html", {"frame": frame, "model": ontology_view.ontology(served.views, lang)}
