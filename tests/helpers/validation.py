"""Validate shape examples both ways (offloaded and plain pySHACL), in parallel processes.

Each input is validated once each way by ``kgpub.build.validate.validate`` in a project
whose ``data/`` holds just its files and whose ``ontology/`` and ``shapes/`` are the
repository's. The work runs in spawned processes over the machine's cores (spawned, not
forked: the test process may have threads); tests then assert on the picklable outcomes.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpers.projects import project_with

KJSH = "https://w3id.org/kjtrade/shapes#"
SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Way:
    results: tuple[object, ...]  # kgpub.build.report.Result, in report order
    conforms: bool  # SHACL's verdict: no results at all
    publishable: bool  # the publication gate: no violations
    graph_results: tuple[tuple[str, str, str], ...]  # (focus node, source shape, severity) IRIs of every result
    dangling: tuple[str, ...]  # predicates of blank node objects the report graph does not describe


@dataclass(frozen=True)
class Outcome:
    kjsh_prefix: str | None  # what the sources declare for the shapes namespace's prefix "kjsh"
    offloaded: Way
    plain: Way


def _way(report: object) -> Way:
    from rdflib import BNode, URIRef

    graph = report.graph  # type: ignore[attr-defined]

    def name(node: object) -> str:  # blank node labels differ between runs: they name no shape
        return "(blank node)" if isinstance(node, BNode) else str(node)

    facts = tuple(sorted(
        (name(graph.value(n, URIRef(SH + "focusNode"))), name(graph.value(n, URIRef(SH + "sourceShape"))),
         name(graph.value(n, URIRef(SH + "resultSeverity"))))
        for n in graph.subjects(URIRef(RDF_TYPE), URIRef(SH + "ValidationResult"))))
    subjects = set(graph.subjects())
    dangling = tuple(sorted({str(p) for _, p, o in graph if isinstance(o, BNode) and o not in subjects}))
    return Way(results=report.results, conforms=report.conforms,  # type: ignore[attr-defined]
               publishable=report.publishable, graph_results=facts, dangling=dangling)  # type: ignore[attr-defined]


def validate_both_ways(files: list[str]) -> Outcome:
    from kgpub.build.sources import load_sources
    from kgpub.build.validate import validate
    from kgpub.settings import DEFAULT_BASE_IRI

    tmp = Path(tempfile.mkdtemp(prefix="kgpub-shapes-"))
    try:
        project = project_with(tmp / "p", [Path(name) for name in files])
        sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
        return Outcome(kjsh_prefix=sources.prefixes.get("kjsh"), offloaded=_way(validate(sources)),
                       plain=_way(validate(sources, offload=False)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Background:
    """Every input validated both ways, once, over the cores, started now; :meth:`result` waits for it.

    Started when the session is collected, so the light tests that run first overlap it;
    the timing-sensitive end-to-end tests are ordered after the tests that wait for it.
    """

    def __init__(self, inputs: dict[str, list[Path]]) -> None:
        self.names = list(inputs)
        jobs = [[str(p) for p in inputs[n]] for n in self.names]
        processes = max(1, min(len(os.sched_getaffinity(0)), 4, len(jobs)))
        self._pool = multiprocessing.get_context("spawn").Pool(processes)
        self._pending = self._pool.map_async(validate_both_ways, jobs, chunksize=1)

    def result(self) -> dict[str, Outcome]:
        outcomes = self._pending.get(timeout=1800)
        self.close()
        return dict(zip(self.names, outcomes, strict=True))

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


def validate_all(inputs: dict[str, list[Path]]) -> dict[str, Outcome]:
    """Every input validated both ways, once, over the cores; by input name."""
    return Background(inputs).result()
