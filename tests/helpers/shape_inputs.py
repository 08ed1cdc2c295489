"""What the shape tests validate: every file of shapes/examples alone, and all of data/ together."""

from __future__ import annotations

from pathlib import Path

from helpers.projects import ROOT

EXAMPLES = sorted((ROOT / "shapes" / "examples").glob("*.ttl"))
DATA_FILES = sorted((ROOT / "data").glob("*.ttl"))
REAL_DATA = "the real data"


def shape_inputs() -> dict[str, list[Path]]:
    return {**{p.name: [p] for p in EXAMPLES}, REAL_DATA: DATA_FILES}
