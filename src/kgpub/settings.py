"""All configuration in one frozen object, built once from flags and the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/kjtrade/"
ENV_PREFIX = "KGPUB_"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """kgpub settings; each can be set by a CLI flag or a ``KGPUB_<NAME>`` variable."""

    project: Path = field(default_factory=Path.cwd)
    """Project folder holding ontology/, data/ and shapes/."""
    release_root: Path | None = None
    """Where releases are written; default ``<project>/release``."""
    base_iri: str = DEFAULT_BASE_IRI
    """Base of the canonical IRIs (ontology, id/, graph/)."""
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def releases(self) -> Path:
        return self.release_root if self.release_root is not None else self.project / "release"

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``KGPUB_*`` variables, then explicit overrides (None = unset)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        base = cls()
        return replace(base, **values)  # type: ignore[arg-type]


def _coerce(name: str, raw: str) -> object:
    if name in ("project", "release_root"):
        return Path(raw)
    if name == "port":
        return int(raw)
    return raw
