import json
from pathlib import Path

import pytest

from kgpub.errors import ReleaseNotFound
from kgpub.release import layout
from kgpub.release.manifest import Manifest, ValidationSummary
from kgpub.release.reader import Release


def _manifest(validation: dict[str, object], fmt: str = layout.FORMAT) -> str:
    return json.dumps({"version": "v", "format": fmt, "graphs": {}, "default_graphs": [], "validation": validation})


def test_validation_keeps_shacl_verdict_and_gate_apart_in_the_file() -> None:
    summary = ValidationSummary(conforms=False, publishable=True, violations=0, warnings=1, info=0)
    manifest = Manifest(version="v", format=layout.FORMAT, kgpub="0", built_at="", graphs={}, default_graphs=[],
                        default_graph_triples=0, validation=summary)
    written = json.loads(manifest.to_json())["validation"]
    assert written == {"conforms": False, "publishable": True, "violations": 0, "warnings": 1, "info": 0}
    assert Manifest.from_json(manifest.to_json(), where="m").validation == summary


@pytest.mark.parametrize(("old", "conforms", "publishable"), [
    ({"conforms": True, "violations": 0, "warnings": 1, "info": 0}, False, True),  # "conforms" was the gate
    ({"conforms": True, "violations": 0, "warnings": 0, "info": 0}, True, True),
    ({"conforms": False, "violations": 2, "warnings": 0, "info": 0}, False, False),
])
def test_manifests_of_earlier_layouts_read_with_today_s_meaning(old: dict[str, object], conforms: bool,
                                                                publishable: bool) -> None:
    read = Manifest.from_json(_manifest(old, fmt="kgpub-release-4"), where="m").validation
    assert read is not None
    assert (read.conforms, read.publishable) == (conforms, publishable)
    assert (read.violations, read.warnings, read.info) == (old["violations"], old["warnings"], old["info"])


@pytest.mark.parametrize("validation", [
    {"violations": 0, "warnings": 0, "info": 0},  # neither verdict
    {"conforms": True, "publishable": True, "violations": 0, "warnings": 0},  # a count missing
    {"conforms": True, "publishable": True, "violations": 0, "warnings": 0, "info": 0, "extra": 1},
])
def test_a_damaged_validation_summary_is_named(validation: dict[str, object]) -> None:
    with pytest.raises(ReleaseNotFound, match="m: not a release manifest"):
        Manifest.from_json(_manifest(validation), where="m")


def test_earlier_layouts_with_a_stored_default_graph_still_use_it(tmp_path: Path) -> None:
    for fmt, stored in (("kgpub-release-2", False), ("kgpub-release-3", True), ("kgpub-release-4", True),
                        (layout.FORMAT, True)):
        (tmp_path / layout.MANIFEST).write_text(_manifest({}, fmt=fmt), encoding="utf-8")
        assert Release(tmp_path).stores_default_graph is stored, fmt


def test_previous_is_written_null_or_a_version_and_older_manifests_have_none() -> None:
    for previous in (None, "0123456789abcdef"):
        manifest = Manifest(version="v", format=layout.FORMAT, kgpub="0", built_at="", graphs={}, default_graphs=[],
                            default_graph_triples=0, previous=previous)
        assert json.loads(manifest.to_json())["previous"] == previous  # null is written: "the first release"
        assert Manifest.from_json(manifest.to_json(), where="m").previous == previous
    assert Manifest.from_json(_manifest({}), where="m").previous is None  # a manifest from before the field
