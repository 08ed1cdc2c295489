"""The release's figures, read from its Data Cube observations (never written down anywhere else).

:func:`series` groups the observations by data set and indicator; each :class:`Series` is one
card of key figures and one chart on the home page (and on its data set's and observations' pages).
The bar of each observation is named by the dimension that varies within the series (the year,
or the survey cohort) and, for a cohort, carries its size (``kjt:cohortSize``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pyoxigraph import DefaultGraph, Literal, NamedNode, Store

QB = "http://purl.org/linked-data/cube#"
KJT = "https://w3id.org/kjtrade/ontology#"
OBS_VALUE = "http://purl.org/linked-data/sdmx/2009/measure#obsValue"
UNIT_MEASURE = "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DIMENSIONS = (KJT + "refYear", KJT + "refMonth", KJT + "respondentCohort", KJT + "refArea",
              KJT + "counterpartArea", KJT + "policyOption")
"""The dimensions a bar may be named by, in the order they are tried."""


@dataclass(frozen=True)
class Point:
    iri: str
    value: Decimal
    lexical: str
    unit: str
    by: str  # the varying dimension's value: an IRI, or a literal's lexical form
    by_is_iri: bool
    size: int | None = None  # the cohort's size, when ``by`` is a survey cohort


@dataclass(frozen=True)
class Series:
    data_set: str
    indicator: str
    unit: str
    dimension: str  # the dimension that names the bars
    points: tuple[Point, ...]

    @property
    def id(self) -> str:
        return "chart-" + self.data_set.rstrip("/").rsplit("/", 1)[-1] + "-" + self.indicator.rsplit("/", 1)[-1]


def _one(store: Store, subject: NamedNode, predicate: str) -> NamedNode | Literal | None:
    for quad in store.quads_for_pattern(subject, NamedNode(predicate), None, DefaultGraph()):
        if isinstance(quad.object, NamedNode | Literal):
            return quad.object
    return None


def _observation(store: Store, node: NamedNode) -> bool:
    typed = store.quads_for_pattern(node, NamedNode(RDF_TYPE), NamedNode(QB + "Observation"), DefaultGraph())
    return next(typed, None) is not None


def series(store: Store, *, data_set: str | None = None) -> list[Series]:
    """Every (data set, indicator) group of observations with a numeric value, in a stable order; only those of
    ``data_set`` when given (an observation's page reads its own data set, not every observation)."""
    groups: dict[tuple[str, str], list[tuple[NamedNode, dict[str, NamedNode | Literal]]]] = defaultdict(list)
    found = (store.quads_for_pattern(None, NamedNode(QB + "dataSet"), NamedNode(data_set), DefaultGraph())
             if data_set is not None else
             store.quads_for_pattern(None, NamedNode(RDF_TYPE), NamedNode(QB + "Observation"), DefaultGraph()))
    for quad in found:
        obs = quad.subject
        if not isinstance(obs, NamedNode) or (data_set is not None and not _observation(store, obs)):
            continue
        owner, indicator = _one(store, obs, QB + "dataSet"), _one(store, obs, KJT + "indicator")
        if owner is None or indicator is None:
            continue
        dims = {d: v for d in DIMENSIONS if (v := _one(store, obs, d)) is not None}
        groups[(owner.value, indicator.value)].append((obs, dims))
    return [s for key in sorted(groups) if (s := _series(store, *key, groups[key])) is not None]


def _series(store: Store, data_set: str, indicator: str,
            members: list[tuple[NamedNode, dict[str, NamedNode | Literal]]]) -> Series | None:
    varying = next((d for d in DIMENSIONS if len({str(m[1].get(d)) for m in members}) > 1),
                   next((d for d in DIMENSIONS if all(d in m[1] for m in members)), ""))
    points = []
    for obs, dims in members:
        value, unit = _one(store, obs, OBS_VALUE), _one(store, obs, UNIT_MEASURE)
        if not isinstance(value, Literal):
            continue
        try:
            number = Decimal(value.value)
        except InvalidOperation:
            continue
        by = dims.get(varying)
        size = _one(store, by, KJT + "cohortSize") if isinstance(by, NamedNode) else None
        points.append(Point(obs.value, number, value.value, unit.value if unit is not None else "",
                            by.value if by is not None else "", isinstance(by, NamedNode),
                            int(size.value) if isinstance(size, Literal) and size.value.isdigit() else None))
    if not points:
        return None
    points.sort(key=lambda p: (p.by, p.iri))
    return Series(data_set, indicator, points[0].unit, varying, tuple(points))
