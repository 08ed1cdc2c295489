"""The releases kept in a releases folder, newest first: what ``/releases/`` lists and the
description's version chain (``dcat:previousVersion``) reads."""

from __future__ import annotations

from pathlib import Path

from kgpub.errors import ReleaseNotFound
from kgpub.release import layout
from kgpub.release.reader import Release, open_release


def kept(root: Path) -> list[Release]:
    """Every complete release in ``root``, newest first (a folder without a readable manifest is skipped).

    Listing does not hash the releases (it happens per request): a damaged one is listed, and
    refused when it is opened (:func:`~kgpub.release.reader.open_release` checks it). A build's
    temporary folders (``.building-*``) and every other hidden name are never releases.
    """
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.name == layout.CURRENT or folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            found.append(open_release(folder, check=False))
        except ReleaseNotFound:  # a damaged or foreign folder is not a release to list
            continue
    return sorted(found, key=lambda r: (r.manifest.built_at, r.version), reverse=True)


def root_of(release: Release) -> Path:
    """The releases folder that holds ``release``."""
    return release.path.resolve().parent


def previous(release: Release, releases: list[Release]) -> Release | None:
    """The release built just before ``release`` among ``releases`` (newest first), if one is kept."""
    older = [r for r in releases if (r.manifest.built_at, r.version) < (release.manifest.built_at, release.version)]
    return older[0] if older else None
