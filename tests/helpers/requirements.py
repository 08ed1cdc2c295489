"""The one rule for a test's missing tool or file: skip with the reason, except under CI, where it fails.

CI must never pass without a check because the machine lacked something (``CI=true``, as CI
sets it; ``1`` and ``yes`` count too).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str, *, module: bool = False) -> NoReturn:
    """Fail under CI, else skip (the calling module, with ``module=True``), saying what is missing."""
    if in_ci():
        pytest.fail(reason + " (required under CI)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)
