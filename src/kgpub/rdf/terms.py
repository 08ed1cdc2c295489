"""Terms as people read them: prefix compaction, shared by the CLI table and the validation report."""

from __future__ import annotations

from collections.abc import Mapping


class Prefixes:
    """Compacts IRIs with a prefix table; the longest matching namespace wins."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self._by_length = sorted(((p, ns) for p, ns in prefixes.items() if ns), key=lambda kv: (-len(kv[1]), kv[0]))

    def compact(self, iri: str) -> str:
        """``prefix:local`` when a namespace matches, else ``<iri>``."""
        for prefix, ns in self._by_length:
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return f"<{iri}>"
