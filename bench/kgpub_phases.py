"""``kgpub.build.pipeline`` in one process, with the time of each of its steps.

    python bench/kgpub_phases.py --project DIR --releases DIR

Runs the real library build (``kgpub.build.pipeline``) with timing wrappers put around the
functions it calls (nothing is re-implemented, so the figures follow the code as it changes):

- parse: ``load_sources`` (pyoxigraph's strict Turtle parser, per folder);
- staging: building the in-memory pyoxigraph store (what is left of ``build`` between parse
  and validate);
- validate: ``validate``, split into ``to_rdflib`` (the pyoxigraph -> rdflib bridge), pySHACL
  (``_pyshacl``: the whole pySHACL stage, wall time, including the forked children that share
  the work on large graphs; ``pyshacl.validate`` on older code), SHACL-SPARQL run on
  pyoxigraph (``shacl_sparql.plan``/``run``, when the code has them), IC-12
  (``duplicate_observations``) and the rest (report objects);
- write: everything after validation: report quads, canonicalization and sorting
  (``_canonical``), rendering the dumps (``_render``: pyoxigraph serialization + gzip), the
  manifest, the on-disk store and files (``_write``), the ``current`` link.

Prints one line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import functools  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from kgpub.build import parallel as kparallel  # noqa: E402
from kgpub.build import pipeline as kbuild  # noqa: E402
from kgpub.build import validate as kvalidate  # noqa: E402
from kgpub.release import writer as kwriter  # noqa: E402
from kgpub.settings import Settings  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _T0
TIMES: dict[str, float] = defaultdict(float)
INFO: dict[str, Any] = {"pyshacl_processes": 1}

# (module, attribute, phase name); missing attributes are skipped, so the script survives refactoring
WRAP = (
    (kbuild, "load_sources", "parse"),
    (kbuild, "validate", "validate"),
    (kvalidate, "to_rdflib", "validate.to_rdflib"),
    (kvalidate, "pyshacl_report", "validate.pyshacl"),  # wall time, forked children included
    (kvalidate, "duplicate_observations", "validate.ic12"),
    (kvalidate.shacl_sparql, "plan", "validate.sparql_plan"),
    (kvalidate.shacl_sparql, "run", "validate.sparql_run"),
    (kbuild, "from_rdflib", "write.report_quads"),
    (kwriter, "_canonical", "write.canonical"),
    (kwriter, "_render", "write.render"),
    (kwriter, "serialize", "write.render.serialize"),
    (gzip, "compress", "write.render.gzip"),
    (kwriter, "_manifest", "write.manifest"),
    (kwriter, "_write_folder", "write.store_and_files"),
    (kwriter, "_point_current", "write.current_link"),
)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[name] += time.perf_counter() - t
    return wrapper


def _count_groups(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        groups = fn(*args, **kwargs)
        INFO["pyshacl_processes"] = max(1, len(groups))
        return groups
    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser(description="kgpub.build.pipeline with a per-step timing")
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--releases", type=Path, required=True)
    args = ap.parse_args()
    missing = []
    for module, attr, name in WRAP:
        if module is not None and hasattr(module, attr):
            setattr(module, attr, _timed(name, getattr(module, attr)))
        else:
            missing.append(f"{getattr(module, '__name__', '?')}.{attr}")
    kparallel._shape_groups = _count_groups(kparallel._shape_groups)
    settings = Settings.load(env={}, project=args.project.resolve(), releases=args.releases.resolve())
    t = time.perf_counter()
    result = kbuild.build(settings)
    total = time.perf_counter() - t
    out: dict[str, Any] = {k: round(v, 4) for k, v in TIMES.items()}
    out["import"] = round(IMPORT_SECONDS, 4)
    out["build"] = round(total, 4)
    write = sum(v for k, v in TIMES.items() if k.startswith("write.") and k.count(".") == 1)
    out["write"] = round(write, 4)
    out["staging"] = round(total - TIMES["parse"] - TIMES["validate"] - write, 4)
    out["validate.other"] = round(TIMES["validate"] - sum(v for k, v in TIMES.items() if k.startswith("validate.")), 4)
    out["conforms"] = result.report.conforms
    out["release"] = str(result.release.path)
    out["unwrapped"] = missing
    out.update(INFO)
    print(f"BENCH-JSON {json.dumps(out)}")


if __name__ == "__main__":
    main()
