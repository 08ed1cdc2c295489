"""The runtime dependencies' floors exclude the known security advisories, and what is installed meets them.

``pyproject.toml`` names, for each runtime dependency it checked, the advisories its floor excludes
(``CVE-…``/``GHSA-…``/``PYSEC-…`` ids, each with "fixed <version>") or says "no known advisory", on the
comment lines just above the requirement or beside it. These tests hold that file to its word:

* every requirement whose comment names an advisory has a ``>=`` floor at or above every version its
  comment says fixed one, and the version installed here meets the requirement (a stale environment, or
  a floor lowered without its comment, fails);
* each package of the serving stack (Starlette, FastAPI, uvicorn and its HTTP parsers h11 and httptools,
  Jinja2, rdflib, pyoxigraph; python-multipart too, should it ever be installed) is a direct requirement
  with a floor and such a comment. Starlette and h11 are transitive, named only so that their floors are
  ours and not whatever FastAPI or uvicorn happen to accept. python-multipart is not installed: kgpub
  decodes its own form bodies (``web/routes/sparql.parse_form``) and no route declares a ``Form``.

Why no ``pip-audit`` here: its data cannot be reached from this machine. Run in this environment
(pip-audit 2.10.1), ``pip-audit --progress-spinner off`` lists all 106 packages as "Dependency not found
on PyPI and could not be audited" (PyPI's JSON API answers "not found" for every package) and then prints
"No known vulnerabilities found" with exit status 0; ``pip-audit -s osv`` fails with ``NameResolutionError``
("Failed to resolve 'api.osv.dev'"). A test around it would pass while auditing nothing. On a connected
machine, in the project's environment, run one of::

    pip-audit --strict -r <(pip freeze --exclude-editable)   # what is installed
    pip-audit --strict .                                     # what pyproject.toml resolves to

``--strict`` matters: it fails when a package could not be audited, instead of reporting the silence as
"No known vulnerabilities found". A new advisory then means a new floor and its comment here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from helpers.projects import ROOT

PYPROJECT = ROOT / "pyproject.toml"
ADVISORY = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[2-9cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+)\b")
CLEAN = "no known advisory"
FIXED = re.compile(r"\bfixed ([^)]*)\)")  # "fixed 1.3.1)", "fixed 3.1.4 and 3.1.3)"
VERSION = re.compile(r"\b\d+(?:\.\d+)+\b")
# the serving stack: whatever answers a request from the network, and what builds the release it serves
STACK = ("starlette", "fastapi", "uvicorn", "h11", "httptools", "jinja2", "rdflib", "pyoxigraph")
OPTIONAL = ("python-multipart",)  # checked only when installed


@dataclass(frozen=True)
class Entry:
    """One runtime requirement with the comment that speaks for it (the lines just above, then its own)."""

    requirement: Requirement
    comment: str

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def floor(self) -> Version | None:
        floors = [Version(s.version) for s in self.requirement.specifier if s.operator == ">="]
        return max(floors) if floors else None

    @property
    def advisories(self) -> list[str]:
        return ADVISORY.findall(self.comment)

    @property
    def fixed(self) -> list[Version]:
        return [Version(v) for group in FIXED.findall(self.comment) for v in VERSION.findall(group)]


def entries(text: str) -> list[Entry]:
    """The ``[project] dependencies`` array of a pyproject text, each entry with its comment.

    tomllib drops comments, so the array is read line by line: comment lines directly above a
    requirement (no blank line between) and the comment on its own line belong to it."""
    lines = text.splitlines()
    start = lines.index("dependencies = [") + 1
    found: list[Entry] = []
    above: list[str] = []
    for line in lines[start:]:
        stripped = line.strip()
        if stripped == "]":
            return found
        if not stripped:
            above = []
        elif stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
        else:
            match = re.fullmatch(r'"([^"]+)",?\s*(?:#\s*(.*))?', stripped)
            assert match, f"cannot read the dependency line {line!r}"
            found.append(Entry(Requirement(match[1]), " ".join([*above, match[2] or ""]).strip()))
            above = []
    raise AssertionError("the dependencies array is not closed")


def problems(entry: Entry) -> list[str]:
    """What is wrong with one entry's floor against its own comment (installed versions aside)."""
    found: list[str] = []
    if entry.advisories and entry.floor is None:
        found.append(f"{entry.name} names {', '.join(entry.advisories)} but has no >= floor")
    if entry.advisories and not entry.fixed:
        found.append(f"{entry.name} names {', '.join(entry.advisories)} without a 'fixed <version>'")
    if entry.floor is not None:
        found += [f"{entry.name}>={entry.floor} admits versions before {v}, where its comment says it was fixed"
                  for v in entry.fixed if v > entry.floor]
    return found


def installed(name: str) -> Version | None:
    try:
        return Version(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


TEXT = PYPROJECT.read_text(encoding="utf-8")
ENTRIES = entries(TEXT)
BY_NAME = {entry.name: entry for entry in ENTRIES}
ADVISED = [entry for entry in ENTRIES if entry.advisories]


def test_the_line_reader_sees_exactly_the_declared_dependencies() -> None:
    declared = tomllib.loads(TEXT)["project"]["dependencies"]
    assert [str(entry.requirement) for entry in ENTRIES] == [str(Requirement(d)) for d in declared]
    assert ADVISED, "no requirement names an advisory: the comments were not read"


@pytest.mark.parametrize("entry", ADVISED, ids=lambda entry: entry.name)
def test_a_floor_excludes_every_version_its_comment_says_was_fixed(entry: Entry) -> None:
    assert problems(entry) == []


@pytest.mark.parametrize("entry", ADVISED, ids=lambda entry: entry.name)
def test_the_installed_version_meets_the_floor(entry: Entry) -> None:
    marker = entry.requirement.marker
    if marker is not None and not marker.evaluate():
        pytest.skip(f"{entry.requirement} does not apply on this platform")
    version = installed(entry.name)
    assert version is not None, f"{entry.name} is required but not installed"
    assert entry.requirement.specifier.contains(version, prereleases=True), \
        f"{entry.name} {version} is installed; pyproject.toml asks for {entry.requirement} ({entry.comment})"


@pytest.mark.parametrize("name", STACK + tuple(n for n in OPTIONAL if installed(n) is not None))
def test_each_package_of_the_serving_stack_has_a_floor_that_names_its_advisories(name: str) -> None:
    entry = BY_NAME.get(canonicalize_name(name))
    assert entry is not None, f"{name} is not a direct runtime dependency with its own floor"
    assert entry.floor is not None, f"{entry.requirement} has no >= floor"
    assert entry.advisories or CLEAN in entry.comment, \
        f"the comment of {entry.requirement} names no advisory and does not say {CLEAN!r}: {entry.comment!r}"


def test_python_multipart_stays_out_unless_its_floor_comes_with_it() -> None:
    """FastAPI needs it only for ``Form``/``File`` parameters; kgpub parses its form bodies itself."""
    if installed("python-multipart") is not None:
        assert "python-multipart" in BY_NAME, "python-multipart is installed: give it a floor and its advisories"
    else:
        from starlette import formparsers

        assert vars(formparsers)["multipart"] is None  # Starlette's multipart parser is off: nothing reaches it


SAMPLE = '''[project]
dependencies = [
    # thing: CVE-2099-0001 (a bug, fixed 2.1.0); CVE-2099-0002 (another, fixed 1.5 and 1.4.2)
    "thing>=2.0",
    "other>=1.0",  # GHSA-2222-3333-4444 (named without its fixed version)
    "bare",  # CVE-2099-0003 (fixed 1.0)
    # a comment above a blank line belongs to nothing: CVE-2099-0004 (fixed 9.9)

    "clean>=3",  # no known advisory
]
'''


def test_the_checks_catch_a_floor_below_a_fix_and_an_advisory_without_one() -> None:
    sample = {entry.name: entry for entry in entries(SAMPLE)}
    assert list(sample) == ["thing", "other", "bare", "clean"]
    assert sample["thing"].advisories == ["CVE-2099-0001", "CVE-2099-0002"]
    assert sample["thing"].fixed == [Version("2.1.0"), Version("1.5"), Version("1.4.2")]
    assert problems(sample["thing"]) == [
        "thing>=2.0 admits versions before 2.1.0, where its comment says it was fixed"]
    assert problems(sample["other"]) == ["other names GHSA-2222-3333-4444 without a 'fixed <version>'"]
    assert problems(sample["bare"]) == ["bare names CVE-2099-0003 but has no >= floor"]
    assert sample["clean"].comment == CLEAN and problems(sample["clean"]) == []
