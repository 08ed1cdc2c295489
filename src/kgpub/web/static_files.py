"""The package's own front-end files (``web/static/``: our stylesheet, the vendored YASGUI), served under
content-hashed paths: ``/static/<digest>/<name>``, cached for a year (``immutable``).

The digest is the first 16 hex digits of the file's SHA-256, so a new file is a new URL and a cached
one can never be stale; a path with another digest is a 404 (it names bytes this server does not have).
Nothing is ever loaded from another origin.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from kgpub.web.conditional import compress

PREFIX = "/static/"
CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class StaticFile:
    name: str  # path under web/static/, "/"-separated
    digest: str
    body: bytes
    media_type: str

    @property
    def url(self) -> str:
        return f"{PREFIX}{self.digest}/{self.name}"

    @property
    def gzipped(self) -> bytes:
        """The file gzip-compressed, once per process (the YASGUI bundle is a megabyte)."""
        return _gzipped(self.name)


def _walk(folder: Traversable, prefix: str = "") -> dict[str, Traversable]:
    found: dict[str, Traversable] = {}
    for entry in folder.iterdir():
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found |= _walk(entry, f"{prefix}{entry.name}/")
        else:
            found[prefix + entry.name] = entry
    return found


@cache
def files() -> dict[str, StaticFile]:
    """Every static file by name (read once per process: they ship with the package)."""
    table = {}
    for name, entry in _walk(resources.files("kgpub.web").joinpath("static")).items():
        body = entry.read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        table[name] = StaticFile(name, hashlib.sha256(body).hexdigest()[:16], body, kind)
    return table


@cache
def _gzipped(name: str) -> bytes:
    return compress(files()[name].body)


def url(name: str) -> str:
    """The content-hashed URL of ``name`` (a KeyError names a file the package does not ship: a bug)."""
    return files()[name].url


def find(digest: str, name: str) -> StaticFile | None:
    found = files().get(name)
    return found if found is not None and found.digest == digest else None
