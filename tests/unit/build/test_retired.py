"""The retired list: every row checked with file and line, published as retired.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad

from kgpub.build.retired import render, retired
from kgpub.errors import InputError

BASE = "https://w3id.org/kjtrade/"
QUADS = [Quad(NamedNode(BASE + "id/thing/new"), NamedNode(BASE + "ontology#p"), NamedNode(BASE + "id/thing/old-name"))]
HEADER = "iri,retired,reason,replaced_by\n"


def project(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "retired.csv").write_text(HEADER + rows, encoding="utf-8")
    return tmp_path


def test_no_list_no_retired_iris(tmp_path: Path) -> None:
    assert retired(tmp_path, base_iri=BASE, quads=QUADS) == []


def test_rows_are_read_sorted_and_rendered(tmp_path: Path) -> None:
    rows = (f"{BASE}id/thing/zzz,2026-01-02,merged,\n"
            f"{BASE}id/thing/old-name,2026-01-01,\"renamed, see the new one\",{BASE}id/thing/new\n")
    found = retired(project(tmp_path, rows), base_iri=BASE, quads=QUADS)
    assert [r["iri"] for r in found] == [BASE + "id/thing/old-name", BASE + "id/thing/zzz"]
    assert json.loads(render(found))[0] == {"iri": BASE + "id/thing/old-name", "retired": "2026-01-01",
                                            "reason": "renamed, see the new one", "replaced_by": BASE + "id/thing/new"}


@pytest.mark.parametrize(("row", "message"), [
    ("http://example.org/x,2026-01-01,gone,", "not a slash IRI under the base"),
    (f"{BASE}ontology#p,2026-01-01,gone,", "not a slash IRI under the base"),
    (f"{BASE}id/thing/x,yesterday,gone,", "is not a date"),
    (f"{BASE}id/thing/x,2026-01-01,,", "has no reason"),
    (f"{BASE}id/thing/new,2026-01-01,gone,", "still describes it"),
    (f"{BASE}id/thing/x,2026-01-01,gone,{BASE}id/thing/nowhere", "is not an IRI of the graph"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        retired(project(tmp_path, f"{BASE}id/thing/ok,2026-01-01,fine,\n{row}\n"), base_iri=BASE, quads=QUADS)
    assert caught.value.message.startswith("data/retired.csv:3: ") and message in caught.value.message


def test_wrong_columns(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "retired.csv").write_text("iri,when\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"data/retired\.csv:1: the columns must be"):
        retired(tmp_path, base_iri=BASE, quads=QUADS)
