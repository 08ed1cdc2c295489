"""What the newest build of a releases folder came to: ``last-build.json`` beside ``current``.

A build that fails (a validation violation, an unverified link, a source that does not parse,
a full disk) publishes nothing and leaves ``current`` as it was, so a server watching the
folder would never know. The build writes this small record either way, and the server
reports it (``/readyz``: still serving the old release, and why the newest build is not it).
It is written atomically (a temporary file renamed), and a failure to write it never hides
the build's own outcome.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

NAME = "last-build.json"


@dataclass(frozen=True)
class BuildOutcome:
    ok: bool
    at: str  # ISO 8601, UTC
    version: str | None = None  # the release it made (or found already made)
    code: str | None = None  # the error code when it failed (kgpub.errors)
    message: str | None = None

    @classmethod
    def now(cls, *, ok: bool, **fields: str | None) -> BuildOutcome:
        return cls(ok=ok, at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"), **fields)


def record(releases_dir: Path, outcome: BuildOutcome) -> None:
    """Write ``outcome`` for the releases folder (best effort: the build's own result is what counts). A folder
    that does not exist is not made: a failed first build publishes nothing, and no server can watch it yet."""
    if not releases_dir.is_dir():
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=".last-build-", dir=releases_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({k: v for k, v in asdict(outcome).items() if v is not None}, f, ensure_ascii=False)
        os.replace(tmp, releases_dir / NAME)
    except OSError:
        pass


def read(releases_dir: Path) -> BuildOutcome | None:
    """The newest build's outcome, or None (no build recorded, or an unreadable record)."""
    try:
        data = json.loads((releases_dir / NAME).read_text(encoding="utf-8"))
        return BuildOutcome(**{k: data[k] for k in ("ok", "at", "version", "code", "message") if k in data})
    except (OSError, ValueError, TypeError, KeyError):
        return None
