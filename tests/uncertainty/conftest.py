"""Shared helpers of the uncertainty tests: reference data files and tolerance checks."""
import json
import math
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parent / "reference"


def load_reference(name):
    """Load ``tests/uncertainty/reference/<name>.json`` (path independent of the CWD)."""
    with open(REFERENCE / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def check(actual, published, what, extra=0.0):
    """Assert ``|actual - value| <= tol + extra`` for a published ``[value, tol]`` pair."""
    value, tol = published
    assert math.isfinite(actual), f"{what}: got {actual}"
    assert abs(actual - value) <= tol + extra, f"{what}: got {actual!r}, published {value} (tol {tol} + {extra})"


@pytest.fixture
def reference():
    """Factory fixture: ``reference(name)`` returns the parsed reference file."""
    return load_reference
