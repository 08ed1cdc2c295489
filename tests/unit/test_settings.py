"""Settings: defaults, then ``KGPUB_*`` variables coerced to each field's type, then explicit overrides.

Every test passes its environment as ``env={...}``; the process environment is never touched.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from kgpub.errors import InputError
from kgpub.settings import DEFAULT_BASE_IRI, Settings

# One value per field: (variable's text, the value it must load as, its type).
FROM_VARIABLE: dict[str, tuple[str, object, type]] = {
    "project": ("/srv/kg", Path("/srv/kg"), Path),
    "releases": ("/srv/releases", Path("/srv/releases"), Path),
    "base_iri": ("https://example.org/kg/", "https://example.org/kg/", str),
    "host": ("0.0.0.0", "0.0.0.0", str),
    "port": ("8080", 8080, int),
    "release": ("/srv/releases/2024-01-01", Path("/srv/releases/2024-01-01"), Path),
    "workers": ("4", 4, int),
    "query_timeout": ("2.5", 2.5, float),
    "max_rows": ("500", 500, int),
    "max_query_length": ("2000", 2000, int),
    "max_depth": ("8", 8, int),
    "max_body": ("4096", 4096, int),
    "allowed_services": ("https://query.wikidata.org/sparql", ("https://query.wikidata.org/sparql",), tuple),
    "queue_limit": ("16", 16, int),
    "client_queue": ("3", 3, int),
    "max_header_bytes": ("8192", 8192, int),
    "max_request_line": ("4096", 4096, int),
    "header_timeout": ("1.5", 1.5, float),
    "body_timeout": ("4", 4.0, float),
    "max_connections": ("64", 64, int),
    "watch_interval": ("0", 0.0, float),
    "access_log": ("false", False, bool),
    "processes": ("3", 3, int),
    "store": ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/query", str),
    "store_user": ("kgpub", "kgpub", str),
    "store_password_file": ("/run/secrets/store", Path("/run/secrets/store"), Path),
    "store_password_env": ("STORE_PASSWORD", "STORE_PASSWORD", str),
}
EXCLUSIVE = {"store_password_env"}  # one password source at a time: the file is the one set with all the others
POSITIVE = ("workers", "query_timeout", "max_rows", "max_query_length", "max_depth", "max_body", "queue_limit",
            "client_queue", "max_header_bytes", "max_request_line", "header_timeout", "body_timeout",
            "max_connections")
FIELDS = [f.name for f in dataclasses.fields(Settings)]


def var(name: str) -> str:
    return f"KGPUB_{name.upper()}"


def test_every_field_is_covered_here() -> None:
    assert sorted(FROM_VARIABLE) == sorted(FIELDS)


def test_defaults() -> None:
    s = Settings.load(env={})
    assert s.project == Path.cwd()
    assert (s.releases, s.release) == (None, None)
    assert (s.base_iri, s.host, s.port) == (DEFAULT_BASE_IRI, "127.0.0.1", 8000)
    assert (s.workers, s.query_timeout, s.max_rows) == (2, 10.0, 10_000)
    assert (s.max_query_length, s.max_depth, s.max_body) == (100_000, 64, 1_048_576)
    assert s.allowed_services == ()
    assert type(s.query_timeout) is float


@pytest.mark.parametrize("name", FIELDS)
def test_every_field_is_set_by_its_variable(name: str) -> None:
    raw, expected, kind = FROM_VARIABLE[name]
    s = Settings.load(env={var(name): raw})
    value = getattr(s, name)
    assert value == expected
    assert type(value) is kind or (kind is Path and isinstance(value, Path))
    others = {n: getattr(s, n) for n in FIELDS if n != name}
    assert others == {n: getattr(Settings.load(env={}), n) for n in FIELDS if n != name}


def test_all_variables_at_once() -> None:
    s = Settings.load(env={var(n): raw for n, (raw, _, _) in FROM_VARIABLE.items() if n not in EXCLUSIVE})
    assert {n: getattr(s, n) for n in FIELDS if n not in EXCLUSIVE} == {
        n: v for n, (_, v, _) in FROM_VARIABLE.items() if n not in EXCLUSIVE}


def test_a_float_variable_takes_an_integer() -> None:
    s = Settings.load(env={"KGPUB_QUERY_TIMEOUT": "3"})
    assert s.query_timeout == 3.0 and type(s.query_timeout) is float


def test_values_are_stripped() -> None:
    s = Settings.load(env={"KGPUB_WORKERS": " 3 ", "KGPUB_HOST": " ::1 ", "KGPUB_PROJECT": " /srv/kg\n"})
    assert (s.workers, s.host, s.project) == (3, "::1", Path("/srv/kg"))


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://a.example/sparql,https://b.example/sparql", ("https://a.example/sparql", "https://b.example/sparql")),
    (" https://a.example/sparql , ,https://b.example/sparql,, ", ("https://a.example/sparql", "https://b.example/sparql")),
    ("https://a.example/sparql,", ("https://a.example/sparql",)),
    (",", ()),
    (" , , ", ()),
])
def test_allowed_services_split_on_commas_with_blanks_dropped(raw: str, expected: tuple[str, ...]) -> None:
    assert Settings.load(env={"KGPUB_ALLOWED_SERVICES": raw}).allowed_services == expected


@pytest.mark.parametrize(("name", "raw"), [
    ("workers", "two"),
    ("workers", "2.5"),
    ("query_timeout", "soon"),
    ("port", "http"),
    ("port", "80.0"),
    ("max_rows", "10k"),
    ("max_query_length", "1e5"),
    ("max_depth", "deep"),
    ("max_body", "1MB"),
])
def test_a_bad_number_is_an_input_error_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(InputError) as caught:
        Settings.load(env={var(name): raw})
    assert var(name) in str(caught.value)
    assert raw in str(caught.value)


@pytest.mark.parametrize("name", POSITIVE)
@pytest.mark.parametrize("raw", ["0", "-1"])
def test_zero_and_negative_values_are_refused(name: str, raw: str) -> None:
    with pytest.raises(InputError, match=var(name)):
        Settings.load(env={var(name): raw})


@pytest.mark.parametrize("raw", ["0.0", "-0.5", "nan"])
def test_a_query_timeout_must_be_a_positive_number(raw: str) -> None:
    with pytest.raises(InputError, match="KGPUB_QUERY_TIMEOUT"):
        Settings.load(env={"KGPUB_QUERY_TIMEOUT": raw})


def test_small_positive_values_are_accepted() -> None:
    s = Settings.load(env={"KGPUB_QUERY_TIMEOUT": "0.001", **{var(n): "1" for n in POSITIVE if n != "query_timeout"}})
    assert (s.query_timeout, s.workers, s.max_rows, s.max_query_length, s.max_depth, s.max_body) == (
        0.001, 1, 1, 1, 1, 1)


@pytest.mark.parametrize("raw", ["-1", "65536", "100000"])
def test_a_bad_port_is_refused(raw: str) -> None:
    with pytest.raises(InputError, match="KGPUB_PORT"):
        Settings.load(env={"KGPUB_PORT": raw})


@pytest.mark.parametrize("raw", ["1", "65535"])
def test_ports_in_range_are_accepted(raw: str) -> None:
    assert Settings.load(env={"KGPUB_PORT": raw}).port == int(raw)


@pytest.mark.parametrize("name", ["workers", "port"])
def test_a_bad_override_is_refused_too(name: str) -> None:
    with pytest.raises(InputError):
        Settings.load(env={}, **{name: -1})


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_an_empty_variable_is_unset(name: str, raw: str) -> None:
    assert Settings.load(env={var(name): raw}) == Settings.load(env={})


def test_an_empty_variable_does_not_hide_an_override() -> None:
    assert Settings.load(env={"KGPUB_WORKERS": ""}, workers=7).workers == 7


def test_overrides_win_over_the_environment() -> None:
    env = {"KGPUB_WORKERS": "3", "KGPUB_PROJECT": "/from/env", "KGPUB_HOST": "env.example",
           "KGPUB_ALLOWED_SERVICES": "https://env.example/sparql"}
    s = Settings.load(env=env, workers=5, project=Path("/from/flag"), host="flag.example",
                      allowed_services=("https://flag.example/sparql",))
    assert (s.workers, s.project, s.host) == (5, Path("/from/flag"), "flag.example")
    assert s.allowed_services == ("https://flag.example/sparql",)


def test_a_none_override_does_not_unset() -> None:
    env = {"KGPUB_WORKERS": "3", "KGPUB_RELEASES": "/from/env", "KGPUB_RELEASE": "/from/env/r1"}
    s = Settings.load(env=env, workers=None, releases=None, release=None, project=None)
    assert (s.workers, s.releases, s.release) == (3, Path("/from/env"), Path("/from/env/r1"))
    assert s.project == Path.cwd()  # None leaves the default too
    assert Settings.load(env={}, max_rows=None).max_rows == 10_000


def test_releases_dir_defaults_to_the_projects_release_folder() -> None:
    assert Settings.load(env={}).releases_dir == Path.cwd() / "release"
    assert Settings.load(env={"KGPUB_PROJECT": "/srv/kg"}).releases_dir == Path("/srv/kg/release")
    assert Settings.load(env={}, project=Path("/srv/other")).releases_dir == Path("/srv/other/release")


def test_releases_dir_follows_releases() -> None:
    env = {"KGPUB_PROJECT": "/srv/kg", "KGPUB_RELEASES": "/srv/releases"}
    assert Settings.load(env=env).releases_dir == Path("/srv/releases")
    assert Settings.load(env=env, releases=Path("/srv/flag")).releases_dir == Path("/srv/flag")
    assert Settings.load(env={}, project=Path("/srv/kg"), releases=Path("/srv/r")).releases_dir == Path("/srv/r")


def test_releases_dir_is_not_the_release_being_served() -> None:
    s = Settings.load(env={"KGPUB_PROJECT": "/srv/kg", "KGPUB_RELEASE": "/elsewhere/r1"})
    assert (s.release, s.releases_dir) == (Path("/elsewhere/r1"), Path("/srv/kg/release"))


def test_settings_are_frozen() -> None:
    s = Settings.load(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.workers = 9  # type: ignore[misc]


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers which variables were looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self.asked: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.asked.append(key)
        return self._values[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.append(key)
        return self._values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_the_given_env_is_what_is_read() -> None:
    env = RecordingEnv({"KGPUB_WORKERS": "3", "KGPUB_UNKNOWN": "x"})
    assert Settings.load(env=env).workers == 3
    assert sorted(set(env.asked)) == sorted(var(n) for n in FIELDS)


def test_loading_with_env_never_reads_the_process_environment(tmp_path: Path) -> None:
    """In a child process whose real environment has bad KGPUB_* values, ``env=`` alone counts."""
    script = (
        "from kgpub.settings import Settings\n"
        "s = Settings.load(env={'KGPUB_MAX_ROWS': '7'})\n"
        "print(s.workers, s.port, s.max_rows, s.releases, s.project)\n"
    )
    bad = {var(n): "not a value" for n in FIELDS}
    child_env = {"PATH": "/usr/bin:/bin", **bad}
    out = subprocess.run([sys.executable, "-c", script], env=child_env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2", "8000", "7", "None", str(tmp_path.resolve())]
    # ...and without env= the same child does read it (so the check above is not vacuous).
    failed = subprocess.run([sys.executable, "-c", "from kgpub.settings import Settings; Settings.load()"],
                            env=child_env, cwd=tmp_path, capture_output=True, text=True)
    assert failed.returncode != 0 and "InputError" in failed.stderr


@pytest.mark.parametrize(("raw", "expected"),
                         [("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)])
def test_a_boolean_variable_reads_the_usual_spellings(raw: str, expected: bool) -> None:
    assert Settings.load(env={"KGPUB_ACCESS_LOG": raw}).access_log is expected


def test_a_boolean_variable_refuses_other_words() -> None:
    with pytest.raises(InputError, match="KGPUB_ACCESS_LOG='maybe': expected true or false"):
        Settings.load(env={"KGPUB_ACCESS_LOG": "maybe"})


@pytest.mark.parametrize("raw", ["-1", "inf", "nan"])
def test_the_watch_interval_is_zero_or_a_number_of_seconds(raw: str) -> None:
    with pytest.raises(InputError, match="KGPUB_WATCH_INTERVAL"):
        Settings.load(env={"KGPUB_WATCH_INTERVAL": raw})
