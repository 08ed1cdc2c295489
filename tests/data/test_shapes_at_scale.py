"""SHACL Core compiled to SPARQL gives pySHACL's report on synthetic graphs of 10k and 100k triples.

The shape examples and the real data are small (``test_shapes.py`` compares the build's way with plain pySHACL
on each, SHACL-SPARQL included). Here the graph is made by ``bench/generate.py`` (the article's shape, scaled)
with every ``-invalid-`` shape example added to it, so the report has results of most shapes at once, among
many valid entities. The build's report is compared with the one pySHACL gives when it validates SHACL Core
itself (``core=False``; SHACL-SPARQL is offloaded both ways: pySHACL runs it through rdflib's SPARQL engine
per focus node, hours at this size). Both must give the same results, counted.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from helpers.projects import ROOT, project_with
from kgpub.build.sources import load_sources
from kgpub.build.validate import validate
from kgpub.settings import DEFAULT_BASE_IRI

INVALID = sorted((ROOT / "shapes" / "examples").glob("*-invalid-*.ttl"))


def _generated(tmp: Path, triples: int) -> list[Path]:
    out = tmp / f"p{triples}"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", str(triples), "--out",
                    str(out)], check=True, capture_output=True, timeout=600)
    return sorted((out / "data").glob("*.ttl"))


@pytest.mark.slow
@pytest.mark.parametrize("triples", [10_000, 100_000])
def test_compiled_shacl_gives_pyshacl_report_at_scale(tmp_path: Path, triples: int) -> None:
    project = project_with(tmp_path / "project", [*_generated(tmp_path, triples), *INVALID])
    sources = load_sources(project, base_iri=DEFAULT_BASE_IRI)
    compiled = Counter(validate(sources).results)
    by_pyshacl = Counter(validate(sources, core=False).results)
    assert sum(by_pyshacl.values()) > len(INVALID), "the invalid examples should give results"
    assert compiled == by_pyshacl, (f"only compiled: {list((compiled - by_pyshacl).elements())[:10]}\n"
                                    f"only pySHACL: {list((by_pyshacl - compiled).elements())[:10]}")
