"""The import rules, checked by package (ARCHITECTURE.md): every import of every module, lazy ones included.

- only ``web/`` and ``cli/`` import FastAPI, Starlette, uvicorn or click;
- only ``build/`` imports rdflib or pySHACL (one documented lazy exception: ``query/checks.py``);
- the serving path (everything but ``build/`` and ``cli/``) never imports ``kgpub.build``;
- the core (everything but ``web/`` and ``cli/``) never imports ``kgpub.web`` or ``kgpub.cli``.
And at run time: importing the app or a worker loads neither rdflib nor pySHACL; a worker loads no web stack.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kgpub"
WEB_STACK = ("fastapi", "starlette", "uvicorn", "click", "pydantic")
BUILD_STACK = ("rdflib", "pyshacl")
LAZY_RDFLIB = {("query", "checks.py")}  # the SERVICE check's parser of last resort, documented there


def package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    if rel.parts == ("__main__.py",):
        return "cli"  # ``python -m kgpub`` is the command line
    return rel.parts[0] if len(rel.parts) > 1 else ""  # "" for top-level modules (settings, errors, site)


def imports(path: Path) -> list[str]:
    """Every module name imported anywhere in the file (top level, in functions, under TYPE_CHECKING)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


MODULES = sorted(SRC.rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


def test_every_package_is_seen() -> None:
    assert {package_of(p) for p in MODULES} >= {"", "rdf", "build", "release", "query", "metadata", "web", "cli"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_import_rules(path: Path) -> None:
    package, names = package_of(path), imports(path)
    if package not in ("web", "cli"):
        assert not [n for n in names if _top(n) in WEB_STACK], f"{path.name}: the core imports the web or CLI stack"
        assert not [n for n in names if n.startswith(("kgpub.web", "kgpub.cli"))], "the core imports web/ or cli/"
    if package != "build" and path.relative_to(SRC).parts not in LAZY_RDFLIB:
        assert not [n for n in names if _top(n) in BUILD_STACK], f"{path.name}: rdflib/pySHACL outside build/"
    if package not in ("build", "cli"):
        assert not [n for n in names if n.startswith("kgpub.build")], f"{path.name}: the serving path imports build/"


def test_the_lazy_exception_is_lazy() -> None:
    """query/checks.py imports rdflib only inside the function that needs it, never at module level."""
    tree = ast.parse((SRC / "query" / "checks.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not [n for n in top if _top(getattr(n, "module", None) or n.names[0].name) in BUILD_STACK]


def loaded(module: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages, or dotted modules) importing ``module`` loads."""
    code = (f"import sys, {module}; print(sorted(n for n in {set(names)!r} "
            f"if n in sys.modules or any(m.startswith(n + '.') for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(eval(out.stdout))


@pytest.mark.parametrize("module", ["kgpub.web.app", "kgpub.cli.commands", "kgpub.query.backends.worker", "kgpub.site"])
def test_serving_path_does_not_load_the_build_stack(module: str) -> None:
    assert loaded(module, BUILD_STACK) == []


def test_worker_does_not_load_the_web_stack() -> None:
    assert loaded("kgpub.query.backends.worker", (*WEB_STACK, "email", "http.client", "urllib.request")) == []
