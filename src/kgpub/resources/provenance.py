"""Where a figure comes from, for the provenance panel of its page.

For any entity that carries the article's wording (``kjt:statedAs``) or a ``prov:`` source: the
wording itself, the article it was derived from and the report behind it (directly, through its
data set's ``prov:hadPrimarySource``, or through the article's ``schema:isBasedOn``), each with its
publisher and date; and for a stated ratio — or an observation that is its numerator or denominator —
the ratio the cited figures give, so the page can say in words that the article's 352-fold and the
figures' 386-fold disagree (the shapes report the same as a warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pyoxigraph import DefaultGraph, Literal, NamedNode, Store

from kgpub.resources import i18n
from kgpub.resources.views import KJT, OBS_VALUE, PROV, QB, SCHEMA, UNIT_MEASURE, Value, Views, literal

DCTERMS = "http://purl.org/dc/terms/"
PUBLISHERS = (SCHEMA + "publisher", DCTERMS + "publisher")
DATES = (SCHEMA + "datePublished", DCTERMS + "issued", DCTERMS + "date")
SOURCES = (PROV + "wasDerivedFrom", PROV + "hadPrimarySource", SCHEMA + "isBasedOn")


@dataclass(frozen=True)
class Source:
    work: Value
    publisher: Value | None
    date: str
    relation: str  # the property that names it (its label is shown)


@dataclass(frozen=True)
class Disagreement:
    ratio: Value
    stated: str  # "352"
    computed: str  # "386"
    numerator: Value
    denominator: Value
    numerator_figure: str  # "USD 77.2 billion"
    denominator_figure: str


@dataclass(frozen=True)
class Provenance:
    stated_as: tuple[Value, ...]
    sources: tuple[Source, ...]
    disagreement: Disagreement | None

    @property
    def empty(self) -> bool:
        return not (self.stated_as or self.sources or self.disagreement)


def provenance(views: Views, iri: str, lang: str) -> Provenance:
    store, node = views.store, NamedNode(iri)
    stated = tuple(literal(o, lang) for o in _objects(store, node, KJT + "statedAs") if isinstance(o, Literal))
    return Provenance(stated, _sources(views, node, lang), _disagreement(views, node, lang))


def _sources(views: Views, node: NamedNode, lang: str) -> tuple[Source, ...]:
    store, found, seen = views.store, [], set()
    queue = [(node, p) for p in SOURCES]
    queue += [(d, PROV + "hadPrimarySource") for d in _objects(store, node, QB + "dataSet")
              if isinstance(d, NamedNode)]
    while queue:
        subject, relation = queue.pop(0)
        for work in _objects(store, subject, relation):
            if not isinstance(work, NamedNode) or work.value in seen or work == node:
                continue
            seen.add(work.value)
            publisher = next((views.value(p, lang) for r in PUBLISHERS for p in _objects(store, work, r)), None)
            date = next((literal(d, lang).text for r in DATES for d in _objects(store, work, r)
                         if isinstance(d, Literal)), "")
            found.append(Source(views.value(work, lang), publisher, date, relation))
            queue += [(work, SCHEMA + "isBasedOn"), (work, PROV + "hadPrimarySource")]
    return tuple(found)


def _disagreement(views: Views, node: NamedNode, lang: str) -> Disagreement | None:
    store = views.store
    ratios = [node] if _objects(store, node, KJT + "statedValue") else []
    ratios += [q.subject for p in ("numerator", "denominator")
               for q in store.quads_for_pattern(None, NamedNode(KJT + p), node, DefaultGraph())
               if isinstance(q.subject, NamedNode)]
    for ratio in ratios:
        stated = _number(_objects(store, ratio, KJT + "statedValue"))
        top = _first(_objects(store, ratio, KJT + "numerator"))
        bottom = _first(_objects(store, ratio, KJT + "denominator"))
        if stated is None or not isinstance(top, NamedNode) or not isinstance(bottom, NamedNode):
            continue
        a, b = _number(_objects(store, top, OBS_VALUE)), _number(_objects(store, bottom, OBS_VALUE))
        if a is None or b is None or b == 0:
            continue
        computed = (a / b).quantize(Decimal(1)) if (a / b) == (a / b).to_integral_value() else round(a / b, 1)
        if computed == stated:
            continue
        return Disagreement(views.value(ratio, lang), i18n.number(str(stated), lang), i18n.number(str(computed), lang),
                            views.value(top, lang), views.value(bottom, lang), _figure(store, top, lang),
                            _figure(store, bottom, lang))
    return None


def _figure(store: Store, observation: NamedNode, lang: str) -> str:
    value = _first(_objects(store, observation, OBS_VALUE))
    unit = _first(_objects(store, observation, UNIT_MEASURE))
    if not isinstance(value, Literal):
        return ""
    return i18n.amount(value.value, unit.value if unit is not None else "", lang)


def _objects(store: Store, subject: object, predicate: str) -> list[object]:
    return [q.object for q in store.quads_for_pattern(subject, NamedNode(predicate), None, DefaultGraph())]  # type: ignore[arg-type]


def _first(terms: list[object]) -> NamedNode | Literal | None:
    for term in terms:
        if isinstance(term, NamedNode | Literal):
            return term
    return None


def _number(terms: list[object]) -> Decimal | None:
    term = _first(terms)
    if not isinstance(term, Literal):
        return None
    try:
        return Decimal(term.value)
    except InvalidOperation:
        return None
