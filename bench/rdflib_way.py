"""The baseline: the steps of ``kgpub build`` done the plain rdflib + pySHACL way.

    python bench/rdflib_way.py --project DIR --releases DIR

1. parse: rdflib parses every ``*.ttl`` (``*.nt``) file directly in ontology/, data/ and
   shapes/ into an rdflib ``Dataset``, one named graph per folder (the same graph names as
   kgpub: ``<base>graph/<folder>``);
2. validate: ``pyshacl.validate`` over data + ontology (one rdflib graph) with the shapes graph,
   with kgpub's options (``inference="none"``, ``allow_warnings=True``, ``advanced=True``), plus
   the same linear duplicate-observation check (Data Cube IC-12; the same SPARQL query, run by
   rdflib, hashed in Python); results are added to the report graph; violations stop here;
3. write: rdflib serializes the same dumps as a kgpub release (Turtle, N-Triples and JSON-LD of
   data + ontology; N-Quads and TriG of all named graphs including the validation report), each
   also gzipped (level 9, like kgpub), the validation report (``validation.ttl``,
   ``validation.txt``) and a manifest with SHA-256 hashes, into ``<releases>/<version>/``.

Not done (kgpub does them, so this baseline does less work than kgpub): no RDFC-1.0 blank node
canonicalization and no sorting of statements (rdflib's dumps are not canonical), and no
persistent query store (rdflib has none without an extra package).

Prints ``BENCH-STEP <step> <seconds>`` as each step ends and, at the end, one line
``BENCH-JSON {...}`` with the time of each step.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import pyshacl  # noqa: E402
from rdflib import BNode, Dataset, Graph, Literal, URIRef  # noqa: E402
from rdflib.namespace import RDF, SH  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _T0

BASE_IRI = "https://w3id.org/kjtrade/"
FOLDERS = ("ontology", "data", "shapes")
FORMATS = {".ttl": "turtle", ".nt": "nt"}
IC12 = URIRef("https://w3id.org/kjtrade/shapes#IC12-NoDuplicateObservations")
DIMENSION_VALUES = """
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?ds ?obs ?dim ?value WHERE {
  ?obs qb:dataSet ?ds .
  ?ds qb:structure/qb:component/qb:dimension ?dim .
  OPTIONAL { ?obs ?dim ?value }
}
"""


def build(project: Path, releases: Path) -> dict[str, float | int | str]:
    times: dict[str, float | int | str] = {"import": IMPORT_SECONDS}
    t = time.perf_counter()

    # 1. parse
    ds = Dataset()
    graphs = {folder: ds.graph(URIRef(f"{BASE_IRI}graph/{folder}")) for folder in FOLDERS}
    for folder in FOLDERS:
        for path in sorted((project / folder).glob("*")):
            if path.suffix in FORMATS and path.is_file():
                graphs[folder].parse(path, format=FORMATS[path.suffix])
    times["parse"] = _lap(t)
    _step("parse", times["parse"])

    # 2. validate
    t = time.perf_counter()
    kg = Graph()
    for prefix, ns in ds.namespaces():
        kg.bind(prefix, ns, override=True, replace=True)
    kg += graphs["data"]
    kg += graphs["ontology"]
    times["validate.union_graph"] = _lap(t)
    t1 = time.perf_counter()
    _, report, text = pyshacl.validate(data_graph=kg, shacl_graph=graphs["shapes"], inference="none",
                                       allow_warnings=True, advanced=True)
    times["validate.pyshacl"] = _lap(t1)
    t1 = time.perf_counter()
    assert isinstance(report, Graph)
    duplicates = _add_duplicates(kg, report)
    times["validate.ic12"] = _lap(t1)
    violations = sum(1 for _ in report.subjects(SH.resultSeverity, SH.Violation))
    report_node = next(iter(report.subjects(RDF.type, SH.ValidationReport)))
    report.set((report_node, SH.conforms, Literal(violations == 0)))
    times["validate"] = _lap(t)
    _step("validate", times["validate"])
    times["violations"] = violations
    times["duplicates"] = duplicates
    if violations:
        print(text, file=sys.stderr)
        print(f"BENCH-JSON {json.dumps(times)}")
        sys.exit(1)

    # 3. write
    t = time.perf_counter()
    validation = ds.graph(URIRef(f"{BASE_IRI}graph/validation"))
    validation += report
    files: dict[str, bytes] = {}
    t1 = time.perf_counter()
    for ext, source, fmt in (("ttl", kg, "turtle"), ("nt", kg, "nt"), ("nq", ds, "nquads"), ("trig", ds, "trig"),
                             ("jsonld", kg, "json-ld")):
        files[f"dataset.{ext}"] = source.serialize(format=fmt, encoding="utf-8")
    files["validation.ttl"] = report.serialize(format="turtle", encoding="utf-8")
    files["validation.txt"] = str(text).encode("utf-8")
    times["write.serialize"] = _lap(t1)
    t1 = time.perf_counter()
    for ext in ("ttl", "nt", "nq", "trig", "jsonld"):
        files[f"dataset.{ext}.gz"] = gzip.compress(files[f"dataset.{ext}"], compresslevel=9, mtime=0)
    times["write.gzip"] = _lap(t1)
    t1 = time.perf_counter()
    version = hashlib.sha256(files["dataset.nq"]).hexdigest()[:16]
    releases.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=releases))
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    manifest = {
        "version": version,
        "graphs": {str(g.identifier): len(g) for g in ds.graphs() if len(g)},
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in sorted(files.items())},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    final = releases / version
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    times["write.files"] = _lap(t1)
    times["write"] = _lap(t)
    times["triples"] = sum(len(graphs[f]) for f in FOLDERS)
    return times


def _add_duplicates(kg: Graph, report: Graph) -> int:
    """The same linear IC-12 check as kgpub.build.cube, with rdflib's SPARQL engine."""
    keys: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in kg.query(DIMENSION_VALUES):
        ds, obs, dim, value = row  # type: ignore[misc]
        keys[(str(ds), str(obs))].append((str(dim), value.n3() if value is not None else ""))
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    report_node = next(iter(report.subjects(RDF.type, SH.ValidationReport)))
    found = 0
    for (ds, obs), values in sorted(keys.items()):
        key = (ds, tuple(sorted(values)))
        if key not in seen:
            seen[key] = obs
            continue
        found += 1
        node = BNode()
        report.add((report_node, SH.result, node))
        for p, o in ((RDF.type, SH.ValidationResult), (SH.resultSeverity, SH.Violation),
                     (SH.focusNode, URIRef(obs)), (SH.sourceShape, IC12), (SH.sourceConstraintComponent, IC12),
                     (SH.value, URIRef(seen[key])),
                     (SH.resultMessage, Literal(f"Duplicate observation (Data Cube IC-12) of <{seen[key]}>"))):
            report.add((node, p, o))
    return found


def _lap(t: float) -> float:
    return round(time.perf_counter() - t, 4)


def _step(name: str, seconds: float) -> None:
    """Progress for a run that may be killed: the steps it finished."""
    print(f"BENCH-STEP {name} {seconds}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description="kgpub build's steps, the plain rdflib + pySHACL way")
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--releases", type=Path, required=True)
    args = ap.parse_args()
    t = time.perf_counter()
    times = build(args.project.resolve(), args.releases)
    times["total_in_process"] = round(time.perf_counter() - t + IMPORT_SECONDS, 4)
    print(f"BENCH-JSON {json.dumps(times)}")


if __name__ == "__main__":
    main()
