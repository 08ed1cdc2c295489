from pathlib import Path

import pytest

from kgpub.build.sources import graph_name, load_sources
from kgpub.errors import InputError, SourceSyntaxError
from kgpub.settings import DEFAULT_BASE_IRI


def test_each_folder_becomes_its_own_named_graph(tiny_project: Path) -> None:
    sources = load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)
    assert {q.graph_name for q in sources.graph("data")} == {graph_name(DEFAULT_BASE_IRI, "data")}
    assert len(sources.graph("data")) == 6
    assert len(sources.graph("ontology")) == 2
    assert [f.path.name for f in sources.files] == ["main.ttl"] * 3
    assert sources.prefixes["ex"] == "http://example.org/"


def test_subfolders_are_not_sources(tiny_project: Path) -> None:
    (tiny_project / "shapes" / "examples").mkdir()
    (tiny_project / "shapes" / "examples" / "broken.ttl").write_text("not turtle at all")
    load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)


def test_syntax_error_names_file_line_and_column(tiny_project: Path) -> None:
    bad = tiny_project / "data" / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "x" ;\n  ex:c ex:d ex:e .\n')
    with pytest.raises(SourceSyntaxError) as info:
        load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)
    err = info.value
    assert (err.file, err.line, err.column) == (bad, 3, 13)
    assert str(err).startswith(f"{bad}:3:13: syntax error:")


def test_undefined_prefix_is_a_syntax_error(tiny_project: Path) -> None:
    (tiny_project / "data" / "bad.ttl").write_text("nope:a nope:b nope:c .\n")
    with pytest.raises(SourceSyntaxError, match=r"bad.ttl:1:"):
        load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)


def test_relative_iris_are_rejected_not_resolved_against_the_file(tiny_project: Path) -> None:
    (tiny_project / "data" / "rel.ttl").write_text("<a> <b> <c> .\n")
    with pytest.raises(SourceSyntaxError, match=r"rel\.ttl:1"):
        load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)


def test_invalid_utf8_is_a_syntax_error(tiny_project: Path) -> None:
    (tiny_project / "data" / "bin.ttl").write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(SourceSyntaxError, match=r"bin\.ttl:1"):
        load_sources(tiny_project, base_iri=DEFAULT_BASE_IRI)


@pytest.mark.parametrize("layout", ["missing", "no-data-folder", "empty-data"])
def test_unusable_layouts_are_input_errors(tmp_path: Path, layout: str) -> None:
    project = tmp_path / "p"
    if layout != "missing":
        project.mkdir()
    if layout == "empty-data":
        (project / "data").mkdir()
    with pytest.raises(InputError) as info:
        load_sources(project, base_iri=DEFAULT_BASE_IRI)
    assert str(project) in str(info.value)
