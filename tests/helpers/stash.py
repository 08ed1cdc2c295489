"""Keys of what conftest starts in the background at collection and the tests that check it."""

from __future__ import annotations

import pytest

from helpers.fresh_copy import FreshCopy
from helpers.validation import Background

SHAPE_RUNS = pytest.StashKey[Background]()
FRESH_COPY = pytest.StashKey[FreshCopy]()
