"""Project folders for tests: a tiny one laid out like the real one, and copies of the real one."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TINY_ONTOLOGY = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Thing a rdfs:Class ; rdfs:label "Thing"@en .
"""
TINY_DATA = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:a a ex:Thing ; rdfs:label "A"@en ; ex:size 3 .
ex:b a ex:Thing ; rdfs:label "B"@en ; ex:size 300 .
"""
TINY_SHAPES = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "A thing needs a label" ] ;
  sh:property [ sh:path ex:size ; sh:maxInclusive 100 ; sh:severity sh:Warning ;
                sh:message "Unusually large size" ] .
"""


def write_project(root: Path, *, data: str = TINY_DATA, shapes: str = TINY_SHAPES,
                  ontology: str = TINY_ONTOLOGY) -> Path:
    for folder, text in (("ontology", ontology), ("data", data), ("shapes", shapes)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "main.ttl").write_text(text, encoding="utf-8")
    return root




def copy_project(dest: Path) -> Path:
    """A copy of this repository's ontology/, data/ and shapes/ (no release)."""
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def project_with(dest: Path, data_files: list[Path]) -> Path:
    """A project whose data/ holds copies of ``data_files``; ontology/ and shapes/ link to this repository's."""
    (dest / "data").mkdir(parents=True)
    for folder in ("ontology", "shapes"):
        (dest / folder).symlink_to(ROOT / folder)
    for f in data_files:
        (dest / "data" / f.name).write_bytes(f.read_bytes())
    return dest
