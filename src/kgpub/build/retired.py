"""Retired IRIs: ``data/retired.csv``, published IRIs that answer 410 Gone from now on.

A published IRI is never changed or reused (the modelling guide): when one has to go, it is
listed here with the date and the reason, and, when there is one, the IRI that replaces it.
Columns (:data:`COLUMNS`): ``iri``, ``retired`` (``YYYY-MM-DD``), ``reason``, ``replaced_by``
(optional). The build checks every row (under the base, a date, a reason, an IRI the graph
no longer describes — it may still name it, as ``owl:priorVersion`` does —, a replacement the
graph names) and publishes them as ``retired.json``.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Container
from pathlib import Path

from pyoxigraph import NamedNode, Quad, Store

from kgpub.errors import InputError

LIST = Path("data") / "retired.csv"  # inside the project folder
COLUMNS = ("iri", "retired", "reason", "replaced_by")


def retired(project: Path, *, base_iri: str, quads: list[Quad] | None = None, store: Store | None = None
            ) -> list[dict[str, str]]:
    """The checked rows of the project's retired list (none when it has no list); an InputError
    naming the file and line for a bad row. The graph is ``quads``, or ``store`` (looked up per row: a large graph
    is never gathered into sets)."""
    path = project / LIST
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise InputError(f"{LIST}:1: the columns must be {', '.join(COLUMNS)}")
        described: Container[str]
        named: Container[str]
        if store is not None:
            described, named = _Lookup(store, subject=True), _Lookup(store, subject=False)
        else:
            described = {q.subject.value for q in quads or () if isinstance(q.subject, NamedNode)}
            named = described | {q.object.value for q in quads or () if isinstance(q.object, NamedNode)}
        rows = []
        for row in reader:
            where = f"{LIST}:{reader.line_num}"
            entry = {k: (row.get(k) or "").strip() for k in COLUMNS}
            rows.append(_checked(entry, where, base_iri, described, named))
    return sorted(rows, key=lambda r: r["iri"])


class _Lookup:
    """``iri in lookup``: whether the store describes the IRI (as a subject), or names it at all."""

    def __init__(self, store: Store, *, subject: bool) -> None:
        self.store, self.subject = store, subject

    def __contains__(self, iri: object) -> bool:
        node = NamedNode(str(iri))
        if next(self.store.quads_for_pattern(node, None, None), None) is not None:
            return True
        return not self.subject and next(self.store.quads_for_pattern(None, None, node), None) is not None


def _checked(entry: dict[str, str], where: str, base_iri: str, described: Container[str], named: Container[str]
             ) -> dict[str, str]:
    iri, replacement = entry["iri"], entry["replaced_by"]
    if not iri.startswith(base_iri) or "#" in iri:
        raise InputError(f"{where}: {iri!r} is not a slash IRI under the base {base_iri} (only those dereference)")
    try:
        datetime.date.fromisoformat(entry["retired"])
    except ValueError:
        raise InputError(f"{where}: retired {entry['retired']!r} is not a date (YYYY-MM-DD)") from None
    if not entry["reason"]:
        raise InputError(f"{where}: {iri} has no reason; say why it was retired")
    if iri in described:
        raise InputError(f"{where}: {iri} is retired but the graph still describes it")
    if replacement and replacement not in named:
        raise InputError(f"{where}: the replacement {replacement} is not an IRI of the graph")
    return entry


def render(rows: list[dict[str, str]]) -> bytes:
    """``retired.json``: the rows as the server reads them."""
    return (json.dumps(rows, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
