"""The README's commands, as the tests run them."""

from __future__ import annotations

import re

from helpers.projects import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def command(marker: str) -> str:
    """The one-line shell command in the README's ``<!-- marker -->`` block."""
    m = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", README)
    assert m, f"README has no {marker} block"
    return m.group(1)
