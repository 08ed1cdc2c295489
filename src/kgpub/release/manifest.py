"""The release manifest as a typed value: what ``manifest.json`` holds, read and written in one place."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from kgpub.errors import ReleaseNotFound


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    sha256: str
    bytes: int


@dataclass(frozen=True, kw_only=True)
class SourceEntry:
    path: str  # relative to the project folder
    graph: str
    sha256: str
    triples: int  # statements in the file


@dataclass(frozen=True, kw_only=True)
class ValidationSummary:
    conforms: bool  # SHACL's sh:conforms, as validation.ttl says: no results at all, whatever their severity
    publishable: bool  # our publication gate: no violations (warnings and info are published)
    violations: int
    warnings: int
    info: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationSummary:
        """A manifest's ``validation``, of any layout: up to layout 4 it had no ``publishable`` and its
        ``conforms`` meant no violations (the gate); SHACL's verdict is then read from the counts."""
        if "publishable" not in data and "conforms" in data:
            data = {**data, "publishable": data["conforms"], "conforms": not any(
                data.get(k) for k in ("violations", "warnings", "info"))}
        return cls(**data)


@dataclass(frozen=True, kw_only=True)
class Manifest:
    version: str
    format: str
    kgpub: str
    built_at: str  # ISO 8601, UTC, seconds
    graphs: dict[str, int]  # named graph -> distinct triples
    default_graphs: list[str]  # graphs whose union is the default graph for queries
    default_graph_triples: int  # distinct triples of that union
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None
    sources: list[SourceEntry] = field(default_factory=list)
    validation: ValidationSummary | None = None
    files: dict[str, FileEntry] = field(default_factory=dict)
    previous: str | None = None  # the version changes.rdfp.gz is against: `current` when this one was written
    # (null: the first release, or one written before kgpub wrote changes); like built_at, not in the version
    store_files: dict[str, FileEntry] | None = None  # the store's files (names inside store/) as written, once
    # the store was closed: RocksDB's files differ between two writes of the same content, so, like built_at,
    # not in the version; None: written by a kgpub that did not record them (the store is then only opened)

    REQUIRED: ClassVar[tuple[str, ...]] = ("version", "graphs", "default_graphs")

    def to_json(self) -> str:
        data = asdict(self)
        if self.validation is None:
            del data["validation"]
        if self.base_iri is None:
            del data["base_iri"]
        if self.store_files is None:
            del data["store_files"]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, where: str) -> Manifest:
        """Parse a manifest; a damaged one is a ReleaseNotFound naming what is wrong."""
        try:
            data: Any = json.loads(text)
        except ValueError as e:
            raise ReleaseNotFound(f"{where}: not a readable release manifest ({e})") from None
        if not isinstance(data, dict):
            raise ReleaseNotFound(f"{where}: not a release manifest (not a JSON object)")
        missing = [k for k in cls.REQUIRED if k not in data]
        if missing:
            raise ReleaseNotFound(f"{where}: not a release manifest (no {', '.join(missing)})")
        try:
            validation = data.get("validation")
            return cls(
                version=str(data["version"]), format=str(data.get("format", "")), kgpub=str(data.get("kgpub", "")),
                built_at=str(data.get("built_at", "")),
                graphs={str(g): int(n) for g, n in data["graphs"].items()},
                default_graphs=[str(g) for g in data["default_graphs"]],
                default_graph_triples=int(data.get("default_graph_triples", 0)),
                prefixes={str(k): str(v) for k, v in data.get("prefixes", {}).items()},
                base_iri=data.get("base_iri"),
                sources=[SourceEntry(**s) for s in data.get("sources", [])],
                validation=ValidationSummary.from_dict(validation) if validation else None,
                files={str(n): FileEntry(**f) for n, f in data.get("files", {}).items()},
                previous=None if data.get("previous") is None else str(data["previous"]),
                store_files=None if data.get("store_files") is None else {
                    str(n): FileEntry(**f) for n, f in data["store_files"].items()},
            )
        except (TypeError, ValueError, AttributeError) as e:
            raise ReleaseNotFound(f"{where}: not a release manifest ({e})") from None
