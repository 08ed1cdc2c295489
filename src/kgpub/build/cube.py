"""Data Cube checks that SHACL expresses badly, done in linear time over the store.

IC-12 (no duplicate observations): two observations in one data set must differ in at
least one dimension value. As SPARQL this is a quadratic self-join; here each observation's
dimension values are hashed per data set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pyoxigraph import QuerySolutions, Store

_DIMENSION_VALUES = """
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?ds ?obs ?dim ?value WHERE {
  ?obs qb:dataSet ?ds .
  ?ds qb:structure/qb:component/qb:dimension ?dim .
  OPTIONAL { ?obs ?dim ?value }
}
"""


@dataclass(frozen=True)
class DuplicateObservation:
    dataset: str
    observation: str
    duplicate_of: str


def duplicate_observations(store: Store) -> list[DuplicateObservation]:
    """Observations whose data set and dimension values equal an earlier one (IC-12)."""
    # a triple stated in several graphs comes back once per graph: dimension values are a set
    keys: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    rows = store.query(_DIMENSION_VALUES, use_default_graph_as_union=True)
    assert isinstance(rows, QuerySolutions)
    for row in rows:
        value = str(row["value"]) if row["value"] is not None else ""  # str() keeps the datatype
        keys[(row["ds"].value, row["obs"].value)].add((row["dim"].value, value))
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    found = []
    for (ds, obs), values in sorted(keys.items()):
        key = (ds, tuple(sorted(values)))
        if key in seen:
            found.append(DuplicateObservation(dataset=ds, observation=obs, duplicate_of=seen[key]))
        else:
            seen[key] = obs
    return found
