"""All configuration in one frozen object, built once from flags and the environment."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from kgpub.errors import InputError

DEFAULT_BASE_IRI = "https://w3id.org/kjtrade/"
ENV_PREFIX = "KGPUB_"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """kgpub settings; each can be set by a CLI flag or a ``KGPUB_<NAME>`` variable."""

    project: Path = field(default_factory=Path.cwd)
    """Project folder holding ontology/, data/ and shapes/."""
    releases: Path | None = None
    """Folder of releases (``--releases``); default ``<project>/release``: see :attr:`releases_dir`."""
    base_iri: str = DEFAULT_BASE_IRI
    """Base of the canonical IRIs (ontology, id/, graph/)."""
    host: str = "127.0.0.1"
    """Interface the server binds to."""
    port: int = 8000
    """Port the server listens on."""
    release: Path | None = None
    """Serve this release folder (``--release``) instead of the current one of :attr:`releases_dir`."""
    workers: int = 2
    """Query worker processes (each holds the store open read-only), per server process."""
    processes: int = 1
    """Server processes sharing the port (Linux, ``SO_REUSEPORT``; :mod:`kgpub.web.processes`), each with its own
    :attr:`workers`: ``processes × workers`` query workers in all."""
    query_timeout: float = 10.0
    """Hard wall-clock limit per query in seconds; a ``timeout=`` parameter may only lower it."""
    max_rows: int = 10_000
    """Rows (or triples) per answer; a larger result is cut and the cut is signalled."""
    max_query_length: int = 100_000
    """Characters per query."""
    max_depth: int = 64
    """Nested groups per query (pyoxigraph crashes on a few thousand)."""
    max_body: int = 1_048_576
    """Bytes per request body (413 beyond)."""
    allowed_services: tuple[str, ...] = ()
    """SERVICE endpoints queries may call (comma-separated in the variable); none by default."""
    queue_limit: int = 64
    """Queries waiting for a worker, all clients together; beyond it a query is refused at once (503, Retry-After)."""
    client_queue: int = 8
    """Queries one client (one address) may have waiting; beyond it that client's queries are refused (503)."""
    max_header_bytes: int = 65_536
    """Bytes of header fields per request (431 beyond)."""
    max_request_line: int = 65_535
    """Bytes of the request target (414 beyond); at most 65535, the longest the HTTP parser can read (a longer
    query goes in a POST body, up to :attr:`max_body`)."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's headers (408 and the connection closed beyond)."""
    body_timeout: float = 30.0
    """Seconds a client has to send a request's body, once its headers are in (408 beyond)."""
    max_connections: int = 512
    """Open connections the server accepts at once (503 beyond)."""
    watch_interval: float = 2.0
    """Seconds between checks of the releases folder's ``current`` for a new release to serve (0: never;
    ``SIGHUP`` checks at once)."""
    access_log: bool = True
    """One JSON line per request on standard error."""
    store: str | None = None
    """Answer from this remote SPARQL endpoint (``--store``: an Oxigraph server's ``/query``, Virtuoso's ``/sparql``)
    instead of the release's own store: queries, documents, pages, fragments (the release's graphs published there,
    one named graph each); dumps are still the release's files. :attr:`workers` is then how many queries run on it
    at once."""
    store_user: str | None = None
    """User for the store's HTTP authentication (digest or basic, whichever the store asks for)."""
    store_password_file: Path | None = None
    """File whose first line is the store user's password (never a flag's value: process lists show those)."""
    store_password_env: str | None = None
    """Name of the environment variable holding the store user's password (instead of a file)."""

    @property
    def releases_dir(self) -> Path:
        """Where releases are written and the current one is found."""
        return self.releases if self.releases is not None else self.project / "release"

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``KGPUB_*`` variables, then explicit overrides (None = unset)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw.strip():  # an empty variable is an unset one
                values[f.name] = _coerce(f.name, raw.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = replace(cls(), **values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse values no server can run with, naming the variable (a flag has its own check)."""
        for name in POSITIVE:
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise InputError(f"{ENV_PREFIX}{name.upper()}={value}: must be a finite number greater than 0")
        if not (self.watch_interval >= 0 and math.isfinite(self.watch_interval)):
            raise InputError(f"{ENV_PREFIX}WATCH_INTERVAL={self.watch_interval}: must be 0 (never) or a number of "
                             "seconds")
        if not 0 <= self.port <= 65535:
            raise InputError(f"{ENV_PREFIX}PORT={self.port}: not a TCP port (0-65535)")
        if self.store is not None:
            _check_store(self)


POSITIVE = ("workers", "processes", "query_timeout", "max_rows", "max_query_length", "max_depth", "max_body",
            "queue_limit", "client_queue", "max_header_bytes", "max_request_line", "header_timeout", "body_timeout",
            "max_connections")
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _check_store(settings: Settings) -> None:
    """The store is an http(s) URL without credentials in it; a user comes with exactly one password source."""
    try:
        parts = urlsplit(settings.store or "")
        _ = parts.port  # a port that is not a number is a ValueError here
    except ValueError as e:
        raise InputError(f"{ENV_PREFIX}STORE: not a URL ({e})") from None
    if parts.username is not None or parts.password is not None:
        raise InputError(f"{ENV_PREFIX}STORE: the URL holds credentials; give the user with --store-user and the "
                         "password with --store-password-file or --store-password-env instead")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{ENV_PREFIX}STORE={settings.store!r}: the store is the URL of a SPARQL endpoint, "
                         "http:// or https:// (e.g. http://127.0.0.1:7878/query)")
    sources = [s for s in (settings.store_password_file, settings.store_password_env) if s is not None]
    if len(sources) > 1:
        raise InputError("--store-password-file and --store-password-env both given: name one password source")
    if settings.store_user is None and sources:
        raise InputError("a store password is given but no --store-user")
    if settings.store_user is not None and not sources:
        raise InputError(f"--store-user {settings.store_user!r} needs --store-password-file or --store-password-env")


def _coerce(name: str, raw: str) -> object:
    kind = {f.name: f.default for f in fields(Settings)}[name]
    if name in ("project", "releases", "release", "store_password_file"):
        return Path(raw)
    if isinstance(kind, bool):
        if raw.lower() not in BOOLEANS:
            raise InputError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected true or false")
        return BOOLEANS[raw.lower()]
    if isinstance(kind, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(kind, bool | int | float):
        try:
            return type(kind)(raw)
        except ValueError:
            raise InputError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected a {type(kind).__name__}") from None
    return raw
