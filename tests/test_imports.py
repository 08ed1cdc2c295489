"""The server and the query workers stay small: they never import rdflib or pySHACL."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["kgpub.web.app", "kgpub.cli.commands", "kgpub.query.backends.worker"])
def test_serving_path_does_not_import_the_build_pipeline(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyshacl')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_worker_does_not_import_the_web_stack() -> None:
    heavy = "{'fastapi', 'starlette', 'uvicorn', 'click', 'pydantic', 'urllib.request', 'email', 'http.client'}"
    code = f"import sys, kgpub.query.backends.worker; print(sorted(set(sys.modules) & {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
