"""The project's example queries (``data/queries/*.rq``), published with each release.

Each file starts with ``# Title: …`` and ``# Description: …`` comment lines; the query page
and the documentation list them. This is data of the project, never of the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

QUERIES = Path("data") / "queries"


def example_queries(project: Path) -> bytes:
    """``queries.json``: a list of {name, title, description, query}, in file-name order."""
    folder = project / QUERIES
    found = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        header = {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            if value:
                header[key.strip().lower()] = value.strip()
        found.append({"name": path.stem, "title": header.get("title", path.stem),
                      "description": header.get("description", ""), "query": text})
    return (json.dumps(found, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
