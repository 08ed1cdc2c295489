"""The home page's model and the charts of the figures, in the reader's language, all from the release.

What the dataset is (its title and description in the three languages, from the dataset description),
the key figures as cards (one per series of observations, :mod:`kgpub.resources.figures`, plus the
stated-vs-computed growth), a chart per series (:mod:`kgpub.resources.charts`), the things in the
graph by type (``statistics.json``'s class partitions), the competency questions, the downloads
with their sizes, and how to cite the dataset (text, BibTeX, CSL-JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from pyoxigraph import DefaultGraph, NamedNode

from kgpub.metadata import statistics, void
from kgpub.release.reader import Release
from kgpub.resources import charts, i18n
from kgpub.resources.figures import Point, Series, series
from kgpub.resources.iris import Namespace
from kgpub.resources.provenance import Disagreement, provenance
from kgpub.resources.views import Value, Views
from kgpub.settings import Settings

QUDT = "http://qudt.org/vocab/unit/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
QB_DATA_SET = "http://purl.org/linked-data/cube#dataSet"
MEMBERS_SHOWN = 6  # things listed per type on the home page
MEMBERS_SCAN = 1000  # instances read to pick them (by label) from
KJT_STATED_RATIO = "https://w3id.org/kjtrade/ontology#StatedRatio"


@dataclass(frozen=True)
class Figure:
    label: Value  # the year or cohort
    figure: str  # "USD 77.2 billion"
    href: str  # the observation's page
    note: str = ""  # "234 companies"


@dataclass(frozen=True)
class ChartView:
    chart: charts.Chart
    svg: str
    figures: tuple[Figure, ...]
    indicator: Value
    data_set: Value
    spec_href: str


@dataclass(frozen=True)
class Download:
    label: str
    href: str
    size: str
    media_type: str


@dataclass(frozen=True)
class TypeCount:
    type: Value
    count: str
    members: tuple[Value, ...] = ()  # the first few, by label
    more: bool = False


@dataclass(frozen=True)
class HomePage:
    title: str
    description: str
    source: Value | None  # the article
    report: Value | None  # the report it reports on
    licence: Value | None
    charts: tuple[ChartView, ...]
    disagreement: Disagreement | None
    types: tuple[TypeCount, ...]
    queries: tuple[dict[str, str], ...]
    downloads: tuple[Download, ...]
    citation: str
    bibtex: str
    csl_json: str


def chart_views(views: Views, lang: str, *, only: str | None = None) -> tuple[ChartView, ...]:
    """A chart per series (or only the series of data set or observation ``only``)."""
    found = []
    if only is None:
        chosen = series(views.store)
    else:  # an observation's own data set, or the data set itself
        owner = next((q.object.value for q in views.store.quads_for_pattern(
            NamedNode(only), NamedNode(QB_DATA_SET), None, DefaultGraph()) if isinstance(q.object, NamedNode)), only)
        chosen = series(views.store, data_set=owner)
    for s in chosen:
        if only is not None and only != s.data_set and all(p.iri != only for p in s.points):
            continue
        found.append(_chart_view(views, s, lang))
    return tuple(found)


def _chart_view(views: Views, s: Series, lang: str) -> ChartView:
    _ = i18n.gettext(lang)
    indicator = views.value(NamedNode(s.indicator), lang)
    data_set = views.value(NamedNode(s.data_set), lang)
    figures = tuple(_figure(views, p, lang) for p in s.points)
    bars = tuple(charts.Bar(label=f.label.text, value=float(p.value), display=f.figure, href=f.href,
                            lang=f.label.lang, note=f.note) for f, p in zip(figures, s.points, strict=True))
    scale, domain, note = _scale(s, lang)
    words = "; ".join(f"{f.label.text}{' (' + f.note + ')' if f.note else ''}: {f.figure}" for f in figures)
    chart = charts.Chart(id=s.id, title=indicator.text, description=f"{indicator.text} ({data_set.text}). {words}.",
                         scale_note=note, bars=bars, scale=scale, domain=domain, value_title=indicator.text,
                         category_title=_(_DIMENSION_TITLES.get(s.dimension, CATEGORY)))
    drawn = charts.svg(chart, lang=lang, tick_format=lambda v: i18n.tick(v, lang))
    return ChartView(chart, drawn, figures, indicator, data_set,
                     f"/charts/{s.id}.vl.json?lang={lang}")


CATEGORY = i18n.N_("Category")
_DIMENSION_TITLES = {"https://w3id.org/kjtrade/ontology#refYear": i18n.N_("Year"),
                     "https://w3id.org/kjtrade/ontology#refMonth": i18n.N_("Month"),
                     "https://w3id.org/kjtrade/ontology#respondentCohort": i18n.N_("Cohort")}


def _scale(s: Series, lang: str) -> tuple[str, tuple[float, float] | None, str]:
    _ = i18n.gettext(lang)
    values = [p.value for p in s.points]
    if s.unit.startswith(QUDT + "CCY_") and min(values) > 0 and max(values) / min(values) >= 100:
        return "log", None, _("Logarithmic scale: each grid line is ten times the one before.")
    if s.unit == QUDT + "PERCENT":
        return "linear", (0.0, 100.0), _("Linear scale from 0 % to 100 %.")
    if all(Decimal(0) <= v <= Decimal(1) for v in values):
        return "linear", (0.0, 1.0), _("Linear scale over the index's whole range, from 0 to 1.")
    return "linear", None, _("Linear scale from 0.")


def _figure(views: Views, p: Point, lang: str) -> Figure:
    _ = i18n.gettext(lang)
    if p.by_is_iri:
        label = views.value(NamedNode(p.by), lang)
    else:
        shown = i18n.date(p.by, i18n.XSD + "gYearMonth", lang) if len(p.by) == 7 else p.by
        label = Value(shown, lang=lang if shown != p.by else "")
    note = _("%(n)s companies") % {"n": i18n.number(str(p.size), lang)} if p.size is not None else ""
    return Figure(label, i18n.amount(p.lexical, p.unit, lang), views.href(p.iri), note)


def home(views: Views, release: Release, settings: Settings, lang: str) -> HomePage:
    text = void.TEXTS.get(lang, void.TEXTS["en"])
    facts = void.Facts.of(release, views.store, settings)
    source = views.value(NamedNode(facts.derived_from[0].iri), lang) if facts.derived_from else None
    licence = views.value(NamedNode(facts.licences[0]), lang) if facts.licences else None
    report = views.value(NamedNode(facts.primary_sources[0].iri), lang) if facts.primary_sources else None
    ratio = next((q.subject.value for q in views.store.quads_for_pattern(  # type: ignore[union-attr]
        None, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), NamedNode(KJT_STATED_RATIO))), None)
    disagreement = provenance(views, ratio, lang).disagreement if ratio else None
    cite_text, bibtex, csl = citations(release, settings, facts, lang)
    return HomePage(title=text.title, description=_first_sentence(text.description), source=source, report=report,
                    licence=licence,
                    charts=chart_views(views, lang), disagreement=disagreement, types=_types(views, release, lang),
                    queries=tuple(release.examples()), downloads=_downloads(release, settings, views.ns, lang),
                    citation=cite_text, bibtex=bibtex, csl_json=csl)


def _first_sentence(text: str) -> str:
    """The description's first sentence: what the dataset is (its figures are read from the release)."""
    for stop in (". ", "。", "다. "):
        if stop in text:
            head = text.split(stop, 1)[0]
            return head + stop.strip()
    return text


def _types(views: Views, release: Release, lang: str) -> tuple[TypeCount, ...]:
    stats = statistics.of_release(release)
    found = []
    for c in stats.class_partitions:
        members = sorted((views.value(q.subject, lang) for q in islice(views.store.quads_for_pattern(
            None, NamedNode(RDF_TYPE), NamedNode(c.cls), DefaultGraph()), MEMBERS_SCAN)
            if isinstance(q.subject, NamedNode) and views.ns.path(q.subject.value)), key=lambda v: v.text.casefold())
        found.append(TypeCount(views.value(NamedNode(c.cls), lang), i18n.number(str(c.entities), lang),
                               tuple(members[:MEMBERS_SHOWN]), c.entities > MEMBERS_SHOWN))
    return tuple(sorted(found, key=lambda t: t.type.text.casefold()))


def _downloads(release: Release, settings: Settings, ns: Namespace, lang: str) -> tuple[Download, ...]:
    found = []
    for d in void.downloads(release, settings):
        label = (d.fmt.label if d.fmt is not None else d.name) + (" (gzip)" if d.gz else "")
        found.append(Download(label, ns.path(d.url) or d.url, _size(d.entry.bytes, lang), d.media_type))
    return tuple(found)


def _size(n: int, lang: str) -> str:
    for unit, factor in (("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= factor:
            return f"{i18n.number(f'{n / factor:.1f}', lang)} {unit}"
    return f"{i18n.number(str(n), lang)} B"


def citations(release: Release, settings: Settings, facts: void.Facts, lang: str) -> tuple[str, str, str]:
    """How to cite the dataset: a line of text, BibTeX and CSL-JSON (English title: one citable name)."""
    title = void.TEXTS["en"].title
    authors = [a.names.get("en") or next(iter(a.names.values()), "") for a in facts.creators] or ["kgpub"]
    publisher = next((a.names.get("en", "") for a in facts.publishers), "")
    url = void.dataset_iri(settings)
    day = release.built.date()
    text = (f"{'; '.join(authors)} ({day.year}). {title} (version {release.version}) [Data set]. "
            f"{publisher + '. ' if publisher else ''}{url}")
    key = f"kjtrade{day.year}"
    bibtex = "\n".join([f"@misc{{{key},", f"  title = {{{{{title}}}}},", f"  author = {{{' and '.join(authors)}}},",
                        f"  year = {{{day.year}}},", f"  version = {{{release.version}}},",
                        *([f"  publisher = {{{publisher}}},"] if publisher else []),
                        f"  url = {{{url}}},", "  note = {Data set, CC BY 4.0}", "}"])
    csl = {"id": key, "type": "dataset", "title": title, "author": [{"literal": a} for a in authors],
           "issued": {"date-parts": [[day.year, day.month, day.day]]}, "version": release.version, "URL": url,
           **({"publisher": publisher} if publisher else {})}
    return text, bibtex, json.dumps(csl, ensure_ascii=False, indent=2)
