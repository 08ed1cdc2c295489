"""The w3id.org recipe in deploy/: one rule, a 303 for every path, nothing that looks at Accept."""

from __future__ import annotations

import re

from helpers.projects import ROOT

HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"


def rules() -> list[list[str]]:
    lines = [line.split() for line in HTACCESS.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return [line for line in lines if line[0] == "RewriteRule"]


def test_one_rule_sends_every_path_unchanged_with_a_303() -> None:
    (rule,) = rules()
    _, pattern, target, flags = rule
    assert "R=303" in flags and "L" in flags and "NE" in flags
    assert "RewriteCond" not in HTACCESS.read_text(encoding="utf-8")  # the server negotiates, not the redirect
    for path in ("id/country/KR", "ontology", "ontology/0.2.0", "fragments", "dump.ttl.gz", ""):
        sent = re.sub(pattern, target.replace("$1", r"\1"), path, count=1)
        assert sent == "https://kjtrade.example.org/" + path
